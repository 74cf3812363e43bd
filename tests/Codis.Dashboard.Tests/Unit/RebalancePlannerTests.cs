using Codis.Core.Models;
using Codis.Dashboard.Migration;

namespace Codis.Dashboard.Tests.Unit;

public class RebalancePlannerTests
{
    private static SlotMapping[] Slots(Func<int, int> group) => Enumerable.Range(0, 1024).Select(i => new SlotMapping { Id = i, GroupId = group(i) }).ToArray();

    private static Dictionary<int, int> SizesAfter(SlotMapping[] slots, IDictionary<int, int> plan)
    {
        var sizes = new Dictionary<int, int>();
        foreach (var s in slots)
        {
            int g = plan.TryGetValue(s.Id, out int to) ? to : s.Action.IsEmpty ? s.GroupId : s.Action.TargetId;
            sizes[g] = sizes.GetValueOrDefault(g) + 1;
        }
        return sizes;
    }

    [Fact]
    public void OfflineSlotsAreSpreadEvenly()
    {
        var slots = Slots(_ => 0);
        var plan = RebalancePlanner.Plan(slots, [1, 2, 3]);
        Assert.Equal(1024, plan.Count);
        var sizes = SizesAfter(slots, plan);
        Assert.Equal([341, 341, 342], sizes.Values.Order().ToArray());
    }

    [Fact]
    public void BalancedSlotsDoNotMove()
    {
        var slots = Slots(i => i < 512 ? 1 : 2);
        Assert.Empty(RebalancePlanner.Plan(slots, [1, 2]));
    }

    [Fact]
    public void NewGroupGetsItsShareWithTheFewestMoves()
    {
        var slots = Slots(i => i < 512 ? 1 : 2);
        var plan = RebalancePlanner.Plan(slots, [1, 2, 3]);
        var sizes = SizesAfter(slots, plan);
        Assert.True(sizes.Values.Max() - sizes.Values.Min() <= 1, string.Join(",", sizes));
        Assert.All(plan.Values, g => Assert.Equal(3, g));
        // exactly the new group's share moves, nothing else
        Assert.Equal(sizes[3], plan.Count);
        // each old group gives away its highest-numbered slots
        Assert.Contains(511, plan.Keys);
        Assert.Contains(1023, plan.Keys);
        Assert.DoesNotContain(0, plan.Keys);
    }

    [Fact]
    public void SlotsWithActionsCountForTheirTargetAndDoNotMove()
    {
        var slots = Slots(i => 1);
        for (int i = 0; i < 100; i++) slots[i] = slots[i] with { Action = new SlotAction { Index = i + 1, State = SlotActionState.Pending, TargetId = 2 } };
        var plan = RebalancePlanner.Plan(slots, [1, 2]);
        Assert.DoesNotContain(plan.Keys, k => k < 100);
        var sizes = SizesAfter(slots, plan);
        Assert.Equal(512, sizes[1]);
        Assert.Equal(512, sizes[2]);
    }

    [Fact]
    public void SlotsOfGroupsWithoutServersMoveToLiveGroups()
    {
        var slots = Slots(i => i < 512 ? 1 : 9);
        var plan = RebalancePlanner.Plan(slots, [1, 2]);
        Assert.All(Enumerable.Range(512, 512), i => Assert.True(plan.ContainsKey(i)));
        var sizes = SizesAfter(slots, plan);
        Assert.False(sizes.ContainsKey(9));
        Assert.Equal(512, sizes[1]);
        Assert.Equal(512, sizes[2]);
    }

    [Fact]
    public void SharesFollowTheWeights()
    {
        var slots = Slots(i => i < 512 ? 1 : 2);
        var plan = RebalancePlanner.Plan(slots, new Dictionary<int, int> { [1] = 2, [2] = 1, [3] = 1 });
        var sizes = SizesAfter(slots, plan);
        Assert.Equal((512, 256, 256), (sizes[1], sizes[2], sizes[3]));
        Assert.Equal(256, plan.Count);          // only group 2's surplus moves, all to group 3
        Assert.All(plan.Values, g => Assert.Equal(3, g));
    }

    [Fact]
    public void WeightZeroDrainsAGroup()
    {
        var slots = Slots(i => i % 3 + 1);
        var plan = RebalancePlanner.Plan(slots, new Dictionary<int, int> { [1] = 1, [2] = 1, [3] = 0 });
        var sizes = SizesAfter(slots, plan);
        Assert.False(sizes.ContainsKey(3));
        Assert.Equal((512, 512), (sizes[1], sizes[2]));
        Assert.Equal(slots.Count(s => s.GroupId == 3), plan.Count);
    }
}
