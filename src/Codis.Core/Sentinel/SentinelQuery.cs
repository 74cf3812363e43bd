using System.Globalization;
using Codis.Core.Resp;

namespace Codis.Core.Sentinel;

/// <summary>
/// Plain calls to redis-sentinel over RESP (one short connection each): SENTINEL MASTERS parsed into Codis groups,
/// and the majority read of reference/codis.md §7.3 — every sentinel asked at once, answers needed from a majority
/// within the timeout, and per group the answer with the highest config-epoch kept.
/// </summary>
public static class SentinelQuery
{
    public static (string Host, int Port) Split(string addr)
    {
        int colon = addr.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(addr.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port is < 1 or > 65535)
            throw new ArgumentException($"bad sentinel address '{addr}' (want host:port)");
        return (addr[..colon].Trim('[', ']'), port);
    }

    public static RespClient Open(string addr, TimeSpan timeout)
    {
        var (host, port) = Split(addr);
        try { return new RespClient(host, port, timeout); }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or TimeoutException or IOException or AggregateException)
        {
            var cause = e is AggregateException a ? a.GetBaseException() : e;
            throw new IOException($"can't connect to sentinel {addr}: {cause.Message}", cause);
        }
    }

    /// <summary>One command on a fresh connection; an error reply throws InvalidOperationException naming the sentinel.</summary>
    public static RespValue Call(string addr, TimeSpan timeout, params string[] args)
    {
        using var c = Open(addr, timeout);
        RespValue r;
        try { r = c.Call(args); }
        catch (IOException e) { throw new IOException($"sentinel {addr}: {string.Join(' ', args.Take(2))}: {e.Message}", e); }
        if (r.IsError) throw new InvalidOperationException($"sentinel {addr}: {string.Join(' ', args)}: {r.Text}");
        return r;
    }

    /// <summary>A flat [k, v, k, v...] reply as a dictionary.</summary>
    public static Dictionary<string, string> Fields(RespValue v)
    {
        var d = new Dictionary<string, string>(StringComparer.Ordinal);
        var items = v.Items ?? [];
        for (int i = 0; i + 1 < items.Length; i += 2) d[items[i].Text ?? ""] = items[i + 1].Text ?? "";
        return d;
    }

    /// <summary>Every master the sentinel monitors, as its field maps.</summary>
    public static List<Dictionary<string, string>> MastersRaw(string addr, TimeSpan timeout) =>
        (Call(addr, timeout, "SENTINEL", "MASTERS").Items ?? []).Select(Fields).ToList();

    /// <summary>The Codis-owned masters of <paramref name="product"/> one sentinel monitors, by group id.</summary>
    public static Dictionary<int, SentinelMaster> Masters(string addr, string product, TimeSpan timeout)
    {
        var result = new Dictionary<int, SentinelMaster>();
        foreach (var m in MastersRaw(addr, timeout))
        {
            string name = m.GetValueOrDefault("name") ?? "";
            if (SentinelNames.GroupOf(product, name) is not int gid) continue;
            long.TryParse(m.GetValueOrDefault("config-epoch"), NumberStyles.Integer, CultureInfo.InvariantCulture, out long epoch);
            result[gid] = new SentinelMaster(gid, name, $"{m.GetValueOrDefault("ip")}:{m.GetValueOrDefault("port")}", epoch,
                m.GetValueOrDefault("runid") ?? "", m.GetValueOrDefault("flags") ?? "");
        }
        return result;
    }

    /// <summary>
    /// Asks every sentinel at once; null unless a majority answered within <paramref name="timeout"/>. Per group the
    /// answer with the highest config-epoch wins (a sentinel that has not heard of a failover yet reports an older one).
    /// </summary>
    public static async Task<Dictionary<int, SentinelMaster>?> MajorityMastersAsync(IReadOnlyList<string> sentinels, string product, TimeSpan timeout)
    {
        if (sentinels.Count == 0) return null;
        var asks = sentinels.Select(s => Task.Run(() => Masters(s, product, timeout))).ToList();
        try { await Task.WhenAll(asks).WaitAsync(timeout).ConfigureAwait(false); }
        catch (Exception) { } // some failed or hung: counted below
        var answers = asks.Where(t => t.IsCompletedSuccessfully).Select(t => t.Result).ToList();
        if (answers.Count <= sentinels.Count / 2) return null;
        var best = new Dictionary<int, SentinelMaster>();
        foreach (var a in answers)
            foreach (var (gid, m) in a)
                if (!best.TryGetValue(gid, out var cur) || m.Epoch > cur.Epoch) best[gid] = m;
        return best;
    }
}
