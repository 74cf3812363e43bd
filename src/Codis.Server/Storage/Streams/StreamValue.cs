namespace Codis.Server.Storage.Streams;

/// <summary>
/// A stream: entries in ID order held in nodes cut as Redis cuts its listpack nodes (found by binary search
/// over the node list, then inside the node: O(log n)), the metadata Redis 7.0 keeps (last ID, entries added,
/// max deleted ID, first ID) and the consumer groups by name.
/// </summary>
internal sealed class StreamValue : IKeyValue
{
    private readonly List<StreamNode> nodes = new();

    public string TypeName => "stream";
    public string EncodingName => "stream";

    public long Length { get; private set; }
    public StreamId LastId { get; set; }
    public StreamId FirstId { get; set; }
    public StreamId MaxDeletedId { get; set; }
    public ulong EntriesAdded { get; set; }

    /// <summary>Null until the first group is created (as Redis's lazily allocated cgroups).</summary>
    public SortedDictionary<byte[], StreamGroup>? Groups { get; private set; }

    public int NodeCount => nodes.Count;
    public IReadOnlyList<StreamNode> Nodes => nodes;

    public StreamGroup? FindGroup(byte[] name) => Groups != null && Groups.TryGetValue(name, out var g) ? g : null;

    /// <summary>Creates a group; null when one with that name exists.</summary>
    public StreamGroup? CreateGroup(byte[] name, StreamId lastId, long entriesRead)
    {
        Groups ??= new SortedDictionary<byte[], StreamGroup>(NameOrder.Instance);
        if (Groups.ContainsKey(name)) return null;
        var g = new StreamGroup(name, lastId, entriesRead);
        Groups.Add(name, g);
        return g;
    }

    public bool DestroyGroup(byte[] name) => Groups != null && Groups.Remove(name);

    public int GroupCount => Groups?.Count ?? 0;

    /// <summary>
    /// Appends an entry whose ID the caller checked is above <see cref="LastId"/>, in the node Redis would put it
    /// in (a new node once the tail one reaches stream-node-max-bytes or stream-node-max-entries).
    /// </summary>
    public void Append(StreamEntry e, long maxBytes, long maxEntries)
    {
        if (maxBytes <= 0 || maxBytes > 1L << 30) maxBytes = 1L << 30;
        if (nodes.Count > 0 && !nodes[^1].Full(e.Pairs, maxBytes, maxEntries)) nodes[^1].Append(e);
        else nodes.Add(new StreamNode(e));
        Length++;
        EntriesAdded++;
        LastId = e.Id;
        if (Length == 1) FirstId = e.Id;
    }

    /// <summary>Adds a loaded entry (RDB, RESTORE, migration) without touching the counters the payload carries.</summary>
    public void Load(StreamEntry e, long maxBytes, long maxEntries)
    {
        if (maxBytes <= 0 || maxBytes > 1L << 30) maxBytes = 1L << 30;
        if (nodes.Count > 0 && !nodes[^1].Full(e.Pairs, maxBytes, maxEntries)) nodes[^1].Append(e);
        else nodes.Add(new StreamNode(e));
        Length++;
    }

    /// <summary>Loading a saved node layout: a node with its master ID and fields (and deleted count), holding this entry first.</summary>
    public void StartNode(StreamId masterId, byte[][] masterFields, int deleted, StreamEntry first)
    {
        nodes.Add(new StreamNode(masterId, masterFields, deleted, first));
        Length++;
    }

    /// <summary>Loading a saved node layout: the next entry of the current node.</summary>
    public void AppendToLastNode(StreamEntry e)
    {
        nodes[^1].Append(e);
        Length++;
    }

    /// <summary>The last node whose master ID ≤ id, or −1.</summary>
    private int NodeFor(StreamId id)
    {
        int lo = 0, hi = nodes.Count - 1, found = -1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            if (nodes[mid].MasterId <= id)
            {
                found = mid;
                lo = mid + 1;
            }
            else hi = mid - 1;
        }
        return found;
    }

    public StreamEntry? Find(StreamId id)
    {
        int n = NodeFor(id);
        if (n < 0) return null;
        var node = nodes[n];
        int i = node.LowerBound(id);
        return i < node.Entries.Count && node.Entries[i].Id == id ? node.Entries[i] : null;
    }

    public bool Contains(StreamId id) => Find(id) != null;

    /// <summary>Entries with start ≤ ID ≤ end, ascending.</summary>
    public IEnumerable<StreamEntry> Range(StreamId start, StreamId end)
    {
        if (start > end || nodes.Count == 0) yield break;
        int n = Math.Max(0, NodeFor(start));
        int i = nodes[n].LowerBound(start);
        for (; n < nodes.Count; n++, i = 0)
        {
            var entries = nodes[n].Entries;
            for (; i < entries.Count; i++)
            {
                if (entries[i].Id > end) yield break;
                yield return entries[i];
            }
        }
    }

    /// <summary>Entries with start ≤ ID ≤ end, descending from end.</summary>
    public IEnumerable<StreamEntry> ReverseRange(StreamId start, StreamId end)
    {
        if (start > end || nodes.Count == 0) yield break;
        int n = NodeFor(end);
        if (n < 0) yield break;
        var node = nodes[n];
        int i = node.LowerBound(end);
        if (i == node.Entries.Count || node.Entries[i].Id > end) i--;
        for (; n >= 0; n--)
        {
            var entries = nodes[n].Entries;
            if (i == int.MinValue) i = entries.Count - 1;
            for (; i >= 0; i--)
            {
                if (entries[i].Id < start) yield break;
                yield return entries[i];
            }
            i = int.MinValue;
        }
    }

    public StreamEntry? First => nodes.Count == 0 ? null : nodes[0].Entries[0];
    public StreamEntry? Last => nodes.Count == 0 ? null : nodes[^1].Entries[^1];

    /// <summary>streamLastValidID: the last live entry's ID (0-0 when empty).</summary>
    public StreamId LastValidId => Last?.Id ?? default;

    /// <summary>Every entry, ascending.</summary>
    public IEnumerable<StreamEntry> Entries()
    {
        foreach (var node in nodes)
            foreach (var e in node.Entries) yield return e;
    }

    /// <summary>XDEL of one ID: true when it was there (first ID, max deleted ID are the caller's to update).</summary>
    public bool Delete(StreamId id)
    {
        int n = NodeFor(id);
        if (n < 0) return false;
        var node = nodes[n];
        int i = node.LowerBound(id);
        if (i >= node.Entries.Count || node.Entries[i].Id != id) return false;
        node.DeleteAt(i);
        if (node.Entries.Count == 0) nodes.RemoveAt(n);
        Length--;
        return true;
    }

    /// <summary>Sets the first ID after deletions as Redis does (0-0 when empty).</summary>
    public void RefreshFirstId() => FirstId = First?.Id ?? default;

    /// <summary>
    /// streamTrim: by MAXLEN (keep at most <paramref name="maxLen"/>) or MINID (drop IDs below <paramref name="minId"/>).
    /// Whole nodes go first; <paramref name="approx"/> stops at the first node that cannot go whole, otherwise entries
    /// inside it are deleted. <paramref name="limit"/> (0 = none) caps the entries removed, counted in whole nodes.
    /// </summary>
    public long Trim(bool byMaxLen, long maxLen, StreamId minId, bool approx, long limit)
    {
        long deleted = 0;
        while (nodes.Count > 0)
        {
            if (byMaxLen && Length <= maxLen) break;
            var node = nodes[0];
            int entries = node.Entries.Count;
            if (limit > 0 && deleted + entries > limit) break;
            bool removeNode = byMaxLen ? Length - entries >= maxLen : node.LastId < minId;
            if (removeNode)
            {
                nodes.RemoveAt(0);
                Length -= entries;
                deleted += entries;
                continue;
            }
            if (approx) break;
            int n = byMaxLen ? (int)Math.Min(entries, Length - maxLen) : node.LowerBound(minId);
            node.DeleteFirst(n);
            Length -= n;
            deleted += n;
            if (node.Entries.Count == 0) nodes.RemoveAt(0);
            break;
        }
        RefreshFirstId();
        return deleted;
    }

    /// <summary>
    /// streamEstimateDistanceFromFirstEverEntry: the logical read counter of an ID, or −1 when it cannot be known
    /// (the ID is between the first and last entries, in the future, or there are tombstones).
    /// </summary>
    public long EstimateDistance(StreamId id)
    {
        if (EntriesAdded == 0) return 0;
        if (Length == 0 && id <= LastId) return (long)EntriesAdded;
        int cmpLast = id.CompareTo(LastId);
        if (cmpLast == 0) return (long)EntriesAdded;
        if (cmpLast > 0) return StreamGroup.EntriesReadUnknown;
        int cmpFirst = id.CompareTo(FirstId);
        if (MaxDeletedId.IsZero || MaxDeletedId < FirstId)
        {
            if (cmpFirst < 0) return (long)EntriesAdded - Length;
            if (cmpFirst == 0) return (long)EntriesAdded - Length + 1;
        }
        return StreamGroup.EntriesReadUnknown;
    }

    /// <summary>streamRangeHasTombstones for [start, +]: whether a deletion may lie at or after start.</summary>
    public bool HasTombstonesFrom(StreamId start)
    {
        if (Length == 0 || MaxDeletedId.IsZero) return false;
        if (FirstId > MaxDeletedId) return false;
        return start <= MaxDeletedId;
    }

    /// <summary>A group's lag (entries not delivered to it yet), or null when it cannot be known.</summary>
    public long? Lag(StreamGroup g)
    {
        if (EntriesAdded == 0) return 0;
        if (g.EntriesRead != StreamGroup.EntriesReadUnknown && !HasTombstonesFrom(g.LastId)) return (long)EntriesAdded - g.EntriesRead;
        long read = EstimateDistance(g.LastId);
        return read != StreamGroup.EntriesReadUnknown ? (long)EntriesAdded - read : null;
    }

    public object DeepCopy()
    {
        var copy = new StreamValue
        {
            Length = Length,
            LastId = LastId,
            FirstId = FirstId,
            MaxDeletedId = MaxDeletedId,
            EntriesAdded = EntriesAdded,
        };
        foreach (var n in nodes) copy.nodes.Add(n.Copy());
        if (Groups != null)
        {
            copy.Groups = new SortedDictionary<byte[], StreamGroup>(NameOrder.Instance);
            foreach (var (name, g) in Groups) copy.Groups.Add(name, g.DeepCopy());
        }
        return copy;
    }
}
