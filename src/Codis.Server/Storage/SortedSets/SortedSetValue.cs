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
/// A sorted set: a member → score table and a <see cref="SkipList"/> ordered by (score, member). It reports the
/// "listpack" encoding while Redis would still hold it as one (at most zset-max-listpack-entries members, none
/// longer than zset-max-listpack-value; it never goes back, as in Redis) and "skiplist" after. Both orders are
/// the same, so only OBJECT ENCODING, ZSCAN's paging and DUMP's encoding depend on it.
/// </summary>
internal sealed class SortedSetValue : IKeyValue
{
    private readonly ElementTable<double> scores = new();
    private readonly SkipList list;

    public SortedSetValue(bool listpack)
    {
        IsListpack = listpack;
        list = new SkipList(scores);
    }

    /// <summary>An empty set in the encoding ZADD picks for a new key from its first member (7.0's zaddGenericCommand).</summary>
    public static SortedSetValue CreateFor(int firstMemberLength, CollectionLimits limits) =>
        new(limits.ZSetMaxListpackEntries > 0 && firstMemberLength <= limits.ZSetMaxListpackValue);

    public string TypeName => "zset";
    public string EncodingName => IsListpack ? "listpack" : "skiplist";
    public bool IsListpack { get; private set; }
    public int Count => scores.Count;
    public ElementTable<double> Table => scores;

    // A node of the ordered index is an int (0 = none): the first, last, next and previous in (score, member) order.
    public int First => list.First;

    /// <summary>Tests: the skip list's links agree with its nodes.</summary>
    internal void CheckLinks() => list.CheckLinks();
    public int Last => list.Last;
    public int Next(int node) => list.Next(node);
    public int Prev(int node) => list.Prev(node);
    public double ScoreOf(int node) => list.ScoreOf(node);
    public byte[] MemberOf(int node) => list.MemberOf(node);

    /// <summary>Room for <paramref name="count"/> members in the member table and the index.</summary>
    public void Reserve(int count)
    {
        scores.Reserve(count);
        list.Reserve(count);
    }

    public bool TryGetScore(ReadOnlySpan<byte> member, out double score) => scores.TryGetValue(member, out score);

    /// <summary>Adds a member or changes its score; returns true when it was new.</summary>
    public bool Set(ReadOnlySpan<byte> member, double score, CollectionLimits limits)
    {
        int i = scores.Find(member);
        // A listpack stores an integral score as an integer, so -0 comes back as 0 (the skiplist keeps -0).
        if (IsListpack && i < 0 && (scores.Count + 1 > limits.ZSetMaxListpackEntries || member.Length > limits.ZSetMaxListpackValue)) IsListpack = false;
        if (IsListpack && score == 0) score = 0;
        if (i >= 0)
        {
            ref double old = ref scores.ValueAt(i);
            if (old != score)
            {
                list.UpdateScore(i, score);
                old = score;
            }
            return false;
        }
        list.Insert(scores.Add(IsListpack ? member.ToArray() : ElementBytes.Copy(member), score), score);
        return true;
    }

    public bool Remove(ReadOnlySpan<byte> member)
    {
        int i = scores.Find(member);
        if (i < 0) return false;
        list.Delete(scores.ValueAt(i), member);
        scores.RemoveAt(i);
        return true;
    }

    /// <summary>0-based rank from the lowest score (or the highest when <paramref name="reverse"/>), -1 when absent.</summary>
    public long Rank(ReadOnlySpan<byte> member, bool reverse)
    {
        if (!scores.TryGetValue(member, out double score)) return -1;
        long r = list.Rank(score, member) - 1;
        return reverse ? Count - 1 - r : r;
    }

    /// <summary>The node at a 0-based rank from the lowest score (0 = none).</summary>
    public int ByRank(long rank) => list.ByRank(rank + 1);

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
        int n = list.FirstWhere(new BelowMin(r));
        return n != 0 && r.BelowMax(list.ScoreOf(n)) ? n : 0;
    }

    public int LastInRange(ScoreRange r)
    {
        int n = list.LastWhere(new NotAboveMax(r));
        return n != 0 && r.AboveMin(list.ScoreOf(n)) ? n : 0;
    }

    public int FirstInRange(LexRange r)
    {
        int n = list.FirstWhere(new BelowLexMin(r));
        return n != 0 && r.BelowMax(list.MemberOf(n)) ? n : 0;
    }

    public int LastInRange(LexRange r)
    {
        int n = list.LastWhere(new NotAboveLexMax(r));
        return n != 0 && r.AboveMin(list.MemberOf(n)) ? n : 0;
    }

    public long RankOf(int node) => list.Rank(list.ScoreOf(node), list.MemberOf(node)) - 1;

    /// <summary>Removes a node reached by a walk (pops, ranges).</summary>
    public void Remove(int node)
    {
        list.Delete(list.ScoreOf(node), list.MemberOf(node));
        scores.RemoveAt(node - 1);
    }

    /// <summary>Members in score order.</summary>
    public IEnumerable<(byte[] Member, double Score)> Entries()
    {
        for (int n = list.First; n != 0; n = list.Next(n)) yield return (list.MemberOf(n), list.ScoreOf(n));
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
