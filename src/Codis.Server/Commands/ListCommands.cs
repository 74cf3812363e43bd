using Codis.Server.PubSub;
using Codis.Server.Storage.Lists;

namespace Codis.Server.Commands;

/// <summary>The non-blocking list commands (Redis 7.0 semantics, replies and errors).</summary>
internal static class ListCommands
{
    internal static bool TryGetList(CommandContext ctx, int arg, out ListValue? list) => CollectionAccess.TryGet(ctx, ctx.Arg(arg), out list);

    [Command("lpush", -3, Flags = CommandFlags.Write | CommandFlags.DenyOom | CommandFlags.Fast, FirstKey = 1, LastKey = 1, Step = 1, KeyFlags = "RW insert", Group = "list", Summary = "Prepends one or more elements to a list. Creates the key if it doesn't exist.")]
    public static void LPush(CommandContext ctx) => Push(ctx, head: true, onlyExisting: false);

    [Command("rpush", -3, Flags = CommandFlags.Write | CommandFlags.DenyOom | CommandFlags.Fast, FirstKey = 1, LastKey = 1, Step = 1, KeyFlags = "RW insert", Group = "list", Summary = "Appends one or more elements to a list. Creates the key if it doesn't exist.")]
    public static void RPush(CommandContext ctx) => Push(ctx, head: false, onlyExisting: false);

    [Command("lpushx", -3, Flags = CommandFlags.Write | CommandFlags.DenyOom | CommandFlags.Fast, FirstKey = 1, LastKey = 1, Step = 1, KeyFlags = "RW insert", Group = "list", Summary = "Prepends one or more elements to a list only when the list exists.")]
    public static void LPushX(CommandContext ctx) => Push(ctx, head: true, onlyExisting: true);

    [Command("rpushx", -3, Flags = CommandFlags.Write | CommandFlags.DenyOom | CommandFlags.Fast, FirstKey = 1, LastKey = 1, Step = 1, KeyFlags = "RW insert", Group = "list", Summary = "Appends an element to a list only when the list exists.")]
    public static void RPushX(CommandContext ctx) => Push(ctx, head: false, onlyExisting: true);

    private static void Push(CommandContext ctx, bool head, bool onlyExisting)
    {
        if (!TryGetList(ctx, 1, out var list)) return;
        if (list == null)
        {
            if (onlyExisting)
            {
                ctx.SuppressPropagation = true;
                ctx.Reply.WriteInteger(0);
                return;
            }
            list = new ListValue(ctx.ArgCount - 2);
            Fill(ctx, list, head);
            ctx.Db.Add(ctx.ArgBytes(1), list, 0);
        }
        else
        {
            Fill(ctx, list, head);
            CollectionAccess.Modified(ctx, ctx.Arg(1));
        }
        ctx.Notify(NotifyType.List, PushEvent(head), 1);
        ctx.Reply.WriteInteger(list.Count);
    }

    internal static ReadOnlySpan<byte> PushEvent(bool head) => head ? "lpush"u8 : "rpush"u8;

    internal static ReadOnlySpan<byte> PopEvent(bool head) => head ? "lpop"u8 : "rpop"u8;

    /// <summary>After popping from a list: its "lpop"/"rpop" event, then the key goes ("del") if it is empty.</summary>
    internal static void AfterPop(CommandContext ctx, ReadOnlySpan<byte> key, ListValue list, bool head)
    {
        CollectionAccess.AfterRemove(ctx, key, list.Count, NotifyType.List, PopEvent(head));
    }

    private static void Fill(CommandContext ctx, ListValue list, bool head)
    {
        for (int i = 2; i < ctx.ArgCount; i++)
        {
            if (head) list.PushHead(ctx.ArgBytes(i));
            else list.PushTail(ctx.ArgBytes(i));
        }
    }

    [Command("lpop", -2, Flags = CommandFlags.Write | CommandFlags.Fast, FirstKey = 1, LastKey = 1, Step = 1, KeyFlags = "RW access delete", Group = "list", Summary = "Returns the first elements in a list after removing it. Deletes the list if the last element was popped.")]
    public static void LPop(CommandContext ctx) => Pop(ctx, head: true);

    [Command("rpop", -2, Flags = CommandFlags.Write | CommandFlags.Fast, FirstKey = 1, LastKey = 1, Step = 1, KeyFlags = "RW access delete", Group = "list", Summary = "Returns and removes the last elements of a list. Deletes the list if the last element was popped.")]
    public static void RPop(CommandContext ctx) => Pop(ctx, head: false);

    private static void Pop(CommandContext ctx, bool head)
    {
        if (ctx.ArgCount > 3)
        {
            ctx.Error(Errors.WrongArity(head ? "lpop" : "rpop"));
            return;
        }
        long count = 0;
        bool withCount = ctx.ArgCount == 3;
        if (withCount && !SortedSetParsing.TryParsePositiveCount(ctx, 2, out count)) return;
        if (!TryGetList(ctx, 1, out var list)) return;
        if (list == null)
        {
            ctx.SuppressPropagation = true;
            if (withCount) ctx.Reply.WriteNullArray();
            else ctx.Reply.WriteNullBulk();
            return;
        }
        if (withCount && count == 0)
        {
            ctx.SuppressPropagation = true;
            ctx.Reply.WriteEmptyArray();
            return;
        }
        if (!withCount)
        {
            ctx.Reply.WriteBulk(head ? list.PopHead() : list.PopTail());
        }
        else
        {
            int n = (int)Math.Min(count, list.Count);
            ctx.Reply.WriteArrayHeader(n);
            for (int i = 0; i < n; i++) ctx.Reply.WriteBulk(head ? list.PopHead() : list.PopTail());
        }
        AfterPop(ctx, ctx.Arg(1), list, head);
    }

    [Command("llen", 2, Flags = CommandFlags.ReadOnly | CommandFlags.Fast, FirstKey = 1, LastKey = 1, Step = 1, KeyFlags = "RO", Group = "list", Summary = "Returns the length of a list.")]
    public static void LLen(CommandContext ctx)
    {
        if (!TryGetList(ctx, 1, out var list)) return;
        ctx.Reply.WriteInteger(list?.Count ?? 0);
    }

    /// <summary>Redis's start/end clamping for LRANGE and LTRIM; false when the range is empty.</summary>
    private static bool Clamp(long count, ref long start, ref long end)
    {
        if (start < 0) start += count;
        if (end < 0) end += count;
        if (start < 0) start = 0;
        if (start > end || start >= count) return false;
        if (end >= count) end = count - 1;
        return true;
    }

    [Command("lrange", 4, Flags = CommandFlags.ReadOnly, FirstKey = 1, LastKey = 1, Step = 1, Group = "list", Summary = "Returns a range of elements from a list.")]
    public static void LRange(CommandContext ctx)
    {
        if (!ctx.TryArgLong(2, out long start) || !ctx.TryArgLong(3, out long end)) return;
        if (!TryGetList(ctx, 1, out var list)) return;
        if (list == null || !Clamp(list.Count, ref start, ref end))
        {
            ctx.Reply.WriteEmptyArray();
            return;
        }
        ctx.Reply.WriteArrayHeader(end - start + 1);
        foreach (var item in list.Range((int)start, (int)(end - start + 1))) ctx.Reply.WriteBulk(item);
    }

    [Command("lindex", 3, Flags = CommandFlags.ReadOnly, FirstKey = 1, LastKey = 1, Step = 1, Group = "list", Summary = "Returns an element from a list by its index.")]
    public static void LIndex(CommandContext ctx)
    {
        // Redis looks the key up before it parses the index: a missing key is nil whatever the index says.
        if (!TryGetList(ctx, 1, out var list)) return;
        if (list == null)
        {
            ctx.Reply.WriteNullBulk();
            return;
        }
        if (!ctx.TryArgLong(2, out long index)) return;
        if (index < 0) index += list.Count;
        if (index < 0 || index >= list.Count) ctx.Reply.WriteNullBulk();
        else ctx.Reply.WriteBulk(list.At((int)index));
    }

    [Command("lset", 4, Flags = CommandFlags.Write | CommandFlags.DenyOom, FirstKey = 1, LastKey = 1, Step = 1, KeyFlags = "RW update", Group = "list", Summary = "Sets the value of an element in a list by its index.")]
    public static void LSet(CommandContext ctx)
    {
        if (!TryGetList(ctx, 1, out var list)) return;
        if (list == null)
        {
            ctx.Error(Errors.NoSuchKey);
            return;
        }
        if (!ctx.TryArgLong(2, out long index)) return;
        if (index < 0) index += list.Count;
        if (index < 0 || index >= list.Count)
        {
            ctx.Error("ERR index out of range");
            return;
        }
        list.Set((int)index, ctx.Arg(3));
        CollectionAccess.Modified(ctx, ctx.Arg(1));
        ctx.Notify(NotifyType.List, "lset"u8, 1);
        ctx.Ok();
    }

    [Command("lrem", 4, Flags = CommandFlags.Write, FirstKey = 1, LastKey = 1, Step = 1, KeyFlags = "RW delete", Group = "list", Summary = "Removes elements from a list. Deletes the list if the last element was removed.")]
    public static void LRem(CommandContext ctx)
    {
        if (!ctx.TryArgLong(2, out long count)) return;
        if (!TryGetList(ctx, 1, out var list)) return;
        if (list == null)
        {
            ctx.SuppressPropagation = true;
            ctx.Reply.WriteInteger(0);
            return;
        }
        var element = ctx.ArgBytes(3);
        int removed;
        if (count >= 0)
        {
            long budget = count == 0 ? long.MaxValue : count;
            removed = list.RemoveWhere((_, v) => budget > 0 && v.SequenceEqual(element) && budget-- > 0);
        }
        else
        {
            // From the tail: find the positions first, then remove them in one pass.
            var doomed = new HashSet<int>();
            int i = list.Count;
            foreach (var item in list.RangeBackwards(list.Count - 1, list.Count))
            {
                i--;
                if (!item.SequenceEqual(element)) continue;
                doomed.Add(i);
                if (doomed.Count >= -count) break;
            }
            removed = list.RemoveWhere((i, _) => doomed.Contains(i));
        }
        if (removed > 0)
        {
            CollectionAccess.AfterRemove(ctx, ctx.Arg(1), list.Count, NotifyType.List, "lrem"u8);
        }
        else ctx.SuppressPropagation = true;
        ctx.Reply.WriteInteger(removed);
    }

    [Command("ltrim", 4, Flags = CommandFlags.Write, FirstKey = 1, LastKey = 1, Step = 1, KeyFlags = "RW delete", Group = "list", Summary = "Removes elements from both ends a list. Deletes the list if all elements were trimmed.")]
    public static void LTrim(CommandContext ctx)
    {
        if (!ctx.TryArgLong(2, out long start) || !ctx.TryArgLong(3, out long end)) return;
        if (!TryGetList(ctx, 1, out var list)) return;
        if (list == null)
        {
            ctx.SuppressPropagation = true;
            ctx.Ok();
            return;
        }
        if (!Clamp(list.Count, ref start, ref end))
        {
            ctx.Notify(NotifyType.List, "ltrim"u8, 1);
            CollectionAccess.Delete(ctx, ctx.Db, ctx.Arg(1));
        }
        else
        {
            if (start > 0 || end < list.Count - 1)
            {
                list.Trim((int)start, (int)end);
                CollectionAccess.Modified(ctx, ctx.Arg(1));
            }
            ctx.Notify(NotifyType.List, "ltrim"u8, 1); // also when nothing was cut, as Redis
        }
        ctx.Ok();
    }

    [Command("linsert", 5, Flags = CommandFlags.Write | CommandFlags.DenyOom, FirstKey = 1, LastKey = 1, Step = 1, KeyFlags = "RW insert", Group = "list", Summary = "Inserts an element before or after another element in a list.")]
    public static void LInsert(CommandContext ctx)
    {
        bool after;
        if (ctx.ArgIs(2, "AFTER")) after = true;
        else if (ctx.ArgIs(2, "BEFORE")) after = false;
        else
        {
            ctx.SyntaxError();
            return;
        }
        if (!TryGetList(ctx, 1, out var list)) return;
        if (list == null)
        {
            ctx.SuppressPropagation = true;
            ctx.Reply.WriteInteger(0);
            return;
        }
        var pivot = ctx.Arg(3);
        int found = -1, at = 0;
        foreach (var item in list.Range(0, list.Count))
        {
            if (pivot.SequenceEqual(item))
            {
                found = at;
                break;
            }
            at++;
        }
        if (found >= 0)
        {
            list.Insert(after ? found + 1 : found, ctx.Arg(4));
            CollectionAccess.Modified(ctx, ctx.Arg(1));
            ctx.Notify(NotifyType.List, "linsert"u8, 1);
            ctx.Reply.WriteInteger(list.Count);
            return;
        }
        ctx.SuppressPropagation = true;
        ctx.Reply.WriteInteger(-1);
    }

    [Command("lpos", -3, Flags = CommandFlags.ReadOnly, FirstKey = 1, LastKey = 1, Step = 1, Group = "list", Summary = "Returns the index of matching elements in a list.")]
    public static void LPos(CommandContext ctx)
    {
        long rank = 1, count = -1, maxLen = 0;
        for (int j = 3; j < ctx.ArgCount; j++)
        {
            bool moreArgs = j + 1 < ctx.ArgCount;
            if (ctx.ArgIs(j, "RANK") && moreArgs)
            {
                if (!ctx.TryArgLong(++j, out rank)) return;
                if (rank == 0)
                {
                    ctx.Error("ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list");
                    return;
                }
            }
            else if (ctx.ArgIs(j, "COUNT") && moreArgs)
            {
                // getPositiveLongFromObjectOrReply: a text that is no integer gets the same message
                if (!CommandContext.TryParseLong(ctx.Arg(++j), out count) || count < 0)
                {
                    ctx.Error("ERR COUNT can't be negative");
                    return;
                }
            }
            else if (ctx.ArgIs(j, "MAXLEN") && moreArgs)
            {
                // getPositiveLongFromObjectOrReply: a text that is no integer gets the same message
                if (!CommandContext.TryParseLong(ctx.Arg(++j), out maxLen) || maxLen < 0)
                {
                    ctx.Error("ERR MAXLEN can't be negative");
                    return;
                }
            }
            else
            {
                ctx.SyntaxError();
                return;
            }
        }
        if (!TryGetList(ctx, 1, out var list)) return;
        if (list == null)
        {
            if (count != -1) ctx.Reply.WriteEmptyArray();
            else ctx.Reply.WriteNullBulk();
            return;
        }
        bool fromTail = rank < 0;
        // -LONG_MIN wraps to itself in C, so that rank matches from the first hit.
        long skip = rank == long.MinValue ? 1 : Math.Abs(rank);
        var element = ctx.Arg(2);
        var found = new List<long>();
        long matches = 0;
        long limit = count == 0 ? long.MaxValue : count == -1 ? 1 : count;
        int scan = (int)(maxLen == 0 ? list.Count : Math.Min(maxLen, list.Count));
        if (fromTail)
        {
            int index = list.Count;
            foreach (var item in list.RangeBackwards(list.Count - 1, scan))
            {
                index--;
                if (!element.SequenceEqual(item) || ++matches < skip) continue;
                found.Add(index);
                if (found.Count >= limit) break;
            }
        }
        else
        {
            int index = -1;
            foreach (var item in list.Range(0, scan))
            {
                index++;
                if (!element.SequenceEqual(item) || ++matches < skip) continue;
                found.Add(index);
                if (found.Count >= limit) break;
            }
        }
        if (count == -1)
        {
            if (found.Count == 0) ctx.Reply.WriteNullBulk();
            else ctx.Reply.WriteInteger(found[0]);
            return;
        }
        ctx.Reply.WriteArrayHeader(found.Count);
        foreach (long i in found) ctx.Reply.WriteInteger(i);
    }

    [Command("rpoplpush", 3, Flags = CommandFlags.Write | CommandFlags.DenyOom, FirstKey = 1, LastKey = 2, Step = 1, KeyFlagsByKey = "RW access delete|RW insert", Group = "list", Summary = "Returns the last element of a list after removing and pushing it to another list. Deletes the list if the last element was popped.")]
    public static void RPopLPush(CommandContext ctx) => Move(ctx, fromHead: false, toHead: true);

    [Command("lmove", 5, Flags = CommandFlags.Write | CommandFlags.DenyOom, FirstKey = 1, LastKey = 2, Step = 1, KeyFlagsByKey = "RW access delete|RW insert", Group = "list", Summary = "Returns an element after popping it from one list and pushing it to another. Deletes the list if the last element was moved.")]
    public static void LMove(CommandContext ctx)
    {
        if (!TryParseDirection(ctx, 3, out bool fromHead) || !TryParseDirection(ctx, 4, out bool toHead)) return;
        Move(ctx, fromHead, toHead);
    }

    internal static bool TryParseDirection(CommandContext ctx, int arg, out bool head)
    {
        head = ctx.ArgIs(arg, "LEFT");
        if (head || ctx.ArgIs(arg, "RIGHT")) return true;
        ctx.SyntaxError();
        return false;
    }

    private static void Move(CommandContext ctx, bool fromHead, bool toHead)
    {
        var outcome = TryMove(ctx, ctx.Arg(1), ctx.Arg(2), fromHead, toHead);
        if (outcome == MoveOutcome.Empty)
        {
            ctx.SuppressPropagation = true;
            ctx.Reply.WriteNullBulk();
        }
    }

    internal enum MoveOutcome { Moved, Empty, WrongType }

    /// <summary>
    /// The LMOVE step shared with BLMOVE/BRPOPLPUSH: replies the moved element (or WRONGTYPE); on
    /// <see cref="MoveOutcome.Empty"/> nothing is replied. The destination's type is checked before popping.
    /// </summary>
    internal static MoveOutcome TryMove(CommandContext ctx, ReadOnlySpan<byte> srcKey, ReadOnlySpan<byte> dstKey, bool fromHead, bool toHead)
    {
        if (!CollectionAccess.TryGet<ListValue>(ctx, srcKey, out var src)) return MoveOutcome.WrongType;
        if (src == null) return MoveOutcome.Empty;
        if (!CollectionAccess.TryGet<ListValue>(ctx, dstKey, out var dst)) return MoveOutcome.WrongType;
        var value = fromHead ? src.PopHead() : src.PopTail();
        // Same key: the list rotates; it cannot be empty after the push.
        if (src == dst)
        {
            if (toHead) src.PushHead(value);
            else src.PushTail(value);
            CollectionAccess.Modified(ctx, srcKey);
            ctx.Notify(NotifyType.List, PushEvent(toHead), srcKey);
            ctx.Notify(NotifyType.List, PopEvent(fromHead), srcKey);
        }
        else
        {
            // The destination first, then the source: Redis's order of events (push, pop, then the source's del).
            if (dst == null)
            {
                dst = new ListValue();
                dst.PushTail(value);
                ctx.Db.Add(dstKey.ToArray(), dst, 0);
            }
            else
            {
                if (toHead) dst.PushHead(value);
                else dst.PushTail(value);
                CollectionAccess.Modified(ctx, dstKey);
            }
            ctx.Notify(NotifyType.List, PushEvent(toHead), dstKey);
            AfterPop(ctx, srcKey, src, fromHead);
        }
        ctx.Reply.WriteBulk(value);
        return MoveOutcome.Moved;
    }
}
