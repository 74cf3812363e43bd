using Codis.Core.Models;

namespace Codis.Dashboard.Topology;

/// <summary>
/// Turns a slot mapping into the routing entry proxies get (reference/codis.md §5.1): who serves the slot in
/// each action state, where keys are pulled from while it migrates, and when the slot is locked (writes wait).
/// </summary>
internal static class RoutingTable
{
    public static SlotModel Entry(SlotMapping m, IReadOnlyDictionary<int, GroupModel> groups, int forwardMethod)
    {
        var source = groups.GetValueOrDefault(m.GroupId);
        var target = m.Action.IsEmpty ? null : groups.GetValueOrDefault(m.Action.TargetId);
        bool sourcePromoting = source?.IsPromoting == true, targetPromoting = target?.IsPromoting == true;
        SlotModel Serve(GroupModel? g, bool locked, bool replicas) => new()
        {
            Id = m.Id,
            Locked = locked,
            BackendAddr = g?.Master ?? "",
            BackendAddrGroupId = g?.Master == null ? 0 : g.Id,
            ForwardMethod = forwardMethod,
            ReplicaGroups = replicas && g != null ? ReplicaGroups(g) : null,
        };
        SlotModel Moving(bool locked) => Serve(target, locked, false) with
        {
            MigrateFrom = source?.Master ?? "",
            MigrateFromGroupId = source?.Master == null ? 0 : source.Id,
        };
        return m.Action.State switch
        {
            null or "" or SlotActionState.Pending => Serve(source, sourcePromoting, true),
            SlotActionState.Preparing => Serve(source, sourcePromoting, false),
            SlotActionState.Prepared => Moving(true),
            SlotActionState.Migrating => Moving(sourcePromoting || targetPromoting),
            SlotActionState.Finished => Serve(target, targetPromoting, false),
            _ => throw new InvalidOperationException($"slot {m.Id}: unknown action state '{m.Action.State}'"),
        };
    }

    /// <summary>Servers flagged for reads (the master included when flagged), as one priority bucket.</summary>
    private static string[][]? ReplicaGroups(GroupModel g)
    {
        var addrs = g.Servers.Where(s => s.ReplicaGroup).Select(s => s.Server).ToArray();
        return addrs.Length == 0 ? null : [addrs];
    }
}
