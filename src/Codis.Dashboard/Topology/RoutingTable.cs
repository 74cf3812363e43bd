using Codis.Core.Models;

namespace Codis.Dashboard.Topology;

/// <summary>
/// Turns a slot mapping into the routing entry proxies get (reference/codis.md §5.1): who serves the slot in
/// each action state, where keys are pulled from while it migrates, and when the slot is locked (writes wait).
/// </summary>
internal static class RoutingTable
{
    /// <param name="proxy">The proxy the entry is for: its replica reads are ordered by nearness to it (null: one bucket).</param>
    public static SlotModel Entry(SlotMapping m, IReadOnlyDictionary<int, GroupModel> groups, int forwardMethod, ProxyModel? proxy = null)
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
            ReplicaGroups = replicas && g != null ? ReplicaGroups(g, proxy) : null,
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

    /// <summary>
    /// Servers flagged for reads (the master included when flagged), bucketed by nearness to the proxy as the
    /// original does: same host as the proxy's admin address and same datacenter first, then same datacenter, then
    /// the rest; empty buckets dropped. Hosts are compared as written (no DNS lookup on the push path).
    /// </summary>
    internal static string[][]? ReplicaGroups(GroupModel g, ProxyModel? proxy)
    {
        var flagged = g.Servers.Where(s => s.ReplicaGroup).ToArray();
        if (flagged.Length == 0) return null;
        if (proxy == null) return [flagged.Select(s => s.Server).ToArray()];
        string proxyHost = Host(proxy.AdminAddr);
        int Nearness(GroupServer s) => s.Datacenter != proxy.Datacenter ? 2 : Host(s.Server) == proxyHost ? 0 : 1;
        return flagged.GroupBy(Nearness).OrderBy(b => b.Key).Select(b => b.Select(s => s.Server).ToArray()).ToArray();
    }

    private static string Host(string addr)
    {
        int colon = addr.LastIndexOf(':');
        return colon < 0 ? addr : addr[..colon];
    }
}
