using Codis.Core.Models;
using Codis.Core.Slots;

namespace Codis.Dashboard.Migration;

/// <summary>
/// The rebalance plan (reference/codis.md §5.5): spread the 1024 slots evenly over the groups that have servers,
/// moving as few slots as possible. Offline slots are handed to the smallest groups first; slots that already
/// have an action count for their target; a group gives away its highest-numbered idle slots.
/// Returns slot → target group for every slot that must move.
/// </summary>
internal static class RebalancePlanner
{
    public static SortedDictionary<int, int> Plan(IReadOnlyList<SlotMapping> slots, IReadOnlyCollection<int> groupIds)
    {
        var gids = groupIds.Distinct().Order().ToList();
        var plan = new SortedDictionary<int, int>();
        if (gids.Count == 0) return plan;
        var assigned = gids.ToDictionary(g => g, _ => 0);
        var movable = gids.ToDictionary(g => g, _ => 0);
        var moveout = gids.ToDictionary(g => g, _ => 0);
        int Size(int g) => assigned[g] + movable[g] - moveout[g];

        foreach (var m in slots)
            if (!m.Action.IsEmpty && assigned.ContainsKey(m.Action.TargetId)) assigned[m.Action.TargetId]++;

        int lower = SlotHash.SlotCount / gids.Count;
        foreach (var m in slots)
        {
            if (!m.Action.IsEmpty || m.GroupId == 0 || !assigned.ContainsKey(m.GroupId)) continue;
            if (Size(m.GroupId) < lower) assigned[m.GroupId]++;
            else movable[m.GroupId]++;
        }

        var live = new List<int>(gids);
        int Smallest() => live.OrderBy(Size).ThenBy(g => g).First();
        int Largest() => live.OrderByDescending(Size).ThenByDescending(g => g).First();

        // offline slots (and slots of groups without servers) go to whichever group is smallest at that moment
        var docking = new List<int>();
        foreach (var m in slots)
        {
            if (!m.Action.IsEmpty || (m.GroupId != 0 && assigned.ContainsKey(m.GroupId))) continue;
            docking.Add(m.Id);
            moveout[Smallest()]--;
        }

        int upper = (SlotHash.SlotCount + gids.Count - 1) / gids.Count;
        while (live.Count >= 2)
        {
            int from = Largest();
            live.Remove(from);
            if (moveout[from] >= movable[from]) continue; // nothing left that it may give away
            int dest = Smallest();
            int fromSize = Size(from), destSize = Size(dest);
            if (fromSize <= lower || destSize >= upper || fromSize - destSize <= 1) break;
            moveout[from]++;
            moveout[dest]--;
            live.Add(from);
        }

        foreach (var g in gids)
        {
            int n = moveout[g];
            if (n <= 0) continue;
            docking.AddRange(slots.Where(m => m.Action.IsEmpty && m.GroupId == g).Select(m => m.Id).OrderDescending().Take(n));
        }
        docking.Sort();
        int next = 0;
        foreach (var g in gids)
            for (int i = 0; i < -moveout[g] && next < docking.Count; i++)
                plan[docking[next++]] = g;
        return plan;
    }
}
