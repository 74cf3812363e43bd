using Codis.Core.Logging;
using Codis.Core.Models;

namespace Codis.Dashboard.Topology;

/// <summary>
/// The per-server switches of a group (reference/codis.md §7.5 and the sync actions): which servers serve reads
/// for the proxies (replica_group), and the operator's "make this server follow its group again" (sync action).
/// </summary>
internal sealed partial class Topom
{
    /// <summary>Sync action states, as the original's GroupServer.action.state.</summary>
    internal static class SyncState
    {
        public const string Pending = "pending";
        public const string Syncing = "syncing";
        public const string Synced = "synced";
        public const string Failed = "synced_failed";
    }

    /// <summary>
    /// Flags a server of a group as serving reads (or not). Unlike the original, which leaves the group out of sync
    /// until a resync, the group's slots are pushed to every proxy at once: the flag is in effect when this returns.
    /// </summary>
    public Task SetReplicaGroupAsync(int gid, string addr, bool value, CancellationToken ct) => RunAsync($"set replica-group of {addr}", async c =>
    {
        var g = GroupMap().GetValueOrDefault(gid) ?? throw new TopomException($"group {gid} does not exist");
        int index = Array.FindIndex(g.Servers, s => s.Server == addr);
        if (index < 0) throw new TopomException(NotInGroup(gid, addr));
        if (g.IsPromoting) throw new TopomException($"group {gid} is promoting a server; try again when it is done");
        if (g.Servers[index].ReplicaGroup == value) return;
        var servers = (GroupServer[])g.Servers.Clone();
        servers[index] = servers[index] with { ReplicaGroup = value };
        await SaveGroupAsync(g with { Servers = servers }, c).ConfigureAwait(false);
        Log.Info("replica-group flag set", ("gid", gid), ("addr", addr), ("value", value));
        await PushAsync(SlotsTouching(gid), c).ConfigureAwait(false);
    }, ct);

    /// <summary>Sets the replica-group flag of every server of every group, then pushes every slot.</summary>
    public Task SetReplicaGroupAllAsync(bool value, CancellationToken ct) => RunAsync("set replica-group of all servers", async c =>
    {
        foreach (var g in GroupMap().Values.OrderBy(g => g.Id))
        {
            if (g.IsPromoting) throw new TopomException($"group {g.Id} is promoting a server; try again when it is done");
            if (g.Servers.All(s => s.ReplicaGroup == value)) continue;
            await SaveGroupAsync(g with { Servers = g.Servers.Select(s => s with { ReplicaGroup = value }).ToArray() }, c).ConfigureAwait(false);
        }
        Log.Info("replica-group flag set on every server", ("value", value));
        await PushAsync(Enumerable.Range(0, Core.Slots.SlotHash.SlotCount), c).ConfigureAwait(false);
    }, ct);

    /// <summary>
    /// A sync action: makes the server follow its group again (REPLICAOF the master; REPLICAOF NO ONE for the
    /// master itself). Recorded as pending first, so a dashboard restarted in between finishes it; its outcome
    /// (synced / synced_failed) stays on the server until removed.
    /// </summary>
    public Task CreateSyncActionAsync(string addr, CancellationToken ct) => RunAsync($"sync action of {addr}", async c =>
    {
        var (g, index) = FindServer(addr);
        if (g.IsPromoting) throw new TopomException($"group {g.Id} is promoting a server; try again when it is done");
        if (g.Servers[index].Action.State is SyncState.Pending or SyncState.Syncing)
            throw new TopomException($"{addr} already has a sync action ({g.Servers[index].Action.State})");
        int next = GroupMap().Values.SelectMany(x => x.Servers).Select(s => s.Action.Index).DefaultIfEmpty(0).Max() + 1;
        g = await SetServerActionAsync(g, index, new ServerAction { Index = next, State = SyncState.Pending }, c).ConfigureAwait(false);
        string? problem = await RunSyncActionAsync(g, index, c).ConfigureAwait(false);
        if (problem != null) throw new TopomException($"sync action of {addr} failed: {problem}");
    }, ct);

    /// <summary>Removes a server's sync action record (not while it runs).</summary>
    public Task RemoveSyncActionAsync(string addr, CancellationToken ct) => RunAsync($"remove sync action of {addr}", async c =>
    {
        var (g, index) = FindServer(addr);
        var state = g.Servers[index].Action.State;
        if (string.IsNullOrEmpty(state)) throw new TopomException($"{addr} has no sync action");
        if (state == SyncState.Syncing) throw new TopomException($"the sync action of {addr} is running");
        await SetServerActionAsync(g, index, new ServerAction(), c).ConfigureAwait(false);
        Log.Info("sync action removed", ("gid", g.Id), ("addr", addr));
    }, ct);

    /// <summary>At start: finishes the sync actions a previous dashboard left pending or running (caller holds the gate).</summary>
    private async Task ResumeSyncActionsAsync(CancellationToken c)
    {
        var left = GroupMap().Values
            .SelectMany(g => g.Servers.Select((s, i) => (g.Id, Index: i, s.Action)))
            .Where(x => x.Action.State is SyncState.Pending or SyncState.Syncing)
            .OrderBy(x => x.Action.Index).ToList();
        foreach (var (gid, index, _) in left)
            if (GroupMap().GetValueOrDefault(gid) is { IsPromoting: false } g && index < g.Servers.Length)
                await RunSyncActionAsync(g, index, c).ConfigureAwait(false);
    }

    /// <summary>Runs one recorded sync action; returns the problem, or null when it synced.</summary>
    private async Task<string?> RunSyncActionAsync(GroupModel g, int index, CancellationToken c)
    {
        var action = g.Servers[index].Action;
        string addr = g.Servers[index].Server;
        g = await SetServerActionAsync(g, index, action with { State = SyncState.Syncing }, c).ConfigureAwait(false);
        string? problem = null;
        try { await Redis.ReplicaOfAsync(addr, index == 0 ? null : g.Master).ConfigureAwait(false); }
        catch (Exception e) when (e is IOException or InvalidOperationException) { problem = e.Message; }
        await SetServerActionAsync(g, index, action with { State = problem == null ? SyncState.Synced : SyncState.Failed }, c).ConfigureAwait(false);
        if (problem == null) Log.Info("sync action done", ("gid", g.Id), ("addr", addr), ("master", index == 0 ? "NO ONE" : g.Master));
        else Log.Warn("sync action failed", ("gid", g.Id), ("addr", addr), ("error", problem));
        return problem;
    }

    private async Task<GroupModel> SetServerActionAsync(GroupModel g, int index, ServerAction action, CancellationToken c)
    {
        var servers = (GroupServer[])g.Servers.Clone();
        servers[index] = servers[index] with { Action = action };
        g = g with { Servers = servers };
        await SaveGroupAsync(g, c).ConfigureAwait(false);
        return g;
    }

    private (GroupModel Group, int Index) FindServer(string addr)
    {
        foreach (var g in GroupMap().Values)
        {
            int index = Array.FindIndex(g.Servers, s => s.Server == addr);
            if (index >= 0) return (g, index);
        }
        throw new TopomException($"{addr} is not in any group");
    }
}
