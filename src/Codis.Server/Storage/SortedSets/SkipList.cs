namespace Codis.Server.Storage.SortedSets;

/// <summary>
/// The ordered index of a sorted set: a skip list ordered by (score, member bytes) whose links carry spans (how
/// many elements each link skips), so rank lookups and rank ranges are O(log n) like Redis's zskiplist.
/// Levels are drawn with p = 1/4 up to 32.
/// </summary>
internal sealed class SkipList
{
    private const int MaxLevel = 32;

    /// <summary>One level of a node: the next node on that level and how many elements the link skips.</summary>
    internal struct Link
    {
        public Node? Next;
        public long Span;
    }

    internal sealed class Node
    {
        public readonly byte[] Member;
        public double Score;
        public readonly Link[] L; // one array per node, so a search step touches the node and its links only
        public Node? Prev;

        public Node(int level, double score, byte[] member)
        {
            Member = member;
            Score = score;
            L = new Link[level];
        }

        /// <summary>The next node in order (level 0).</summary>
        public Node? Forward => L[0].Next;
    }

    // Search paths, reused by every skip list: commands run one at a time under the keyspace lock.
    [ThreadStatic] private static Node[]? updateScratch;
    [ThreadStatic] private static long[]? rankScratch;

    private static Node[] UpdateScratch => updateScratch ??= new Node[MaxLevel];

    private readonly Node head = new(MaxLevel, 0, []);
    private Node? tail;
    private int level = 1;
    private readonly Random random;

    public SkipList(Random? random = null) => this.random = random ?? Random.Shared;

    public long Count { get; private set; }
    public Node? First => head.L[0].Next;
    public Node? Last => tail;

    public static int Compare(double s1, ReadOnlySpan<byte> m1, double s2, ReadOnlySpan<byte> m2)
    {
        if (s1 < s2) return -1;
        if (s1 > s2) return 1;
        return m1.SequenceCompareTo(m2);
    }

    private int RandomLevel()
    {
        int l = 1;
        while (l < MaxLevel && (random.Next() & 3) == 0) l++;
        return l;
    }

    public Node Insert(double score, byte[] member)
    {
        var update = UpdateScratch;
        var rank = rankScratch ??= new long[MaxLevel];
        var x = head;
        for (int i = level - 1; i >= 0; i--)
        {
            rank[i] = i == level - 1 ? 0 : rank[i + 1];
            while (x.L[i].Next is { } n && Compare(n.Score, n.Member, score, member) < 0)
            {
                rank[i] += x.L[i].Span;
                x = n;
            }
            update[i] = x;
        }
        int lvl = RandomLevel();
        if (lvl > level)
        {
            for (int i = level; i < lvl; i++)
            {
                rank[i] = 0;
                update[i] = head;
                update[i].L[i].Span = Count;
            }
            level = lvl;
        }
        var node = new Node(lvl, score, member);
        for (int i = 0; i < lvl; i++)
        {
            node.L[i].Next = update[i].L[i].Next;
            update[i].L[i].Next = node;
            node.L[i].Span = update[i].L[i].Span - (rank[0] - rank[i]);
            update[i].L[i].Span = rank[0] - rank[i] + 1;
        }
        for (int i = lvl; i < level; i++) update[i].L[i].Span++;
        node.Prev = update[0] == head ? null : update[0];
        if (node.L[0].Next != null) node.L[0].Next!.Prev = node;
        else tail = node;
        Count++;
        return node;
    }

    private void Unlink(Node x, Node[] update)
    {
        for (int i = 0; i < level; i++)
        {
            if (update[i].L[i].Next == x)
            {
                update[i].L[i].Span += x.L[i].Span - 1;
                update[i].L[i].Next = x.L[i].Next;
            }
            else
            {
                update[i].L[i].Span--;
            }
        }
        if (x.L[0].Next != null) x.L[0].Next!.Prev = x.Prev;
        else tail = x.Prev;
        while (level > 1 && head.L[level - 1].Next == null) level--;
        Count--;
    }

    public bool Delete(double score, ReadOnlySpan<byte> member)
    {
        var update = UpdateScratch;
        var x = head;
        for (int i = level - 1; i >= 0; i--)
        {
            while (x.L[i].Next is { } n && Compare(n.Score, n.Member, score, member) < 0) x = n;
            update[i] = x;
        }
        var target = x.L[0].Next;
        if (target == null || target.Score != score || !target.Member.AsSpan().SequenceEqual(member)) return false;
        Unlink(target, update);
        return true;
    }

    /// <summary>Changes a member's score, moving its node only when the order changes (as zslUpdateScore).</summary>
    public void UpdateScore(double oldScore, byte[] member, double newScore)
    {
        var update = UpdateScratch;
        var x = head;
        for (int i = level - 1; i >= 0; i--)
        {
            while (x.L[i].Next is { } n && Compare(n.Score, n.Member, oldScore, member) < 0) x = n;
            update[i] = x;
        }
        var node = x.L[0].Next!;
        if ((node.Prev == null || Compare(node.Prev.Score, node.Prev.Member, newScore, member) < 0) &&
            (node.L[0].Next == null || Compare(node.L[0].Next!.Score, node.L[0].Next!.Member, newScore, member) > 0))
        {
            node.Score = newScore;
            return;
        }
        Unlink(node, update);
        Insert(newScore, node.Member);
    }

    /// <summary>1-based rank of an element known to be present.</summary>
    public long Rank(double score, ReadOnlySpan<byte> member)
    {
        long rank = 0;
        var x = head;
        for (int i = level - 1; i >= 0; i--)
        {
            while (x.L[i].Next is { } n && Compare(n.Score, n.Member, score, member) <= 0)
            {
                rank += x.L[i].Span;
                x = n;
            }
            if (x != head && x.Score == score && x.Member.AsSpan().SequenceEqual(member)) return rank;
        }
        return 0;
    }

    /// <summary>The node at a 1-based rank.</summary>
    public Node? ByRank(long rank)
    {
        long traversed = 0;
        var x = head;
        for (int i = level - 1; i >= 0; i--)
        {
            while (x.L[i].Next != null && traversed + x.L[i].Span <= rank)
            {
                traversed += x.L[i].Span;
                x = x.L[i].Next!;
            }
            if (traversed == rank) return x;
        }
        return null;
    }

    /// <summary>The first node for which <paramref name="before"/> is false (the first node not before a lower bound).</summary>
    public Node? FirstWhere(Func<Node, bool> before)
    {
        var x = head;
        for (int i = level - 1; i >= 0; i--)
            while (x.L[i].Next is { } n && before(n)) x = n;
        return x.L[0].Next;
    }

    /// <summary>The last node for which <paramref name="notAfter"/> holds (the last node inside the upper bound).</summary>
    public Node? LastWhere(Func<Node, bool> notAfter)
    {
        var x = head;
        for (int i = level - 1; i >= 0; i--)
            while (x.L[i].Next is { } n && notAfter(n)) x = n;
        return x == head ? null : x;
    }

    /// <summary>Removes a node (its score and member identify it).</summary>
    public void Remove(Node node) => Delete(node.Score, node.Member);
}
