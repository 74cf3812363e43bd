using Codis.Server.Storage.Collections;

namespace Codis.Server.Storage.SortedSets;

/// <summary>A score interval; exclusive ends come from "(" in the command.</summary>
internal readonly record struct ScoreRange(double Min, bool MinExclusive, double Max, bool MaxExclusive)
{
    public bool AboveMin(double s) => MinExclusive ? s > Min : s >= Min;
    public bool BelowMax(double s) => MaxExclusive ? s < Max : s <= Max;
    public bool IsEmpty => Min > Max || (Min == Max && (MinExclusive || MaxExclusive));
}

/// <summary>A member interval for the *LEX commands: "-" and "+" are the open ends, "[" inclusive, "(" exclusive.</summary>
internal readonly record struct LexRange(byte[] Min, bool MinExclusive, bool MinOpen, byte[] Max, bool MaxExclusive, bool MaxOpen)
{
    public bool AboveMin(ReadOnlySpan<byte> m)
    {
        if (MinOpen) return true;
        int c = m.SequenceCompareTo(Min);
        return MinExclusive ? c > 0 : c >= 0;
    }

    public bool BelowMax(ReadOnlySpan<byte> m)
    {
        if (MaxOpen) return true;
        int c = m.SequenceCompareTo(Max);
        return MaxExclusive ? c < 0 : c <= 0;
    }

    public bool IsEmpty
    {
        get
        {
            if (MinOpen || MaxOpen) return false;
            int c = Min.AsSpan().SequenceCompareTo(Max);
            return c > 0 || (c == 0 && (MinExclusive || MaxExclusive));
        }
    }
}

/// <summary>
/// A sorted set. While Redis would hold it as a "listpack" (at most zset-max-listpack-entries members, none longer
/// than zset-max-listpack-value) its (member, score) pairs are packed end to end in one array in (score, member)
/// order (<see cref="ZSetListpack"/>) and searched linearly, as Redis searches its listpack; a node is then the byte
/// offset of its entry + 1. Past those limits it becomes a member → score table and a <see cref="SkipList"/>
/// ordered the same way, and reports "skiplist"; it never goes back, as in Redis. Both orders are the same, so only
/// OBJECT ENCODING, ZSCAN's paging and DUMP's encoding depend on it. (Two arrays of scores and of member arrays cost
/// 362 bytes a key for 3 members, redis-server 106; a table and a skip list 993.)
/// </summary>
internal sealed class SortedSetValue : IKeyValue
{
    // the listpack form (null once converted)
    private byte[]? packed;
    private int packedUsed;
    private int packedCount;
    // the skiplist form (null while packed)
    private ElementTable<double>? scores;
    private SkipList? list;

    public SortedSetValue(bool listpack)
    {
        if (listpack) packed = [];
        else
        {
            scores = new ElementTable<double>();
            list = new SkipList(scores);
        }
    }

    /// <summary>An empty set in the encoding ZADD picks for a new key from its first member (7.0's zaddGenericCommand).</summary>
    public static SortedSetValue CreateFor(int firstMemberLength, CollectionLimits limits) =>
        new(limits.ZSetMaxListpackEntries > 0 && firstMemberLength <= limits.ZSetMaxListpackValue);

    public string TypeName => "zset";
    public string EncodingName => IsListpack ? "listpack" : "skiplist";
    public bool IsListpack => packed != null;
    public int Count => packed != null ? packedCount : scores!.Count;

    /// <summary>Bytes of the listpack's array, 0 for a skiplist (MEMORY USAGE).</summary>
    public int PackedBytes => packed?.Length ?? 0;

    /// <summary>The member table of the skiplist form (ZSCAN pages it by entry index, migration chunks snapshot it).</summary>
    public ElementTable<double> Table => scores ?? throw new InvalidOperationException("a listpack sorted set has no member table");

    // A node of the ordered index is an int (0 = none): the first, last, next and previous in (score, member) order.
    // A listpack's node is valid until the set changes.
    public int First => packed != null ? (packedUsed > 0 ? 1 : 0) : list!.First;

    /// <summary>Tests: the skip list's links agree with its nodes.</summary>
    internal void CheckLinks() => list?.CheckLinks();
    public int Last => packed != null ? (packedUsed > 0 ? ZSetListpack.Before(packed, packedUsed) + 1 : 0) : list!.Last;

    public int Next(int node)
    {
        if (packed == null) return list!.Next(node);
        int next = ZSetListpack.Skip(packed, node - 1);
        return next < packedUsed ? next + 1 : 0;
    }

    public int Prev(int node)
    {
        if (packed == null) return list!.Prev(node);
        return node > 1 ? ZSetListpack.Before(packed, node - 1) + 1 : 0;
    }

    public double ScoreOf(int node)
    {
        if (packed == null) return list!.ScoreOf(node);
        int m = ZSetListpack.Member(packed, node - 1, out int len);
        return ZSetListpack.Score(packed, m + len, out _);
    }

    /// <summary>The member of a node, as a span valid until the set changes.</summary>
    public ReadOnlySpan<byte> MemberSpan(int node)
    {
        if (packed == null) return list!.MemberOf(node);
        int m = ZSetListpack.Member(packed, node - 1, out int len);
        return packed.AsSpan(m, len);
    }

    /// <summary>The member of a node (a copy for a listpack).</summary>
    public byte[] MemberOf(int node) => packed != null ? MemberSpan(node).ToArray() : list!.MemberOf(node);

    /// <summary>Room for <paramref name="count"/> members (a skiplist when that is past the listpack's limit).</summary>
    public void Reserve(int count)
    {
        if (packed != null)
        {
            if (count <= CollectionLimits.Current.ZSetMaxListpackEntries) return;
            ConvertToSkipList();
        }
        scores!.Reserve(count);
        list!.Reserve(count);
    }

    // ---- the listpack ----

    /// <summary>The byte offset of the entry holding <paramref name="member"/> (-1 when absent), and its score.</summary>
    private int PackedFind(ReadOnlySpan<byte> member, out double score)
    {
        var b = packed!;
        for (int pos = 0; pos < packedUsed;)
        {
            int m = ZSetListpack.Member(b, pos, out int len);
            if (len == member.Length && member.SequenceEqual(b.AsSpan(m, len)))
            {
                score = ZSetListpack.Score(b, m + len, out _);
                return pos;
            }
            pos = ZSetListpack.Skip(b, pos);
        }
        score = 0;
        return -1;
    }

    /// <summary>Where (score, member) goes in the packed order: before the first larger pair.</summary>
    private int PackedInsertionPoint(double score, ReadOnlySpan<byte> member)
    {
        var b = packed!;
        int pos = 0;
        while (pos < packedUsed)
        {
            int next = ZSetListpack.Read(b, pos, out int m, out int len, out double s);
            if (s > score || (s == score && b.AsSpan(m, len).SequenceCompareTo(member) > 0)) break;
            pos = next;
        }
        return pos;
    }

    /// <summary>Replaces <paramref name="oldSize"/> bytes at <paramref name="pos"/> by a gap of <paramref name="newSize"/>.</summary>
    private void Splice(int pos, int oldSize, int newSize)
    {
        var b = packed!;
        int tail = packedUsed - (pos + oldSize);
        int used = packedUsed - oldSize + newSize;
        // .NET rounds an array up to 8 bytes: sizes that are multiples of 8 waste nothing. Growth by half keeps the
        // slack of a many-member set small; a set that shrank to a quarter gives its room back.
        if (used > b.Length || (b.Length > 64 && used < b.Length / 4))
        {
            int size = used > b.Length ? Math.Max(used, Math.Max(16, b.Length + b.Length / 2)) : used + used / 2;
            var resized = GC.AllocateUninitializedArray<byte>((size + 7) & ~7);
            b.AsSpan(0, pos).CopyTo(resized);
            b.AsSpan(pos + oldSize, tail).CopyTo(resized.AsSpan(pos + newSize));
            packed = resized;
        }
        else b.AsSpan(pos + oldSize, tail).CopyTo(b.AsSpan(pos + newSize));
        packedUsed = used;
    }

    private void PackedInsert(int pos, ReadOnlySpan<byte> member, double score)
    {
        int size = ZSetListpack.EntrySize(member.Length, score);
        Splice(pos, 0, size);
        ZSetListpack.Write(packed.AsSpan(pos), member, score);
        packedCount++;
    }

    private void PackedRemoveAt(int pos)
    {
        Splice(pos, ZSetListpack.Skip(packed!, pos) - pos, 0);
        packedCount--;
    }

    private void ConvertToSkipList()
    {
        var b = packed!;
        var table = new ElementTable<double>(packedCount);
        var index = new SkipList(table);
        for (int pos = 0; pos < packedUsed;)
        {
            pos = ZSetListpack.Read(b, pos, out int m, out int len, out double s);
            index.Insert(table.Add(ElementBytes.Copy(b.AsSpan(m, len)), s), s);
        }
        scores = table;
        list = index;
        packed = null;
        packedUsed = packedCount = 0;
    }

    // ---- the sorted set ----

    public bool TryGetScore(ReadOnlySpan<byte> member, out double score) =>
        packed != null ? PackedFind(member, out score) >= 0 : scores!.TryGetValue(member, out score);

    /// <summary>Adds a member or changes its score; returns true when it was new.</summary>
    public bool Set(ReadOnlySpan<byte> member, double score, CollectionLimits limits)
    {
        if (packed != null)
        {
            int at = PackedFind(member, out double old);
            if (at < 0 && (packedCount + 1 > limits.ZSetMaxListpackEntries || member.Length > limits.ZSetMaxListpackValue))
                ConvertToSkipList();
            else
            {
                if (at >= 0)
                {
                    // A listpack stores an integral score as an integer, so -0 comes back as 0 (the skiplist keeps -0).
                    if (old == score) return false;
                    // the member moves: copy it out of the array before its entry goes
                    Span<byte> copy = member.Length <= 256 ? stackalloc byte[member.Length] : new byte[member.Length];
                    member.CopyTo(copy);
                    PackedRemoveAt(at);
                    PackedInsert(PackedInsertionPoint(score, copy), copy, score);
                    return false;
                }
                PackedInsert(PackedInsertionPoint(score, member), member, score);
                return true;
            }
        }
        int i = scores!.Find(member);
        if (i >= 0)
        {
            ref double current = ref scores.ValueAt(i);
            if (current != score)
            {
                list!.UpdateScore(i, score);
                current = score;
            }
            return false;
        }
        list!.Insert(scores.Add(ElementBytes.Copy(member), score), score);
        return true;
    }

    public bool Remove(ReadOnlySpan<byte> member)
    {
        if (packed != null)
        {
            int at = PackedFind(member, out _);
            if (at < 0) return false;
            PackedRemoveAt(at);
            return true;
        }
        int i = scores!.Find(member);
        if (i < 0) return false;
        list!.Delete(scores.ValueAt(i), member);
        scores.RemoveAt(i);
        return true;
    }

    /// <summary>0-based rank from the lowest score (or the highest when <paramref name="reverse"/>), -1 when absent.</summary>
    public long Rank(ReadOnlySpan<byte> member, bool reverse)
    {
        long r;
        if (packed != null)
        {
            r = -1;
            long i = 0;
            for (int pos = 0; pos < packedUsed; pos = ZSetListpack.Skip(packed, pos), i++)
            {
                int m = ZSetListpack.Member(packed, pos, out int len);
                if (len == member.Length && member.SequenceEqual(packed.AsSpan(m, len)))
                {
                    r = i;
                    break;
                }
            }
            if (r < 0) return -1;
        }
        else
        {
            if (!scores!.TryGetValue(member, out double score)) return -1;
            r = list!.Rank(score, member) - 1;
        }
        return reverse ? Count - 1 - r : r;
    }

    /// <summary>The node at a 0-based rank from the lowest score (0 = none).</summary>
    public int ByRank(long rank)
    {
        if (packed == null) return list!.ByRank(rank + 1);
        if (rank < 0 || rank >= packedCount) return 0;
        // from the nearer end
        if (rank > packedCount / 2)
        {
            int node = Last;
            for (long i = packedCount - 1; i > rank; i--) node = Prev(node);
            return node;
        }
        int pos = 0;
        for (long i = 0; i < rank; i++) pos = ZSetListpack.Skip(packed, pos);
        return pos + 1;
    }

    /// <summary>A random member and its score (ZRANDMEMBER).</summary>
    public (byte[] Member, double Score) RandomEntry(Random random)
    {
        if (packed != null)
        {
            int node = ByRank(random.Next(packedCount));
            return (MemberOf(node), ScoreOf(node));
        }
        int at = scores!.RandomIndex(random);
        return (scores.KeyAt(at), scores.ValueAt(at));
    }

    private readonly struct BelowMin(ScoreRange r) : SkipList.ITest
    {
        public bool Holds(double score, byte[] member) => !r.AboveMin(score);
    }

    private readonly struct NotAboveMax(ScoreRange r) : SkipList.ITest
    {
        public bool Holds(double score, byte[] member) => r.BelowMax(score);
    }

    private readonly struct BelowLexMin(LexRange r) : SkipList.ITest
    {
        public bool Holds(double score, byte[] member) => !r.AboveMin(member);
    }

    private readonly struct NotAboveLexMax(LexRange r) : SkipList.ITest
    {
        public bool Holds(double score, byte[] member) => r.BelowMax(member);
    }

    /// <summary>The first node inside the range, 0 when none is.</summary>
    public int FirstInRange(ScoreRange r)
    {
        if (packed == null)
        {
            int n = list!.FirstWhere(new BelowMin(r));
            return n != 0 && r.BelowMax(ScoreOf(n)) ? n : 0;
        }
        for (int pos = 0; pos < packedUsed;)
        {
            int next = ZSetListpack.Read(packed, pos, out _, out _, out double s);
            if (r.AboveMin(s)) return r.BelowMax(s) ? pos + 1 : 0;
            pos = next;
        }
        return 0;
    }

    public int LastInRange(ScoreRange r)
    {
        if (packed == null)
        {
            int n = list!.LastWhere(new NotAboveMax(r));
            return n != 0 && r.AboveMin(ScoreOf(n)) ? n : 0;
        }
        for (int node = Last; node != 0; node = Prev(node))
        {
            double s = ScoreOf(node);
            if (r.BelowMax(s)) return r.AboveMin(s) ? node : 0;
        }
        return 0;
    }

    public int FirstInRange(LexRange r)
    {
        if (packed == null)
        {
            int n = list!.FirstWhere(new BelowLexMin(r));
            return n != 0 && r.BelowMax(MemberOf(n)) ? n : 0;
        }
        for (int pos = 0; pos < packedUsed; pos = ZSetListpack.Skip(packed, pos))
        {
            int m = ZSetListpack.Member(packed, pos, out int len);
            var member = packed.AsSpan(m, len);
            if (r.AboveMin(member)) return r.BelowMax(member) ? pos + 1 : 0;
        }
        return 0;
    }

    public int LastInRange(LexRange r)
    {
        if (packed == null)
        {
            int n = list!.LastWhere(new NotAboveLexMax(r));
            return n != 0 && r.AboveMin(MemberOf(n)) ? n : 0;
        }
        for (int node = Last; node != 0; node = Prev(node))
        {
            var member = MemberSpan(node);
            if (r.BelowMax(member)) return r.AboveMin(member) ? node : 0;
        }
        return 0;
    }

    public long RankOf(int node)
    {
        if (packed == null) return list!.Rank(list.ScoreOf(node), list.MemberOf(node)) - 1;
        long r = 0;
        for (int pos = 0; pos < node - 1; pos = ZSetListpack.Skip(packed, pos)) r++;
        return r;
    }

    /// <summary>Removes a node reached by a walk (pops, ranges).</summary>
    public void Remove(int node)
    {
        if (packed != null)
        {
            PackedRemoveAt(node - 1);
            return;
        }
        list!.Delete(list.ScoreOf(node), list.MemberOf(node));
        scores!.RemoveAt(node - 1);
    }

    /// <summary>Members in score order.</summary>
    public IEnumerable<(byte[] Member, double Score)> Entries()
    {
        if (packed != null)
        {
            // by position: the caller may not change the set while it walks
            for (int pos = 0; pos < packedUsed;)
            {
                pos = ZSetListpack.Read(packed, pos, out int m, out int len, out double s);
                yield return (packed.AsSpan(m, len).ToArray(), s);
            }
            yield break;
        }
        for (int n = list!.First; n != 0; n = list.Next(n)) yield return (list.MemberOf(n), list.ScoreOf(n));
    }

    /// <summary>
    /// A sorted set of loaded or computed entries (distinct members), encoded as Redis would after loading or storing
    /// it. <paramref name="addedInOrder"/>: as ZRANGESTORE, which adds them one by one to a listpack when their count
    /// fits, so the ones added before a long member converts it have a -0 score stored as 0.
    /// </summary>
    public static SortedSetValue From(IReadOnlyCollection<(byte[] Member, double Score)> entries, CollectionLimits limits, bool addedInOrder = false)
    {
        bool small = entries.Count <= limits.ZSetMaxListpackEntries;
        if (small)
            foreach (var (m, _) in entries)
                if (m.Length > limits.ZSetMaxListpackValue)
                {
                    small = false;
                    break;
                }
        var z = new SortedSetValue(small);
        if (small)
        {
            // sorted once and appended: inserting one by one would be quadratic
            var sorted = entries.ToArray();
            Array.Sort(sorted, static (a, b) => SkipList.Compare(a.Score, a.Member, b.Score, b.Member));
            int size = 0;
            foreach (var (m, s) in sorted) size += ZSetListpack.EntrySize(m.Length, s);
            z.packed = new byte[size];
            foreach (var (m, s) in sorted) z.packedUsed += ZSetListpack.Write(z.packed.AsSpan(z.packedUsed), m, s);
            z.packedCount = sorted.Length;
            return z;
        }
        z.scores!.Reserve(entries.Count);
        z.list!.Reserve(entries.Count);
        bool packedSoFar = addedInOrder && entries.Count <= limits.ZSetMaxListpackEntries;
        foreach (var (m, s) in entries)
        {
            if (m.Length > limits.ZSetMaxListpackValue) packedSoFar = false;
            z.Set(m, packedSoFar && s == 0 ? 0 : s, limits);
        }
        return z;
    }

    public object DeepCopy()
    {
        if (packed == null)
            return From(Entries().ToList(), new CollectionLimits { ZSetMaxListpackEntries = -1 });
        return new SortedSetValue(true) { packed = packed.AsSpan(0, packedUsed).ToArray(), packedUsed = packedUsed, packedCount = packedCount };
    }
}
