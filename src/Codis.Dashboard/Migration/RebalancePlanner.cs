using Codis.Core.Models;
using Codis.Core.Slots;

namespace Codis.Dashboard.Migration;

/// <summary>
/// The rebalance plan (reference/codis.md §5.5, with weights): each group that has servers gets a share of the
/// 1024 slots proportional to its weight (equal weights: the original's even spread), and only the slots that
/// must move do. A slot with an action counts for its target and never moves; offline slots and slots of groups
/// without servers always move; a group above its share gives away its highest-numbered idle slots, which go to
/// the groups below theirs in group order. Returns slot → target group for every slot that must move.
/// </summary>
internal static class RebalancePlanner
{
    public static SortedDictionary<int, int> Plan(IReadOnlyList<SlotMapping> slots, IReadOnlyCollection<int> groupIds) =>
        Plan(slots, groupIds.Distinct().ToDictionary(g => g, _ => 1));

    public static SortedDictionary<int, int> Plan(IReadOnlyList<SlotMapping> slots, IReadOnlyDictionary<int, int> weights)
    {
        var plan = new SortedDictionary<int, int>();
        var gids = weights.Keys.Order().ToList();
        if (gids.Count == 0 || weights.Values.Sum(w => (long)w) == 0) return plan;

        var count = gids.ToDictionary(g => g, _ => 0);
        foreach (var m in slots)
        {
            int owner = m.Action.IsEmpty ? m.GroupId : m.Action.TargetId;
            if (count.ContainsKey(owner)) count[owner]++;
        }
        var quota = Quotas(gids, weights, count);

        // the slots that move: offline ones, then each group's surplus from the top
        var docking = slots.Where(m => m.Action.IsEmpty && !count.ContainsKey(m.GroupId)).Select(m => m.Id).ToList();
        foreach (var g in gids)
        {
            int surplus = count[g] - quota[g];
            if (surplus > 0)
                docking.AddRange(slots.Where(m => m.Action.IsEmpty && m.GroupId == g).Select(m => m.Id).OrderDescending().Take(surplus));
        }
        docking.Sort();
        int next = 0;
        foreach (var g in gids)
            for (int i = count[g]; i < quota[g] && next < docking.Count; i++)
                plan[docking[next++]] = g;
        return plan;
    }

    /// <summary>
    /// Each group's share by largest remainder; a tie for the last slots goes to the group that holds more now
    /// (fewer moves), then to the lower group id.
    /// </summary>
    private static Dictionary<int, int> Quotas(List<int> gids, IReadOnlyDictionary<int, int> weights, Dictionary<int, int> count)
    {
        long total = weights.Values.Sum(w => (long)w);
        var quota = gids.ToDictionary(g => g, g => (int)(SlotHash.SlotCount * (long)weights[g] / total));
        int left = SlotHash.SlotCount - quota.Values.Sum();
        foreach (var g in gids.OrderByDescending(g => SlotHash.SlotCount * (long)weights[g] % total).ThenByDescending(g => count[g]).ThenBy(g => g))
        {
            if (left-- <= 0) break;
            if (weights[g] > 0) quota[g]++;
            else left++;
        }
        return quota;
    }
}
