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
/// than zset-max-listpack-value) it is two arrays sorted by (score, member), searched linearly as Redis searches its
/// listpack; a node is then a position + 1. Past those limits it becomes a member → score table and a
/// <see cref="SkipList"/> ordered the same way, and reports "skiplist"; it never goes back, as in Redis. Both
/// orders are the same, so only OBJECT ENCODING, ZSCAN's paging and DUMP's encoding depend on it. (A table and a
/// skip list for every small set cost 993 bytes for 3 members, redis-server 106.)
/// </summary>
internal sealed class SortedSetValue : IKeyValue
{
    // the listpack form (null once converted)
    private double[]? packedScores;
    private byte[][]? packedMembers;
    private int packedCount;
    // the skiplist form (null while packed)
    private ElementTable<double>? scores;
    private SkipList? list;

    public SortedSetValue(bool listpack)
    {
        if (listpack)
        {
            packedScores = new double[2];
            packedMembers = new byte[2][];
        }
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
    public bool IsListpack => packedMembers != null;
    public int Count => packedMembers != null ? packedCount : scores!.Count;

    /// <summary>The member table of the skiplist form (ZSCAN pages it by entry index, migration chunks snapshot it).</summary>
    public ElementTable<double> Table => scores ?? throw new InvalidOperationException("a listpack sorted set has no member table");

    // A node of the ordered index is an int (0 = none): the first, last, next and previous in (score, member) order.
    public int First => packedMembers != null ? (packedCount > 0 ? 1 : 0) : list!.First;

    /// <summary>Tests: the skip list's links agree with its nodes.</summary>
    internal void CheckLinks() => list?.CheckLinks();
    public int Last => packedMembers != null ? packedCount : list!.Last;
    public int Next(int node) => packedMembers != null ? (node < packedCount ? node + 1 : 0) : list!.Next(node);
    public int Prev(int node) => packedMembers != null ? node - 1 : list!.Prev(node);
    public double ScoreOf(int node) => packedMembers != null ? packedScores![node - 1] : list!.ScoreOf(node);
    public byte[] MemberOf(int node) => packedMembers != null ? packedMembers[node - 1] : list!.MemberOf(node);

    /// <summary>Room for <paramref name="count"/> members (a skiplist when that is past the listpack's limit).</summary>
    public void Reserve(int count)
    {
        if (packedMembers != null)
        {
            if (count <= CollectionLimits.Current.ZSetMaxListpackEntries) return;
            ConvertToSkipList();
        }
        scores!.Reserve(count);
        list!.Reserve(count);
    }

    private int PackedFind(ReadOnlySpan<byte> member)
    {
        var m = packedMembers!;
        for (int i = 0; i < packedCount; i++)
            if (member.SequenceEqual(m[i])) return i;
        return -1;
    }

    /// <summary>Where (score, member) goes in the packed order: after every smaller pair.</summary>
    private int PackedInsertionPoint(double score, ReadOnlySpan<byte> member)
    {
        int lo = 0, hi = packedCount;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            double s = packedScores![mid];
            bool before = s < score || (s == score && packedMembers![mid].AsSpan().SequenceCompareTo(member) < 0);
            if (before) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }

    private void PackedInsert(int at, double score, byte[] member)
    {
        if (packedCount == packedMembers!.Length)
        {
            Array.Resize(ref packedMembers, packedCount * 2);
            Array.Resize(ref packedScores, packedCount * 2);
        }
        Array.Copy(packedMembers, at, packedMembers, at + 1, packedCount - at);
        Array.Copy(packedScores!, at, packedScores!, at + 1, packedCount - at);
        packedMembers[at] = member;
        packedScores![at] = score;
        packedCount++;
    }

    private void PackedRemoveAt(int at)
    {
        Array.Copy(packedMembers!, at + 1, packedMembers!, at, packedCount - at - 1);
        Array.Copy(packedScores!, at + 1, packedScores!, at, packedCount - at - 1);
        packedCount--;
        packedMembers![packedCount] = null!;
    }

    private void ConvertToSkipList()
    {
        var table = new ElementTable<double>(packedCount);
        var index = new SkipList(table);
        for (int i = 0; i < packedCount; i++) index.Insert(table.Add(packedMembers![i], packedScores![i]), packedScores![i]);
        scores = table;
        list = index;
        packedMembers = null;
        packedScores = null;
        packedCount = 0;
    }

    public bool TryGetScore(ReadOnlySpan<byte> member, out double score)
    {
        if (packedMembers != null)
        {
            int i = PackedFind(member);
            score = i >= 0 ? packedScores![i] : 0;
            return i >= 0;
        }
        return scores!.TryGetValue(member, out score);
    }

    /// <summary>Adds a member or changes its score; returns true when it was new.</summary>
    public bool Set(ReadOnlySpan<byte> member, double score, CollectionLimits limits)
    {
        if (packedMembers != null)
        {
            int at = PackedFind(member);
            if (at < 0 && (packedCount + 1 > limits.ZSetMaxListpackEntries || member.Length > limits.ZSetMaxListpackValue))
                ConvertToSkipList();
            else
            {
                // A listpack stores an integral score as an integer, so -0 comes back as 0 (the skiplist keeps -0).
                if (score == 0) score = 0;
                if (at >= 0)
                {
                    if (packedScores![at] == score) return false;
                    var m = packedMembers[at];
                    PackedRemoveAt(at);
                    PackedInsert(PackedInsertionPoint(score, m), score, m);
                    return false;
                }
                PackedInsert(PackedInsertionPoint(score, member), score, member.ToArray());
                return true;
            }
        }
        int i = scores!.Find(member);
        if (i >= 0)
        {
            ref double old = ref scores.ValueAt(i);
            if (old != score)
            {
                list!.UpdateScore(i, score);
                old = score;
            }
            return false;
        }
        list!.Insert(scores.Add(ElementBytes.Copy(member), score), score);
        return true;
    }

    public bool Remove(ReadOnlySpan<byte> member)
    {
        if (packedMembers != null)
        {
            int at = PackedFind(member);
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
        if (packedMembers != null)
        {
            r = PackedFind(member);
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
    public int ByRank(long rank) =>
        packedMembers != null ? (rank >= 0 && rank < packedCount ? (int)rank + 1 : 0) : list!.ByRank(rank + 1);

    /// <summary>A random member and its score (ZRANDMEMBER).</summary>
    public (byte[] Member, double Score) RandomEntry(Random random)
    {
        if (packedMembers != null)
        {
            int i = random.Next(packedCount);
            return (packedMembers[i], packedScores![i]);
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

    /// <summary>The first node past the ones <paramref name="before"/> holds for (the order is sorted, so they lead).</summary>
    private int PackedFirstWhereNot<T>(T before) where T : SkipList.ITest
    {
        int i = 0;
        while (i < packedCount && before.Holds(packedScores![i], packedMembers![i])) i++;
        return i < packedCount ? i + 1 : 0;
    }

    /// <summary>The last node <paramref name="notAfter"/> holds for (0 = none).</summary>
    private int PackedLastWhere<T>(T notAfter) where T : SkipList.ITest
    {
        int i = 0;
        while (i < packedCount && notAfter.Holds(packedScores![i], packedMembers![i])) i++;
        return i;
    }

    /// <summary>The first node inside the range, 0 when none is.</summary>
    public int FirstInRange(ScoreRange r)
    {
        int n = packedMembers != null ? PackedFirstWhereNot(new BelowMin(r)) : list!.FirstWhere(new BelowMin(r));
        return n != 0 && r.BelowMax(ScoreOf(n)) ? n : 0;
    }

    public int LastInRange(ScoreRange r)
    {
        int n = packedMembers != null ? PackedLastWhere(new NotAboveMax(r)) : list!.LastWhere(new NotAboveMax(r));
        return n != 0 && r.AboveMin(ScoreOf(n)) ? n : 0;
    }

    public int FirstInRange(LexRange r)
    {
        int n = packedMembers != null ? PackedFirstWhereNot(new BelowLexMin(r)) : list!.FirstWhere(new BelowLexMin(r));
        return n != 0 && r.BelowMax(MemberOf(n)) ? n : 0;
    }

    public int LastInRange(LexRange r)
    {
        int n = packedMembers != null ? PackedLastWhere(new NotAboveLexMax(r)) : list!.LastWhere(new NotAboveLexMax(r));
        return n != 0 && r.AboveMin(MemberOf(n)) ? n : 0;
    }

    public long RankOf(int node) => packedMembers != null ? node - 1 : list!.Rank(list.ScoreOf(node), list.MemberOf(node)) - 1;

    /// <summary>Removes a node reached by a walk (pops, ranges).</summary>
    public void Remove(int node)
    {
        if (packedMembers != null)
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
        if (packedMembers != null)
        {
            for (int i = 0; i < packedCount; i++) yield return (packedMembers[i], packedScores![i]);
            yield break;
        }
        for (int n = list!.First; n != 0; n = list.Next(n)) yield return (list.MemberOf(n), list.ScoreOf(n));
    }

    /// <summary>A sorted set of loaded or computed entries, encoded as Redis would after loading or storing it.</summary>
    public static SortedSetValue From(IReadOnlyCollection<(byte[] Member, double Score)> entries, CollectionLimits limits)
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
        var noConvert = new CollectionLimits { ZSetMaxListpackEntries = int.MaxValue, ZSetMaxListpackValue = int.MaxValue };
        foreach (var (m, s) in entries) z.Set(m, s, noConvert);
        return z;
    }

    public object DeepCopy() => From(Entries().ToList(), new CollectionLimits { ZSetMaxListpackEntries = IsListpack ? int.MaxValue : -1, ZSetMaxListpackValue = int.MaxValue });
}
