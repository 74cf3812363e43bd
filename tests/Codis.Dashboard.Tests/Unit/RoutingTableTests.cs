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
    public void ReplicaReadsAreBucketedByNearnessToTheProxy()
    {
        var g = new GroupModel
        {
            Id = 1,
            Servers =
            [
                new GroupServer { Server = "10.0.0.1:6379", Datacenter = "dc1", ReplicaGroup = true },  // same host, same datacenter
                new GroupServer { Server = "10.0.0.2:6379", Datacenter = "dc2", ReplicaGroup = true },  // other datacenter
                new GroupServer { Server = "10.0.0.3:6379", Datacenter = "dc1", ReplicaGroup = true },  // same datacenter
                new GroupServer { Server = "10.0.0.1:6380", Datacenter = "dc2", ReplicaGroup = true },  // same host, other datacenter
                new GroupServer { Server = "10.0.0.4:6379", Datacenter = "dc1" },                      // not flagged
            ],
        };
        var proxy = new ProxyModel { AdminAddr = "10.0.0.1:11080", Datacenter = "dc1" };
        Assert.Equal([["10.0.0.1:6379"], ["10.0.0.3:6379"], ["10.0.0.2:6379", "10.0.0.1:6380"]], RoutingTable.ReplicaGroups(g, proxy)!);
        // another proxy elsewhere in dc2: the dc2 servers first, in one bucket (none shares its host)
        Assert.Equal([["10.0.0.2:6379", "10.0.0.1:6380"], ["10.0.0.1:6379", "10.0.0.3:6379"]],
            RoutingTable.ReplicaGroups(g, new ProxyModel { AdminAddr = "10.0.0.9:11080", Datacenter = "dc2" })!);
        // the general view (no proxy): one bucket; no flagged server: none
        Assert.Single(RoutingTable.ReplicaGroups(g, null)!);
        Assert.Null(RoutingTable.ReplicaGroups(g with { Servers = [g.Servers[4]] }, proxy));
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
