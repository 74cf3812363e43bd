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
    /// <summary>How long the majority read still waits for the other sentinels once a majority answered.</summary>
    public static readonly TimeSpan MajorityGrace = TimeSpan.FromMilliseconds(250);

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
        // one thread each: the calls block, and a starved thread pool would delay the switch by its injection rate
        var asks = sentinels.Select(s => Task.Factory.StartNew(() => Masters(s, product, timeout), CancellationToken.None,
            TaskCreationOptions.LongRunning, TaskScheduler.Default)).ToList();
        // Every answer within the timeout, but a hung sentinel holds the read up only a little once a majority answered:
        // the switch must not wait on it (a later round reads it again if it answers).
        var all = Task.WhenAll(asks);
        var deadline = Task.Delay(timeout);
        while (!all.IsCompleted && !deadline.IsCompleted)
        {
            if (asks.Count(t => t.IsCompletedSuccessfully) > sentinels.Count / 2)
            {
                await Task.WhenAny(all, deadline, Task.Delay(MajorityGrace)).ConfigureAwait(false);
                break;
            }
            await Task.WhenAny(asks.Where(t => !t.IsCompleted).Append(deadline)).ConfigureAwait(false);
        }
        var answers = asks.Where(t => t.IsCompletedSuccessfully).Select(t => t.Result).ToList();
        if (answers.Count <= sentinels.Count / 2) return null;
        var best = new Dictionary<int, SentinelMaster>();
        foreach (var a in answers)
            foreach (var (gid, m) in a)
                if (!best.TryGetValue(gid, out var cur) || m.Epoch > cur.Epoch) best[gid] = m;
        return best;
    }
}
