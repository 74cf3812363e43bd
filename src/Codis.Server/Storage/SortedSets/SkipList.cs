namespace Codis.Server.Storage.SortedSets;

/// <summary>
/// The ordered index of a sorted set: a skip list ordered by (score, member bytes) whose links carry spans (how
/// many elements each link skips), so rank lookups and rank ranges are O(log n) like Redis's zskiplist.
/// Levels are drawn with p = 1/4 up to 32.
/// </summary>
internal sealed class SkipList
{
    private const int MaxLevel = 32;

    internal sealed class Node
    {
        public readonly byte[] Member;
        public double Score;
        public readonly Node?[] Next;
        public readonly long[] Span;
        public Node? Prev;

        public Node(int level, double score, byte[] member)
        {
            Member = member;
            Score = score;
            Next = new Node?[level];
            Span = new long[level];
        }
    }

    private readonly Node head = new(MaxLevel, 0, []);
    private Node? tail;
    private int level = 1;
    private readonly Random random;

    public SkipList(Random? random = null) => this.random = random ?? Random.Shared;

    public long Count { get; private set; }
    public Node? First => head.Next[0];
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
        var update = new Node[MaxLevel];
        var rank = new long[MaxLevel];
        var x = head;
        for (int i = level - 1; i >= 0; i--)
        {
            rank[i] = i == level - 1 ? 0 : rank[i + 1];
            while (x.Next[i] is { } n && Compare(n.Score, n.Member, score, member) < 0)
            {
                rank[i] += x.Span[i];
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
                update[i].Span[i] = Count;
            }
            level = lvl;
        }
        var node = new Node(lvl, score, member);
        for (int i = 0; i < lvl; i++)
        {
            node.Next[i] = update[i].Next[i];
            update[i].Next[i] = node;
            node.Span[i] = update[i].Span[i] - (rank[0] - rank[i]);
            update[i].Span[i] = rank[0] - rank[i] + 1;
        }
        for (int i = lvl; i < level; i++) update[i].Span[i]++;
        node.Prev = update[0] == head ? null : update[0];
        if (node.Next[0] != null) node.Next[0]!.Prev = node;
        else tail = node;
        Count++;
        return node;
    }

    private void Unlink(Node x, Node[] update)
    {
        for (int i = 0; i < level; i++)
        {
            if (update[i].Next[i] == x)
            {
                update[i].Span[i] += x.Span[i] - 1;
                update[i].Next[i] = x.Next[i];
            }
            else
            {
                update[i].Span[i]--;
            }
        }
        if (x.Next[0] != null) x.Next[0]!.Prev = x.Prev;
        else tail = x.Prev;
        while (level > 1 && head.Next[level - 1] == null) level--;
        Count--;
    }

    public bool Delete(double score, ReadOnlySpan<byte> member)
    {
        var update = new Node[MaxLevel];
        var x = head;
        for (int i = level - 1; i >= 0; i--)
        {
            while (x.Next[i] is { } n && Compare(n.Score, n.Member, score, member) < 0) x = n;
            update[i] = x;
        }
        var target = x.Next[0];
        if (target == null || target.Score != score || !target.Member.AsSpan().SequenceEqual(member)) return false;
        Unlink(target, update);
        return true;
    }

    /// <summary>Changes a member's score, moving its node only when the order changes (as zslUpdateScore).</summary>
    public void UpdateScore(double oldScore, byte[] member, double newScore)
    {
        var update = new Node[MaxLevel];
        var x = head;
        for (int i = level - 1; i >= 0; i--)
        {
            while (x.Next[i] is { } n && Compare(n.Score, n.Member, oldScore, member) < 0) x = n;
            update[i] = x;
        }
        var node = x.Next[0]!;
        if ((node.Prev == null || Compare(node.Prev.Score, node.Prev.Member, newScore, member) < 0) &&
            (node.Next[0] == null || Compare(node.Next[0]!.Score, node.Next[0]!.Member, newScore, member) > 0))
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
            while (x.Next[i] is { } n && Compare(n.Score, n.Member, score, member) <= 0)
            {
                rank += x.Span[i];
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
            while (x.Next[i] != null && traversed + x.Span[i] <= rank)
            {
                traversed += x.Span[i];
                x = x.Next[i]!;
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
            while (x.Next[i] is { } n && before(n)) x = n;
        return x.Next[0];
    }

    /// <summary>The last node for which <paramref name="notAfter"/> holds (the last node inside the upper bound).</summary>
    public Node? LastWhere(Func<Node, bool> notAfter)
    {
        var x = head;
        for (int i = level - 1; i >= 0; i--)
            while (x.Next[i] is { } n && notAfter(n)) x = n;
        return x == head ? null : x;
    }

    /// <summary>Removes a node (its score and member identify it).</summary>
    public void Remove(Node node) => Delete(node.Score, node.Member);
}
