using Codis.Server.PubSub;
using Codis.Server.Storage.SortedSets;

namespace Codis.Server.Commands;

/// <summary>ZPOPMIN ZPOPMAX ZRANDMEMBER ZSCAN.</summary>
internal static class SortedSetPopCommands
{
    [Command("zpopmin", -2, Flags = CommandFlags.Write | CommandFlags.Fast, FirstKey = 1, LastKey = 1, Step = 1, KeyFlags = "RW access delete", Group = "sorted_set", Summary = "Returns the lowest-scoring members from a sorted set after removing them. Deletes the sorted set if the last member was popped.")]
    public static void ZPopMin(CommandContext ctx) => Pop(ctx, max: false);

    [Command("zpopmax", -2, Flags = CommandFlags.Write | CommandFlags.Fast, FirstKey = 1, LastKey = 1, Step = 1, KeyFlags = "RW access delete", Group = "sorted_set", Summary = "Returns the highest-scoring members from a sorted set after removing them. Deletes the sorted set if the last member was popped.")]
    public static void ZPopMax(CommandContext ctx) => Pop(ctx, max: true);

    private static void Pop(CommandContext ctx, bool max)
    {
        if (ctx.ArgCount > 3)
        {
            ctx.SyntaxError();
            return;
        }
        long count = 1;
        if (ctx.ArgCount == 3 && !SortedSetParsing.TryParsePositiveCount(ctx, 2, out count)) return;
        if (!SortedSetCommands.TryGetZSet(ctx, 1, out var zset)) return;
        if (zset == null || count == 0)
        {
            ctx.SuppressPropagation = true;
            ctx.Reply.WriteEmptyArray();
            return;
        }
        var popped = PopEntries(ctx, ctx.Arg(1), zset, count, max);
        SortedSetRangeCommands.WriteEntries(ctx, popped, withScores: true, flat: ctx.ArgCount == 2);
    }

    /// <summary>Removes up to <paramref name="count"/> members from one end; deletes the key when it empties.</summary>
    internal static List<(byte[] Member, double Score)> PopEntries(CommandContext ctx, ReadOnlySpan<byte> key, SortedSetValue zset, long count, bool max)
    {
        var popped = new List<(byte[], double)>();
        while (count-- > 0 && zset.Count > 0)
        {
            int node = max ? zset.Last : zset.First;
            popped.Add((zset.MemberOf(node), zset.ScoreOf(node)));
            zset.Remove(node);
        }
        CollectionAccess.AfterRemove(ctx, key, zset.Count, NotifyType.ZSet, max ? "zpopmax"u8 : "zpopmin"u8);
        return popped;
    }

    [Command("zrandmember", -2, Flags = CommandFlags.ReadOnly, FirstKey = 1, LastKey = 1, Step = 1, Group = "sorted_set", Tips = "nondeterministic_output", Summary = "Returns one or more random members from a sorted set.")]
    public static void ZRandMember(CommandContext ctx)
    {
        bool withScores = false;
        long count = 0;
        if (ctx.ArgCount >= 3)
        {
            // The count is parsed before the rest is checked, as in Redis.
            if (!RandomCount.TryParse(ctx, 2, withValues: false, out count)) return;
            if (ctx.ArgCount > 4 || (ctx.ArgCount == 4 && !ctx.ArgIs(3, "WITHSCORES")))
            {
                ctx.SyntaxError();
                return;
            }
            withScores = ctx.ArgCount == 4;
            if (withScores && !RandomCount.CheckWithValues(ctx, count)) return;
        }
        if (!SortedSetCommands.TryGetZSet(ctx, 1, out var zset)) return;
        var random = ctx.Keyspace.Random;
        if (ctx.ArgCount == 2)
        {
            if (zset == null) ctx.Reply.WriteNullBulk();
            else ctx.Reply.WriteBulk(zset.RandomEntry(random).Member);
            return;
        }
        if (zset == null || count == 0)
        {
            ctx.Reply.WriteEmptyArray();
            return;
        }
        if (count < 0)
        {
            if (withScores) ctx.Reply.WritePairsHeader(-count);
            else ctx.Reply.WriteArrayHeader(-count);
            for (long i = 0; i < -count; i++)
            {
                var (member, score) = zset.RandomEntry(random);
                if (withScores) ctx.Reply.WritePairHeader();
                ctx.Reply.WriteBulk(member);
                if (withScores) SortedSetParsing.WriteScore(ctx, score);
            }
            return;
        }
        var all = zset.Entries().ToList();
        var picked = count >= all.Count ? all : RandomCount.Distinct(all, (int)count, random);
        SortedSetRangeCommands.WriteEntries(ctx, picked, withScores);
    }

    [Command("zscan", -3, Flags = CommandFlags.ReadOnly, FirstKey = 1, LastKey = 1, Step = 1, Group = "sorted_set", Tips = "nondeterministic_output", Summary = "Iterates over members and scores of a sorted set.")]
    public static void ZScan(CommandContext ctx)
    {
        if (!ElementScan.TryParseCursor(ctx, out ulong cursor)) return;
        if (!SortedSetCommands.TryGetZSet(ctx, 1, out var zset)) return;
        if (zset == null)
        {
            ElementScan.WriteEmpty(ctx);
            return;
        }
        if (!ElementScan.TryParseOptions(ctx, out var o)) return;
        if (!zset.IsListpack)
        {
            var table = zset.Table;
            ElementScan.WriteTable(ctx, o, table, cursor, (i, list) =>
            {
                list.Add(table.KeyAt(i));
                list.Add(SortedSetParsing.ScoreText(table.ValueAt(i)));
            });
            return;
        }
        var found = new List<byte[]>();
        foreach (var (m, s) in zset.Entries())
        {
            if (!ElementScan.Matches(ctx, o, m)) continue;
            found.Add(m);
            found.Add(SortedSetParsing.ListpackScoreText(s));
        }
        ElementScan.WriteResult(ctx, 0, found);
    }
}
