using Codis.Core.Models;
using Codis.Dashboard.Topology;

namespace Codis.Dashboard.Tests.Unit;

/// <summary>The routing entry of every slot action state (reference/codis.md §5.1).</summary>
public class RoutingTableTests
{
    private static readonly Dictionary<int, GroupModel> Groups = new()
    {
        [1] = new GroupModel { Id = 1, Servers = [new GroupServer { Server = "h:1" }, new GroupServer { Server = "h:11", ReplicaGroup = true }] },
        [2] = new GroupModel { Id = 2, Servers = [new GroupServer { Server = "h:2" }] },
    };

    private static SlotModel Entry(string? state, IReadOnlyDictionary<int, GroupModel>? groups = null) =>
        RoutingTable.Entry(new SlotMapping { Id = 7, GroupId = 1, Action = state == null ? new() : new SlotAction { Index = 1, State = state, TargetId = 2 } }, groups ?? Groups, 1);

    [Fact]
    public void IdleSlotIsServedByItsMasterWithReplicas()
    {
        var e = Entry(null);
        Assert.Equal(("h:1", 1, "", false), (e.BackendAddr, e.BackendAddrGroupId, e.MigrateFrom, e.Locked));
        Assert.Equal(["h:11"], e.ReplicaGroups![0]);
    }

    [Theory]
    [InlineData(SlotActionState.Pending, "h:1", "", false)]
    [InlineData(SlotActionState.Preparing, "h:1", "", false)]
    [InlineData(SlotActionState.Prepared, "h:2", "h:1", true)]
    [InlineData(SlotActionState.Migrating, "h:2", "h:1", false)]
    [InlineData(SlotActionState.Finished, "h:2", "", false)]
    public void EachStateRoutesAsTheOriginal(string state, string backend, string from, bool locked)
    {
        var e = Entry(state);
        Assert.Equal((backend, from, locked, 1), (e.BackendAddr, e.MigrateFrom, e.Locked, e.ForwardMethod));
        if (state != SlotActionState.Pending) Assert.Null(e.ReplicaGroups);
    }

    [Fact]
    public void PromotingGroupLocksItsSlots()
    {
        var g = new Dictionary<int, GroupModel>(Groups) { [1] = Groups[1] with { Promoting = new GroupPromoting { Index = 1, State = "prepared" } } };
        Assert.True(Entry(null, g).Locked);
        Assert.True(Entry(SlotActionState.Migrating, g).Locked);
        Assert.False(Entry(SlotActionState.Finished, g).Locked);
    }

    [Fact]
    public void OfflineSlotHasNoBackend()
    {
        var e = RoutingTable.Entry(new SlotMapping { Id = 3 }, Groups, 0);
        Assert.Equal(("", 0), (e.BackendAddr, e.BackendAddrGroupId));
    }
}
