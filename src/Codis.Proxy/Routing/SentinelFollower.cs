using Codis.Core.Logging;
using Codis.Core.Models;
using Codis.Core.Resp;
using Codis.Core.Sentinel;

namespace Codis.Proxy.Routing;

/// <summary>
/// The proxy's own watch of the product's sentinels (reference/codis.md §7.3, the original's proxy "ha"): the
/// dashboard PUTs the sentinel list; a <see cref="SentinelWatcher"/> follows +switch-master and the majority's
/// masters, and every slot whose group (backend or migrate_from) now has another master is refilled with it and
/// marked switched. So clients keep writing after a master dies even while the dashboard is down.
/// </summary>
internal sealed class SentinelFollower(Router router, string product, string auth) : IDisposable
{
    private readonly Lock gate = new();
    private SentinelModel model = new();
    private SentinelWatcher? watcher;

    /// <summary>For tests and the web UI: how the watcher waits (the original's timings by default).</summary>
    public SentinelWatchTimings Timings { get; set; } = new();

    public SentinelModel Model { get { lock (gate) return model; } }

    /// <summary>The masters of the watcher's last round, "gid" → "ip:port" (the stats' sentinels.masters).</summary>
    public Dictionary<string, string>? Masters
    {
        get
        {
            SentinelWatcher? w;
            lock (gate) w = watcher;
            return w?.Masters.ToDictionary(kv => kv.Key.ToString(System.Globalization.CultureInfo.InvariantCulture), kv => kv.Value.Addr);
        }
    }

    /// <summary>Takes a new sentinel list and watches it (an empty list stops watching).</summary>
    public void Set(SentinelModel m)
    {
        foreach (var s in m.Servers ?? []) SentinelQuery.Split(s); // throws ArgumentException on a bad address
        var next = m with { Servers = m.Servers is { Length: > 0 } list ? list.Distinct().ToArray() : null };
        lock (gate)
        {
            // the same list again (a dashboard's reinit) keeps the subscriptions: no window without a watch
            bool same = watcher != null && (model.Servers ?? []).SequenceEqual(next.Servers ?? []);
            model = next;
            if (same) return;
        }
        Rewatch();
    }

    /// <summary>Drops the subscriptions and subscribes again (the original's /rewatch).</summary>
    public void Rewatch()
    {
        lock (gate)
        {
            watcher?.Dispose();
            watcher = null;
            if (!model.Any) return;
            watcher = new SentinelWatcher(product, model.Servers!, SwitchAsync, Timings);
            watcher.Start();
        }
        Log.Info("sentinels: watching", ("servers", string.Join(",", model.Servers ?? [])));
    }

    private async Task SwitchAsync(IReadOnlyDictionary<int, SentinelMaster> masters)
    {
        var sameServer = new Dictionary<string, bool>();
        bool Moved(int gid, string current, out string to)
        {
            to = current;
            if (gid == 0 || current.Length == 0 || !masters.TryGetValue(gid, out var m) || m.Addr == current) return false;
            // the same server under another name (a hostname vs its IP) has the same run id: nothing to switch
            if (!sameServer.TryGetValue(current + "|" + m.RunId, out bool same))
                sameServer[current + "|" + m.RunId] = same = m.RunId.Length > 0 && RunId(current) == m.RunId;
            if (same) return false;
            to = m.Addr;
            return true;
        }
        var fills = new List<SlotModel>();
        foreach (var s in router.Slots)
        {
            bool a = Moved(s.BackendAddrGroupId, s.BackendAddr, out string backend);
            bool b = Moved(s.MigrateFromGroupId, s.MigrateFrom, out string from);
            if (a || b) fills.Add(s with { BackendAddr = backend, MigrateFrom = from, Switched = true });
        }
        if (fills.Count == 0) return;
        foreach (var g in fills.GroupBy(f => f.BackendAddrGroupId))
            Log.Warn("sentinels: master switched, slots refilled", ("gid", g.Key), ("master", g.First().BackendAddr), ("slots", g.Count()));
        await router.FillAsync(fills).ConfigureAwait(false);
    }

    /// <summary>INFO's run_id of a server within 100 ms, or null (a dead master answers nothing).</summary>
    private string? RunId(string addr)
    {
        try
        {
            var (host, port) = SentinelQuery.Split(addr);
            using var c = new RespClient(host, port, TimeSpan.FromMilliseconds(100));
            if (auth.Length > 0 && c.Call("AUTH", auth).IsError) return null;
            var info = c.Call("INFO", "server").Text ?? "";
            foreach (var line in info.Split('\n'))
                if (line.StartsWith("run_id:", StringComparison.Ordinal)) return line[7..].TrimEnd('\r');
        }
        catch (Exception e) when (e is IOException or TimeoutException or System.Net.Sockets.SocketException or AggregateException or ArgumentException) { }
        return null;
    }

    public void Dispose()
    {
        lock (gate)
        {
            watcher?.Dispose();
            watcher = null;
        }
    }
}
