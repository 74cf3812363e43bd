using Codis.Server.Persistence;
using Codis.Server.PubSub;
using Codis.Server.Storage.Collections;
using Codis.Server.Storage.Sets;
using Codis.Server.Storage.SortedSets;

namespace Codis.Server.Commands;

/// <summary>ZUNION ZINTER ZDIFF, their *STORE forms and ZINTERCARD; plain sets take part with score 1.</summary>
internal static class SortedSetAlgebraCommands
{
    private enum Op { Union, Inter, Diff }

    private enum Aggregate { Sum, Min, Max }

    [Command("zunionstore", -4, Flags = CommandFlags.Write | CommandFlags.DenyOom, FirstKey = 1, LastKey = 1, Step = 1, KeyNumIndex = 2, KeyFlagsByKey = "OW update|RO access", Group = "sorted_set", Summary = "Stores the union of multiple sorted sets in a key.")]
    public static void ZUnionStore(CommandContext ctx) => Generic(ctx, 2, store: true, Op.Union, "zunionstore");

    [Command("zinterstore", -4, Flags = CommandFlags.Write | CommandFlags.DenyOom, FirstKey = 1, LastKey = 1, Step = 1, KeyNumIndex = 2, KeyFlagsByKey = "OW update|RO access", Group = "sorted_set", Summary = "Stores the intersect of multiple sorted sets in a key.")]
    public static void ZInterStore(CommandContext ctx) => Generic(ctx, 2, store: true, Op.Inter, "zinterstore");

    [Command("zdiffstore", -4, Flags = CommandFlags.Write | CommandFlags.DenyOom, FirstKey = 1, LastKey = 1, Step = 1, KeyNumIndex = 2, KeyFlagsByKey = "OW update|RO access", Group = "sorted_set", Summary = "Stores the difference of multiple sorted sets in a key.")]
    public static void ZDiffStore(CommandContext ctx) => Generic(ctx, 2, store: true, Op.Diff, "zdiffstore");

    [Command("zunion", -3, Flags = CommandFlags.ReadOnly, KeyNumIndex = 1, Group = "sorted_set", Summary = "Returns the union of multiple sorted sets.")]
    public static void ZUnion(CommandContext ctx) => Generic(ctx, 1, store: false, Op.Union, "zunion");

    [Command("zinter", -3, Flags = CommandFlags.ReadOnly, KeyNumIndex = 1, Group = "sorted_set", Summary = "Returns the intersect of multiple sorted sets.")]
    public static void ZInter(CommandContext ctx) => Generic(ctx, 1, store: false, Op.Inter, "zinter");

    [Command("zdiff", -3, Flags = CommandFlags.ReadOnly, KeyNumIndex = 1, Group = "sorted_set", Summary = "Returns the difference between multiple sorted sets.")]
    public static void ZDiff(CommandContext ctx) => Generic(ctx, 1, store: false, Op.Diff, "zdiff");

    [Command("zintercard", -3, Flags = CommandFlags.ReadOnly, KeyNumIndex = 1, Group = "sorted_set", Summary = "Intersect multiple sorted sets and return the cardinality of the result")]
    public static void ZInterCard(CommandContext ctx) => Generic(ctx, 1, store: false, Op.Inter, "zintercard", cardinality: true);

    /// <summary>One input: a sorted set, a set (every score 1) or nothing (a missing key).</summary>
    private sealed class Source(object? value, double weight)
    {
        public object? Value = value;
        public double Weight = weight;

        public int Count => Value switch { SortedSetValue z => z.Count, SetValue s => s.Count, _ => 0 };

        public bool TryGetScore(ReadOnlySpan<byte> member, out double score)
        {
            switch (Value)
            {
                case SortedSetValue z:
                    return z.TryGetScore(member, out score);
                case SetValue s:
                    score = 1;
                    return s.Contains(member);
                default:
                    score = 0;
                    return false;
            }
        }

        public IEnumerable<(byte[] Member, double Score)> Entries() => Value switch
        {
            SortedSetValue z => z.Entries(),
            SetValue s => s.Members().Select(m => (m, 1.0)),
            _ => [],
        };
    }

    /// <param name="cardinality">ZINTERCARD: only LIMIT is an option, and the reply is the number of members (up to the limit)</param>
    private static void Generic(CommandContext ctx, int numKeysArg, bool store, Op op, string name, bool cardinality = false)
    {
        if (!ctx.TryArgLong(numKeysArg, out long numKeys)) return;
        if (numKeys < 1)
        {
            ctx.Error($"ERR at least 1 input key is needed for '{name}' command");
            return;
        }
        if (numKeys > ctx.ArgCount - (numKeysArg + 1))
        {
            ctx.SyntaxError();
            return;
        }
        int n = (int)numKeys;
        var sources = new Source[n];
        for (int i = 0; i < n; i++)
        {
            var value = ctx.Db.GetForRead(ctx.Arg(numKeysArg + 1 + i)); // counted in the *STORE forms too
            if (value != null && value is not SortedSetValue && value is not SetValue)
            {
                ctx.WrongType();
                return;
            }
            sources[i] = new Source(value, 1);
        }
        var aggregate = Aggregate.Sum;
        bool withScores = false;
        long limit = 0; // 0 = no limit
        int j = numKeysArg + 1 + n;
        while (j < ctx.ArgCount)
        {
            int remaining = ctx.ArgCount - j;
            if (cardinality)
            {
                if (remaining < 2 || !ctx.ArgIs(j, "LIMIT"))
                {
                    ctx.SyntaxError();
                    return;
                }
                if (!CommandContext.TryParseLong(ctx.Arg(j + 1), out limit) || limit < 0)
                {
                    ctx.Error("ERR LIMIT can't be negative");
                    return;
                }
                j += 2;
            }
            else if (op != Op.Diff && remaining >= n + 1 && ctx.ArgIs(j, "WEIGHTS"))
            {
                j++;
                for (int i = 0; i < n; i++, j++)
                    if (!ctx.TryArgDouble(j, out sources[i].Weight, "ERR weight value is not a float")) return;
            }
            else if (op != Op.Diff && remaining >= 2 && ctx.ArgIs(j, "AGGREGATE"))
            {
                if (ctx.ArgIs(j + 1, "SUM")) aggregate = Aggregate.Sum;
                else if (ctx.ArgIs(j + 1, "MIN")) aggregate = Aggregate.Min;
                else if (ctx.ArgIs(j + 1, "MAX")) aggregate = Aggregate.Max;
                else
                {
                    ctx.SyntaxError();
                    return;
                }
                j += 2;
            }
            else if (!store && ctx.ArgIs(j, "WITHSCORES"))
            {
                withScores = true;
                j++;
            }
            else
            {
                ctx.SyntaxError();
                return;
            }
        }

        if (cardinality)
        {
            ctx.Reply.WriteInteger(InterCard(sources, limit));
            return;
        }
        var result = op switch
        {
            Op.Union => Union(sources, aggregate),
            Op.Inter => Inter(sources, aggregate),
            _ => Diff(sources),
        };
        if (store)
        {
            var zset = SortedSetValue.From(result, CollectionLimits.Current);
            var stored = op switch { Op.Union => "zunionstore"u8, Op.Inter => "zinterstore"u8, _ => "zdiffstore"u8 };
            CollectionAccess.Store(ctx, ctx.Db, 1, zset, zset.Count == 0, NotifyType.ZSet, stored);
            ctx.Reply.WriteInteger(zset.Count);
            return;
        }
        // Redis replies from its working skiplist, so scores are exactly as computed (a -0 stays -0).
        result.Sort(static (a, b) => SkipList.Compare(a.Item2, a.Item1, b.Item2, b.Item1));
        SortedSetRangeCommands.WriteEntries(ctx, result, withScores);
    }

    private static double Weighted(double score, double weight)
    {
        double v = score * weight;
        return double.IsNaN(v) ? 0 : v; // inf * 0
    }

    private static double Combine(double acc, double v, Aggregate a)
    {
        switch (a)
        {
            case Aggregate.Sum:
                double s = acc + v;
                return double.IsNaN(s) ? 0 : s; // inf + -inf
            case Aggregate.Min:
                return v < acc ? v : acc;
            default:
                return v > acc ? v : acc;
        }
    }

    private static List<(byte[], double)> Union(Source[] sources, Aggregate aggregate)
    {
        var acc = new Dictionary<byte[], double>(ByteArrayComparer.Instance);
        var order = new List<byte[]>();
        // smallest input first, as Redis sorts them (with MIN/MAX that decides whether a 0 or a -0 stays)
        foreach (var src in sources.OrderBy(s => s.Count))
        {
            foreach (var (m, s) in src.Entries())
            {
                double v = Weighted(s, src.Weight);
                if (acc.TryGetValue(m, out double old)) acc[m] = Combine(old, v, aggregate);
                else
                {
                    acc[m] = v;
                    order.Add(m);
                }
            }
        }
        return order.Select(m => (m, acc[m])).ToList();
    }

    private static List<(byte[], double)> Inter(Source[] sources, Aggregate aggregate)
    {
        var result = new List<(byte[], double)>();
        foreach (var s in sources)
            if (s.Value == null) return result;
        // Walk the smallest input and look the member up in the others, in cardinality order as Redis does.
        var ordered = sources.OrderBy(s => s.Count).ToArray();
        foreach (var (m, s0) in ordered[0].Entries())
        {
            double value = Weighted(s0, ordered[0].Weight);
            bool all = true;
            for (int k = 1; k < ordered.Length && all; k++)
            {
                if (ordered[k].TryGetScore(m, out double sk)) value = Combine(value, Weighted(sk, ordered[k].Weight), aggregate);
                else all = false;
            }
            if (all) result.Add((m, value));
        }
        return result;
    }

    /// <summary>How many members every input holds, counting up to <paramref name="limit"/> (0: all), smallest input first.</summary>
    private static long InterCard(Source[] sources, long limit)
    {
        foreach (var s in sources)
            if (s.Value == null) return 0;
        var ordered = sources.OrderBy(s => s.Count).ToArray();
        long count = 0;
        foreach (var (m, _) in ordered[0].Entries())
        {
            bool all = true;
            for (int k = 1; k < ordered.Length && all; k++) all = ordered[k].TryGetScore(m, out _);
            if (all && ++count == limit) break;
        }
        return count;
    }

    private static List<(byte[], double)> Diff(Source[] sources)
    {
        var result = new List<(byte[], double)>();
        if (sources[0].Value == null) return result;
        foreach (var (m, s) in sources[0].Entries())
        {
            bool keep = true;
            for (int k = 1; k < sources.Length && keep; k++)
                if (sources[k].Value == sources[0].Value || sources[k].TryGetScore(m, out _)) keep = false;
            if (keep) result.Add((m, s));
        }
        return result;
    }
}
