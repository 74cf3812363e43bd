using Codis.Core.Logging;
using Codis.Core.Models;
using Codis.Core.Slots;
using Codis.Dashboard.Migration;

namespace Codis.Dashboard.Topology;

/// <summary>Slot assignment (init, range-set, forced assign) and migration actions (create, remove, rebalance).</summary>
internal sealed partial class Topom
{
    /// <summary>
    /// The seed's `slot init`: records all 1024 slots offline. Refused when slots are already recorded, unless
    /// forced (`-f`), which resets every slot to offline; refused while a migration is past pending.
    /// </summary>
    public Task SlotsInitAsync(bool force, CancellationToken ct) => RunAsync("slot init", async c =>
    {
        var current = SlotsSnapshot();
        var existing = await Store.Coordinator.ListAsync(Store.Paths.SlotsDir, c).ConfigureAwait(false);
        if (existing.Count > 0 && !force)
        {
            int assigned = current.Count(s => s.GroupId != 0);
            throw new TopomException($"slots are already initialized ({assigned} of {SlotHash.SlotCount} assigned); use `slot init -f` to reset every slot to offline");
        }
        var busy = current.Where(s => !s.Action.IsEmpty && s.Action.State != SlotActionState.Pending).Select(s => s.Id).ToList();
        if (busy.Count > 0) throw new TopomException($"slots {Ranges(busy)} are migrating; wait for them to finish before `slot init -f`");
        await SaveSlotsAsync(current.Select(s => new SlotMapping { Id = s.Id }), c).ConfigureAwait(false);
        Log.Info("slots initialized", ("force", force));
        await PushAsync(Enumerable.Range(0, SlotHash.SlotCount), c).ConfigureAwait(false);
    }, ct);

    /// <summary>
    /// The seed's `slot range-set BEG END GID online|offline`: gives offline slots to a group (or takes slots
    /// offline with gid 0). A slot another group owns is refused: its keys live there, so it must be migrated.
    /// </summary>
    public Task AssignRangeAsync(int beg, int end, int gid, CancellationToken ct) => RunAsync($"assign slots {beg}-{end}", async c =>
    {
        CheckSlot(beg);
        CheckSlot(end);
        if (beg > end) throw new TopomException($"invalid range {beg}-{end}: begin is after end");
        var current = SlotsSnapshot();
        if (gid != 0)
        {
            CheckGroupId(gid);
            var g = GroupMap().GetValueOrDefault(gid) ?? throw new TopomException($"group {gid} does not exist; add a server to it first (`server add {gid} HOST:PORT master`)");
            if (g.Master == null) throw new TopomException($"group {gid} has no servers; add a master first");
        }
        var changed = new List<SlotMapping>();
        for (int i = beg; i <= end; i++)
        {
            var s = current[i];
            if (!s.Action.IsEmpty) throw new TopomException($"slot {i} has a {s.Action.State} migration to group {s.Action.TargetId}; nothing was changed");
            if (gid != 0 && s.GroupId != 0 && s.GroupId != gid)
                throw new TopomException($"slot {i} belongs to group {s.GroupId}; move it with `slot migrate {i} {i} {gid}`; nothing was changed");
            if (s.GroupId != gid) changed.Add(s with { GroupId = gid });
        }
        await SaveSlotsAsync(changed, c).ConfigureAwait(false);
        Log.Info("slots assigned", ("from", beg), ("to", end), ("gid", gid), ("changed", changed.Count));
        await PushAsync(changed.Select(s => s.Id), c).ConfigureAwait(false);
    }, ct);

    /// <summary>The escape hatch (reference/codis.md §5.7): overwrite mappings, dropping any action; the groups are flagged out of sync.</summary>
    public Task AssignForceAsync(IReadOnlyList<SlotMapping> mappings, CancellationToken ct) => RunAsync("assign slots", async c =>
    {
        var map = GroupMap();
        foreach (var m in mappings)
        {
            CheckSlot(m.Id);
            if (m.GroupId != 0 && !map.ContainsKey(m.GroupId)) throw new TopomException($"slot {m.Id}: group {m.GroupId} does not exist");
        }
        var clean = mappings.Select(m => new SlotMapping { Id = m.Id, GroupId = m.GroupId }).ToList();
        await SaveSlotsAsync(clean, c).ConfigureAwait(false);
        foreach (var gid in clean.Select(m => m.GroupId).Where(g => g != 0).Distinct())
            await SaveGroupAsync(map[gid] with { OutOfSync = true }, c).ConfigureAwait(false);
        Log.Warn("slots assigned by force", ("count", clean.Count));
        await PushAsync(clean.Select(m => m.Id), c).ConfigureAwait(false);
    }, ct);

    public Task CreateActionsAsync(IReadOnlyList<int> sids, int gid, CancellationToken ct) =>
        RunAsync($"migrate {sids.Count} slots to group {gid}", c => CreateActionsLockedAsync(sids.Select(s => (s, gid)).ToList(), c), ct);

    public Task CreateSomeAsync(int src, int dst, int num, CancellationToken ct) => RunAsync($"migrate {num} slots from group {src} to {dst}", c =>
    {
        if (num < 1) throw new TopomException("number of slots must be positive");
        var picked = SlotsSnapshot().Where(s => s.GroupId == src && s.Action.IsEmpty).Take(num).Select(s => (s.Id, dst)).ToList();
        if (picked.Count == 0) throw new TopomException($"group {src} has no idle slots");
        return CreateActionsLockedAsync(picked, c);
    }, ct);

    /// <summary>Creates pending actions, all or nothing (every slot is checked before any is written).</summary>
    private async Task CreateActionsLockedAsync(IReadOnlyList<(int Sid, int Gid)> moves, CancellationToken c)
    {
        var current = SlotsSnapshot();
        var map = GroupMap();
        foreach (var (sid, gid) in moves)
        {
            CheckSlot(sid);
            var s = current[sid];
            if (!s.Action.IsEmpty) throw new TopomException($"slot {sid} already has a {s.Action.State} action to group {s.Action.TargetId}; nothing was created");
            if (s.GroupId == gid) throw new TopomException($"slot {sid} already belongs to group {gid}; nothing was created");
            if (!map.TryGetValue(gid, out var g) || g.Master == null) throw new TopomException($"group {gid} does not exist or has no servers; nothing was created");
        }
        int index = current.Where(s => !s.Action.IsEmpty).Select(s => s.Action.Index).DefaultIfEmpty(0).Max();
        var created = moves.Select(m => current[m.Sid] with { Action = new SlotAction { Index = ++index, State = SlotActionState.Pending, TargetId = m.Gid } }).ToList();
        await SaveSlotsAsync(created, c).ConfigureAwait(false);
        Log.Info("migrations queued", ("slots", Ranges(created.Select(s => s.Id))), ("count", created.Count));
    }

    public Task RemoveActionAsync(int sid, CancellationToken ct) => RunAsync($"remove action of slot {sid}", async c =>
    {
        CheckSlot(sid);
        var s = SlotsSnapshot()[sid];
        if (s.Action.IsEmpty) throw new TopomException($"slot {sid} has no action");
        if (s.Action.State != SlotActionState.Pending)
            throw new TopomException($"slot {sid} is already {s.Action.State}; only pending actions can be cancelled (a started migration always finishes, so no key is left behind)");
        await SaveSlotsAsync([s with { Action = new() }], c).ConfigureAwait(false);
    }, ct);

    /// <summary>Cancels every pending action; returns how many.</summary>
    public Task<int> RemovePendingAsync(CancellationToken ct) => RunAsync("cancel pending actions", async c =>
    {
        var pending = SlotsSnapshot().Where(s => s.Action.State == SlotActionState.Pending).Select(s => s with { Action = new() }).ToList();
        await SaveSlotsAsync(pending, c).ConfigureAwait(false);
        return pending.Count;
    }, ct);

    /// <summary>The rebalance plan over the groups that have servers (§5.5); with confirm, its moves are queued.</summary>
    public Task<SortedDictionary<int, int>> RebalanceAsync(bool confirm, CancellationToken ct) => RunAsync("rebalance", async c =>
    {
        var live = GroupMap().Values.Where(g => g.Master != null).ToList();
        if (live.Count == 0) throw new TopomException("no group has servers; add servers first");
        if (live.All(g => g.Weight == 0)) throw new TopomException("every group with servers has weight 0; give one a weight (`codis-admin --group-weight --gid=N --weight=1`)");
        var plan = RebalancePlanner.Plan(SlotsSnapshot(), live.ToDictionary(g => g.Id, g => g.Weight));
        if (confirm && plan.Count > 0) await CreateActionsLockedAsync(plan.Select(p => (p.Key, p.Value)).ToList(), c).ConfigureAwait(false);
        return plan;
    }, ct);
}
