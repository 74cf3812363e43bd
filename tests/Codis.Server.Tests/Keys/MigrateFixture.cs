using System.Net;
using System.Net.Sockets;
using System.Text;
using Codis.Core.Resp;
using Codis.Server.Tests.Infrastructure;
using Codis.Testing;

namespace Codis.Server.Tests.Keys;

/// <summary>
/// MIGRATE's servers: our source and redis-server 7.0 as the oracle source, and three targets shared by both —
/// a redis-server, a codis-server, and a codis-server with requirepass "secret".
/// </summary>
public sealed class MigrateFixture : IDisposable
{
    public CodisServerProcess Codis { get; } = CodisServerProcess.Start("--save", "");
    public RedisServerProcess Redis { get; } = RedisServerProcess.Start();
    public RedisServerProcess RedisTarget { get; } = RedisServerProcess.Start();
    public CodisServerProcess CodisTarget { get; } = CodisServerProcess.Start("--save", "");
    public CodisServerProcess AuthTarget { get; } = CodisServerProcess.Start("--save", "", "--requirepass", "secret");

    public void Dispose()
    {
        Codis.Dispose();
        Redis.Dispose();
        RedisTarget.Dispose();
        CodisTarget.Dispose();
        AuthTarget.Dispose();
    }

    /// <summary>A port nothing listens on (bound, then released).</summary>
    public static int ClosedPort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }
}

/// <summary>
/// A fake MIGRATE target: records each command it receives and answers +OK, or nothing at all (a hung target),
/// or closes the connection; while <see cref="Hold"/> is set it waits before answering.
/// </summary>
public sealed class FakeTarget : IDisposable
{
    public enum Mode { Ok, Silent, Close }

    private readonly TcpListener listener = new(IPAddress.Loopback, 0);
    private readonly List<Socket> sockets = new();
    private readonly List<byte[][]> received = new();

    public FakeTarget(Mode mode)
    {
        listener.Start();
        Port = ((IPEndPoint)listener.LocalEndpoint).Port;
        Task.Run(() => AcceptLoop(mode));
    }

    public int Port { get; }

    /// <summary>While not set, received commands are recorded but not answered.</summary>
    public ManualResetEventSlim Release { get; } = new(true);

    public List<byte[][]> Received
    {
        get { lock (received) return received.ToList(); }
    }

    private void AcceptLoop(Mode mode)
    {
        while (true)
        {
            Socket s;
            try { s = listener.AcceptSocket(); }
            catch (Exception) { return; }
            lock (sockets) sockets.Add(s);
            Task.Run(() => Serve(s, mode));
        }
    }

    private void Serve(Socket s, Mode mode)
    {
        // Replies go out from their own loop, so that commands keep being read (and recorded) while replies are held.
        var toAnswer = new SemaphoreSlim(0);
        var stream = new NetworkStream(s);
        var closed = new CancellationTokenSource();
        if (mode == Mode.Ok) Task.Run(() => Answer(stream, toAnswer, closed.Token));
        try
        {
            while (true)
            {
                var command = ReadCommand(stream);
                if (command == null) break;
                lock (received) received.Add(command);
                if (mode == Mode.Close)
                {
                    s.Close();
                    break;
                }
                if (mode == Mode.Ok) toAnswer.Release();
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException) { }
        closed.Cancel();
        s.Dispose();
    }

    private void Answer(Stream stream, SemaphoreSlim toAnswer, CancellationToken closed)
    {
        try
        {
            while (true)
            {
                toAnswer.Wait(closed);
                Release.Wait(closed);
                stream.Write("+OK\r\n"u8);
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException) { }
    }

    private static byte[][]? ReadCommand(Stream s)
    {
        string? header = ReadLine(s);
        if (header == null) return null;
        int n = int.Parse(header.AsSpan(1));
        var args = new byte[n][];
        for (int i = 0; i < n; i++)
        {
            int len = int.Parse(ReadLine(s)!.AsSpan(1));
            var data = new byte[len + 2];
            s.ReadExactly(data);
            args[i] = data[..len];
        }
        return args;
    }

    private static string? ReadLine(Stream s)
    {
        var sb = new StringBuilder();
        while (true)
        {
            int b = s.ReadByte();
            if (b < 0) return null;
            if (b == '\n') return sb.ToString().TrimEnd('\r');
            sb.Append((char)b);
        }
    }

    public void Dispose()
    {
        Release.Set();
        listener.Stop();
        lock (sockets) foreach (var s in sockets) s.Dispose();
    }
}

/// <summary>Value snapshots for comparing a key across servers, whatever its type and encoding.</summary>
internal static class KeyContents
{
    /// <summary>Every value type in small and large encodings (listpack/intset and their big forms), a few with TTLs.</summary>
    public static List<string> Fill(RespClient c, string prefix)
    {
        string K(string s) => prefix + s;
        c.Call("SET", K("str"), "hello").AssertOk();
        c.Call("SET", K("int"), "12345").AssertOk();
        c.Call("SET", K("big"), new string('x', 100_000)).AssertOk();
        c.Call("SET", K("ttl"), "v", "PX", "60000").AssertOk();
        c.Call(["RPUSH", K("list"), "a", "b", "c"]);
        c.Call(["RPUSH", K("biglist"), .. Enumerable.Range(0, 1000).Select(i => "item" + i)]);
        c.Call(["SADD", K("intset"), "1", "2", "3"]);
        c.Call(["SADD", K("set"), "a", "b", "c"]);
        c.Call(["SADD", K("bigset"), .. Enumerable.Range(0, 1000).Select(i => "m" + i)]);
        c.Call(["HSET", K("hash"), "f1", "v1", "f2", "v2"]);
        c.Call(["HSET", K("bighash"), .. Enumerable.Range(0, 1000).SelectMany(i => new[] { "f" + i, new string('v', i % 100) })]);
        c.Call(["ZADD", K("zset"), "1", "a", "2.5", "b"]);
        c.Call(["ZADD", K("bigzset"), .. Enumerable.Range(0, 1000).SelectMany(i => new[] { (i * 0.5).ToString(System.Globalization.CultureInfo.InvariantCulture), "z" + i })]);
        c.Call("XADD", K("stream"), "1-1", "f", "v");
        c.Call("XADD", K("stream"), "2-1", "g", "w");
        c.Call("XGROUP", "CREATE", K("stream"), "grp", "0");
        c.Call("XREADGROUP", "GROUP", "grp", "alice", "COUNT", "1", "STREAMS", K("stream"), ">");
        c.Call("PEXPIRE", K("hash"), "120000");
        c.Call("PEXPIRE", K("bigzset"), "120000");
        return new[] { "str", "int", "big", "ttl", "list", "biglist", "intset", "set", "bigset", "hash", "bighash", "zset", "bigzset", "stream" }
            .Select(K).ToList();
    }

    /// <summary>The type and the logical value (sets and hashes sorted), plus whether the key has a TTL.</summary>
    public static string Of(RespClient c, string key)
    {
        string type = c.Call("TYPE", key).Text!;
        string value = type switch
        {
            "string" => c.Call("GET", key).Text!.Length + ":" + c.Call("GET", key).Text![..Math.Min(20, c.Call("GET", key).Text!.Length)],
            "list" => c.Call("LRANGE", key, "0", "-1").ToString(),
            "set" => string.Join(",", c.Call("SMEMBERS", key).Strings().Order(StringComparer.Ordinal)),
            "hash" => string.Join(",", c.Call("HGETALL", key).Strings().Chunk(2).Select(p => p[0] + "=" + p[1]).Order(StringComparer.Ordinal)),
            "zset" => c.Call("ZRANGE", key, "0", "-1", "WITHSCORES").ToString(),
            "stream" => c.Call("XRANGE", key, "-", "+") + " " + c.Call("XINFO", "GROUPS", key),
            _ => "",
        };
        return $"{type} {value} ttl:{c.Call("PTTL", key).Integer > 0}";
    }
}
