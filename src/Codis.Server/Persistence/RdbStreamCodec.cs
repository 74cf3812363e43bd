using System.Buffers.Binary;

namespace Codis.Server.Persistence;

/// <summary>
/// Streams in RDB (redis-formats.md §2.9): listpack nodes keyed by their master ID, then the stream metadata and
/// the consumer groups. Version 1 = type 15 (5.0–6.2), version 2 = type 19 (7.0: first ID, max deleted ID,
/// entries added, per-group entries read).
/// </summary>
internal static class RdbStreamCodec
{
    private const int FlagDeleted = 1;
    private const int FlagSameFields = 2;

    public static RdbStream Read(RdbReader r, int version)
    {
        int nodes = r.ReadCount();
        var entries = new List<RdbStreamEntry>();
        var layout = new List<RdbStreamNode>(Math.Min(nodes, 1024));
        for (int n = 0; n < nodes; n++)
        {
            var key = r.ReadString();
            if (key.Length != 16) throw new RdbFormatException("bad stream node key");
            var master = ReadId(key);
            var raw = r.ReadString();
            var lp = Listpack.Read(raw);
            if (lp.Count == 0) throw new RdbFormatException("empty stream node");
            int before = entries.Count;
            var (fields, deleted) = ReadNode(lp, master, entries);
            if (entries.Count > before) layout.Add(new RdbStreamNode(master, fields, entries.Count - before, deleted) { Listpack = raw });
        }
        ulong length = r.ReadLength();
        var lastId = new RdbStreamId(r.ReadLength(), r.ReadLength());
        RdbStreamId firstId, maxDeleted;
        ulong added;
        if (version >= 2)
        {
            firstId = new RdbStreamId(r.ReadLength(), r.ReadLength());
            maxDeleted = new RdbStreamId(r.ReadLength(), r.ReadLength());
            added = r.ReadLength();
        }
        else
        {
            // What 7.0 derives for old streams: no known deletions, everything ever added is still there.
            firstId = entries.Count > 0 ? entries[0].Id : default;
            maxDeleted = default;
            added = length;
        }
        if (length != (ulong)entries.Count) throw new RdbFormatException("stream length mismatch");
        if (entries.Count > 0 && entries[^1].Id.CompareTo(lastId) > 0) throw new RdbFormatException("stream last ID too small");

        int groupCount = r.ReadCount();
        var groups = new List<RdbStreamGroup>(Math.Min(groupCount, 64));
        var stream = new RdbStream(entries, lastId, firstId, maxDeleted, added, groups) { Nodes = layout };
        for (int g = 0; g < groupCount; g++)
        {
            var name = r.ReadString();
            var lastDelivered = new RdbStreamId(r.ReadLength(), r.ReadLength());
            long entriesRead = version >= 2 ? unchecked((long)r.ReadLength()) : EstimateEntriesRead(stream, lastDelivered);
            int pelCount = r.ReadCount();
            var pel = new List<RdbStreamPending>(Math.Min(pelCount, 1024));
            var pelIds = new HashSet<RdbStreamId>();
            for (int i = 0; i < pelCount; i++)
            {
                var id = ReadId(r.ReadSpan(16));
                long deliveryTime = unchecked((long)r.ReadUInt64LE());
                ulong deliveryCount = r.ReadLength();
                if (!pelIds.Add(id)) throw new RdbFormatException("duplicate stream PEL entry");
                pel.Add(new RdbStreamPending(id, deliveryTime, deliveryCount));
            }
            int consumerCount = r.ReadCount();
            var consumers = new List<RdbStreamConsumer>(Math.Min(consumerCount, 1024));
            for (int c = 0; c < consumerCount; c++)
            {
                var cname = r.ReadString();
                long seen = unchecked((long)r.ReadUInt64LE());
                int owned = r.ReadCount();
                var ids = new List<RdbStreamId>(Math.Min(owned, 1024));
                for (int i = 0; i < owned; i++)
                {
                    var id = ReadId(r.ReadSpan(16));
                    // A consumer's PEL only names IDs; their delivery data lives in the group PEL.
                    if (!pelIds.Contains(id)) throw new RdbFormatException("consumer PEL entry missing from the group PEL");
                    ids.Add(id);
                }
                consumers.Add(new RdbStreamConsumer(cname, seen, ids));
            }
            groups.Add(new RdbStreamGroup(name, lastDelivered, entriesRead, pel, consumers));
        }
        return stream;
    }

    /// <summary>Decodes one node: the master entry (count, deleted, fields…, 0), then the entries relative to it.</summary>
    private static (byte[][] MasterFields, int Deleted) ReadNode(List<ListpackEntry> lp, RdbStreamId master, List<RdbStreamEntry> into)
    {
        int p = 0;
        ListpackEntry Next() => p < lp.Count ? lp[p++] : throw new RdbFormatException("truncated stream node");

        long count = Next().AsInteger();
        long deleted = Next().AsInteger();
        long masterFieldCount = Next().AsInteger();
        if (count < 0 || deleted < 0 || masterFieldCount < 0 || masterFieldCount > lp.Count) throw new RdbFormatException("bad stream master entry");
        var masterFields = new byte[masterFieldCount][];
        for (int i = 0; i < masterFieldCount; i++) masterFields[i] = Next().ToBytes();
        if (Next().AsInteger() != 0) throw new RdbFormatException("bad stream master terminator");

        long live = 0, dead = 0;
        while (p < lp.Count)
        {
            int entryStart = p;
            long flags = Next().AsInteger();
            ulong ms = unchecked(master.Ms + (ulong)Next().AsInteger());
            ulong seq = unchecked(master.Seq + (ulong)Next().AsInteger());
            List<(byte[], byte[])> fields;
            if ((flags & FlagSameFields) != 0)
            {
                fields = new List<(byte[], byte[])>(masterFields.Length);
                foreach (var f in masterFields) fields.Add((f, Next().ToBytes()));
            }
            else
            {
                long nf = Next().AsInteger();
                if (nf < 0 || nf > lp.Count) throw new RdbFormatException("bad stream field count");
                fields = new List<(byte[], byte[])>((int)nf);
                for (int i = 0; i < nf; i++) fields.Add((Next().ToBytes(), Next().ToBytes()));
            }
            long used = Next().AsInteger();
            if (used != p - entryStart - 1) throw new RdbFormatException("bad stream entry lp-count");
            var id = new RdbStreamId(ms, seq);
            if ((flags & FlagDeleted) != 0)
            {
                dead++;
                continue;
            }
            if (into.Count > 0 && into[^1].Id.CompareTo(id) >= 0) throw new RdbFormatException("stream IDs out of order");
            into.Add(new RdbStreamEntry(id, fields));
            live++;
        }
        if (live != count || dead != deleted) throw new RdbFormatException("stream node counts mismatch");
        return (masterFields, (int)dead);
    }

    /// <summary>7.0's streamEstimateDistanceFromFirstEverEntry, used for groups loaded from type-15 streams.</summary>
    private static long EstimateEntriesRead(RdbStream s, RdbStreamId id)
    {
        if (s.EntriesAdded == 0) return 0;
        int cmpLast = id.CompareTo(s.LastId);
        if (s.Entries.Count == 0 && cmpLast <= 0) return (long)s.EntriesAdded;
        if (cmpLast == 0) return (long)s.EntriesAdded;
        if (cmpLast > 0) return -1;
        int cmpFirst = id.CompareTo(s.FirstId);
        if (s.MaxDeletedId.IsZero || s.MaxDeletedId.CompareTo(s.FirstId) < 0)
        {
            if (cmpFirst < 0) return (long)s.EntriesAdded - s.Entries.Count;
            if (cmpFirst == 0) return (long)s.EntriesAdded - s.Entries.Count + 1;
        }
        return -1;
    }

    /// <summary>
    /// Writes a stream body (type 19, without the type byte). Nodes are cut as XADD cuts them (7.0's
    /// streamAppendItem): a new node once the listpack plus the new entry's field/value bytes reach
    /// stream-node-max-bytes, or the node holds stream-node-max-entries; an entry whose fields equal the node's
    /// master fields is stored with SAMEFIELDS. Groups, consumers and PELs go out in Redis's rax (sorted) order.
    /// </summary>
    public static void Write(RdbWriter w, RdbStream s, RdbEncodingLimits limits)
    {
        var nodes = new List<(RdbStreamId Master, byte[] Listpack)>();
        int i = 0;
        if (s.Nodes is { } layout && layout.Sum(n => (long)n.LiveCount) == s.Entries.Count)
        {
            // The layout as read: each node's listpack as it came (deleted entries included), or rebuilt from its live entries.
            foreach (var node in layout)
            {
                nodes.Add((node.MasterId, node.Listpack ?? BuildNode(s.Entries, i, i + node.LiveCount, node.MasterId, node.MasterFields)));
                i += node.LiveCount;
            }
        }
        while (i < s.Entries.Count)
        {
            var master = s.Entries[i];
            var masterFields = master.Fields;
            long size = NewNodeSize(masterFields);
            var masterNames = masterFields.Select(f => f.Field).ToArray();
            int end = i;
            // Decide the node's extent with Redis's running size: count + entries appended so far.
            while (end < s.Entries.Count)
            {
                if (end > i)
                {
                    long totalElementLength = 0;
                    foreach (var (f, v) in s.Entries[end].Fields) totalElementLength += f.Length + v.Length;
                    int count = end - i;
                    if (size + totalElementLength >= limits.StreamNodeMaxBytes) break;
                    if (limits.StreamNodeMaxEntries > 0 && count >= limits.StreamNodeMaxEntries) break;
                    size += IntegerSize(count + 1) - IntegerSize(count);
                }
                size += EntrySize(s.Entries[end], master.Id, masterNames);
                end++;
            }
            nodes.Add((master.Id, BuildNode(s.Entries, i, end)));
            i = end;
        }

        WriteBody(w, nodes.Count, nodes, (ulong)s.Entries.Count, s.LastId, s.FirstId, s.MaxDeletedId, s.EntriesAdded, s.Groups);
    }

    /// <summary>Writes a stream body (type 19, without the type byte) from listpacks the keyspace built.</summary>
    public static void Write(RdbWriter w, RdbStreamListpacks s) =>
        WriteBody(w, s.NodeCount, s.Nodes, s.Length, s.LastId, s.FirstId, s.MaxDeletedId, s.EntriesAdded, s.Groups);

    private static void WriteBody(RdbWriter w, int nodeCount, IEnumerable<(RdbStreamId Master, byte[] Listpack)> nodes, ulong length,
        RdbStreamId lastId, RdbStreamId firstId, RdbStreamId maxDeletedId, ulong entriesAdded, List<RdbStreamGroup> streamGroups)
    {
        w.WriteLength((ulong)nodeCount);
        Span<byte> key = stackalloc byte[16];
        int written = 0;
        foreach (var (id, lp) in nodes)
        {
            WriteId(key, id);
            w.WriteString(key);
            w.WriteString(lp);
            written++;
        }
        if (written != nodeCount) throw new InvalidOperationException("stream node count changed while writing");
        w.WriteLength(length);
        WriteIdLengths(w, lastId);
        WriteIdLengths(w, firstId);
        WriteIdLengths(w, maxDeletedId);
        w.WriteLength(entriesAdded);

        var groups = new List<RdbStreamGroup>(streamGroups);
        groups.Sort(static (a, b) => a.Name.AsSpan().SequenceCompareTo(b.Name));
        w.WriteLength((ulong)groups.Count);
        Span<byte> raw = stackalloc byte[16];
        foreach (var g in groups)
        {
            w.WriteString(g.Name);
            WriteIdLengths(w, g.LastDelivered);
            w.WriteLength(unchecked((ulong)g.EntriesRead)); // −1 ("unknown") goes out as 2^64−1, as 7.0 writes it
            var pel = new List<RdbStreamPending>(g.Pending);
            pel.Sort(static (a, b) => a.Id.CompareTo(b.Id));
            w.WriteLength((ulong)pel.Count);
            foreach (var p in pel)
            {
                WriteId(raw, p.Id);
                w.WriteRaw(raw);
                w.WriteUInt64LE(unchecked((ulong)p.DeliveryTimeMs));
                w.WriteLength(p.DeliveryCount);
            }
            var consumers = new List<RdbStreamConsumer>(g.Consumers);
            consumers.Sort(static (a, b) => a.Name.AsSpan().SequenceCompareTo(b.Name));
            w.WriteLength((ulong)consumers.Count);
            foreach (var c in consumers)
            {
                w.WriteString(c.Name);
                w.WriteUInt64LE(unchecked((ulong)c.SeenTimeMs));
                var ids = new List<RdbStreamId>(c.Pending);
                ids.Sort();
                w.WriteLength((ulong)ids.Count);
                foreach (var id in ids)
                {
                    WriteId(raw, id);
                    w.WriteRaw(raw);
                }
            }
        }
    }

    private static byte[] BuildNode(List<RdbStreamEntry> entries, int from, int to) =>
        BuildNode(entries, from, to, entries[from].Id, entries[from].Fields.Select(f => f.Field).ToArray());

    private static byte[] BuildNode(List<RdbStreamEntry> entries, int from, int to, RdbStreamId masterId, byte[][] masterFields)
    {
        var lp = new ListpackBuilder();
        lp.Append(to - from);
        lp.Append(0);
        lp.Append(masterFields.Length);
        foreach (var f in masterFields) lp.Append(f);
        lp.Append(0);
        for (int i = from; i < to; i++)
        {
            var e = entries[i];
            bool same = SameFields(e.Fields, masterFields);
            lp.Append(same ? FlagSameFields : 0);
            lp.Append(unchecked((long)(e.Id.Ms - masterId.Ms)));
            lp.Append(unchecked((long)(e.Id.Seq - masterId.Seq)));
            if (!same) lp.Append(e.Fields.Count);
            foreach (var (f, v) in e.Fields)
            {
                if (!same) lp.Append(f);
                lp.Append(v);
            }
            lp.Append(3 + e.Fields.Count + (same ? 0 : e.Fields.Count + 1));
        }
        return lp.ToArray();
    }

    /// <summary>lpBytes of a fresh node holding only its master entry, with count 0 (bumped as entries are added).</summary>
    private static long NewNodeSize(List<(byte[] Field, byte[] Value)> masterFields)
    {
        var lp = new ListpackBuilder();
        lp.Append(0);
        lp.Append(0);
        lp.Append(masterFields.Count);
        foreach (var (f, _) in masterFields) lp.Append(f);
        lp.Append(0);
        return lp.Bytes;
    }

    private static long EntrySize(RdbStreamEntry e, RdbStreamId master, byte[][] masterFields)
    {
        var lp = new ListpackBuilder();
        bool same = SameFields(e.Fields, masterFields);
        lp.Append(same ? FlagSameFields : 0);
        lp.Append(unchecked((long)(e.Id.Ms - master.Ms)));
        lp.Append(unchecked((long)(e.Id.Seq - master.Seq)));
        if (!same) lp.Append(e.Fields.Count);
        foreach (var (f, v) in e.Fields)
        {
            if (!same) lp.Append(f);
            lp.Append(v);
        }
        lp.Append(3 + e.Fields.Count + (same ? 0 : e.Fields.Count + 1));
        return lp.Bytes - Listpack.HeaderSize - 1;
    }

    private static int IntegerSize(long v)
    {
        var lp = new ListpackBuilder();
        lp.Append(v);
        return lp.Bytes - Listpack.HeaderSize - 1;
    }

    private static bool SameFields(List<(byte[] Field, byte[] Value)> a, byte[][] masterFields)
    {
        if (a.Count != masterFields.Length) return false;
        for (int i = 0; i < a.Count; i++)
            if (!a[i].Field.AsSpan().SequenceEqual(masterFields[i])) return false;
        return true;
    }

    private static void WriteIdLengths(RdbWriter w, RdbStreamId id)
    {
        w.WriteLength(id.Ms);
        w.WriteLength(id.Seq);
    }

    private static RdbStreamId ReadId(ReadOnlySpan<byte> raw) =>
        new(BinaryPrimitives.ReadUInt64BigEndian(raw), BinaryPrimitives.ReadUInt64BigEndian(raw[8..]));

    internal static void WriteId(Span<byte> dest, RdbStreamId id)
    {
        BinaryPrimitives.WriteUInt64BigEndian(dest, id.Ms);
        BinaryPrimitives.WriteUInt64BigEndian(dest[8..], id.Seq);
    }
}
