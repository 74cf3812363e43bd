using System.Net.Sockets;
using System.Text;

namespace Codis.Core.Resp;

/// <summary>
/// A small blocking RESP client for internal links (slot migration, dashboard checks) and tests: one
/// request at a time or a pipeline, with a timeout on every read and write.
/// </summary>
public sealed class RespClient : IDisposable
{
    private readonly TcpClient tcp;
    private readonly NetworkStream stream;
    private readonly RespReplyReader replies = new(64 * 1024);

    public RespClient(string host, int port, TimeSpan timeout)
    {
        tcp = new TcpClient { NoDelay = true };
        var connect = tcp.ConnectAsync(host, port);
        if (!connect.Wait(timeout))
        {
            tcp.Dispose();
            throw new TimeoutException($"timed out connecting to {host}:{port}");
        }
        if (connect.IsFaulted) throw connect.Exception!.InnerException!;
        stream = tcp.GetStream();
        Timeout = timeout;
        Host = host;
        Port = port;
    }

    public string Host { get; }
    public int Port { get; }

    public TimeSpan Timeout
    {
        get => TimeSpan.FromMilliseconds(stream.ReadTimeout);
        set
        {
            int ms = (int)Math.Clamp(value.TotalMilliseconds, 1, int.MaxValue);
            stream.ReadTimeout = ms;
            stream.WriteTimeout = ms;
        }
    }

    public bool Connected => tcp.Connected;

    public RespValue Call(params string[] args) => Call(args.Select(a => Encoding.UTF8.GetBytes(a)).ToArray());

    public RespValue Call(params byte[][] args)
    {
        Send(args);
        return Read();
    }

    public void Send(IReadOnlyList<byte[]> args) => RespValue.WriteCommand(stream, args);

    public void SendRaw(ReadOnlySpan<byte> bytes) => stream.Write(bytes);

    public void Flush() => stream.Flush();

    /// <summary>Reads one reply; throws IOException on timeout or a closed connection.</summary>
    public RespValue Read() => replies.Read(stream.Read);

    /// <summary>Reads whatever raw bytes arrive within the timeout (tests of exact bytes).</summary>
    public byte[] ReadRawAvailable(TimeSpan wait)
    {
        var old = stream.ReadTimeout;
        stream.ReadTimeout = (int)wait.TotalMilliseconds;
        using var ms = new MemoryStream();
        ms.Write(replies.TakeBuffered());
        try
        {
            var tmp = new byte[64 * 1024];
            while (true)
            {
                int n = stream.Read(tmp);
                if (n == 0) break;
                ms.Write(tmp, 0, n);
            }
        }
        catch (IOException) { }
        stream.ReadTimeout = old;
        return ms.ToArray();
    }

    public void Dispose()
    {
        stream.Dispose();
        tcp.Dispose();
    }
}
