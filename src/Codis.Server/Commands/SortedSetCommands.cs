using Codis.Server.PubSub;
using Codis.Server.Storage.Collections;
using Codis.Server.Storage.SortedSets;

namespace Codis.Server.Commands;

/// <summary>The sorted set commands that add, remove and look up single members.</summary>
internal static class SortedSetCommands
{
    internal static bool TryGetZSet(CommandContext ctx, int arg, out SortedSetValue? zset) => CollectionAccess.TryGet(ctx, ctx.Arg(arg), out zset);

    [Command("zadd", -4, Flags = CommandFlags.Write | CommandFlags.DenyOom | CommandFlags.Fast, FirstKey = 1, LastKey = 1, Step = 1, KeyFlags = "RW update", Group = "sorted_set", Summary = "Adds one or more members to a sorted set, or updates their scores. Creates the key if it doesn't exist.")]
    public static void ZAdd(CommandContext ctx)
    {
        bool nx = false, xx = false, gt = false, lt = false, ch = false, incr = false;
        int at = 2;
        for (; at < ctx.ArgCount; at++)
        {
            if (ctx.ArgIs(at, "NX")) nx = true;
            else if (ctx.ArgIs(at, "XX")) xx = true;
            else if (ctx.ArgIs(at, "GT")) gt = true;
            else if (ctx.ArgIs(at, "LT")) lt = true;
            else if (ctx.ArgIs(at, "CH")) ch = true;
            else if (ctx.ArgIs(at, "INCR")) incr = true;
            else break;
        }
        int elements = ctx.ArgCount - at;
        if (elements == 0 || elements % 2 != 0)
        {
            ctx.SyntaxError();
            return;
        }
        if (nx && xx)
        {
            ctx.Error("ERR XX and NX options at the same time are not compatible");
            return;
        }
        if ((gt && nx) || (lt && nx) || (gt && lt))
        {
            ctx.Error("ERR GT, LT, and/or NX options at the same time are not compatible");
            return;
        }
        if (incr && elements > 2)
        {
            ctx.Error("ERR INCR option supports a single increment-element pair");
            return;
        }
        // ZADD's usual one or few pairs need no array on the heap
        Span<double> scores = elements / 2 <= 32 ? stackalloc double[elements / 2] : new double[elements / 2];
        for (int i = 0; i < scores.Length; i++)
            if (!ctx.TryArgDouble(at + 2 * i, out scores[i])) return;
        Add(ctx, 1, at, scores, nx, xx, gt, lt, ch, incr);
    }

    private static readonly string[] ZAddFlags = ["NX", "XX", "CH", "GT", "LT", "INCR"];

    [Command("zincrby", 4, Flags = CommandFlags.Write | CommandFlags.DenyOom | CommandFlags.Fast, FirstKey = 1, LastKey = 1, Step = 1, Group = "sorted_set", Summary = "Increments the score of a member in a sorted set.")]
    public static void ZIncrBy(CommandContext ctx)
    {
        // Redis parses ZINCRBY as ZADD's flags-then-pairs: a flag word where the increment goes leaves one
        // argument for a pair, a syntax error.
        foreach (var flag in ZAddFlags)
        {
            if (!ctx.ArgIs(2, flag)) continue;
            ctx.SyntaxError();
            return;
        }
        if (!ctx.TryArgDouble(2, out double by)) return;
        Add(ctx, 1, 2, [by], false, false, false, false, false, incr: true);
    }

    /// <summary>zaddGenericCommand after parsing: pairs start at <paramref name="at"/> (score, member).</summary>
    private static void Add(CommandContext ctx, int keyArg, int at, ReadOnlySpan<double> scores, bool nx, bool xx, bool gt, bool lt, bool ch, bool incr)
    {
        if (!TryGetZSet(ctx, keyArg, out var zset)) return;
        var limits = CollectionLimits.Current;
        if (zset == null)
        {
            if (xx)
            {
                ctx.SuppressPropagation = true;
                if (incr) ctx.Reply.WriteNullBulk();
                else ctx.Reply.WriteInteger(0);
                return;
            }
            zset = SortedSetValue.CreateFor(ctx.Args.Length(at + 1), limits);
            ctx.Db.Add(ctx.ArgBytes(keyArg), zset, 0);
        }
        long added = 0, updated = 0, processed = 0;
        double last = 0;
        for (int i = 0; i < scores.Length; i++)
        {
            var member = ctx.Arg(at + 2 * i + 1);
            double score = scores[i];
            if (zset.TryGetScore(member, out double current))
            {
                if (nx) continue;
                if (incr)
                {
                    score = current + score;
                    if (double.IsNaN(score))
                    {
                        ctx.Error("ERR resulting score is not a number (NaN)");
                        Finish(ctx, keyArg, zset, added + updated, incr);
                        return;
                    }
                }
                if ((lt && score >= current) || (gt && score <= current)) continue;
                last = score;
                processed++;
                if (score != current)
                {
                    zset.Set(member, score, limits);
                    updated++;
                }
            }
            else
            {
                if (xx) continue;
                zset.Set(member, score, limits);
                last = score;
                added++;
                processed++;
            }
        }
        Finish(ctx, keyArg, zset, added + updated, incr);
        if (incr)
        {
            if (processed > 0) SortedSetParsing.WriteScore(ctx, last);
            else ctx.Reply.WriteNullBulk();
        }
        else ctx.Reply.WriteInteger(ch ? added + updated : added);
    }

    private static void Finish(CommandContext ctx, int keyArg, SortedSetValue zset, long changes, bool incr)
    {
        if (zset.Count == 0) ctx.Db.Remove(ctx.Arg(keyArg)); // a new key that got nothing (NX/GT/LT/XX skipped all)
        else if (changes > 0) CollectionAccess.Modified(ctx, ctx.Arg(keyArg), NotifyType.ZSet, incr ? "zincr"u8 : "zadd"u8);
        else ctx.SuppressPropagation = true;
    }

    [Command("zrem", -3, Flags = CommandFlags.Write | CommandFlags.Fast, FirstKey = 1, LastKey = 1, Step = 1, KeyFlags = "RW delete", Group = "sorted_set", Summary = "Removes one or more members from a sorted set. Deletes the sorted set if all members were removed.")]
    public static void ZRem(CommandContext ctx)
    {
        if (!TryGetZSet(ctx, 1, out var zset)) return;
        long n = 0;
        if (zset != null)
        {
            for (int i = 2; i < ctx.ArgCount && zset.Count > 0; i++)
                if (zset.Remove(ctx.Arg(i))) n++;
            if (n > 0) CollectionAccess.AfterRemove(ctx, ctx.Arg(1), zset.Count, NotifyType.ZSet, "zrem"u8);
        }
        if (n == 0) ctx.SuppressPropagation = true;
        ctx.Reply.WriteInteger(n);
    }

    [Command("zscore", 3, Flags = CommandFlags.ReadOnly | CommandFlags.Fast, FirstKey = 1, LastKey = 1, Step = 1, Group = "sorted_set", Summary = "Returns the score of a member in a sorted set.")]
    public static void ZScore(CommandContext ctx)
    {
        if (!TryGetZSet(ctx, 1, out var zset)) return;
        if (zset != null && zset.TryGetScore(ctx.Arg(2), out double s)) SortedSetParsing.WriteScore(ctx, s);
        else ctx.Reply.WriteNullBulk();
    }

    [Command("zmscore", -3, Flags = CommandFlags.ReadOnly | CommandFlags.Fast, FirstKey = 1, LastKey = 1, Step = 1, Group = "sorted_set", Summary = "Returns the score of one or more members in a sorted set.")]
    public static void ZMScore(CommandContext ctx)
    {
        if (!TryGetZSet(ctx, 1, out var zset)) return;
        ctx.Reply.WriteArrayHeader(ctx.ArgCount - 2);
        for (int i = 2; i < ctx.ArgCount; i++)
        {
            if (zset != null && zset.TryGetScore(ctx.Arg(i), out double s)) SortedSetParsing.WriteScore(ctx, s);
            else ctx.Reply.WriteNullBulk();
        }
    }

    [Command("zcard", 2, Flags = CommandFlags.ReadOnly | CommandFlags.Fast, FirstKey = 1, LastKey = 1, Step = 1, KeyFlags = "RO", Group = "sorted_set", Summary = "Returns the number of members in a sorted set.")]
    public static void ZCard(CommandContext ctx)
    {
        if (!TryGetZSet(ctx, 1, out var zset)) return;
        ctx.Reply.WriteInteger(zset?.Count ?? 0);
    }

    [Command("zcount", 4, Flags = CommandFlags.ReadOnly | CommandFlags.Fast, FirstKey = 1, LastKey = 1, Step = 1, Group = "sorted_set", Summary = "Returns the count of members in a sorted set that have scores within a range.")]
    public static void ZCount(CommandContext ctx)
    {
        if (!SortedSetParsing.TryParseScoreRange(ctx.Arg(2), ctx.Arg(3), out var range))
        {
            ctx.Error(SortedSetParsing.ScoreRangeError);
            return;
        }
        if (!TryGetZSet(ctx, 1, out var zset)) return;
        long n = 0;
        if (zset != null && !range.IsEmpty && zset.FirstInRange(range) is var first and not 0)
            n = zset.RankOf(zset.LastInRange(range)) - zset.RankOf(first) + 1;
        ctx.Reply.WriteInteger(n);
    }

    [Command("zlexcount", 4, Flags = CommandFlags.ReadOnly | CommandFlags.Fast, FirstKey = 1, LastKey = 1, Step = 1, Group = "sorted_set", Summary = "Returns the number of members in a sorted set within a lexicographical range.")]
    public static void ZLexCount(CommandContext ctx)
    {
        if (!SortedSetParsing.TryParseLexRange(ctx.Arg(2), ctx.Arg(3), out var range, out bool empty))
        {
            ctx.Error(SortedSetParsing.LexRangeError);
            return;
        }
        if (!TryGetZSet(ctx, 1, out var zset)) return;
        long n = 0;
        if (zset != null && !empty && !range.IsEmpty && zset.FirstInRange(range) is var first and not 0)
            n = zset.RankOf(zset.LastInRange(range)) - zset.RankOf(first) + 1;
        ctx.Reply.WriteInteger(n);
    }

    [Command("zrank", 3, Flags = CommandFlags.ReadOnly | CommandFlags.Fast, FirstKey = 1, LastKey = 1, Step = 1, Group = "sorted_set", Summary = "Returns the index of a member in a sorted set ordered by ascending scores.")]
    public static void ZRank(CommandContext ctx) => Rank(ctx, reverse: false);

    [Command("zrevrank", 3, Flags = CommandFlags.ReadOnly | CommandFlags.Fast, FirstKey = 1, LastKey = 1, Step = 1, Group = "sorted_set", Summary = "Returns the index of a member in a sorted set ordered by descending scores.")]
    public static void ZRevRank(CommandContext ctx) => Rank(ctx, reverse: true);

    private static void Rank(CommandContext ctx, bool reverse)
    {
        if (!TryGetZSet(ctx, 1, out var zset)) return;
        long r = zset?.Rank(ctx.Arg(2), reverse) ?? -1;
        if (r < 0) ctx.Reply.WriteNullBulk();
        else ctx.Reply.WriteInteger(r);
    }
}
