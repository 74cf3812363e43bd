using Codis.Server.PubSub;
using Codis.Server.Storage.Collections;
using Codis.Server.Storage.SortedSets;

namespace Codis.Server.Commands;

/// <summary>ZRANGE and its older forms, ZRANGESTORE and the ZREMRANGEBY* commands (Redis 7.0's zrangeGenericCommand).</summary>
internal static class SortedSetRangeCommands
{
    private enum RangeType { Auto, Rank, Score, Lex }

    [Command("zrange", -4, Flags = CommandFlags.ReadOnly, FirstKey = 1, LastKey = 1, Step = 1, Group = "sorted_set", Summary = "Returns members in a sorted set within a range of indexes.")]
    public static void ZRange(CommandContext ctx) => Range(ctx, 1, store: false, RangeType.Auto, null);

    [Command("zrangestore", -5, Flags = CommandFlags.Write | CommandFlags.DenyOom, FirstKey = 1, LastKey = 2, Step = 1, KeyFlagsByKey = "OW update|RO access", Group = "sorted_set", Summary = "Stores a range of members from sorted set in a key.")]
    public static void ZRangeStore(CommandContext ctx) => Range(ctx, 2, store: true, RangeType.Auto, null);

    [Command("zrevrange", -4, Flags = CommandFlags.ReadOnly, FirstKey = 1, LastKey = 1, Step = 1, Group = "sorted_set", Summary = "Returns members in a sorted set within a range of indexes in reverse order.")]
    public static void ZRevRange(CommandContext ctx) => Range(ctx, 1, store: false, RangeType.Rank, direction: true);

    [Command("zrangebyscore", -4, Flags = CommandFlags.ReadOnly, FirstKey = 1, LastKey = 1, Step = 1, Group = "sorted_set", Summary = "Returns members in a sorted set within a range of scores.")]
    public static void ZRangeByScore(CommandContext ctx) => Range(ctx, 1, store: false, RangeType.Score, direction: false);

    [Command("zrevrangebyscore", -4, Flags = CommandFlags.ReadOnly, FirstKey = 1, LastKey = 1, Step = 1, Group = "sorted_set", Summary = "Returns members in a sorted set within a range of scores in reverse order.")]
    public static void ZRevRangeByScore(CommandContext ctx) => Range(ctx, 1, store: false, RangeType.Score, direction: true);

    [Command("zrangebylex", -4, Flags = CommandFlags.ReadOnly, FirstKey = 1, LastKey = 1, Step = 1, Group = "sorted_set", Summary = "Returns members in a sorted set within a lexicographical range.")]
    public static void ZRangeByLex(CommandContext ctx) => Range(ctx, 1, store: false, RangeType.Lex, direction: false);

    [Command("zrevrangebylex", -4, Flags = CommandFlags.ReadOnly, FirstKey = 1, LastKey = 1, Step = 1, Group = "sorted_set", Summary = "Returns members in a sorted set within a lexicographical range in reverse order.")]
    public static void ZRevRangeByLex(CommandContext ctx) => Range(ctx, 1, store: false, RangeType.Lex, direction: true);

    private static void Range(CommandContext ctx, int keyArg, bool store, RangeType type, bool? direction)
    {
        bool withScores = false;
        long offset = 0, limit = -1;
        bool limitGiven = false;
        for (int j = keyArg + 3; j < ctx.ArgCount; j++)
        {
            int left = ctx.ArgCount - j - 1;
            if (!store && ctx.ArgIs(j, "WITHSCORES")) withScores = true;
            else if (ctx.ArgIs(j, "LIMIT") && left >= 2)
            {
                if (!ctx.TryArgLong(j + 1, out offset) || !ctx.TryArgLong(j + 2, out limit)) return;
                limitGiven = true;
                j += 2;
            }
            else if (direction == null && ctx.ArgIs(j, "REV")) direction = true;
            else if (type == RangeType.Auto && ctx.ArgIs(j, "BYLEX")) type = RangeType.Lex;
            else if (type == RangeType.Auto && ctx.ArgIs(j, "BYSCORE")) type = RangeType.Score;
            else
            {
                ctx.SyntaxError();
                return;
            }
        }
        bool reverse = direction ?? false;
        if (type == RangeType.Auto) type = RangeType.Rank;
        if (limitGiven && limit != -1 && type == RangeType.Rank)
        {
            ctx.Error("ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX");
            return;
        }
        if (withScores && type == RangeType.Lex)
        {
            ctx.Error("ERR syntax error, WITHSCORES not supported in combination with BYLEX");
            return;
        }
        int minArg = keyArg + 1, maxArg = keyArg + 2;
        if (reverse && type != RangeType.Rank) (minArg, maxArg) = (maxArg, minArg);

        long start = 0, end = 0;
        ScoreRange scores = default;
        LexRange lex = default;
        bool lexEmpty = false;
        switch (type)
        {
            case RangeType.Rank:
                if (!ctx.TryArgLong(minArg, out start) || !ctx.TryArgLong(maxArg, out end)) return;
                break;
            case RangeType.Score:
                if (!SortedSetParsing.TryParseScoreRange(ctx.Arg(minArg), ctx.Arg(maxArg), out scores))
                {
                    ctx.Error(SortedSetParsing.ScoreRangeError);
                    return;
                }
                break;
            default:
                if (!SortedSetParsing.TryParseLexRange(ctx.Arg(minArg), ctx.Arg(maxArg), out lex, out lexEmpty))
                {
                    ctx.Error(SortedSetParsing.LexRangeError);
                    return;
                }
                break;
        }

        if (!CollectionAccess.TryGetForRead(ctx, ctx.Arg(keyArg), out SortedSetValue? zset)) return; // ZRANGESTORE's source too
        var result = new List<(byte[] Member, double Score)>();
        if (zset != null)
        {
            switch (type)
            {
                case RangeType.Rank:
                    ByRank(zset, start, end, reverse, result);
                    break;
                case RangeType.Score:
                    if (!scores.IsEmpty) ByScore(zset, scores, reverse, offset, limit, result);
                    break;
                default:
                    if (!lexEmpty && !lex.IsEmpty) ByLex(zset, lex, reverse, offset, limit, result);
                    break;
            }
        }
        if (store)
        {
            var dst = SortedSetValue.From(result, CollectionLimits.Current, addedInOrder: true);
            CollectionAccess.Store(ctx, ctx.Db, 1, dst, result.Count == 0, NotifyType.ZSet, "zrangestore"u8);
            ctx.Reply.WriteInteger(result.Count);
            return;
        }
        WriteEntries(ctx, result, withScores);
    }

    /// <summary>
    /// Members, with their scores as [member, score] pairs in RESP3 (a flat array in RESP2) unless
    /// <paramref name="flat"/> (ZPOPMIN without a count answers one flat pair in both protocols, as Redis 7.0).
    /// </summary>
    internal static void WriteEntries(CommandContext ctx, List<(byte[] Member, double Score)> entries, bool withScores, bool flat = false)
    {
        bool pairs = withScores && !flat;
        if (pairs) ctx.Reply.WritePairsHeader(entries.Count);
        else ctx.Reply.WriteArrayHeader(entries.Count * (withScores ? 2 : 1));
        foreach (var (m, s) in entries)
        {
            if (pairs) ctx.Reply.WritePairHeader();
            ctx.Reply.WriteBulk(m);
            if (withScores) SortedSetParsing.WriteScore(ctx, s);
        }
    }

    /// <summary>Clamps a rank range as Redis does; false when it is empty.</summary>
    private static bool ClampRanks(long count, ref long start, ref long end)
    {
        if (start < 0) start += count;
        if (end < 0) end += count;
        if (start < 0) start = 0;
        if (start > end || start >= count) return false;
        if (end >= count) end = count - 1;
        return true;
    }

    private static void ByRank(SortedSetValue zset, long start, long end, bool reverse, List<(byte[], double)> result)
    {
        long count = zset.Count;
        if (!ClampRanks(count, ref start, ref end)) return;
        long n = end - start + 1;
        var node = reverse ? zset.ByRank(count - 1 - start) : zset.ByRank(start);
        for (; node != 0 && n > 0; n--)
        {
            result.Add((zset.MemberOf(node), zset.ScoreOf(node)));
            node = reverse ? zset.Prev(node) : zset.Next(node);
        }
    }

    private static void ByScore(SortedSetValue zset, ScoreRange r, bool reverse, long offset, long limit, List<(byte[], double)> result)
    {
        if (offset > 0 && offset >= zset.Count) return;
        var node = reverse ? zset.LastInRange(r) : zset.FirstInRange(r);
        // A negative offset skips everything, as in Redis's "while (offset--)".
        if (offset < 0) return;
        for (; node != 0 && offset > 0; offset--) node = reverse ? zset.Prev(node) : zset.Next(node);
        for (; node != 0 && limit != 0; limit--)
        {
            if (reverse ? !r.AboveMin(zset.ScoreOf(node)) : !r.BelowMax(zset.ScoreOf(node))) break;
            result.Add((zset.MemberOf(node), zset.ScoreOf(node)));
            node = reverse ? zset.Prev(node) : zset.Next(node);
        }
    }

    private static void ByLex(SortedSetValue zset, LexRange r, bool reverse, long offset, long limit, List<(byte[], double)> result)
    {
        if (offset > 0 && offset >= zset.Count) return;
        var node = reverse ? zset.LastInRange(r) : zset.FirstInRange(r);
        if (offset < 0) return;
        for (; node != 0 && offset > 0; offset--) node = reverse ? zset.Prev(node) : zset.Next(node);
        for (; node != 0 && limit != 0; limit--)
        {
            if (reverse ? !r.AboveMin(zset.MemberSpan(node)) : !r.BelowMax(zset.MemberSpan(node))) break;
            result.Add((zset.MemberOf(node), zset.ScoreOf(node)));
            node = reverse ? zset.Prev(node) : zset.Next(node);
        }
    }

    [Command("zremrangebyrank", 4, Flags = CommandFlags.Write, FirstKey = 1, LastKey = 1, Step = 1, KeyFlags = "RW delete", Group = "sorted_set", Summary = "Removes members in a sorted set within a range of indexes. Deletes the sorted set if all members were removed.")]
    public static void ZRemRangeByRank(CommandContext ctx)
    {
        if (!ctx.TryArgLong(2, out long start) || !ctx.TryArgLong(3, out long end)) return;
        if (!SortedSetCommands.TryGetZSet(ctx, 1, out var zset)) return;
        var doomed = new List<(byte[], double)>();
        if (zset != null) ByRank(zset, start, end, false, doomed);
        RemoveAll(ctx, zset, doomed, "zremrangebyrank"u8);
    }

    [Command("zremrangebyscore", 4, Flags = CommandFlags.Write, FirstKey = 1, LastKey = 1, Step = 1, KeyFlags = "RW delete", Group = "sorted_set", Summary = "Removes members in a sorted set within a range of scores. Deletes the sorted set if all members were removed.")]
    public static void ZRemRangeByScore(CommandContext ctx)
    {
        if (!SortedSetParsing.TryParseScoreRange(ctx.Arg(2), ctx.Arg(3), out var range))
        {
            ctx.Error(SortedSetParsing.ScoreRangeError);
            return;
        }
        if (!SortedSetCommands.TryGetZSet(ctx, 1, out var zset)) return;
        var doomed = new List<(byte[], double)>();
        if (zset != null && !range.IsEmpty) ByScore(zset, range, false, 0, -1, doomed);
        RemoveAll(ctx, zset, doomed, "zremrangebyscore"u8);
    }

    [Command("zremrangebylex", 4, Flags = CommandFlags.Write, FirstKey = 1, LastKey = 1, Step = 1, KeyFlags = "RW delete", Group = "sorted_set", Summary = "Removes members in a sorted set within a lexicographical range. Deletes the sorted set if all members were removed.")]
    public static void ZRemRangeByLex(CommandContext ctx)
    {
        if (!SortedSetParsing.TryParseLexRange(ctx.Arg(2), ctx.Arg(3), out var range, out bool empty))
        {
            ctx.Error(SortedSetParsing.LexRangeError);
            return;
        }
        if (!SortedSetCommands.TryGetZSet(ctx, 1, out var zset)) return;
        var doomed = new List<(byte[], double)>();
        if (zset != null && !empty && !range.IsEmpty) ByLex(zset, range, false, 0, -1, doomed);
        RemoveAll(ctx, zset, doomed, "zremrangebylex"u8);
    }

    private static void RemoveAll(CommandContext ctx, SortedSetValue? zset, List<(byte[] Member, double)> doomed, ReadOnlySpan<byte> name)
    {
        if (zset == null || doomed.Count == 0)
        {
            ctx.SuppressPropagation = true;
            ctx.Reply.WriteInteger(0);
            return;
        }
        foreach (var (m, _) in doomed) zset.Remove(m);
        CollectionAccess.AfterRemove(ctx, ctx.Arg(1), zset.Count, NotifyType.ZSet, name);
        ctx.Reply.WriteInteger(doomed.Count);
    }
}
