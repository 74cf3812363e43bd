using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Codis.Core.Logging;
using Codis.Core.Models;

namespace Codis.Dashboard.Topology;

/// <summary>
/// Promotion (reference/codis.md §7.2, with the replicas repointed), planned or a failover's. A planned one locks the
/// group's slots in every proxy, pauses the old master's writes, waits for the replica to reach the master's
/// replication offset and only then switches, so it loses no acknowledged write; a failover (the master is dead)
/// switches at once. Either way the new routing is pushed right after REPLICAOF NO ONE, and the repointing of the
/// other servers runs beside it with a short timeout, so a server or proxy that does not answer delays nobody.
/// </summary>
internal sealed partial class Topom
{
    /// <summary>How long a promotion waits for one proxy to confirm the new routing (the others are not held meanwhile).</summary>
    private static readonly TimeSpan PromotionPushWait = TimeSpan.FromSeconds(3);
    /// <summary>The timeout of each REPLICAOF that repoints a server after the switch (the health monitor retries).</summary>
    private static readonly TimeSpan RepointTimeout = TimeSpan.FromSeconds(2);
    /// <summary>The pause of the old master's writes outlasts the catch-up by this much (the switch after it takes milliseconds).</summary>
    private static readonly TimeSpan PauseMargin = TimeSpan.FromSeconds(10);

    private readonly ConcurrentQueue<PromotionRecord> promotions = new();
    private readonly ConcurrentDictionary<string, string> staleProxies = new();

    /// <summary>The last 100 promotions, planned and failovers, the oldest first.</summary>
    public IReadOnlyList<PromotionRecord> Promotions => promotions.ToList();

    /// <summary>True when a promotion's push did not reach this proxy in time: its routing is old until it is refilled.</summary>
    public bool IsStale(string token) => staleProxies.ContainsKey(token);

    /// <summary>The proxy's routing may be old (a refill failed): the health monitor tries again while it answers.</summary>
    public void MarkStale(string token, string why) => staleProxies[token] = why;

    public Task<PromotionRecord> PromoteAsync(int gid, string addr, bool force, CancellationToken ct) =>
        RunAsync($"promote {addr} in group {gid}", c => PromoteLockedAsync(gid, addr, "operator", c, force: force), ct);

    /// <param name="masterDead">a failover: no lock, no catch-up (the master answers nothing)</param>
    /// <param name="force">switch even when the replica did not catch up (its missing writes are lost)</param>
    internal async Task<PromotionRecord> PromoteLockedAsync(int gid, string addr, string why, CancellationToken c, bool masterDead = false, bool force = false)
    {
        var g = GroupMap().GetValueOrDefault(gid) ?? throw new TopomException($"group {gid} does not exist");
        int index = Array.FindIndex(g.Servers, s => s.Server == addr);
        if (index < 0) throw new TopomException(NotInGroup(gid, addr));
        if (index == 0) throw new TopomException($"{addr} is already the master of group {gid}");
        if (g.IsPromoting) throw new TopomException($"group {gid} is already promoting a server");
        var touching = SlotsTouching(gid).ToList();
        string old = g.Servers[0].Server;
        var clock = Stopwatch.StartNew();
        var rec = new PromotionRecord { At = DateTimeOffset.UtcNow, Group = gid, OldMaster = old, NewMaster = addr, Why = why };
        void Step(string what) => Log.Info("promote: " + what, ("gid", gid), ("new_master", addr), ("ms", clock.ElapsedMilliseconds));

        var before = g;
        async Task<TopomException> RollBackAsync(string error)
        {
            // Back to the group as it was: the old master unlocked in every proxy, its writes resumed.
            await SaveGroupAsync(before with { Promoting = new() }, c).ConfigureAwait(false);
            try { await PushAsync(touching, c).ConfigureAwait(false); }
            catch (TopomException e) { Log.Warn("promotion rolled back, but the unlock did not reach every proxy", ("gid", gid), ("error", e.Message)); }
            if (rec.WritesPaused) await UnpauseAsync(old).ConfigureAwait(false);
            rec = rec with { Error = error, HeldMs = masterDead ? 0 : clock.Elapsed.TotalMilliseconds, SwitchMs = clock.Elapsed.TotalMilliseconds };
            Remember(rec);
            Log.Warn("promotion refused, nothing changed", ("gid", gid), ("master", old), ("replica", addr), ("ms", clock.ElapsedMilliseconds), ("error", error));
            return new TopomException(error);
        }

        if (masterDead)
        {
            // A dead master takes no writes: locking its slots first would only delay the switch.
            g = g with { Promoting = new GroupPromoting { Index = index, State = "prepared" } };
            await SaveGroupAsync(g, c).ConfigureAwait(false);
        }
        else
        {
            g = g with { Promoting = new GroupPromoting { Index = index, State = "preparing" } };
            await SaveGroupAsync(g, c).ConfigureAwait(false);
            try { await PushAsync(touching, c).ConfigureAwait(false); }
            catch (TopomException e) { throw await RollBackAsync($"can't hold group {gid}'s requests in every proxy: {e.Message}").ConfigureAwait(false); }
            Step("slots locked in every proxy");
            g = g with { Promoting = g.Promoting with { State = "prepared" } };
            await SaveGroupAsync(g, c).ConfigureAwait(false);

            var timeout = Settings["promote_catchup_timeout"].AsDuration;
            var (paused, unreachable) = await PauseWritesAsync(old, timeout + PauseMargin, gid).ConfigureAwait(false);
            rec = rec with { WritesPaused = paused };
            var (caughtUp, masterOffset, replicaOffset, problem) = unreachable == null
                ? await CatchUpAsync(old, addr, timeout, c).ConfigureAwait(false)
                : (false, -1L, -1L, $"master {old} does not answer ({unreachable}), so whether {addr} has all its writes is unknown");
            rec = rec with { MasterOffset = masterOffset, ReplicaOffset = replicaOffset, CatchupMs = clock.Elapsed.TotalMilliseconds, Forced = force && !caughtUp };
            if (!caughtUp && !force)
                throw await RollBackAsync($"{problem}; nothing changed, {old} is still the master of group {gid}. " +
                    $"To switch anyway, losing what {addr} lacks: `codis-admin --promote-server --gid={gid} --addr={addr} --force` " +
                    $"(`codis-config server promote {gid} {addr} --force`)").ConfigureAwait(false);
            if (!caughtUp) Log.Warn("promote forced: the replica has not caught up, its missing writes are lost", ("gid", gid), ("problem", problem));
            else Step($"replica caught up (offset {replicaOffset} >= master's {masterOffset})");
        }

        try { await Redis.ReplicaOfAsync(addr, null).ConfigureAwait(false); }
        catch (Exception e) when (e is IOException or InvalidOperationException or TimeoutException)
        {
            throw await RollBackAsync($"can't promote {addr}: {e.Message}").ConfigureAwait(false);
        }
        Step("REPLICAOF NO ONE done");

        var order = new List<GroupServer> { g.Servers[index] };
        order.AddRange(g.Servers.Where((_, i) => i != index && i != 0));
        order.Add(g.Servers[0]);
        // Stored as "finished" before any proxy hears of it: a dashboard that dies now resumes by pushing the new master.
        g = g with { Servers = order.Select(s => s with { Action = new() }).ToArray(), Promoting = new GroupPromoting { Index = index, State = "finished" } };
        await SaveGroupAsync(g, c).ConfigureAwait(false);
        var done = g with { Promoting = new() };
        var view = GroupMap();
        view[gid] = done;

        // The push goes out first; the repoints run beside it and cannot hold it up.
        var push = PushToProxiesAsync(touching, c, null, view, PromotionPushWait);
        // A failed-over master is left to the health monitor, which demotes it once it answers: a stopped one would run
        // a REPLICAOF sent now whenever it wakes, and by then the group may have moved on.
        var repoints = done.Servers.Skip(1).Where(s => !(masterDead && s.Server == old)).Select(s => RepointAsync(s.Server, addr, gid, unpause: s.Server == old && rec.WritesPaused)).ToList();
        var (failures, _) = await push.ConfigureAwait(false);
        rec = rec with { SwitchMs = clock.Elapsed.TotalMilliseconds, HeldMs = masterDead ? 0 : clock.Elapsed.TotalMilliseconds };
        foreach (var (proxy, error) in failures)
        {
            MarkStale(proxy.Model.Token, error);
            Log.Warn("a proxy did not confirm the new routing in time (the health monitor refills it when it answers)", ("gid", gid), ("proxy", proxy.Model.ProxyId), ("error", error));
        }
        Step(failures.Count == 0 ? "new routing confirmed by every proxy" : $"new routing pushed, {failures.Count} proxies did not confirm");
        var notRepointed = (await Task.WhenAll(repoints).ConfigureAwait(false)).OfType<string>().ToArray();
        await SaveGroupAsync(done, c).ConfigureAwait(false);
        await MarkSentinelsOutOfSyncAsync($"group {gid} promoted {addr}", c).ConfigureAwait(false);
        rec = rec with { Unconfirmed = failures.Select(f => f.Proxy.Model.ProxyId).ToArray(), NotRepointed = notRepointed };
        Remember(rec);
        Log.Info("server promoted", ("gid", gid), ("master", addr), ("old_master", old), ("why", why), ("held_ms", Math.Round(rec.HeldMs)),
            ("switch_ms", Math.Round(rec.SwitchMs)), ("master_offset", rec.MasterOffset), ("replica_offset", rec.ReplicaOffset),
            ("writes_paused", rec.WritesPaused), ("forced", rec.Forced), ("total_ms", clock.ElapsedMilliseconds));
        return rec;
    }

    /// <summary>
    /// CLIENT PAUSE WRITE on the old master: the proxies hold the group's requests already, this stops clients that
    /// write to it directly (their writes run once it is a replica, and get READONLY). A server without it is no reason to stop.
    /// </summary>
    /// <returns>Paused; and why the master could not be reached at all (null: it answered).</returns>
    private async Task<(bool Paused, string? Unreachable)> PauseWritesAsync(string master, TimeSpan length, int gid)
    {
        try
        {
            await Redis.CallAsync(master, "CLIENT", "PAUSE", ((long)length.TotalMilliseconds).ToString(CultureInfo.InvariantCulture), "WRITE").ConfigureAwait(false);
            return (true, null);
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or TimeoutException)
        {
            Log.Warn("can't pause the old master's writes; clients that bypass the proxies may write to it during the switch", ("gid", gid), ("master", master), ("error", e.Message));
            return (false, e is InvalidOperationException ? null : e.Message);
        }
    }

    private async Task UnpauseAsync(string server)
    {
        try { await QuickRedis.CallAsync(server, "CLIENT", "UNPAUSE").ConfigureAwait(false); }
        catch (Exception e) when (e is IOException or InvalidOperationException or TimeoutException)
        {
            Log.Warn("can't end the pause of the old master's writes (it ends by itself)", ("addr", server), ("error", e.Message));
        }
    }

    /// <summary>
    /// Reads the master's master_repl_offset (nothing new reaches it: the proxies hold the group, its writes are paused)
    /// and polls the replica until its offset is there, for at most <paramref name="timeout"/>.
    /// </summary>
    private Task<(bool CaughtUp, long MasterOffset, long ReplicaOffset, string Problem)> CatchUpAsync(string master, string replica, TimeSpan timeout, CancellationToken c) => Task.Run(() =>
    {
        long target;
        try
        {
            using var m = Redis.Open(master);
            var info = Servers.RedisOps.ParseInfo(Reply(m, master, "INFO", "replication"));
            if (!long.TryParse(info.GetValueOrDefault("master_repl_offset"), NumberStyles.Integer, CultureInfo.InvariantCulture, out target))
                return (false, -1L, -1L, $"master {master} reports no master_repl_offset, so whether {replica} has all its writes is unknown");
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or TimeoutException)
        {
            return (false, -1L, -1L, $"can't read the replication offset of master {master} ({e.Message}), so whether {replica} has all its writes is unknown");
        }
        var waited = Stopwatch.StartNew();
        long reached = -1;
        string? lastError = null;
        Core.Resp.RespClient? r = null;
        try
        {
            while (true)
            {
                try
                {
                    r ??= Redis.Open(replica);
                    // a replica that hangs (DEBUG SLEEP, a long fork) is given what is left of the wait, not the 5 s call timeout
                    r.Timeout = TimeSpan.FromMilliseconds(Math.Clamp((timeout - waited.Elapsed).TotalMilliseconds, 200, Redis.Timeout.TotalMilliseconds));
                    reached = Failover.HealthMonitor.Offset(Servers.RedisOps.ParseInfo(Reply(r, replica, "INFO", "replication")));
                    lastError = null;
                }
                catch (Exception e) when (e is IOException or InvalidOperationException or TimeoutException)
                {
                    lastError = e.Message;
                    r?.Dispose();
                    r = null;
                }
                if (reached >= target) return (true, target, reached, "");
                if (waited.Elapsed >= timeout || c.IsCancellationRequested)
                    return (false, target, reached, $"{replica} did not catch up with master {master} within {timeout.TotalSeconds:0.###}s: " +
                        $"replica offset {reached}, master offset {target}" + (reached >= 0 ? $" ({target - reached} bytes behind)" : "") +
                        (lastError != null ? $", last error: {lastError}" : ""));
                Thread.Sleep(5);
            }
        }
        finally { r?.Dispose(); }
    }, CancellationToken.None);

    private static string Reply(Core.Resp.RespClient client, string addr, params string[] args)
    {
        var v = client.Call(args);
        if (v.IsError) throw new InvalidOperationException($"{addr}: {string.Join(' ', args)}: {v.Text}");
        return v.Text ?? "";
    }

    /// <summary>REPLICAOF the new master with a short timeout; returns the server when it failed (the health monitor retries it).</summary>
    private async Task<string?> RepointAsync(string server, string master, int gid, bool unpause)
    {
        try { await QuickRedis.ReplicaOfAsync(server, master).ConfigureAwait(false); }
        catch (Exception e) when (e is IOException or InvalidOperationException or TimeoutException)
        {
            Log.Warn("can't repoint a server at the new master (the health monitor retries when it answers)", ("gid", gid), ("addr", server), ("master", master), ("error", e.Message));
            return server;
        }
        // Its paused writes now run on a replica and are refused (READONLY) instead of waiting for the pause to end.
        if (unpause) await UnpauseAsync(server).ConfigureAwait(false);
        return null;
    }

    private void Remember(PromotionRecord rec)
    {
        promotions.Enqueue(rec);
        while (promotions.Count > 100) promotions.TryDequeue(out _);
    }

    /// <summary>Finishes or rolls back a promotion a previous dashboard left half done.</summary>
    private async Task ResumePromotionsAsync(CancellationToken c)
    {
        foreach (var g in GroupMap().Values.Where(g => g.IsPromoting))
        {
            Log.Warn("resuming an interrupted promotion", ("gid", g.Id), ("state", g.Promoting.State));
            await SaveGroupAsync(g with { Promoting = new() }, c).ConfigureAwait(false);
            try { await PushAsync(SlotsTouching(g.Id), c).ConfigureAwait(false); }
            catch (TopomException e) { Log.Warn("resync after promotion failed", ("gid", g.Id), ("error", e.Message)); }
        }
    }
}
