using System.Diagnostics.CodeAnalysis;

namespace Codis.Core.Resp;

/// <summary>
/// Malformed input on a RESP connection. The session answers "-ERR Protocol error: ..." and closes;
/// it never affects other connections.
/// </summary>
public sealed class RespProtocolException(string message) : Exception(message)
{
    [DoesNotReturn]
    public static void Throw(string message) => throw new RespProtocolException(message);
}
