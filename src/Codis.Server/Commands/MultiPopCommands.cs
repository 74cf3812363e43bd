using Codis.Server.Storage.Lists;
using Codis.Server.Storage.SortedSets;

namespace Codis.Server.Commands;

/// <summary>
/// LMPOP ZMPOP BLMPOP BZMPOP (Redis 7.0): pop up to COUNT elements from the first of numkeys keys that has any.
/// Parsing order and error texts are Redis's (numkeys, then the direction, then COUNT, then the timeout); only
/// keys up to the first non-empty one are type-checked. The blocking forms wait through
/// <see cref="Networking.Blocking.BlockingRegistry"/> like BLPOP, and answer at once under DenyBlocking (MULTI,
/// scripts). What was popped propagates as <c>LPOP/RPOP/ZPOPMIN/ZPOPMAX key n</c>, n the number popped.
/// </summary>
internal static class MultiPopCommands
{
    private static readonly byte[] NullArray = "*-1\r\n"u8.ToArray();

    private readonly record struct Request(int FirstKey, int NumKeys, bool Head, long Count);

    [Command("lmpop", -4, Flags = CommandFlags.Write, KeyNumIndex = 1, KeyFlags = "RW access delete", Group = "list", Summary = "Pop elements from a list")]
    public static void LMPop(CommandContext ctx)
    {
        if (TryParse(ctx, 1, "LEFT", "RIGHT", out var req)) Pop(ctx, req, list: true, deadline: null);
    }

    [Command("blmpop", -5, Flags = CommandFlags.Write | CommandFlags.Blocking, KeyNumIndex = 2, KeyFlags = "RW access delete", Group = "list", Summary = "Pop elements from a list, or block until one is available")]
    public static void BLMPop(CommandContext ctx)
    {
        if (!TryParse(ctx, 2, "LEFT", "RIGHT", out var req)) return;
        if (BlockingCommands.TryParseTimeout(ctx, 1, out long deadline)) Pop(ctx, req, list: true, deadline);
    }

    [Command("zmpop", -4, Flags = CommandFlags.Write, KeyNumIndex = 1, KeyFlags = "RW access delete", Group = "sorted_set", Summary = "Remove and return members with scores in a sorted set")]
    public static void ZMPop(CommandContext ctx)
    {
        if (TryParse(ctx, 1, "MIN", "MAX", out var req)) Pop(ctx, req, list: false, deadline: null);
    }

    [Command("bzmpop", -5, Flags = CommandFlags.Write | CommandFlags.Blocking, KeyNumIndex = 2, KeyFlags = "RW access delete", Group = "sorted_set", Summary = "Remove and return members with scores in a sorted set or block until one is available")]
    public static void BZMPop(CommandContext ctx)
    {
        if (!TryParse(ctx, 2, "MIN", "MAX", out var req)) return;
        if (BlockingCommands.TryParseTimeout(ctx, 1, out long deadline)) Pop(ctx, req, list: false, deadline);
    }

    /// <summary>numkeys key [key ...] first|second [COUNT count]; Head is true for LEFT / MIN.</summary>
    private static bool TryParse(CommandContext ctx, int numKeysArg, string first, string second, out Request req)
    {
        req = default;
        if (!CommandContext.TryParseLong(ctx.Arg(numKeysArg), out long numKeys) || numKeys < 1)
        {
            ctx.Error("ERR numkeys should be greater than 0");
            return false;
        }
        // Room for the keys and the direction after them.
        if (numKeys > ctx.ArgCount - numKeysArg - 2)
        {
            ctx.SyntaxError();
            return false;
        }
        int where = numKeysArg + (int)numKeys + 1;
        bool head;
        if (ctx.ArgIs(where, first)) head = true;
        else if (ctx.ArgIs(where, second)) head = false;
        else
        {
            ctx.SyntaxError();
            return false;
        }
        long count = -1;
        for (int i = where + 1; i < ctx.ArgCount; i++)
        {
            if (count == -1 && ctx.ArgIs(i, "COUNT") && i + 1 < ctx.ArgCount)
            {
                if (!CommandContext.TryParseLong(ctx.Arg(i + 1), out count) || count < 1)
                {
                    ctx.Error("ERR count should be greater than 0");
                    return false;
                }
                i++;
                continue;
            }
            ctx.SyntaxError();
            return false;
        }
        req = new Request(numKeysArg + 1, (int)numKeys, head, count == -1 ? 1 : count);
        return true;
    }

    /// <summary>Pops from the first non-empty key; with a deadline (the blocking forms) waits when none has any.</summary>
    private static void Pop(CommandContext ctx, Request req, bool list, long? deadline)
    {
        for (int i = req.FirstKey; i < req.FirstKey + req.NumKeys; i++)
        {
            var value = ctx.Db.Get(ctx.Arg(i));
            if (value == null) continue;
            if (list ? value is not ListValue : value is not SortedSetValue)
            {
                ctx.WrongType();
                return;
            }
            Serve(ctx, ctx.ArgBytes(i), req, list);
            return;
        }
        ctx.SuppressPropagation = true;
        if (deadline is not { } until || ctx.DenyBlocking)
        {
            ctx.Reply.WriteNullArray();
            return;
        }
        var keys = new byte[req.NumKeys][];
        for (int i = 0; i < keys.Length; i++) keys[i] = ctx.ArgBytes(req.FirstKey + i);
        ctx.Server.Blocking.Block(ctx, keys, until, NullArray, (c, key) => Serve(c, key, req, list));
    }

    /// <summary>Pops up to Count from one key and replies [key, popped]; false when it has nothing of the type.</summary>
    private static bool Serve(CommandContext ctx, byte[] key, Request req, bool list)
    {
        var value = ctx.Db.Get(key);
        int popped;
        if (list)
        {
            if (value is not ListValue l || l.Count == 0) return false;
            popped = (int)Math.Min(req.Count, l.Count);
            ctx.Reply.WriteArrayHeader(2);
            ctx.Reply.WriteBulk(key);
            ctx.Reply.WriteArrayHeader(popped);
            for (int i = 0; i < popped; i++) ctx.Reply.WriteBulk(req.Head ? l.PopHead() : l.PopTail());
            ListCommands.AfterPop(ctx, key, l, req.Head);
        }
        else
        {
            if (value is not SortedSetValue z || z.Count == 0) return false;
            var entries = SortedSetPopCommands.PopEntries(ctx, key, z, req.Count, max: !req.Head);
            popped = entries.Count;
            ctx.Reply.WriteArrayHeader(2);
            ctx.Reply.WriteBulk(key);
            ctx.Reply.WriteArrayHeader(popped);
            foreach (var (member, score) in entries)
            {
                ctx.Reply.WriteArrayHeader(2);
                ctx.Reply.WriteBulk(member);
                SortedSetParsing.WriteScore(ctx, score);
            }
        }
        byte[] name = list ? (req.Head ? "LPOP"u8.ToArray() : "RPOP"u8.ToArray()) : (req.Head ? "ZPOPMIN"u8.ToArray() : "ZPOPMAX"u8.ToArray());
        ctx.Rewrite = [[name, key, System.Text.Encoding.ASCII.GetBytes(popped.ToString(System.Globalization.CultureInfo.InvariantCulture))]];
        return true;
    }
}
