namespace Codis.Server.Storage.Streams;

/// <summary>
/// A run of consecutive entries, as one listpack node of Redis's stream: the master ID and fields of the
/// first entry it got, its live entries in ID order, and the bookkeeping that decides, as Redis does, when
/// the next XADD starts a new node (listpack bytes, live + deleted entries). Approximate trimming (~) works
/// node by node, so matching Redis's node boundaries keeps XTRIM ~ and XADD MAXLEN ~ giving Redis's lengths.
/// </summary>
internal sealed class StreamNode
{
    private const int ListpackHeader = 6 + 1; // total bytes + count, and the end byte

    public StreamNode(StreamEntry first) : this(first.Id, MasterFieldsOf(first), 0, first)
    {
    }

    /// <summary>A node as loaded: master ID and fields from the payload, which may differ from its first live entry's.</summary>
    public StreamNode(StreamId masterId, byte[][] masterFields, int deleted, StreamEntry first)
    {
        MasterId = masterId;
        MasterFields = masterFields;
        Deleted = deleted;
        LpBytes = ListpackHeader + ListpackSize.Of(0) + ListpackSize.Of(deleted) + ListpackSize.Of(masterFields.Length) + ListpackSize.Of(0);
        foreach (var f in masterFields) LpBytes += ListpackSize.Of(f);
        LastId = first.Id;
        Entries = new List<StreamEntry>(4);
        AddEntry(first);
    }

    private static byte[][] MasterFieldsOf(StreamEntry e)
    {
        var fields = new byte[e.FieldCount][];
        for (int i = 0; i < fields.Length; i++) fields[i] = e.Pairs[2 * i];
        return fields;
    }

    private StreamNode(StreamNode other)
    {
        MasterId = other.MasterId;
        MasterFields = other.MasterFields;
        LastId = other.LastId;
        LpBytes = other.LpBytes;
        Deleted = other.Deleted;
        Entries = new List<StreamEntry>(other.Entries);
    }

    public StreamId MasterId { get; }
    public byte[][] MasterFields { get; }

    /// <summary>The greatest ID ever added here (deleted or not).</summary>
    public StreamId LastId { get; private set; }

    public List<StreamEntry> Entries { get; }
    public int Deleted { get; private set; }
    public long LpBytes { get; private set; }

    public StreamNode Copy() => new(this);

    /// <summary>streamAppendItem's test for starting a new node before adding an entry of these pairs.</summary>
    public bool Full(byte[][] pairs, long maxBytes, long maxEntries)
    {
        long total = 0;
        foreach (var p in pairs) total += p.Length;
        if (LpBytes + total >= maxBytes) return true;
        return maxEntries > 0 && Entries.Count + Deleted >= maxEntries;
    }

    public void Append(StreamEntry e)
    {
        LpBytes += ListpackSize.Of(Entries.Count + 1) - ListpackSize.Of(Entries.Count);
        AddEntry(e);
        LastId = e.Id;
    }

    private void AddEntry(StreamEntry e)
    {
        bool same = SameFields(e);
        long size = ListpackSize.Of(same ? 2 : 0)
            + ListpackSize.Of(unchecked((long)(e.Id.Ms - MasterId.Ms)))
            + ListpackSize.Of(unchecked((long)(e.Id.Seq - MasterId.Seq)));
        if (!same) size += ListpackSize.Of(e.FieldCount);
        for (int i = 0; i < e.Pairs.Length; i++)
            if (!same || i % 2 == 1) size += ListpackSize.Of(e.Pairs[i]);
        size += ListpackSize.Of(3 + e.FieldCount + (same ? 0 : e.FieldCount + 1));
        LpBytes += size;
        Entries.Add(e);
    }

    private bool SameFields(StreamEntry e)
    {
        if (e.FieldCount != MasterFields.Length) return false;
        for (int i = 0; i < MasterFields.Length; i++)
            if (!MasterFields[i].AsSpan().SequenceEqual(e.Pairs[2 * i])) return false;
        return true;
    }

    /// <summary>Marks the live entry at an index deleted (it leaves the list; the node keeps its bytes, as Redis's flag).</summary>
    public void DeleteAt(int index)
    {
        int live = Entries.Count;
        LpBytes += ListpackSize.Of(live - 1) - ListpackSize.Of(live) + ListpackSize.Of(Deleted + 1) - ListpackSize.Of(Deleted);
        Entries.RemoveAt(index);
        Deleted++;
    }

    /// <summary>Marks the first <paramref name="n"/> live entries deleted (exact trimming inside a node).</summary>
    public void DeleteFirst(int n)
    {
        if (n <= 0) return;
        int live = Entries.Count;
        LpBytes += ListpackSize.Of(live - n) - ListpackSize.Of(live) + ListpackSize.Of(Deleted + n) - ListpackSize.Of(Deleted);
        Entries.RemoveRange(0, n);
        Deleted += n;
    }

    /// <summary>Index of the first live entry with ID ≥ <paramref name="id"/> (Count when none).</summary>
    public int LowerBound(StreamId id)
    {
        int lo = 0, hi = Entries.Count;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (Entries[mid].Id < id) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }
}
