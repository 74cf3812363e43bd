using System.Numerics;

namespace Codis.Server.Storage.Streams;

/// <summary>
/// A run of consecutive entries, as one listpack node of Redis's stream, packed in one byte buffer so an entry
/// costs no object of its own. The buffer holds the master fields (those of the first entry the node got), then
/// every entry ever added, deleted ones flagged in place as Redis flags them:
/// <code>
/// master:  count · (len · field bytes)×count
/// entry:   flags · ms−master.ms · seq (− master.seq when the ms are equal) · [field count] ·
///          ([len · field] · len · value)×fields · backlen
/// </code>
/// Numbers are LEB128 varints; an entry whose fields equal the master fields (flag 2, Redis's "same fields")
/// stores only its values; backlen is the entry's length written to be read from its end (7 bits a byte, the high
/// bit set on every byte but the leftmost), so the node can be walked backwards too.
/// <para>
/// The node also keeps Redis's bookkeeping: the byte size its listpack would have and its live and deleted counts,
/// which decide, as in Redis, when the next XADD starts a new node. Approximate trimming (~) works node by node, so
/// matching Redis's node boundaries keeps XTRIM ~ and XADD MAXLEN ~ giving Redis's lengths.
/// </para>
/// <para>
/// The buffer lives on the pinned object heap: a node usually lives as long as its stream, and a young array would be copied gen0 → gen1 → gen2 by pauses every client waits for (and,
/// referenced from an old node, be found through the card table by every gen0 collection). It grows by doubling;
/// a stream's next node starts with the size its previous one reached, and a node that is done growing (the stream
/// moved on to a new node) gives back its spare room, so a long stream costs about one allocation per node. (Small
/// elements left the pinned heap, whose free list is walked per allocation: <see cref="Collections.ElementBytes"/>.
/// Node buffers are few and large, so their holes are few.)
/// </para>
/// </summary>
internal sealed class StreamNode
{
    public const byte FlagDeleted = 1;
    public const byte FlagSameFields = 2;

    private const int ListpackHeader = 6 + 1; // total bytes + count, and the end byte
    /// <summary>
    /// Pinned allocations are slow (no per-thread allocation context; throttled while a background GC runs), so a
    /// node's first buffer is big enough for a few small entries: with 32 bytes, 100,000 small streams cost three
    /// allocations each and XADD twice the CPU.
    /// </summary>
    private const int MinCapacity = 128;

    private byte[] buf;
    private int used;
    private int entriesStart;

    /// <summary>Offset of the first live entry (<see cref="Used"/> when none): trimmed heads are not walked again.</summary>
    private int firstLive;

    public StreamId MasterId { get; }
    public int MasterFieldCount { get; }

    /// <summary>The greatest ID ever added here (deleted or not).</summary>
    public StreamId LastId { get; private set; }

    public int Live { get; private set; }
    public int Deleted { get; private set; }

    /// <summary>What lpBytes would be for this node in Redis.</summary>
    public long LpBytes { get; private set; }

    public int Used => used;
    public int EntriesStart => entriesStart;
    internal byte[] Buffer => buf;

    private StreamNode(StreamId masterId, int masterFieldCount, int capacity)
    {
        MasterId = masterId;
        MasterFieldCount = masterFieldCount;
        buf = Allocate(capacity);
    }

    /// <summary>A node whose master fields are the fields of its first entry (XADD, loading without a layout).</summary>
    public static StreamNode Create<T>(StreamId id, in T pairs, int capacityHint = 0) where T : struct, IStreamItems
    {
        var fields = new FieldsOf<T>(pairs);
        var node = WithMaster(id, fields, Math.Max(capacityHint, MasterSize(fields) + EntrySize(pairs, same: true, 0, 0) + 4));
        node.AddEntry(id, pairs, FlagSameFields, countBump: false);
        return node;
    }

    /// <summary>An empty node with the given master ID and fields, as loaded (entries follow with <see cref="AppendLoaded{T}"/>).</summary>
    public static StreamNode WithMaster<TFields>(StreamId masterId, in TFields fields, int capacityHint) where TFields : struct, IStreamItems
    {
        var node = new StreamNode(masterId, fields.Count, capacityHint);
        int p = WriteVar(node.buf, 0, (ulong)fields.Count);
        long lp = ListpackHeader + ListpackSize.Of(0) + ListpackSize.Of(0) + ListpackSize.Of(fields.Count) + ListpackSize.Of(0);
        for (int i = 0; i < fields.Count; i++)
        {
            var f = fields[i];
            p = WriteVar(node.buf, p, (ulong)f.Length);
            f.CopyTo(node.buf.AsSpan(p));
            p += f.Length;
            lp += ListpackSize.Of(f);
        }
        node.used = node.entriesStart = node.firstLive = p;
        node.LpBytes = lp;
        return node;
    }

    private StreamNode(StreamNode other)
    {
        MasterId = other.MasterId;
        MasterFieldCount = other.MasterFieldCount;
        LastId = other.LastId;
        LpBytes = other.LpBytes;
        Live = other.Live;
        Deleted = other.Deleted;
        used = other.used;
        entriesStart = other.entriesStart;
        firstLive = other.firstLive;
        buf = other.buf;
        shared = other.shared = true;
    }

    /// <summary>
    /// A copy sharing this node's buffer until either side writes to it (COPY, and the keyspace snapshot every
    /// BGSAVE and AOF rewrite takes under the lock: copying only the node objects keeps that moment short).
    /// </summary>
    public StreamNode Copy() => new(this);

    /// <summary>Whether the buffer may be another node's too: the first write takes a private copy.</summary>
    private bool shared;

    private void Unshare()
    {
        if (!shared) return;
        var own = Allocate(buf.Length);
        buf.AsSpan(0, used).CopyTo(own);
        buf = own;
        shared = false;
    }

    private static byte[] Allocate(int size) =>
        GC.AllocateUninitializedArray<byte>(Math.Max(MinCapacity, size), pinned: true);

    /// <summary>streamAppendItem's test for starting a new node before adding an entry of these pairs.</summary>
    public bool Full<T>(in T pairs, long maxBytes, long maxEntries) where T : struct, IStreamItems
    {
        long total = 0;
        for (int i = 0; i < pairs.Count; i++) total += pairs[i].Length;
        if (LpBytes + total >= maxBytes) return true;
        return maxEntries > 0 && Live + Deleted >= maxEntries;
    }

    /// <summary>Appends a live entry with an ID above every ID here.</summary>
    public void Append<T>(StreamId id, in T pairs) where T : struct, IStreamItems =>
        AddEntry(id, pairs, SameFields(pairs) ? FlagSameFields : (byte)0, countBump: true);

    /// <summary>Appends an entry as a payload had it (possibly deleted); the caller sets <see cref="LpBytes"/> after the last one.</summary>
    public void AppendLoaded<T>(StreamId id, in T pairs, bool deleted) where T : struct, IStreamItems
    {
        byte flags = (byte)((SameFields(pairs) ? FlagSameFields : 0) | (deleted ? FlagDeleted : 0));
        bool noneLive = Live == 0;
        int at = used;
        WriteEntry(id, pairs, flags);
        if (deleted)
        {
            Live--;
            Deleted++;
            if (noneLive) firstLive = used;
        }
        else if (noneLive) firstLive = at;
        if (id > LastId) LastId = id;
    }

    /// <summary>Sets the listpack size a payload's node had (its exact lpBytes).</summary>
    public void SetLoadedSize(long lpBytes) => LpBytes = lpBytes;

    private void AddEntry<T>(StreamId id, in T pairs, byte flags, bool countBump) where T : struct, IStreamItems
    {
        bool same = (flags & FlagSameFields) != 0;
        int fieldCount = pairs.Count / 2;
        if (countBump) LpBytes += ListpackSize.Of(Live + 1) - ListpackSize.Of(Live);
        long size = ListpackSize.Of(same ? FlagSameFields : 0)
            + ListpackSize.Of(unchecked((long)(id.Ms - MasterId.Ms)))
            + ListpackSize.Of(unchecked((long)(id.Seq - MasterId.Seq)));
        if (!same) size += ListpackSize.Of(fieldCount);
        for (int i = 0; i < pairs.Count; i++)
            if (!same || (i & 1) == 1) size += ListpackSize.Of(pairs[i]);
        size += ListpackSize.Of(3 + fieldCount + (same ? 0 : fieldCount + 1));
        LpBytes += size;
        int at = used;
        WriteEntry(id, pairs, flags);
        if (Live == 1) firstLive = at;
        LastId = id;
    }

    /// <summary>Encodes an entry at the end (growing the buffer) and counts it live.</summary>
    private void WriteEntry<T>(StreamId id, in T pairs, byte flags) where T : struct, IStreamItems
    {
        bool same = (flags & FlagSameFields) != 0;
        ulong msDelta = unchecked(id.Ms - MasterId.Ms);
        ulong seq = msDelta == 0 ? unchecked(id.Seq - MasterId.Seq) : id.Seq;
        int body = EntrySize(pairs, same, msDelta, seq);
        int total = body + VarSize((ulong)body);
        if (buf.Length - used < total) Grow(total);
        else Unshare(); // appending writes past `used`, where a sharing copy may have appended too
        int p = used;
        buf[p++] = flags;
        p = WriteVar(buf, p, msDelta);
        p = WriteVar(buf, p, seq);
        if (!same) p = WriteVar(buf, p, (ulong)(pairs.Count / 2));
        for (int i = 0; i < pairs.Count; i++)
        {
            if (same && (i & 1) == 0) continue;
            var item = pairs[i];
            p = WriteVar(buf, p, (ulong)item.Length);
            item.CopyTo(buf.AsSpan(p));
            p += item.Length;
        }
        p = WriteBacklen(buf, p, (ulong)body);
        used = p;
        Live++;
    }

    /// <summary>The stream started a new node after this one: drop the spare room (more than an eighth) growth left.</summary>
    public void Seal()
    {
        int size = Math.Max(MinCapacity, used);
        if (buf.Length - size <= size / 8) return;
        var exact = Allocate(size);
        buf.AsSpan(0, used).CopyTo(exact);
        buf = exact;
        shared = false;
    }

    private void Grow(int need)
    {
        long size = Math.Max((long)used + need, (long)buf.Length * 2);
        var next = Allocate((int)Math.Min(size, Array.MaxLength));
        buf.AsSpan(0, used).CopyTo(next);
        buf = next;
        shared = false;
    }

    /// <summary>Bytes of an entry's body (flags through its last item), backlen excluded.</summary>
    private static int EntrySize<T>(in T pairs, bool same, ulong msDelta, ulong seq) where T : struct, IStreamItems
    {
        long size = 1 + VarSize(msDelta) + VarSize(seq);
        if (!same) size += VarSize((ulong)(pairs.Count / 2));
        for (int i = 0; i < pairs.Count; i++)
        {
            if (same && (i & 1) == 0) continue;
            int len = pairs[i].Length;
            size += VarSize((ulong)len) + len;
        }
        return (int)Math.Min(size, Array.MaxLength - 16);
    }

    private static int MasterSize<T>(in T fields) where T : struct, IStreamItems
    {
        int size = VarSize((ulong)fields.Count);
        for (int i = 0; i < fields.Count; i++) size += VarSize((ulong)fields[i].Length) + fields[i].Length;
        return size;
    }

    private bool SameFields<T>(in T pairs) where T : struct, IStreamItems
    {
        if (pairs.Count / 2 != MasterFieldCount) return false;
        int p = 0;
        ReadVar(buf, ref p);
        for (int i = 0; i < MasterFieldCount; i++)
        {
            int len = (int)ReadVar(buf, ref p);
            if (!buf.AsSpan(p, len).SequenceEqual(pairs[2 * i])) return false;
            p += len;
        }
        return true;
    }

    /// <summary>Decodes the entry at an offset: its flags, ID, field count and where its items start.</summary>
    public byte ReadHeader(int offset, out StreamId id, out int fieldCount, out int items)
    {
        int p = offset;
        byte flags = buf[p++];
        ulong msDelta = ReadVar(buf, ref p);
        ulong seq = ReadVar(buf, ref p);
        id = msDelta == 0 ? new StreamId(MasterId.Ms, unchecked(MasterId.Seq + seq)) : new StreamId(unchecked(MasterId.Ms + msDelta), seq);
        fieldCount = (flags & FlagSameFields) != 0 ? MasterFieldCount : (int)ReadVar(buf, ref p);
        items = p;
        return flags;
    }

    /// <summary>Offset just past the entry at <paramref name="offset"/> (its backlen included).</summary>
    public int EntryEnd(int offset)
    {
        byte flags = ReadHeader(offset, out _, out int fieldCount, out int p);
        bool same = (flags & FlagSameFields) != 0;
        for (int i = 0; i < fieldCount; i++)
        {
            if (!same)
            {
                int fl = (int)ReadVar(buf, ref p);
                p += fl;
            }
            int vl = (int)ReadVar(buf, ref p);
            p += vl;
        }
        return p + VarSize((ulong)(p - offset));
    }

    /// <summary>Offset of the entry that ends at <paramref name="end"/> (read from its backlen).</summary>
    public int EntryStartBefore(int end)
    {
        int p = end - 1;
        byte b = buf[p];
        ulong v = (ulong)(b & 0x7F);
        int shift = 7;
        while ((b & 0x80) != 0)
        {
            b = buf[--p];
            v |= (ulong)(b & 0x7F) << shift;
            shift += 7;
        }
        return p - (int)v;
    }

    /// <summary>The next live entry at or after <paramref name="offset"/>, moving it past that entry.</summary>
    public bool NextLive(ref int offset, out StreamEntry e)
    {
        if (offset < firstLive) offset = firstLive;
        while (offset < used)
        {
            int at = offset;
            byte flags = ReadHeader(at, out var id, out _, out _);
            offset = EntryEnd(at);
            if ((flags & FlagDeleted) != 0) continue;
            e = new StreamEntry(this, at, id);
            return true;
        }
        e = default;
        return false;
    }

    /// <summary>The last live entry ending at or before <paramref name="end"/>, moving it to that entry's start.</summary>
    public bool PrevLive(ref int end, out StreamEntry e)
    {
        while (end > firstLive)
        {
            int at = EntryStartBefore(end);
            end = at;
            byte flags = ReadHeader(at, out var id, out _, out _);
            if ((flags & FlagDeleted) != 0) continue;
            e = new StreamEntry(this, at, id);
            return true;
        }
        e = default;
        return false;
    }

    public StreamEntry FirstEntry()
    {
        int o = firstLive;
        NextLive(ref o, out var e);
        return e;
    }

    public StreamEntry LastEntry()
    {
        int o = used;
        PrevLive(ref o, out var e);
        return e;
    }

    /// <summary>The first live entry with ID ≥ <paramref name="id"/>; false when there is none here.</summary>
    public bool LowerBound(StreamId id, out StreamEntry e)
    {
        int o = firstLive;
        while (NextLive(ref o, out e))
            if (e.Id >= id) return true;
        return false;
    }

    /// <summary>Flags a live entry deleted (its bytes stay, as Redis's flag).</summary>
    public void Delete(in StreamEntry e)
    {
        Unshare();
        buf[e.Offset] |= FlagDeleted;
        LpBytes += ListpackSize.Of(Live - 1) - ListpackSize.Of(Live) + ListpackSize.Of(Deleted + 1) - ListpackSize.Of(Deleted);
        Live--;
        Deleted++;
        if (e.Offset == firstLive)
        {
            int o = firstLive;
            firstLive = NextLive(ref o, out var next) ? next.Offset : used;
        }
    }

    /// <summary>Flags the first <paramref name="n"/> live entries deleted (exact trimming inside a node).</summary>
    public void DeleteFirst(int n)
    {
        if (n <= 0) return;
        Unshare();
        int live = Live;
        int o = firstLive, flagged = 0;
        while (flagged < n && NextLive(ref o, out var e))
        {
            buf[e.Offset] |= FlagDeleted;
            flagged++;
        }
        LpBytes += ListpackSize.Of(live - flagged) - ListpackSize.Of(live) + ListpackSize.Of(Deleted + flagged) - ListpackSize.Of(Deleted);
        Live -= flagged;
        Deleted += flagged;
        int f = o;
        firstLive = NextLive(ref f, out var first) ? first.Offset : used;
    }

    /// <summary>The master fields, in order.</summary>
    public MasterReader MasterFields() => new(buf, MasterFieldCount);

    /// <summary>Walks the master fields region of a node buffer.</summary>
    public ref struct MasterReader
    {
        private readonly ReadOnlySpan<byte> buf;
        private int p, left;

        internal MasterReader(ReadOnlySpan<byte> buf, int count)
        {
            this.buf = buf;
            p = 0;
            ReadVar(buf, ref p);
            left = count;
        }

        public ReadOnlySpan<byte> Current { get; private set; }

        public bool MoveNext()
        {
            if (left == 0) return false;
            left--;
            int len = (int)ReadVar(buf, ref p);
            Current = buf.Slice(p, len);
            p += len;
            return true;
        }

        public readonly MasterReader GetEnumerator() => this;
    }

    internal static int VarSize(ulong v) => (BitOperations.Log2(v | 1) / 7) + 1;

    internal static int WriteVar(Span<byte> s, int p, ulong v)
    {
        while (v >= 0x80)
        {
            s[p++] = (byte)(v | 0x80);
            v >>= 7;
        }
        s[p++] = (byte)v;
        return p;
    }

    internal static ulong ReadVar(ReadOnlySpan<byte> s, ref int p)
    {
        ulong v = 0;
        int shift = 0;
        byte b;
        do
        {
            b = s[p++];
            v |= (ulong)(b & 0x7F) << shift;
            shift += 7;
        }
        while ((b & 0x80) != 0);
        return v;
    }

    /// <summary>A length read from its end: the low 7 bits last, the high bit set on every byte but the leftmost.</summary>
    private static int WriteBacklen(Span<byte> s, int p, ulong v)
    {
        int k = VarSize(v);
        for (int j = 0; j < k; j++)
        {
            int g = k - 1 - j;
            s[p + j] = (byte)(((v >> (7 * g)) & 0x7F) | (j > 0 ? 0x80u : 0u));
        }
        return p + k;
    }
}
