using System.Globalization;
using Codis.Core.Resp;

namespace Codis.Dashboard.Servers;

/// <summary>
/// The dashboard's calls to group servers over RESP: PING, INFO, REPLICAOF and the slot migration commands.
/// Each call opens its own short-lived connection (AUTH with product_auth first), so no state leaks between
/// operations; migration keeps one connection per slot for its loop.
/// </summary>
internal sealed class RedisOps(string auth, TimeSpan timeout)
{
    public string Auth { get; } = auth;
    public TimeSpan Timeout { get; } = timeout;

    public static (string Host, int Port) Split(string addr)
    {
        int colon = addr.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(addr.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port is < 1 or > 65535)
            throw new ArgumentException($"bad server address '{addr}' (want host:port)");
        return (addr[..colon].Trim('[', ']'), port);
    }

    /// <summary>A connected, authenticated client; throws IOException/TimeoutException/InvalidOperationException with the address.</summary>
    public RespClient Open(string addr, TimeSpan? timeout = null)
    {
        var (host, port) = Split(addr);
        RespClient c;
        try { c = new RespClient(host, port, timeout ?? Timeout); }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or TimeoutException or IOException or AggregateException)
        {
            var cause = e is AggregateException a ? a.GetBaseException() : e;
            throw new IOException($"can't connect to {addr}: {cause.Message}", cause);
        }
        if (Auth.Length > 0)
        {
            var r = c.Call("AUTH", Auth);
            if (r.IsError)
            {
                c.Dispose();
                throw new InvalidOperationException($"{addr}: AUTH failed: {r.Text}");
            }
        }
        return c;
    }

    /// <summary>Runs one command on a fresh connection; error replies become exceptions naming the server.</summary>
    public Task<RespValue> CallAsync(string addr, params string[] args) => Task.Run(() =>
    {
        using var c = Open(addr);
        RespValue r;
        try { r = c.Call(args); }
        catch (IOException e) { throw new IOException($"{addr}: {args[0]}: {e.Message}", e); }
        if (r.IsError) throw new InvalidOperationException($"{addr}: {string.Join(' ', args)}: {r.Text}");
        return r;
    });

    public async Task<Dictionary<string, string>> InfoAsync(string addr, string section = "")
    {
        var r = await (section.Length == 0 ? CallAsync(addr, "INFO") : CallAsync(addr, "INFO", section)).ConfigureAwait(false);
        return ParseInfo(r.Text ?? "");
    }

    public static Dictionary<string, string> ParseInfo(string text)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.Length == 0 || line[0] == '#') continue;
            int colon = line.IndexOf(':');
            if (colon > 0) map[line[..colon]] = line[(colon + 1)..];
        }
        return map;
    }

    /// <summary>Makes <paramref name="addr"/> replicate <paramref name="master"/> (null: stop replicating, become a master).</summary>
    public async Task ReplicaOfAsync(string addr, string? master)
    {
        if (Auth.Length > 0) await CallAsync(addr, "CONFIG", "SET", "masterauth", Auth).ConfigureAwait(false);
        if (master == null)
        {
            await CallAsync(addr, "REPLICAOF", "NO", "ONE").ConfigureAwait(false);
            return;
        }
        var (host, port) = Split(master);
        await CallAsync(addr, "REPLICAOF", host, port.ToString(CultureInfo.InvariantCulture)).ConfigureAwait(false);
    }

    /// <summary>Databases that hold keys, from INFO keyspace ("db0:keys=3,expires=0,...").</summary>
    public static List<int> KeyspaceDatabases(IReadOnlyDictionary<string, string> info) =>
        info.Keys.Where(k => k.StartsWith("db", StringComparison.Ordinal) && int.TryParse(k.AsSpan(2), out _))
            .Select(k => int.Parse(k.AsSpan(2), CultureInfo.InvariantCulture)).Order().ToList();

    /// <summary>Keys in one database line of INFO keyspace.</summary>
    public static long KeyCount(string dbLine)
    {
        foreach (var part in dbLine.Split(','))
            if (part.StartsWith("keys=", StringComparison.Ordinal) && long.TryParse(part.AsSpan(5), out long n)) return n;
        return 0;
    }
}
