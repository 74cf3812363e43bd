namespace Codis.Server.Storage.Streams;

/// <summary>
/// A stream: entries in ID order held in packed nodes cut as Redis cuts its listpack nodes (found by binary search
/// over the nodes, then by a walk inside the node, as Redis walks a listpack), the metadata Redis 7.0 keeps (last ID, entries added,
/// max deleted ID, first ID) and the consumer groups by name.
/// </summary>
internal sealed class StreamValue : IKeyValue
{
    // The live nodes are nodes[head .. head + count): trimming the oldest shifts nothing. A stream of one node keeps
    // it in `single` and has no array: most small streams never need one (one young object less each).
    private StreamNode? single;
    private StreamNode[] nodes = [];
    private int head, count;

    public string TypeName => "stream";
    public string EncodingName => "stream";

    public long Length { get; private set; }
    public StreamId LastId { get; set; }
    public StreamId FirstId { get; set; }
    public StreamId MaxDeletedId { get; set; }
    public ulong EntriesAdded { get; set; }

    /// <summary>Null until the first group is created (as Redis's lazily allocated cgroups).</summary>
    public SortedDictionary<byte[], StreamGroup>? Groups { get; private set; }

    public int NodeCount => count;

    /// <summary>The i-th node (0 = oldest).</summary>
    public StreamNode Node(int i) => single ?? nodes[head + i];

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

    private const int NodeSizeHintCap = 16 * 1024;

    private static long NodeMaxBytes(long maxBytes) => maxBytes <= 0 || maxBytes > 1L << 30 ? 1L << 30 : maxBytes;

    /// <summary>
    /// Appends an entry whose ID the caller checked is above <see cref="LastId"/>, in the node Redis would put it
    /// in (a new node once the tail one reaches stream-node-max-bytes or stream-node-max-entries).
    /// </summary>
    public void Append<T>(StreamId id, in T pairs, long maxBytes, long maxEntries) where T : struct, IStreamItems
    {
        Load(id, pairs, maxBytes, maxEntries);
        EntriesAdded++;
        LastId = id;
        if (Length == 1) FirstId = id;
    }

    /// <summary>Adds a loaded entry (RDB, RESTORE, migration) without touching the counters the payload carries.</summary>
    public void Load<T>(StreamId id, in T pairs, long maxBytes, long maxEntries) where T : struct, IStreamItems
    {
        var tail = count > 0 ? Node(count - 1) : null;
        if (tail != null && !tail.Full(pairs, NodeMaxBytes(maxBytes), maxEntries)) tail.Append(id, pairs);
        else
        {
            // The next node will likely grow as big as the last one did: start it that big (unless that one held a
            // huge entry), and trim the last one.
            PushNode(StreamNode.Create(id, pairs, Math.Min(tail?.Used ?? 0, NodeSizeHintCap)));
            tail?.Seal();
        }
        Length++;
    }

    /// <summary>Adds a node at the end (loading a saved layout; its live entries count in the length).</summary>
    public void LoadNode(StreamNode node)
    {
        PushNode(node);
        Length += node.Live;
    }

    private void PushNode(StreamNode node)
    {
        if (count == 0 && nodes.Length == 0)
        {
            single = node;
            count = 1;
            return;
        }
        if (single != null)
        {
            nodes = [single, null!];
            single = null;
            head = 0;
        }
        if (head + count == nodes.Length)
        {
            if (head > 0 && count <= nodes.Length / 2)
            {
                Array.Copy(nodes, head, nodes, 0, count);
                Array.Clear(nodes, count, head);
            }
            else
            {
                var next = new StreamNode[Math.Max(1, count * 2)];
                Array.Copy(nodes, head, next, 0, count);
                nodes = next;
            }
            head = 0;
        }
        nodes[head + count++] = node;
    }

    private void RemoveNodeAt(int i)
    {
        if (single != null)
        {
            single = null;
            count = 0;
            return;
        }
        if (i == 0)
        {
            nodes[head] = null!;
            head++;
            count--;
            if (count == 0) head = 0;
            return;
        }
        Array.Copy(nodes, head + i + 1, nodes, head + i, count - i - 1);
        nodes[head + count - 1] = null!;
        count--;
    }

    /// <summary>The last node whose master ID ≤ id, or −1.</summary>
    internal int NodeFor(StreamId id)
    {
        int lo = 0, hi = count - 1, found = -1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            if (Node(mid).MasterId <= id)
            {
                found = mid;
                lo = mid + 1;
            }
            else hi = mid - 1;
        }
        return found;
    }

    public bool TryFind(StreamId id, out StreamEntry e)
    {
        int n = NodeFor(id);
        if (n >= 0 && Node(n).LowerBound(id, out e) && e.Id == id) return true;
        e = default;
        return false;
    }

    public bool Contains(StreamId id) => TryFind(id, out _);

    /// <summary>Entries with start ≤ ID ≤ end, ascending.</summary>
    public StreamRange Range(StreamId start, StreamId end) => new(this, start, end, reverse: false);

    /// <summary>Entries with start ≤ ID ≤ end, descending from end.</summary>
    public StreamRange ReverseRange(StreamId start, StreamId end) => new(this, start, end, reverse: true);

    /// <summary>Every entry, ascending.</summary>
    public StreamRange Entries() => Range(StreamId.Min, StreamId.Max);

    public bool TryFirst(out StreamEntry e)
    {
        e = count == 0 ? default : Node(0).FirstEntry();
        return count > 0;
    }

    public bool TryLast(out StreamEntry e)
    {
        e = count == 0 ? default : Node(count - 1).LastEntry();
        return count > 0;
    }

    /// <summary>streamLastValidID: the last live entry's ID (0-0 when empty).</summary>
    public StreamId LastValidId => TryLast(out var e) ? e.Id : default;

    /// <summary>XDEL of one ID: true when it was there (first ID, max deleted ID are the caller's to update).</summary>
    public bool Delete(StreamId id)
    {
        int n = NodeFor(id);
        if (n < 0) return false;
        var node = Node(n);
        if (!node.LowerBound(id, out var e) || e.Id != id) return false;
        node.Delete(e);
        if (node.Live == 0) RemoveNodeAt(n);
        Length--;
        return true;
    }

    /// <summary>Sets the first ID after deletions as Redis does (0-0 when empty).</summary>
    public void RefreshFirstId() => FirstId = TryFirst(out var e) ? e.Id : default;

    /// <summary>
    /// streamTrim: by MAXLEN (keep at most <paramref name="maxLen"/>) or MINID (drop IDs below <paramref name="minId"/>).
    /// Whole nodes go first; <paramref name="approx"/> stops at the first node that cannot go whole, otherwise entries
    /// inside it are deleted. <paramref name="limit"/> (0 = none) caps the entries removed, counted in whole nodes.
    /// </summary>
    public long Trim(bool byMaxLen, long maxLen, StreamId minId, bool approx, long limit)
    {
        long deleted = 0;
        while (count > 0)
        {
            if (byMaxLen && Length <= maxLen) break;
            var node = Node(0);
            int entries = node.Live;
            if (limit > 0 && deleted + entries > limit) break;
            bool removeNode = byMaxLen ? Length - entries >= maxLen : node.LastId < minId;
            if (removeNode)
            {
                RemoveNodeAt(0);
                Length -= entries;
                deleted += entries;
                continue;
            }
            if (approx) break;
            int n = byMaxLen ? (int)Math.Min(entries, Length - maxLen) : CountBelow(node, minId);
            node.DeleteFirst(n);
            Length -= n;
            deleted += n;
            if (node.Live == 0) RemoveNodeAt(0);
            break;
        }
        RefreshFirstId();
        return deleted;
    }

    private static int CountBelow(StreamNode node, StreamId id)
    {
        int n = 0, o = node.EntriesStart;
        while (node.NextLive(ref o, out var e) && e.Id < id) n++;
        return n;
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
        if (single != null) copy.single = single.Copy();
        else
        {
            copy.nodes = new StreamNode[count];
            for (int i = 0; i < count; i++) copy.nodes[i] = nodes[head + i].Copy();
        }
        copy.count = count;
        if (Groups != null)
        {
            copy.Groups = new SortedDictionary<byte[], StreamGroup>(NameOrder.Instance);
            foreach (var (name, g) in Groups) copy.Groups.Add(name, g.DeepCopy());
        }
        return copy;
    }
}
