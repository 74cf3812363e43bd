using Codis.Proxy.Routing;

namespace Codis.Proxy.Sessions;

/// <summary>
/// Read-your-writes for replica reads (docs/proxy-replica-reads.md): after this session wrote to a master
/// whose slots are read from replicas, its reads of that group stay on the master until every replica of
/// the group has processed the master's stream past the write.
/// </summary>
internal sealed partial class ProxySession
{
    /// <summary>What the session waits for per master: the poll mark taken after its write, then the offset it resolved to.</summary>
    private sealed class WriteFence
    {
        public long Mark = -1;          // -1: the write is still in flight
        public long Offset = -1;        // -1: no master poll after the mark has come back yet
        public string ReplId = "";
    }

    private Dictionary<string, WriteFence>? fences;
    private List<string>? batchWrites;

    /// <summary>Whether a request to <paramref name="slot"/> must go to the master; notes writes on the way.</summary>
    private bool RouteToMaster(OpInfo? op, int slot)
    {
        bool master = op?.MasterOnly ?? true;
        var m = proxy.Router.Slot(slot);
        if (proxy.Router.PrimaryOnly || m.ReplicaGroups is not { Length: > 0 } groups || m.BackendAddr.Length == 0) return master;
        if (master)
        {
            if (op == null || op.IsWrite) NoteWrite(m.BackendAddr);
            return true;
        }
        return !FenceCleared(m.BackendAddr, groups);
    }

    /// <summary>For a split command: master for every part if any part's group is fenced (writes are noted per part).</summary>
    private bool SplitToMaster(OpInfo? op, List<Part> parts)
    {
        bool any = false;
        foreach (var part in parts)
            foreach (int s in part.Slots) any |= RouteToMaster(op, s);
        return any;
    }

    private void NoteWrite(string master)
    {
        fences ??= new(StringComparer.Ordinal);
        if (!fences.TryGetValue(master, out var f)) fences[master] = f = new WriteFence();
        f.Mark = -1;
        f.Offset = -1;
        (batchWrites ??= new()).Add(master);
    }

    /// <summary>After a batch's replies are in: its writes are done, so the next master poll sees them.</summary>
    private void StampWrites()
    {
        if (batchWrites is not { Count: > 0 } list) return;
        var offsets = proxy.ReplicaOffsets;
        foreach (var master in list) fences![master].Mark = offsets.Mark(master);
        list.Clear();
    }

    private bool FenceCleared(string master, string[][] groups)
    {
        if (fences == null || !fences.TryGetValue(master, out var f)) return true;
        if (f.Mark < 0) return false;
        var offsets = proxy.ReplicaOffsets;
        if (f.Offset < 0)
        {
            if (!offsets.TryOffsetAfter(master, f.Mark, out long offset, out string replId)) return false;
            f.Offset = offset;
            f.ReplId = replId;
        }
        foreach (var g in groups)
            foreach (var r in g)
                if (r != master && !offsets.CaughtUp(r, f.Offset, f.ReplId)) return false;
        fences.Remove(master);
        return true;
    }
}
