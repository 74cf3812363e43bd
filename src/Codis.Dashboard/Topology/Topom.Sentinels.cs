using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Codis.Core.Logging;
using Codis.Core.Models;
using Codis.Core.Sentinel;
using Codis.Dashboard.Proxies;

namespace Codis.Dashboard.Topology;

/// <summary>
/// Redis Sentinel, as Codis 3.2 uses it (reference/codis.md §7.3): the product's sentinels are kept in the
/// coordinator; resync-all has every sentinel monitor every group as "&lt;product&gt;-&lt;gid&gt;" with the sentinel_*
/// settings and hands the list to every proxy; a watcher follows the sentinels' failovers and puts each group's new
/// master first in the stored group (out_of_sync). Sentinel does the failover; while sentinels are configured the
/// dashboard's own failover and replica repointing stay off (HealthMonitor), so there is one promoter only.
/// </summary>
internal sealed partial class Topom
{
    private SentinelModel sentinel = new();
    private SentinelWatcher? sentinelWatcher;
    private static readonly IReadOnlyDictionary<int, SentinelMaster> NoMasters = new Dictionary<int, SentinelMaster>();

    public SentinelModel SentinelSnapshot() { lock (stateLock) return sentinel; }

    /// <summary>The masters the sentinels named in the watcher's last round, by group id.</summary>
    public IReadOnlyDictionary<int, SentinelMaster> SentinelMasters { get { lock (stateLock) return sentinelWatcher?.Masters ?? NoMasters; } }

    /// <summary>For tests: the watcher's timings (the original's by default).</summary>
    public SentinelWatchTimings SentinelTimings { get; set; } = new();

    private TimeSpan SentinelTimeout => Settings["sentinel_client_timeout"].AsDuration;

    /// <summary>sentinels/add: SENTINEL FLUSHCONFIG as a check that it is a sentinel and answers, then into the list (out of sync).</summary>
    public Task AddSentinelAsync(string addr, CancellationToken ct) => RunAsync($"add sentinel {addr}", async c =>
    {
        addr = CheckAddr(addr);
        var cur = SentinelSnapshot();
        if ((cur.Servers ?? []).Contains(addr)) throw new TopomException($"sentinel {addr} already exists");
        await SentinelCall(addr, "SENTINEL", "FLUSHCONFIG").ConfigureAwait(false);
        await SaveSentinelAsync(cur with { Servers = [.. cur.Servers ?? [], addr], OutOfSync = true }, c).ConfigureAwait(false);
        Log.Info("sentinel added; run resync-all to have it monitor the groups", ("addr", addr));
    }, ct);

    /// <summary>sentinels/del: the sentinel forgets every Codis-owned master, then leaves the list; with force also when it can't be reached.</summary>
    public Task DelSentinelAsync(string addr, bool force, CancellationToken ct) => RunAsync($"del sentinel {addr}", async c =>
    {
        addr = CheckAddr(addr);
        var cur = SentinelSnapshot();
        if (!(cur.Servers ?? []).Contains(addr)) throw new TopomException($"sentinel {addr} does not exist");
        try { await Task.Run(() => RemoveOwned(addr), c).ConfigureAwait(false); }
        catch (TopomException e) when (force)
        {
            Log.Warn("sentinel did not forget the groups; removed from the list anyway", ("addr", addr), ("error", e.Message));
        }
        catch (TopomException e) { throw new TopomException($"{e.Message}; if the sentinel is dead, remove it with force (--sentinel-del --addr={addr} --force)"); }
        var left = (cur.Servers ?? []).Where(s => s != addr).ToArray();
        await SaveSentinelAsync(cur with { Servers = left.Length > 0 ? left : null, OutOfSync = true }, c).ConfigureAwait(false);
        RestartSentinelWatch();
        Log.Info("sentinel removed", ("addr", addr));
    }, ct);

    /// <summary>
    /// sentinels/resync-all: on every sentinel remove the Codis-owned masters, then SENTINEL MONITOR each group's master
    /// (as an IP) and SENTINEL SET the sentinel_* settings; restart the watcher; give every online proxy the list; in sync.
    /// </summary>
    public Task ResyncSentinelsAsync(CancellationToken ct) => RunAsync("resync sentinels", async c =>
    {
        var cur = SentinelSnapshot();
        var servers = cur.Servers ?? [];
        var groupList = GroupsSnapshot().Where(g => g.Master != null).ToList();
        var monitors = new List<(string Name, string Ip, int Port)>();
        foreach (var g in groupList)
        {
            var (host, port) = Servers.RedisOps.Split(g.Master!);
            monitors.Add((SentinelNames.Master(Product, g.Id), await ResolveAsync(host, c).ConfigureAwait(false), port));
        }
        // Sentinel repoints servers (a promoted replica's peers, a returning old master) without a password of its own:
        // each server needs masterauth to follow whichever becomes master (a dead one is told when it is added back).
        if (Settings["product_auth"].Value is { Length: > 0 } auth)
            await Task.WhenAll(groupList.SelectMany(g => g.Servers).Select(async s =>
            {
                try { await QuickRedis.CallAsync(s.Server, "CONFIG", "SET", "masterauth", auth).WaitAsync(TimeSpan.FromSeconds(3), c).ConfigureAwait(false); }
                catch (Exception e) when (e is IOException or InvalidOperationException or TimeoutException or ArgumentException)
                {
                    Log.Warn("can't set masterauth on a server; Sentinel may not be able to make it a replica", ("addr", s.Server), ("error", e.Message));
                }
            })).ConfigureAwait(false);
        var errors = new List<string>();
        await Task.WhenAll(servers.Select(s => Task.Run(() =>
        {
            try
            {
                RemoveOwned(s);
                foreach (var (name, ip, port) in monitors)
                {
                    SentinelCallSync(s, "SENTINEL", "MONITOR", name, ip, port.ToString(CultureInfo.InvariantCulture), Settings["sentinel_quorum"].Value);
                    SentinelCallSync(s, ["SENTINEL", "SET", name, .. MonitorOptions()]);
                }
            }
            catch (TopomException e) { lock (errors) errors.Add(e.Message); }
        }, c))).ConfigureAwait(false);
        if (errors.Count > 0)
            throw new TopomException($"{errors.Count} of {servers.Length} sentinels were not resynced: {string.Join("; ", errors)}. " +
                "Fix them or remove them (`codis-admin --sentinel-del --addr=ADDR --force`), then resync again.");
        RestartSentinelWatch();
        var model = cur with { OutOfSync = false };
        var failures = new List<string>();
        await Task.WhenAll(ProxiesSnapshot().Where(p => p.Online).Select(async p =>
        {
            try { await Proxies.SetSentinelsAsync(p.Model, model, c).ConfigureAwait(false); }
            catch (ProxyCallException e) { lock (failures) failures.Add(e.Message); }
        })).ConfigureAwait(false);
        if (failures.Count > 0)
            throw new TopomException($"the sentinels monitor the groups, but {failures.Count} proxies did not take the list: {string.Join("; ", failures)}");
        await SaveSentinelAsync(model, c).ConfigureAwait(false);
        Log.Info("sentinels resynced", ("sentinels", servers.Length), ("groups", monitors.Count));
    }, ct);

    /// <summary>SENTINEL SET options from the settings, each only when non-zero / non-empty (as the original).</summary>
    private List<string> MonitorOptions()
    {
        var o = new List<string>();
        static string Ms(TimeSpan t) => ((long)t.TotalMilliseconds).ToString(CultureInfo.InvariantCulture);
        if (Settings["sentinel_parallel_syncs"].AsInt > 0) o.AddRange(["parallel-syncs", Settings["sentinel_parallel_syncs"].Value]);
        if (Settings["sentinel_down_after"].AsDuration > TimeSpan.Zero) o.AddRange(["down-after-milliseconds", Ms(Settings["sentinel_down_after"].AsDuration)]);
        if (Settings["sentinel_failover_timeout"].AsDuration > TimeSpan.Zero) o.AddRange(["failover-timeout", Ms(Settings["sentinel_failover_timeout"].AsDuration)]);
        if (Settings["product_auth"].Value is { Length: > 0 } auth) o.AddRange(["auth-pass", auth]);
        if (Settings["sentinel_notification_script"].Value is { Length: > 0 } ns) o.AddRange(["notification-script", ns]);
        if (Settings["sentinel_client_reconfig_script"].Value is { Length: > 0 } rs) o.AddRange(["client-reconfig-script", rs]);
        return o;
    }

    /// <summary>SENTINEL REMOVE of every Codis-owned master of this product the sentinel monitors.</summary>
    private void RemoveOwned(string addr)
    {
        List<Dictionary<string, string>> masters;
        try { masters = SentinelQuery.MastersRaw(addr, SentinelTimeout); }
        catch (Exception e) when (e is IOException or InvalidOperationException or TimeoutException) { throw new TopomException(e.Message); }
        foreach (var m in masters)
            if (m.GetValueOrDefault("name") is { } name && SentinelNames.GroupOf(Product, name) != null)
                SentinelCallSync(addr, "SENTINEL", "REMOVE", name);
    }

    private Task SentinelCall(string addr, params string[] args) => Task.Run(() => SentinelCallSync(addr, args));

    private void SentinelCallSync(string addr, params string[] args)
    {
        try { SentinelQuery.Call(addr, SentinelTimeout, args); }
        catch (Exception e) when (e is IOException or InvalidOperationException or TimeoutException or ArgumentException) { throw new TopomException(e.Message); }
    }

    private static string CheckAddr(string addr)
    {
        try { SentinelQuery.Split(addr); }
        catch (ArgumentException e) { throw new TopomException(e.Message); }
        return addr;
    }

    private static async Task<string> ResolveAsync(string host, CancellationToken ct)
    {
        if (IPAddress.TryParse(host, out _)) return host;
        try
        {
            var ips = await Dns.GetHostAddressesAsync(host, ct).ConfigureAwait(false);
            return (ips.FirstOrDefault(i => i.AddressFamily == AddressFamily.InterNetwork) ?? ips.First()).ToString();
        }
        catch (Exception e) when (e is SocketException or InvalidOperationException) { throw new TopomException($"can't resolve {host}: {e.Message}"); }
    }

    /// <summary>
    /// A group's master was set or changed, or a group went away, by the dashboard: the sentinels monitor what was
    /// (as the original, the list is marked out of sync until resync-all). Never fails the operation that called it.
    /// </summary>
    private async Task MarkSentinelsOutOfSyncAsync(string why, CancellationToken ct)
    {
        var m = SentinelSnapshot();
        if (!m.Any || m.OutOfSync) return;
        try
        {
            await SaveSentinelAsync(m with { OutOfSync = true }, ct).ConfigureAwait(false);
            Log.Warn("the sentinels no longer match the groups: run `codis-admin --sentinel-resync`", ("why", why));
        }
        catch (Codis.Coordinator.CoordinatorException e)
        {
            Log.Warn("can't mark the sentinels out of sync", ("why", why), ("error", e.Message));
        }
    }

    private async Task SaveSentinelAsync(SentinelModel m, CancellationToken ct)
    {
        await Store.SaveSentinelAsync(m, ct).ConfigureAwait(false);
        lock (stateLock) sentinel = m;
    }

    /// <summary>(Re)starts the watcher over the stored list; none when the list is empty. Stops with the dashboard.</summary>
    private void RestartSentinelWatch()
    {
        SentinelWatcher? old, fresh = null;
        var m = SentinelSnapshot();
        if (m.Any && !Stopping.IsCancellationRequested) fresh = new SentinelWatcher(Product, m.Servers!, OnSentinelMastersAsync, SentinelTimings);
        lock (stateLock)
        {
            old = sentinelWatcher;
            sentinelWatcher = fresh;
        }
        old?.Dispose();
        if (fresh == null) return;
        if (!watchStopRegistered)
        {
            watchStopRegistered = true;
            Stopping.Register(() => { lock (stateLock) sentinelWatcher?.Dispose(); });
        }
        fresh.Start();
    }

    private bool watchStopRegistered;

    /// <summary>A round of the watcher: each group whose sentinels name another master gets it first, and is out of sync.</summary>
    private Task OnSentinelMastersAsync(IReadOnlyDictionary<int, SentinelMaster> masters) => RunAsync("sentinel switch", async c =>
    {
        foreach (var g in GroupsSnapshot())
        {
            if (g.IsPromoting || g.Master == null || !masters.TryGetValue(g.Id, out var m) || Same(g.Master, m.Addr)) continue;
            int i = Array.FindIndex(g.Servers, s => Same(s.Server, m.Addr));
            if (i < 0 && m.RunId.Length > 0)
            {
                // the group may name the server by host name: match the run id the sentinels report
                for (int k = 0; k < g.Servers.Length && i < 0; k++)
                {
                    try
                    {
                        var info = await QuickRedis.InfoAsync(g.Servers[k].Server, "server").WaitAsync(TimeSpan.FromSeconds(1), c).ConfigureAwait(false);
                        if (info.GetValueOrDefault("run_id") == m.RunId) i = k;
                    }
                    catch (Exception e) when (e is IOException or InvalidOperationException or TimeoutException or ArgumentException) { }
                }
            }
            if (i <= 0)
            {
                if (i < 0) Log.Warn("sentinels name a master that is not in the group", ("gid", g.Id), ("master", m.Addr));
                continue;
            }
            var servers = g.Servers.ToArray();
            (servers[0], servers[i]) = (servers[i], servers[0]);
            await SaveGroupAsync(g with { Servers = servers, OutOfSync = true }, c).ConfigureAwait(false);
            Log.Warn("sentinels switched the master: group updated (out of sync)", ("gid", g.Id), ("old_master", g.Master), ("new_master", servers[0].Server));
        }
    }, Stopping);

    private static bool Same(string a, string b)
    {
        static string N(string s) => s.StartsWith("localhost:", StringComparison.Ordinal) ? "127.0.0.1" + s[9..] : s;
        return N(a) == N(b);
    }
}
