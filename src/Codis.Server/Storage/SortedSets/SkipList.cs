using Codis.Server.Storage.Collections;

namespace Codis.Server.Storage.SortedSets;

/// <summary>
/// The ordered index of a sorted set: a skip list ordered by (score, member bytes) whose links carry spans (how
/// many elements each link skips), so rank lookups and rank ranges are O(log n) like Redis's zskiplist.
/// Levels are drawn with p = 1/4 up to 32.
/// <para>
/// It allocates no object per member: a node is a struct in one array, identified by its member's entry index in
/// the sorted set's member table + 1 (which holds the member bytes; 0 is the head, and "none"), and the links above
/// level 0 of the quarter of nodes that have any are blocks in one shared link array. None of these arrays holds a
/// reference, so the GC neither scans nor copies them: a million-member sorted set costs it one byte[] per member,
/// where a node object with its link array cost three objects (the pauses of a target receiving one).
/// </para>
/// </summary>
internal sealed class SkipList
{
    private const int MaxLevel = 32;

    /// <summary>
    /// One level of a node: the next node on that level (0 = none), how many elements the link skips, and the next
    /// node's score and upper links. A search compares against the score kept in the link and steps straight to the
    /// next node's links, so it reads no node on levels above 0: on a 100,000-member set, reading the node to
    /// compare and again to find its links were two cache misses per step.
    /// </summary>
    private struct Link
    {
        public int Next;
        public int Span;
        public double NextScore; // nodes[Next].Score while Next != 0
        public int NextUpper;    // nodes[Next].Upper while Next != 0
    }

    private struct Node
    {
        public double Score;
        public Link L0;
        public int Prev;   // 0 = none (the first node)
        public int Upper;  // where links 1..Level-1 start in <upper>
        public int Level;
    }

    // Search paths, reused by every skip list: commands run one at a time under the keyspace lock.
    [ThreadStatic] private static int[]? updateScratch;
    [ThreadStatic] private static int[]? rankScratch;

    private readonly ElementTable<double> members;
    private readonly Random random;
    private Node[] nodes = new Node[4];
    // The head's links above level 0 grow with the list's level: a small sorted set does not pay for 32 levels.
    private Link[] headUpper = new Link[3];
    private Link[] upper = [];
    private int upperUsed;
    // Freed link blocks by their size (a node's level - 1), chained through their first link's Next (index + 1).
    // (allocated on the first free: most small sets never free one)
    private int[]? freeUpper;
    private int tail;
    private int level = 1;

    public SkipList(ElementTable<double> members, Random? random = null)
    {
        this.members = members;
        this.random = random ?? Random.Shared;
    }

    public int Count { get; private set; }
    public int First => nodes[0].L0.Next;
    public int Last => tail;

    public int Next(int node) => nodes[node].L0.Next;
    public int Prev(int node) => nodes[node].Prev;
    public double ScoreOf(int node) => nodes[node].Score;
    public byte[] MemberOf(int node) => members.KeyAt(node - 1);

    public static int Compare(double s1, ReadOnlySpan<byte> m1, double s2, ReadOnlySpan<byte> m2)
    {
        if (s1 < s2) return -1;
        if (s1 > s2) return 1;
        return m1.SequenceCompareTo(m2);
    }

    /// <summary><see cref="CompareNode"/> of the node a link leads to (Next != 0), from the score kept in the link.</summary>
    private int CompareNext(in Link link, double score, ReadOnlySpan<byte> member)
    {
        double s = link.NextScore;
        if (s < score) return -1;
        if (s > score) return 1;
        return members.KeyAt(link.Next - 1).AsSpan().SequenceCompareTo(member);
    }

    private int CompareNode(int node, double score, ReadOnlySpan<byte> member)
    {
        double s = nodes[node].Score;
        if (s < score) return -1;
        if (s > score) return 1;
        return members.KeyAt(node - 1).AsSpan().SequenceCompareTo(member);
    }

    /// <summary><see cref="L"/> of a node whose upper links start at <paramref name="nodeUpper"/> (known from the link that led to it).</summary>
    private ref Link L(int node, int nodeUpper, int i)
    {
        if (i == 0) return ref nodes[node].L0;
        if (node == 0) return ref headUpper[i - 1];
        return ref upper[nodeUpper + i - 1];
    }

    private ref Link L(int node, int i)
    {
        if (i == 0) return ref nodes[node].L0;
        if (node == 0) return ref headUpper[i - 1];
        return ref upper[nodes[node].Upper + i - 1];
    }

    private int RandomLevel()
    {
        int l = 1;
        while (l < MaxLevel && (random.Next() & 3) == 0) l++;
        return l;
    }

    /// <summary>Room for nodes up to <paramref name="entries"/> member-table entries (a migration's size hint).</summary>
    public void Reserve(int entries)
    {
        if (entries + 1 > nodes.Length) Array.Resize(ref nodes, entries + 1);
    }

    private int AllocateUpper(int links)
    {
        if (freeUpper != null && freeUpper[links] != 0)
        {
            ref int free = ref freeUpper[links];
            int block = free - 1;
            free = upper[block].Next;
            return block;
        }
        // Doubling from a few links: a small sorted set holds a handful (an upfront 64 cost 1.5 KB per key).
        if (upperUsed + links > upper.Length) Array.Resize(ref upper, Math.Max(4, Math.Max(upper.Length * 2, upperUsed + links)));
        int start = upperUsed;
        upperUsed += links;
        return start;
    }

    private void FreeUpper(int block, int links)
    {
        freeUpper ??= new int[MaxLevel];
        upper[block].Next = freeUpper[links];
        freeUpper[links] = block + 1;
    }

    /// <summary>Inserts the member at entry <paramref name="entry"/> of the member table (already added there).</summary>
    public void Insert(int entry, double score)
    {
        int id = entry + 1;
        if (id >= nodes.Length) Array.Resize(ref nodes, Math.Max(id + 1, nodes.Length * 2));
        ReadOnlySpan<byte> member = members.KeyAt(entry);
        var update = updateScratch ??= new int[MaxLevel];
        var rank = rankScratch ??= new int[MaxLevel];
        int x = 0, xUpper = 0;
        for (int i = level - 1; i >= 0; i--)
        {
            rank[i] = i == level - 1 ? 0 : rank[i + 1];
            while (L(x, xUpper, i) is { Next: not 0 } link && CompareNext(link, score, member) < 0)
            {
                rank[i] += link.Span;
                x = link.Next;
                xUpper = link.NextUpper;
            }
            update[i] = x;
        }
        int lvl = RandomLevel();
        if (lvl > level)
        {
            if (lvl - 1 > headUpper.Length) Array.Resize(ref headUpper, MaxLevel - 1);
            for (int i = level; i < lvl; i++)
            {
                rank[i] = 0;
                update[i] = 0;
                L(0, i).Span = Count;
            }
            level = lvl;
        }
        ref var node = ref nodes[id];
        node = default;
        node.Score = score;
        node.Level = lvl;
        if (lvl > 1) node.Upper = AllocateUpper(lvl - 1);
        for (int i = 0; i < lvl; i++)
        {
            ref var link = ref L(id, i);
            ref var before = ref L(update[i], i);
            link.Next = before.Next;
            link.NextScore = before.NextScore;
            link.NextUpper = before.NextUpper;
            before.Next = id;
            before.NextScore = score;
            before.NextUpper = node.Upper;
            link.Span = before.Span - (rank[0] - rank[i]);
            before.Span = rank[0] - rank[i] + 1;
        }
        for (int i = lvl; i < level; i++) L(update[i], i).Span++;
        nodes[id].Prev = update[0];
        if (nodes[id].L0.Next is var next and not 0) nodes[next].Prev = id;
        else tail = id;
        Count++;
    }

    private void Unlink(int x, int[] update)
    {
        for (int i = 0; i < level; i++)
        {
            ref var before = ref L(update[i], i);
            if (before.Next == x)
            {
                ref var link = ref L(x, i);
                before.Span += link.Span - 1;
                before.Next = link.Next;
                before.NextScore = link.NextScore;
                before.NextUpper = link.NextUpper;
            }
            else
            {
                before.Span--;
            }
        }
        ref var node = ref nodes[x];
        if (node.L0.Next != 0) nodes[node.L0.Next].Prev = node.Prev;
        else tail = node.Prev;
        if (node.Level > 1) FreeUpper(node.Upper, node.Level - 1);
        while (level > 1 && L(0, level - 1).Next == 0) level--;
        Count--;
        if (Count == 0)
        {
            // Nothing is linked: the link blocks start over (the member table restarts its entries too).
            upperUsed = 0;
            freeUpper = null;
        }
    }

    /// <summary>Fills the search path to the last node before (score, member); returns the node after it.</summary>
    private int FindPath(double score, ReadOnlySpan<byte> member, int[] update)
    {
        int x = 0, xUpper = 0;
        for (int i = level - 1; i >= 0; i--)
        {
            while (L(x, xUpper, i) is { Next: not 0 } link && CompareNext(link, score, member) < 0)
            {
                x = link.Next;
                xUpper = link.NextUpper;
            }
            update[i] = x;
        }
        return nodes[x].L0.Next;
    }

    public bool Delete(double score, ReadOnlySpan<byte> member)
    {
        var update = updateScratch ??= new int[MaxLevel];
        int target = FindPath(score, member, update);
        if (target == 0 || CompareNode(target, score, member) != 0) return false;
        Unlink(target, update);
        return true;
    }

    /// <summary>Changes a member's score, moving its node only when the order changes (as zslUpdateScore).</summary>
    public void UpdateScore(int entry, double newScore)
    {
        int id = entry + 1;
        ReadOnlySpan<byte> member = members.KeyAt(entry);
        var update = updateScratch ??= new int[MaxLevel];
        FindPath(nodes[id].Score, member, update);
        int prev = nodes[id].Prev, next = nodes[id].L0.Next;
        if ((prev == 0 || CompareNode(prev, newScore, member) < 0) && (next == 0 || CompareNode(next, newScore, member) > 0))
        {
            nodes[id].Score = newScore;
            // the links that lead to it keep its score: the search path's nodes on each of its levels
            for (int i = 0; i < nodes[id].Level; i++) L(update[i], i).NextScore = newScore;
            return;
        }
        Unlink(id, update);
        Insert(entry, newScore);
    }

    /// <summary>1-based rank of an element known to be present.</summary>
    public long Rank(double score, ReadOnlySpan<byte> member)
    {
        long rank = 0;
        int x = 0, xUpper = 0;
        for (int i = level - 1; i >= 0; i--)
        {
            while (L(x, xUpper, i) is { Next: not 0 } link && CompareNext(link, score, member) <= 0)
            {
                rank += link.Span;
                x = link.Next;
                xUpper = link.NextUpper;
            }
            if (x != 0 && CompareNode(x, score, member) == 0) return rank;
        }
        return 0;
    }

    /// <summary>The node at a 1-based rank (0 = none).</summary>
    public int ByRank(long rank)
    {
        long traversed = 0;
        int x = 0;
        for (int i = level - 1; i >= 0; i--)
        {
            while (L(x, i) is { Next: not 0 } link && traversed + link.Span <= rank)
            {
                traversed += link.Span;
                x = link.Next;
            }
            if (traversed == rank) return x;
        }
        return 0;
    }

    /// <summary>Tests: every link's kept score is its next node's score (throws naming the first that is not).</summary>
    internal void CheckLinks()
    {
        for (int i = level - 1; i >= 0; i--)
            for (int x = 0; L(x, i).Next is var n and not 0; x = n)
            {
                if (L(x, i).NextScore != nodes[n].Score && !(double.IsNaN(L(x, i).NextScore) && double.IsNaN(nodes[n].Score)))
                    throw new InvalidOperationException($"level {i}: link {x} -> {n} keeps {L(x, i).NextScore}, the node has {nodes[n].Score}");
                if (nodes[n].Level > 1 && L(x, i).NextUpper != nodes[n].Upper)
                    throw new InvalidOperationException($"level {i}: link {x} -> {n} keeps upper {L(x, i).NextUpper}, the node has {nodes[n].Upper}");
            }
    }

    /// <summary>A condition on a node's score and member, tested along a search path.</summary>
    public interface ITest
    {
        bool Holds(double score, byte[] member);
    }

    /// <summary>The first node for which <paramref name="before"/> does not hold (the first node not before a lower bound).</summary>
    public int FirstWhere<T>(T before) where T : ITest
    {
        int x = 0;
        for (int i = level - 1; i >= 0; i--)
            while (L(x, i).Next is var n and not 0 && before.Holds(nodes[n].Score, MemberOf(n))) x = n;
        return nodes[x].L0.Next;
    }

    /// <summary>The last node for which <paramref name="notAfter"/> holds (the last node inside the upper bound; 0 = none).</summary>
    public int LastWhere<T>(T notAfter) where T : ITest
    {
        int x = 0;
        for (int i = level - 1; i >= 0; i--)
            while (L(x, i).Next is var n and not 0 && notAfter.Holds(nodes[n].Score, MemberOf(n))) x = n;
        return x;
    }
}
