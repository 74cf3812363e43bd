using Codis.Core.Logging;
using Codis.Core.Models;

namespace Codis.Dashboard.Topology;

/// <summary>
/// The steps of the slot action state machine (reference/codis.md §5.1), each one idempotent and run under the
/// gate, so a dashboard that restarts anywhere resumes from the state stored in the coordinator:
/// pending → preparing → (every proxy locks the slot on the target) prepared → (every proxy routes to the
/// target, pulling keys from the source) migrating → keys moved → finished → the target owns the slot.
/// </summary>
internal sealed partial class Topom
{
    /// <summary>
    /// The next batch: started actions first (to resume them), then pending ones unless disabled, by index; slots
    /// in <paramref name="besides"/> (the batch still running) are left out.
    /// </summary>
    public List<int> NextBatch(int max, IReadOnlyCollection<int>? besides = null)
    {
        var s = SlotsSnapshot().Where(m => besides == null || !besides.Contains(m.Id)).ToList();
        var started = s.Where(m => !m.Action.IsEmpty && m.Action.State != SlotActionState.Pending).OrderBy(m => m.Action.Index);
        var pending = ActionsDisabled ? Enumerable.Empty<SlotMapping>() : s.Where(m => m.Action.State == SlotActionState.Pending).OrderBy(m => m.Action.Index);
        return started.Concat(pending).Take(max).Select(m => m.Id).ToList();
    }

    private List<SlotMapping> InState(IEnumerable<int> ids, string state)
    {
        var s = SlotsSnapshot();
        return ids.Select(i => s[i]).Where(m => m.Action.State == state).ToList();
    }

    private static SlotMapping WithState(SlotMapping m, string state) => m with { Action = m.Action with { State = state } };

    /// <summary>Steps 1–3: pending → preparing → prepared (all proxies locked) → migrating (all proxies migrate-aware).</summary>
    public Task PrepareAsync(IReadOnlyList<int> ids, CancellationToken ct) => RunAsync("prepare migration", async c =>
    {
        await SaveSlotsAsync(InState(ids, SlotActionState.Pending).Select(m => WithState(m, SlotActionState.Preparing)), c).ConfigureAwait(false);

        var preparing = InState(ids, SlotActionState.Preparing);
        // The lock only keeps proxies from mixing "direct to the source" with "migrating" (one proxy could then
        // create a key on the target that another still writes on the source). One proxy cannot mix with itself:
        // its own fill to migrating drains the slot's requests before switching, so the locked round trip, during
        // which every request of the batch's slots waits, is skipped. The proxy set cannot change meanwhile:
        // bringing a proxy online runs under the same gate as this step.
        if (preparing.Count > 0 && OnlineProxyCount() > 1)
        {
            var byId = preparing.ToDictionary(m => m.Id, m => WithState(m, SlotActionState.Prepared));
            var snapshot = SlotsSnapshot();
            try { await PushAsync(byId.Keys, c, i => byId.GetValueOrDefault(i) ?? snapshot[i]).ConfigureAwait(false); }
            catch (TopomException)
            {
                // some proxies may have locked the slot: unlock them again before reporting
                try { await PushAsync(byId.Keys, c).ConfigureAwait(false); }
                catch (TopomException e) { Log.Warn("rollback of prepared routing failed", ("error", e.Message)); }
                throw;
            }
        }

        // Straight on to migrating: while proxies hold "prepared" the slots' requests wait, so no coordinator write
        // sits in between. Not recording "prepared" is safe: a dashboard that restarts here finds "preparing" and
        // pushes prepared, then migrating, again (both idempotent). Slots an earlier dashboard (or version) stored
        // as prepared finish the step the same way. For the same reason the "migrating" record is written in the
        // background while keys move: lost in a crash, "preparing" resumes exactly as "migrating" would (the proxies
        // lock the slot, then pull keys from wherever they are). Each coordinator write costs a sync (0.4 s on the
        // filesystem coordinator), so this takes one of four writes per batch off the migration's path.
        var migrating = preparing.Concat(InState(ids, SlotActionState.Prepared))
            .ToDictionary(m => m.Id, m => WithState(m, SlotActionState.Migrating));
        if (migrating.Count > 0)
        {
            var snapshot = SlotsSnapshot();
            await PushAsync(migrating.Keys, c, i => migrating.GetValueOrDefault(i) ?? snapshot[i]).ConfigureAwait(false);
            SaveSlotsInBackground(migrating.Values);
        }
    }, ct);

    /// <summary>
    /// Step 6: the slot is empty on the source: finished (proxies route to the target only), then owned by the target.
    /// "finished" is not recorded: a dashboard that restarts before the slot is owned finds it migrating (or
    /// preparing), pushes that again, finds the source empty and completes — the same end.
    /// </summary>
    public Task CompleteAsync(IReadOnlyList<int> ids, CancellationToken ct) => RunAsync("complete migration", async c =>
    {
        SetSlots(InState(ids, SlotActionState.Migrating).Select(m => WithState(m, SlotActionState.Finished)));
        var finished = InState(ids, SlotActionState.Finished);
        if (finished.Count == 0) return;
        await PushAsync(finished.Select(m => m.Id), c).ConfigureAwait(false);
        await SaveSlotsAsync(finished.Select(m => new SlotMapping { Id = m.Id, GroupId = m.Action.TargetId }), c).ConfigureAwait(false);
        Log.Info("slots migrated", ("slots", Ranges(finished.Select(m => m.Id))), ("gid", finished[0].Action.TargetId));
    }, ct);

    /// <summary>Where a migrating slot's keys are and where they go (masters as of now: a failover may change them).</summary>
    public (string? Source, string? Target) Endpoints(int sid)
    {
        var m = SlotsSnapshot()[sid];
        var map = GroupMap();
        return (map.GetValueOrDefault(m.GroupId)?.Master, map.GetValueOrDefault(m.Action.TargetId)?.Master);
    }

    public bool GroupPromoting(int sid)
    {
        var m = SlotsSnapshot()[sid];
        var map = GroupMap();
        return map.GetValueOrDefault(m.GroupId)?.IsPromoting == true || map.GetValueOrDefault(m.Action.TargetId)?.IsPromoting == true;
    }

    /// <summary>Startup: finish interrupted promotions, then sync actions (migrations resume through the executor).</summary>
    public Task ResumeAsync(CancellationToken ct) => RunAsync("resume", async c =>
    {
        await ResumePromotionsAsync(c).ConfigureAwait(false);
        await ResumeSyncActionsAsync(c).ConfigureAwait(false);
    }, ct);
}
