using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Nodes;
using Codis.Core.Logging;
using Codis.Dashboard.Topology;

namespace Codis.Dashboard.Failover;

/// <summary>What the monitor last saw of one server.</summary>
internal sealed record ServerHealth(Dictionary<string, string>? Info, string? Error, DateTimeOffset At, DateTimeOffset LastOk);

/// <summary>What the monitor last saw of one proxy.</summary>
internal sealed record ProxyHealth(JsonNode? Stats, string? Error, DateTimeOffset At);

/// <summary>One automatic failover, as recorded for the API and the log; <paramref name="Promotion"/>: how the switch went (its timings).</summary>
internal sealed record FailoverEvent(DateTimeOffset At, int Group, string OldMaster, string NewMaster, long Offset, double DownSeconds, string? Error,
    PromotionRecord? Promotion = null);

/// <summary>
/// Every failover_interval: INFO every server and the stats of every proxy (1 s timeout each, all in parallel).
/// A master that has failed every check for failover_down_after is replaced by the replica with the highest
/// replication offset that still answers (Topom.Promote.cs: REPLICAOF NO ONE, the new routing pushed at once, the other
/// replicas repointed beside it). Replicas found not replicating their group's master are repointed, and proxies a
/// promotion's push did not reach are refilled once they answer.
/// </summary>
internal sealed class HealthMonitor(Topom topom)
{
    private readonly ConcurrentDictionary<string, ServerHealth> servers = new();
    private readonly ConcurrentDictionary<string, ProxyHealth> proxies = new();
    private readonly ConcurrentDictionary<string, DateTimeOffset> lastRepair = new();
    private readonly ConcurrentDictionary<string, DateTimeOffset> lastRefill = new();
    private static readonly TimeSpan RefillEvery = TimeSpan.FromSeconds(5), RefillLimit = TimeSpan.FromSeconds(10);
    private readonly ConcurrentQueue<FailoverEvent> events = new();
    private readonly TimeSpan interval = topom.Settings["failover_interval"].AsDuration;
    private readonly TimeSpan downAfter = topom.Settings["failover_down_after"].AsDuration;
    private readonly Servers.RedisOps probe = new(topom.Settings["product_auth"].Value, TimeSpan.FromSeconds(1));

    private bool sentinelMode;
    private readonly ConcurrentDictionary<string, ServerHealth> sentinelHealth = new();

    public IReadOnlyDictionary<string, ServerHealth> Servers => servers;
    /// <summary>INFO of every configured sentinel, as of the last round.</summary>
    public IReadOnlyDictionary<string, ServerHealth> Sentinels => sentinelHealth;
    public IReadOnlyDictionary<string, ProxyHealth> Proxies => proxies;
    public IReadOnlyList<FailoverEvent> Events => events.ToList();

    public async Task RunAsync(CancellationToken ct)
    {
        var started = DateTimeOffset.UtcNow;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await ProbeAsync(ct).ConfigureAwait(false);
                // A group Sentinel watches has one promoter, Sentinel (docs/guide/failover.md, "With Redis Sentinel"): the
                // dashboard would fight it, promoting another replica or repointing the servers it just repointed.
                var bySentinel = SentinelGroups();
                bool sentinels = bySentinel.All || bySentinel.Gids.Count > 0;
                if (sentinels != sentinelMode)
                {
                    sentinelMode = sentinels;
                    Log.Info(sentinels ? "sentinels configured: the dashboard's own failover and replica repointing are off for the groups they monitor (Sentinel fails over)"
                        : "no sentinels monitor the groups: the dashboard's own failover is on");
                }
                bool Mine(int gid) => !bySentinel.All && !bySentinel.Gids.Contains(gid);
                // a freshly started dashboard has no history: give every master a full down-after window first
                if (downAfter > TimeSpan.Zero && DateTimeOffset.UtcNow - started >= downAfter) await FailoverAsync(Mine, ct).ConfigureAwait(false);
                await RepairReplicasAsync(Mine, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { return; }
            catch (Exception e)
            {
                // Whatever a round hits, the watch goes on: a monitor that stopped would never fail over again.
                Log.Warn("health check round failed", ("error", e.Message), ("type", e.GetType().Name));
            }
            try { await Task.Delay(interval, ct).ConfigureAwait(false); }
            catch (OperationCanceledException) { return; }
        }
    }

    private async Task ProbeAsync(CancellationToken ct)
    {
        var addrs = topom.GroupsSnapshot().SelectMany(g => g.Servers.Select(s => s.Server)).ToHashSet();
        foreach (var gone in servers.Keys.Where(a => !addrs.Contains(a))) servers.TryRemove(gone, out _);
        var serverTasks = addrs.Select(async addr =>
        {
            var now = DateTimeOffset.UtcNow;
            var last = servers.GetValueOrDefault(addr);
            try
            {
                // liveness is PING; INFO only feeds the figures (a server that lacks a section is still alive)
                await probe.CallAsync(addr, "PING").WaitAsync(TimeSpan.FromSeconds(1.5), ct).ConfigureAwait(false);
                Dictionary<string, string>? info = null;
                try { info = await probe.InfoAsync(addr).WaitAsync(TimeSpan.FromSeconds(1.5), ct).ConfigureAwait(false); }
                catch (InvalidOperationException) { }
                servers[addr] = new ServerHealth(info, null, now, now);
            }
            catch (Exception e) when (e is IOException or InvalidOperationException or TimeoutException or ArgumentException)
            {
                servers[addr] = new ServerHealth(last?.Info, e.Message, now, last?.LastOk ?? now);
            }
        });
        var live = topom.ProxiesSnapshot();
        foreach (var gone in proxies.Keys.Where(t => live.All(p => p.Model.Token != t))) proxies.TryRemove(gone, out _);
        var proxyTasks = live.Select(async p =>
        {
            var now = DateTimeOffset.UtcNow;
            try
            {
                var stats = await topom.Proxies.StatsAsync(p.Model, ct).WaitAsync(TimeSpan.FromSeconds(1.5), ct).ConfigureAwait(false);
                bool wasUnreachable = proxies.GetValueOrDefault(p.Model.Token) is { Error: not null };
                proxies[p.Model.Token] = new ProxyHealth(stats, null, now);
                // unreachable for a while, or missed a promotion's push: either way its routing may be old
                if (p.Online && (wasUnreachable || topom.IsStale(p.Model.Token))) await RefillReturningProxyAsync(p.Model, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is Codis.Dashboard.Proxies.ProxyCallException or TimeoutException or System.Text.Json.JsonException)
            {
                proxies[p.Model.Token] = new ProxyHealth(null, e.Message, now);
            }
        });
        var sentinelAddrs = topom.SentinelSnapshot().Servers ?? [];
        foreach (var gone in sentinelHealth.Keys.Where(a => !sentinelAddrs.Contains(a))) sentinelHealth.TryRemove(gone, out _);
        var sentinelTasks = sentinelAddrs.Select(async addr =>
        {
            var now = DateTimeOffset.UtcNow;
            try
            {
                var r = await Task.Run(() => Codis.Core.Sentinel.SentinelQuery.Call(addr, TimeSpan.FromSeconds(1), "INFO"), ct)
                    .WaitAsync(TimeSpan.FromSeconds(1.5), ct).ConfigureAwait(false);
                sentinelHealth[addr] = new ServerHealth(Codis.Dashboard.Servers.RedisOps.ParseInfo(r.Text ?? ""), null, now, now);
            }
            catch (Exception e) when (e is IOException or InvalidOperationException or TimeoutException or ArgumentException)
            {
                sentinelHealth[addr] = new ServerHealth(null, e.Message, now, sentinelHealth.GetValueOrDefault(addr)?.LastOk ?? now);
            }
        });
        await Task.WhenAll(serverTasks.Concat(proxyTasks).Concat(sentinelTasks)).ConfigureAwait(false);
    }

    /// <summary>
    /// A proxy that could not be reached may have missed routing pushes (a failover while it was cut off keeps
    /// sending its clients to the old master): when it answers again it gets the whole table again.
    /// </summary>
    private async Task RefillReturningProxyAsync(Codis.Core.Models.ProxyModel proxy, CancellationToken ct)
    {
        // A proxy that keeps failing its refill is tried every few seconds, each try bounded: the round (and the
        // failovers it decides) must not wait on it.
        if (lastRefill.TryGetValue(proxy.Token, out var at) && DateTimeOffset.UtcNow - at < RefillEvery) return;
        lastRefill[proxy.Token] = DateTimeOffset.UtcNow;
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(ct);
        bounded.CancelAfter(RefillLimit);
        try
        {
            await topom.ReinitProxyAsync(proxy.Token, bounded.Token).ConfigureAwait(false);
            lastRefill.TryRemove(proxy.Token, out _);
            Log.Info("proxy reachable again (or it missed a push): routing refilled", ("proxy", proxy.ProxyId), ("addr", proxy.AdminAddr));
        }
        catch (TopomException e)
        {
            topom.MarkStale(proxy.Token, e.Message);
            Log.Warn("proxy reachable again but the refill failed; tried again later", ("proxy", proxy.ProxyId), ("error", e.Message));
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            topom.MarkStale(proxy.Token, "refill timed out");
            Log.Warn("proxy reachable again but the refill did not finish in time; tried again later", ("proxy", proxy.ProxyId), ("limit_s", RefillLimit.TotalSeconds));
        }
    }

    /// <summary>
    /// The groups left to Sentinel: all of them while the sentinels are in sync (resync-all done and nothing changed
    /// since), and in any case those the sentinels last reported monitoring.
    /// </summary>
    private (bool All, HashSet<int> Gids) SentinelGroups()
    {
        var m = topom.SentinelSnapshot();
        if (!m.Any) return (false, []);
        return (!m.OutOfSync, topom.SentinelMasters.Keys.ToHashSet());
    }

    private async Task FailoverAsync(Func<int, bool> mine, CancellationToken ct)
    {
        foreach (var g in topom.GroupsSnapshot())
        {
            if (!mine(g.Id)) continue;
            if (g.Master is not { } master || g.Servers.Length < 2 || g.IsPromoting) continue;
            if (servers.GetValueOrDefault(master) is not { Error: not null } h) continue;
            var down = h.At - h.LastOk;
            if (down < downAfter) continue;
            var best = g.Servers.Skip(1)
                .Select(s => (s.Server, Health: servers.GetValueOrDefault(s.Server)))
                .Where(x => x.Health is { Error: null })
                .Select(x => (x.Server, Offset: Offset(x.Health!.Info ?? [])))
                .OrderByDescending(x => x.Offset).FirstOrDefault();
            if (best.Server == null)
            {
                Log.Warn("master is down and no replica answers; can't fail over", ("gid", g.Id), ("master", master), ("down_s", down.TotalSeconds));
                continue;
            }
            Log.Warn("master is down: failing over", ("gid", g.Id), ("master", master), ("down_s", Math.Round(down.TotalSeconds, 1)),
                ("new_master", best.Server), ("offset", best.Offset));
            string? error = null;
            PromotionRecord? promotion = null;
            try
            {
                promotion = await topom.RunAsync("failover", c => topom.PromoteLockedAsync(g.Id, best.Server, $"failover: {master} down {down.TotalSeconds:0.0}s", c, masterDead: true), ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is TopomException or IOException or InvalidOperationException or TimeoutException
                                      || (e is OperationCanceledException && !ct.IsCancellationRequested))
            {
                // Recorded whatever failed: the master may already be switched, and the next round sees no dead master.
                error = e.Message;
                Log.Error("failover failed", ("gid", g.Id), ("error", e.Message));
            }
            events.Enqueue(new FailoverEvent(DateTimeOffset.UtcNow, g.Id, master, best.Server, best.Offset, down.TotalSeconds, error, promotion));
            while (events.Count > 100) events.TryDequeue(out _);
        }
    }

    /// <summary>The replication offset a replica has reached (the one with the most data wins the promotion).</summary>
    internal static long Offset(IReadOnlyDictionary<string, string> info) =>
        long.TryParse(info.GetValueOrDefault("slave_repl_offset"), NumberStyles.Integer, CultureInfo.InvariantCulture, out long o) ? o
        : long.TryParse(info.GetValueOrDefault("master_repl_offset"), NumberStyles.Integer, CultureInfo.InvariantCulture, out o) ? o : 0;

    /// <summary>True when INFO says the server replicates <paramref name="master"/>.</summary>
    internal static bool Replicates(IReadOnlyDictionary<string, string> info, string master)
    {
        if (info.GetValueOrDefault("role") != "slave") return false;
        var (host, port) = Codis.Dashboard.Servers.RedisOps.Split(master);
        static string Norm(string h) => h is "localhost" ? "127.0.0.1" : h;
        return info.GetValueOrDefault("master_port") == port.ToString(CultureInfo.InvariantCulture)
            && Norm(info.GetValueOrDefault("master_host") ?? "") == Norm(host);
    }

    /// <summary>Repoints replicas (e.g. a dead master that came back) at the group's master, at most every 30 s each.</summary>
    private async Task RepairReplicasAsync(Func<int, bool> mine, CancellationToken ct)
    {
        foreach (var g in topom.GroupsSnapshot())
        {
            if (!mine(g.Id)) continue;
            if (g.Master is not { } master || g.IsPromoting || servers.GetValueOrDefault(master) is not { Error: null }) continue;
            foreach (var s in g.Servers.Skip(1))
            {
                if (servers.GetValueOrDefault(s.Server) is not { Error: null, Info: { } info } || Replicates(info, master)) continue;
                if (lastRepair.TryGetValue(s.Server, out var at) && DateTimeOffset.UtcNow - at < TimeSpan.FromSeconds(30)) continue;
                lastRepair[s.Server] = DateTimeOffset.UtcNow;
                try
                {
                    await topom.Redis.ReplicaOfAsync(s.Server, master).ConfigureAwait(false);
                    // a server that says it is a master here is a failed-over master that came back: fenced now
                    if (info.GetValueOrDefault("role") == "master")
                        Log.Warn("a former master is back and still a master: demoted to a replica of the group's master", ("gid", g.Id), ("addr", s.Server), ("master", master));
                    else Log.Info("replica repointed at its master", ("gid", g.Id), ("addr", s.Server), ("master", master));
                }
                catch (Exception e) when (e is IOException or InvalidOperationException)
                {
                    Log.Warn("can't repoint replica", ("gid", g.Id), ("addr", s.Server), ("master", master), ("error", e.Message));
                }
            }
        }
        ct.ThrowIfCancellationRequested();
    }
}
