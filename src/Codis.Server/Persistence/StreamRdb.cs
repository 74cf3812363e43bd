using Codis.Server.Storage.Collections;
using Codis.Server.Storage.Streams;

namespace Codis.Server.Persistence;

/// <summary>
/// Converts a keyspace stream to and from RDB's records. Writing turns each packed node into the listpack Redis
/// would hold for it (same master entry, same flags, deleted entries included), so our payloads are byte for byte
/// Redis's; reading rebuilds the nodes from the payload's listpacks, so the layout (and with it approximate
/// trimming and the next node cut) stays what it was.
/// </summary>
internal static class StreamRdb
{
    private static RdbStreamId Rdb(StreamId id) => new(id.Ms, id.Seq);
    private static StreamId Key(RdbStreamId id) => new(id.Ms, id.Seq);

    public static RdbStreamListpacks ToRdb(StreamValue s)
    {
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
        return new RdbStreamListpacks(s.NodeCount, Listpacks(s), (ulong)s.Length, Rdb(s.LastId), Rdb(s.FirstId), Rdb(s.MaxDeletedId), s.EntriesAdded, groups);
    }

    private static IEnumerable<(RdbStreamId, byte[])> Listpacks(StreamValue s)
    {
        for (int i = 0; i < s.NodeCount; i++)
        {
            var n = s.Node(i);
            yield return (Rdb(n.MasterId), ToListpack(n));
        }
    }

    /// <summary>The node as Redis's listpack: master entry (count, deleted, fields, 0), then every entry with its lp-count.</summary>
    internal static byte[] ToListpack(StreamNode n)
    {
        var lp = new ListpackBuilder();
        lp.Append(n.Live);
        lp.Append(n.Deleted);
        lp.Append(n.MasterFieldCount);
        foreach (var f in n.MasterFields()) lp.Append(f);
        lp.Append(0);
        var master = n.MasterId;
        for (int o = n.EntriesStart; o < n.Used; o = n.EntryEnd(o))
        {
            byte flags = n.ReadHeader(o, out var id, out int fields, out _);
            bool same = (flags & StreamNode.FlagSameFields) != 0;
            lp.Append(flags);
            lp.Append(unchecked((long)(id.Ms - master.Ms)));
            lp.Append(unchecked((long)(id.Seq - master.Seq)));
            if (!same) lp.Append(fields);
            var pairs = new PairReader(n, o);
            while (pairs.MoveNext())
            {
                if (!same) lp.Append(pairs.Field);
                lp.Append(pairs.Value);
            }
            lp.Append(3 + fields + (same ? 0 : fields + 1));
        }
        return lp.ToArray();
    }

    /// <summary>A packed node from a listpack <see cref="RdbStreamCodec"/> already validated.</summary>
    private static StreamNode FromListpack(RdbStreamId masterId, byte[] raw)
    {
        var lp = Listpack.Read(raw);
        int p = 2;
        int masterCount = (int)lp[p++].AsInteger();
        var masterFields = new byte[masterCount][];
        for (int i = 0; i < masterCount; i++) masterFields[i] = lp[p++].ToBytes();
        p++; // the master terminator
        var master = Key(masterId);
        var node = StreamNode.WithMaster(master, new ArrayItems(masterFields), raw.Length);
        while (p < lp.Count)
        {
            long flags = lp[p++].AsInteger();
            var id = new StreamId(unchecked(master.Ms + (ulong)lp[p++].AsInteger()), unchecked(master.Seq + (ulong)lp[p++].AsInteger()));
            byte[][] pairs;
            if ((flags & StreamNode.FlagSameFields) != 0)
            {
                pairs = new byte[masterCount * 2][];
                for (int i = 0; i < masterCount; i++)
                {
                    pairs[2 * i] = masterFields[i];
                    pairs[2 * i + 1] = lp[p++].ToBytes();
                }
            }
            else
            {
                int nf = (int)lp[p++].AsInteger();
                pairs = new byte[nf * 2][];
                for (int i = 0; i < pairs.Length; i++) pairs[i] = lp[p++].ToBytes();
            }
            p++; // lp-count
            node.AppendLoaded(id, new ArrayItems(pairs), (flags & StreamNode.FlagDeleted) != 0);
        }
        node.SetLoadedSize(raw.Length);
        return node;
    }

    /// <summary>
    /// A packed node from a listpack nobody validated yet (a migration chunk), in one pass with the checks
    /// <see cref="RdbStreamCodec"/>'s reader makes: the listpack itself, the master entry, flags, field counts,
    /// lp-counts, IDs ascending from the master ID, the live and deleted counts, and at least one live entry
    /// (Redis drops a node whose entries are all deleted). Throws <see cref="RdbFormatException"/>.
    /// </summary>
    internal static StreamNode ReadNode(StreamId master, byte[] raw)
    {
        var lp = Listpack.Read(raw);
        int p = 0;
        ListpackEntry Next() => p < lp.Count ? lp[p++] : throw new RdbFormatException("truncated stream node");

        long count = Next().AsInteger();
        long deleted = Next().AsInteger();
        long masterCount = Next().AsInteger();
        if (count <= 0 || deleted < 0 || masterCount < 0 || masterCount > lp.Count) throw new RdbFormatException("bad stream master entry");
        var masterFields = new byte[masterCount][];
        for (int i = 0; i < masterCount; i++) masterFields[i] = Next().ToBytes();
        if (Next().AsInteger() != 0) throw new RdbFormatException("bad stream master terminator");
        var node = StreamNode.WithMaster(master, new ArrayItems(masterFields), raw.Length);
        long live = 0, dead = 0;
        var previous = master;
        bool first = true;
        while (p < lp.Count)
        {
            int entryStart = p;
            long flags = Next().AsInteger();
            if ((flags & ~(long)(StreamNode.FlagDeleted | StreamNode.FlagSameFields)) != 0) throw new RdbFormatException("bad stream entry flags");
            var id = new StreamId(unchecked(master.Ms + (ulong)Next().AsInteger()), unchecked(master.Seq + (ulong)Next().AsInteger()));
            if (first ? id < master : id <= previous) throw new RdbFormatException("stream IDs out of order");
            first = false;
            previous = id;
            byte[][] pairs;
            if ((flags & StreamNode.FlagSameFields) != 0)
            {
                pairs = new byte[masterCount * 2][];
                for (int i = 0; i < masterCount; i++)
                {
                    pairs[2 * i] = masterFields[i];
                    pairs[2 * i + 1] = Next().ToBytes();
                }
            }
            else
            {
                long nf = Next().AsInteger();
                if (nf < 0 || nf > lp.Count) throw new RdbFormatException("bad stream field count");
                pairs = new byte[nf * 2][];
                for (int i = 0; i < pairs.Length; i++) pairs[i] = Next().ToBytes();
            }
            if (Next().AsInteger() != p - entryStart - 1) throw new RdbFormatException("bad stream entry lp-count");
            bool isDeleted = (flags & StreamNode.FlagDeleted) != 0;
            if (isDeleted) dead++;
            else live++;
            node.AppendLoaded(id, new ArrayItems(pairs), isDeleted);
        }
        if (live != count || dead != deleted) throw new RdbFormatException("stream node counts mismatch");
        node.SetLoadedSize(raw.Length);
        return node;
    }

    /// <summary>
    /// The keyspace stream for a decoded one. Pending entries no consumer owns are dropped (Redis's loader
    /// requires every one to have an owner).
    /// </summary>
    public static StreamValue FromRdb(RdbStream r, CollectionLimits limits)
    {
        var s = new StreamValue();
        var layout = r.Nodes is { } l && l.Sum(n => (long)n.LiveCount) == r.Entries.Count ? l : null;
        if (layout != null && layout.TrueForAll(n => n.Listpack != null))
            foreach (var n in layout) s.LoadNode(FromListpack(n.MasterId, n.Listpack!));
        else
            foreach (var e in r.Entries) s.Load(Key(e.Id), new TupleItems(e.Fields), limits.StreamNodeMaxBytes, limits.StreamNodeMaxEntries);
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
