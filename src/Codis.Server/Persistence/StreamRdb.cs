using Codis.Server.Storage.Collections;
using Codis.Server.Storage.Streams;

namespace Codis.Server.Persistence;

/// <summary>Converts a keyspace stream to and from the neutral <see cref="RdbStream"/> record (entries, metadata, groups, PELs).</summary>
internal static class StreamRdb
{
    private static RdbStreamId Rdb(StreamId id) => new(id.Ms, id.Seq);
    private static StreamId Key(RdbStreamId id) => new(id.Ms, id.Seq);

    public static RdbStream ToRdb(StreamValue s)
    {
        var entries = new List<RdbStreamEntry>((int)Math.Min(s.Length, int.MaxValue));
        foreach (var e in s.Entries())
        {
            var fields = new List<(byte[], byte[])>(e.FieldCount);
            for (int i = 0; i < e.Pairs.Length; i += 2) fields.Add((e.Pairs[i], e.Pairs[i + 1]));
            entries.Add(new RdbStreamEntry(Rdb(e.Id), fields));
        }
        var groups = new List<RdbStreamGroup>(s.GroupCount);
        if (s.Groups != null)
            foreach (var g in s.Groups.Values)
            {
                var pel = new List<RdbStreamPending>(g.Pending.Count);
                foreach (var p in g.Pending)
                    if (p.Consumer != null) pel.Add(new RdbStreamPending(Rdb(p.Id), p.DeliveryTime, p.DeliveryCount));
                var consumers = new List<RdbStreamConsumer>(g.Consumers.Count);
                foreach (var c in g.Consumers.Values)
                {
                    var ids = new List<RdbStreamId>(c.Pending.Count);
                    foreach (var p in c.Pending) ids.Add(Rdb(p.Id));
                    consumers.Add(new RdbStreamConsumer(c.Name, c.SeenTime, ids));
                }
                groups.Add(new RdbStreamGroup(g.Name, Rdb(g.LastId), g.EntriesRead, pel, consumers));
            }
        var layout = new List<RdbStreamNode>(s.NodeCount);
        foreach (var n in s.Nodes) layout.Add(new RdbStreamNode(Rdb(n.MasterId), n.MasterFields, n.Entries.Count, n.Deleted));
        return new RdbStream(entries, Rdb(s.LastId), Rdb(s.FirstId), Rdb(s.MaxDeletedId), s.EntriesAdded, groups) { Nodes = layout };
    }

    /// <summary>
    /// The keyspace stream for a decoded one. Pending entries no consumer owns are dropped (Redis's loader
    /// requires every one to have an owner).
    /// </summary>
    public static StreamValue FromRdb(RdbStream r, CollectionLimits limits)
    {
        var s = new StreamValue();
        var layout = r.Nodes is { } l && l.Sum(n => (long)n.LiveCount) == r.Entries.Count ? l : null;
        int next = 0, nodeIndex = 0;
        for (int k = 0; k < r.Entries.Count; k++)
        {
            var e = r.Entries[k];
            var pairs = new byte[e.Fields.Count * 2][];
            for (int i = 0; i < e.Fields.Count; i++)
            {
                pairs[2 * i] = e.Fields[i].Field;
                pairs[2 * i + 1] = e.Fields[i].Value;
            }
            var entry = new StreamEntry(Key(e.Id), pairs);
            if (layout == null) s.Load(entry, limits.StreamNodeMaxBytes, limits.StreamNodeMaxEntries);
            else
            {
                if (k == next)
                {
                    var n = layout[nodeIndex++];
                    s.StartNode(Key(n.MasterId), n.MasterFields, n.Deleted, entry);
                    next += n.LiveCount;
                }
                else s.AppendToLastNode(entry);
            }
        }
        s.LastId = Key(r.LastId);
        s.FirstId = Key(r.FirstId);
        s.MaxDeletedId = Key(r.MaxDeletedId);
        s.EntriesAdded = r.EntriesAdded;
        foreach (var rg in r.Groups)
        {
            var g = s.CreateGroup(rg.Name, Key(rg.LastDelivered), rg.EntriesRead)
                ?? throw new RdbFormatException("duplicate stream group name");
            var byId = new Dictionary<StreamId, StreamPending>(rg.Pending.Count);
            foreach (var rp in rg.Pending)
            {
                var p = new StreamPending(Key(rp.Id)) { DeliveryTime = rp.DeliveryTimeMs, DeliveryCount = rp.DeliveryCount };
                byId[p.Id] = p;
            }
            foreach (var rc in rg.Consumers)
            {
                var c = g.GetOrCreateConsumer(rc.Name, rc.SeenTimeMs, out bool created);
                if (!created) throw new RdbFormatException("duplicate stream consumer name");
                foreach (var id in rc.Pending)
                {
                    if (!byId.TryGetValue(Key(id), out var p) || p.Consumer != null)
                        throw new RdbFormatException("stream consumer PEL entry not in the group PEL, or owned twice");
                    p.Consumer = c;
                    c.Pending.Add(p);
                    g.Pending.Add(p);
                }
            }
        }
        return s;
    }
}
