using Codis.Core.Resp;
using Codis.Server.Storage.Streams;

namespace Codis.Server.Commands;

/// <summary>A run of a request's arguments as stream items (XADD's field/value pairs), read in place.</summary>
internal readonly struct RequestItems(RespRequest args, int first, int count) : IStreamItems
{
    public int Count => count;
    public ReadOnlySpan<byte> this[int i] => args[first + i];
}
