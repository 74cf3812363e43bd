using System.Net.Sockets;
using Codis.Core.Resp;

namespace Codis.Server.Tests.Infrastructure;

/// <summary>
/// A raw test connection that reads replies as whole RESP3 frames (<see cref="Resp3Frames"/>) and returns their
/// bytes untouched: push frames, attributes and all, for byte-for-byte comparisons between servers.
/// </summary>
public sealed class Resp3Connection : IDisposable
{
    private readonly TcpClient tcp;
    private readonly NetworkStream stream;
    private byte[] buffer = new byte[64 * 1024];
    private int start, end;

    public Resp3Connection(int port, int protocol = 3, int timeoutMs = 10000)
    {
        tcp = new TcpClient { NoDelay = true };
        tcp.Connect("127.0.0.1", port);
        stream = tcp.GetStream();
        stream.ReadTimeout = timeoutMs;
        if (protocol == 3) Call("HELLO", "3");
    }

    public byte[] Call(params string[] args) => Call(args.Select(a => System.Text.Encoding.UTF8.GetBytes(a)).ToArray());

    public byte[] Call(params byte[][] args)
    {
        Send(args);
        return ReadFrame();
    }

    public void Send(params byte[][] args) => RespValue.WriteCommand(stream, args);

    public void Send(params string[] args) => Send(args.Select(a => System.Text.Encoding.UTF8.GetBytes(a)).ToArray());

    /// <summary>The next whole frame; IOException on timeout or when the server closes.</summary>
    public byte[] ReadFrame()
    {
        while (true)
        {
            int n = Resp3Frames.Length(buffer.AsSpan(start, end - start));
            if (n >= 0 && end > start)
            {
                var frame = buffer.AsSpan(start, n).ToArray();
                start += n;
                return frame;
            }
            if (start > 0)
            {
                Buffer.BlockCopy(buffer, start, buffer, 0, end - start);
                end -= start;
                start = 0;
            }
            if (end == buffer.Length) Array.Resize(ref buffer, buffer.Length * 2);
            int got = stream.Read(buffer, end, buffer.Length - end);
            if (got == 0) throw new IOException("connection closed by peer");
            end += got;
        }
    }

    /// <summary>A frame if one arrives within <paramref name="waitMs"/>, else null.</summary>
    public byte[]? TryReadFrame(int waitMs)
    {
        int old = stream.ReadTimeout;
        stream.ReadTimeout = waitMs;
        try { return ReadFrame(); }
        catch (IOException) { return null; }
        finally { stream.ReadTimeout = old; }
    }

    public void Dispose()
    {
        stream.Dispose();
        tcp.Dispose();
    }
}
