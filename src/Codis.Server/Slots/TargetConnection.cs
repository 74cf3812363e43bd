using System.Net.Sockets;
using Codis.Core.Resp;

namespace Codis.Server.Slots;

/// <summary>A blocking connection of sync migration to a target: writes and reads on the calling thread, each bounded by a timeout.</summary>
internal sealed class TargetConnection(Socket socket) : IDisposable
{
    private readonly RespReplyReader replies = new();

    public static TargetConnection Open(string host, int port, int timeoutMs) => new(BlockingConnect.Connect(host, port, timeoutMs));

    public int TimeoutMs
    {
        set
        {
            socket.SendTimeout = value;
            socket.ReceiveTimeout = value;
        }
    }

    public void Send(ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            int n = socket.Send(bytes);
            bytes = bytes[n..];
        }
    }

    /// <summary>Reads one reply; throws on timeout, reset, or a closed connection.</summary>
    public RespValue Read() => replies.Read((b, o, n) => socket.Receive(b, o, n, SocketFlags.None), "connection closed by the target");

    public void Dispose() => socket.Dispose();
}
