using Codis.Server.Storage.Lists;
using Codis.Server.Storage.SortedSets;

namespace Codis.Server.Commands;

/// <summary>
/// BLPOP BRPOP BRPOPLPUSH BLMOVE BZPOPMIN BZPOPMAX. Each first tries to answer at once; otherwise it blocks the
/// client on its keys (<see cref="Networking.Blocking.BlockingRegistry"/>) with a serve function that finishes
/// the command when one of them is written. With <see cref="CommandContext.DenyBlocking"/> (MULTI, scripts)
/// they answer the empty reply instead of waiting. Served pops propagate as their non-blocking forms.
/// </summary>
internal static class BlockingCommands
{
    private static readonly byte[] NullArray = "*-1\r\n"u8.ToArray();

    /// <summary>Redis's timeout argument: seconds as a float, 0 = forever; returns the deadline in unix ms.</summary>
    internal static bool TryParseTimeout(CommandContext ctx, int arg, out long deadline)
    {
        deadline = long.MaxValue;
        if (!CommandContext.TryParseDouble(ctx.Arg(arg), out double seconds))
        {
            ctx.Error("ERR timeout is not a float or out of range");
            return false;
        }
        double ms = Math.Ceiling(seconds * 1000);
        // Redis casts to long long: anything beyond its range wraps negative.
        if (ms < 0 || ms >= 9.2233720368547758E18)
        {
            ctx.Error("ERR timeout is negative");
            return false;
        }
        long wait = (long)ms;
        if (wait > 0) deadline = wait > long.MaxValue - ctx.Now ? long.MaxValue : ctx.Now + wait;
        return true;
    }

    private static byte[][] Keys(CommandContext ctx, int first, int last)
    {
        var keys = new byte[last - first + 1][];
        for (int i = first; i <= last; i++) keys[i - first] = ctx.ArgBytes(i);
        return keys;
    }

    [Command("blpop", -3, Flags = CommandFlags.NoScript | CommandFlags.Write | CommandFlags.Blocking, FirstKey = 1, LastKey = -2, Step = 1, KeyFlags = "RW access delete", Group = "list", Summary = "Removes and returns the first element in a list. Blocks until an element is available otherwise. Deletes the list if the last element was popped.")]
    public static void BLPop(CommandContext ctx) => BlockingPop(ctx, head: true);

    [Command("brpop", -3, Flags = CommandFlags.NoScript | CommandFlags.Write | CommandFlags.Blocking, FirstKey = 1, LastKey = -2, Step = 1, KeyFlags = "RW access delete", Group = "list", Summary = "Removes and returns the last element in a list. Blocks until an element is available otherwise. Deletes the list if the last element was popped.")]
    public static void BRPop(CommandContext ctx) => BlockingPop(ctx, head: false);

    private static void BlockingPop(CommandContext ctx, bool head)
    {
        if (!TryParseTimeout(ctx, ctx.ArgCount - 1, out long deadline)) return;
        for (int i = 1; i < ctx.ArgCount - 1; i++)
        {
            var value = ctx.Db.Get(ctx.Arg(i));
            if (value == null) continue;
            if (value is not ListValue)
            {
                ctx.WrongType();
                return;
            }
            ServePop(ctx, ctx.ArgBytes(i), head);
            return;
        }
        ctx.SuppressPropagation = true;
        if (ctx.DenyBlocking)
        {
            ctx.Reply.WriteNullArray();
            return;
        }
        ctx.Server.Blocking.Block(ctx, Keys(ctx, 1, ctx.ArgCount - 2), deadline, NullArray, (c, key) => ServePop(c, key, head));
    }

    private static bool ServePop(CommandContext ctx, byte[] key, bool head)
    {
        if (ctx.Db.Get(key) is not ListValue list) return false;
        var value = head ? list.PopHead() : list.PopTail();
        ListCommands.AfterPop(ctx, key, list, head);
        ctx.Reply.WriteArrayHeader(2);
        ctx.Reply.WriteBulk(key);
        ctx.Reply.WriteBulk(value);
        ctx.Rewrite = [[head ? "LPOP"u8.ToArray() : "RPOP"u8.ToArray(), key]];
        return true;
    }

    [Command("brpoplpush", 4, Flags = CommandFlags.NoScript | CommandFlags.Write | CommandFlags.DenyOom | CommandFlags.Blocking, FirstKey = 1, LastKey = 2, Step = 1, KeyFlagsByKey = "RW access delete|RW insert", Group = "list", Summary = "Pops an element from a list, pushes it to another list and returns it. Block until an element is available otherwise. Deletes the list if the last element was popped.")]
    public static void BRPopLPush(CommandContext ctx) => BlockingMove(ctx, fromHead: false, toHead: true, timeoutArg: 3);

    [Command("blmove", 6, Flags = CommandFlags.NoScript | CommandFlags.Write | CommandFlags.DenyOom | CommandFlags.Blocking, FirstKey = 1, LastKey = 2, Step = 1, KeyFlagsByKey = "RW access delete|RW insert", Group = "list", Summary = "Pops an element from a list, pushes it to another list and returns it. Blocks until an element is available otherwise. Deletes the list if the last element was moved.")]
    public static void BLMove(CommandContext ctx)
    {
        if (!ListCommands.TryParseDirection(ctx, 3, out bool fromHead) || !ListCommands.TryParseDirection(ctx, 4, out bool toHead)) return;
        BlockingMove(ctx, fromHead, toHead, timeoutArg: 5);
    }

    private static void BlockingMove(CommandContext ctx, bool fromHead, bool toHead, int timeoutArg)
    {
        if (!TryParseTimeout(ctx, timeoutArg, out long deadline)) return;
        var src = ctx.Db.Get(ctx.Arg(1));
        if (src != null)
        {
            if (src is not ListValue)
            {
                ctx.WrongType();
                return;
            }
            ServeMove(ctx, ctx.ArgBytes(1), fromHead, toHead);
            return;
        }
        ctx.SuppressPropagation = true;
        if (ctx.DenyBlocking)
        {
            ctx.Reply.WriteNullBulk();
            return;
        }
        ctx.Server.Blocking.Block(ctx, [ctx.ArgBytes(1)], deadline, NullArray, (c, key) => ServeMove(c, key, fromHead, toHead));
    }

    /// <summary>Moves one element; a destination of another type ends the wait with WRONGTYPE (nothing moves).</summary>
    private static bool ServeMove(CommandContext ctx, byte[] srcKey, bool fromHead, bool toHead)
    {
        if (ctx.Db.Get(srcKey) is not ListValue) return false;
        var dstKey = ctx.ArgBytes(2);
        if (ListCommands.TryMove(ctx, srcKey, dstKey, fromHead, toHead) == ListCommands.MoveOutcome.Moved)
            ctx.Rewrite = [["LMOVE"u8.ToArray(), srcKey, dstKey, Side(fromHead), Side(toHead)]];
        else ctx.SuppressPropagation = true;
        return true;
    }

    private static byte[] Side(bool head) => head ? "LEFT"u8.ToArray() : "RIGHT"u8.ToArray();

    [Command("bzpopmin", -3, Flags = CommandFlags.NoScript | CommandFlags.Write | CommandFlags.Fast | CommandFlags.Blocking, FirstKey = 1, LastKey = -2, Step = 1, KeyFlags = "RW access delete", Group = "sorted_set", Summary = "Removes and returns the member with the lowest score from one or more sorted sets. Blocks until a member is available otherwise. Deletes the sorted set if the last element was popped.")]
    public static void BZPopMin(CommandContext ctx) => BlockingZPop(ctx, max: false);

    [Command("bzpopmax", -3, Flags = CommandFlags.NoScript | CommandFlags.Write | CommandFlags.Fast | CommandFlags.Blocking, FirstKey = 1, LastKey = -2, Step = 1, KeyFlags = "RW access delete", Group = "sorted_set", Summary = "Removes and returns the member with the highest score from one or more sorted sets. Blocks until a member available otherwise. Deletes the sorted set if the last element was popped.")]
    public static void BZPopMax(CommandContext ctx) => BlockingZPop(ctx, max: true);

    private static void BlockingZPop(CommandContext ctx, bool max)
    {
        if (!TryParseTimeout(ctx, ctx.ArgCount - 1, out long deadline)) return;
        for (int i = 1; i < ctx.ArgCount - 1; i++)
        {
            var value = ctx.Db.Get(ctx.Arg(i));
            if (value == null) continue;
            if (value is not SortedSetValue)
            {
                ctx.WrongType();
                return;
            }
            ServeZPop(ctx, ctx.ArgBytes(i), max);
            return;
        }
        ctx.SuppressPropagation = true;
        if (ctx.DenyBlocking)
        {
            ctx.Reply.WriteNullArray();
            return;
        }
        ctx.Server.Blocking.Block(ctx, Keys(ctx, 1, ctx.ArgCount - 2), deadline, NullArray, (c, key) => ServeZPop(c, key, max));
    }

    private static bool ServeZPop(CommandContext ctx, byte[] key, bool max)
    {
        if (ctx.Db.Get(key) is not SortedSetValue zset || zset.Count == 0) return false;
        var popped = SortedSetPopCommands.PopEntries(ctx, key, zset, 1, max);
        ctx.Reply.WriteArrayHeader(3);
        ctx.Reply.WriteBulk(key);
        ctx.Reply.WriteBulk(popped[0].Member);
        SortedSetParsing.WriteScore(ctx, popped[0].Score);
        ctx.Rewrite = [[max ? "ZPOPMAX"u8.ToArray() : "ZPOPMIN"u8.ToArray(), key]];
        return true;
    }
}
