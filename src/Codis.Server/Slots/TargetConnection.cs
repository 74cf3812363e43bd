using System.Net.Sockets;
using Codis.Core.Resp;

namespace Codis.Server.Slots;

/// <summary>A blocking connection of sync migration to a target: writes and reads on the calling thread, each bounded by a timeout.</summary>
internal sealed class TargetConnection(Socket socket) : IDisposable
{
    private byte[] buffer = new byte[4096];
    private int start, end;

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
    public RespValue Read()
    {
        while (true)
        {
            if (end > start && RespValue.TryParse(buffer.AsSpan(start, end - start), out var value, out int used))
            {
                start += used;
                return value;
            }
            if (start > 0)
            {
                Buffer.BlockCopy(buffer, start, buffer, 0, end - start);
                end -= start;
                start = 0;
            }
            if (end == buffer.Length) Array.Resize(ref buffer, buffer.Length * 2);
            int n = socket.Receive(buffer, end, buffer.Length - end, SocketFlags.None);
            if (n == 0) throw new IOException("connection closed by the target");
            end += n;
        }
    }

    public void Dispose() => socket.Dispose();
}
