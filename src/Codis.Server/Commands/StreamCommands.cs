using Codis.Server.PubSub;
using Codis.Server.Storage.Collections;
using Codis.Server.Storage.Streams;

namespace Codis.Server.Commands;

/// <summary>The stream entry commands: XADD XLEN XRANGE XREVRANGE XDEL XTRIM XSETID (Redis 7.0 semantics and errors).</summary>
internal static class StreamCommands
{
    internal static bool TryGetStream(CommandContext ctx, ReadOnlySpan<byte> key, out StreamValue? s) => CollectionAccess.TryGet(ctx, key, out s);

    [Command("xadd", -5, Flags = CommandFlags.Write | CommandFlags.DenyOom | CommandFlags.Fast, FirstKey = 1, LastKey = 1, Step = 1, KeyFlags = "RW update", Group = "stream", Tips = "nondeterministic_output", Summary = "Appends a new message to a stream. Creates the key if it doesn't exist.")]
    public static void XAdd(CommandContext ctx)
    {
        if (!StreamTrimArgs.TryParse(ctx, xadd: true, out var a)) return;
        int fieldPos = a.IdArg + 1;
        int pairs = ctx.ArgCount - fieldPos;
        if (pairs < 2 || pairs % 2 == 1)
        {
            ctx.Error(Errors.WrongArity("xadd"));
            return;
        }
        if (a.IdGiven && a.SeqGiven && a.Id.IsZero)
        {
            ctx.Error("ERR The ID specified in XADD must be greater than 0-0");
            return;
        }
        if (!TryGetStream(ctx, ctx.Arg(1), out var s)) return;
        if (s == null && a.NoMkStream)
        {
            ctx.Reply.WriteNullBulk();
            return;
        }
        if (s != null && s.LastId == StreamId.Max)
        {
            ctx.Error("ERR The stream has exhausted the last possible ID, unable to add more items");
            return;
        }
        var last = s?.LastId ?? default;
        StreamId id;
        if (!a.IdGiven)
        {
            ulong ms = (ulong)ctx.Now;
            id = ms > last.Ms ? new StreamId(ms, 0) : Next(last);
        }
        else if (a.SeqGiven) id = a.Id;
        else if (a.Id.Ms == last.Ms)
        {
            if (last.Seq == ulong.MaxValue)
            {
                ctx.Error(TooSmall);
                return;
            }
            id = new StreamId(last.Ms, last.Seq + 1);
        }
        else id = a.Id;
        if (id <= last)
        {
            ctx.Error(TooSmall);
            return;
        }
        if (s == null)
        {
            s = new StreamValue();
            ctx.Db.Add(ElementBytes.Copy(ctx.Arg(1)), s, 0);
        }
        var limits = CollectionLimits.Current;
        s.Append(id, new RequestItems(ctx.Args, fieldPos, pairs), limits.StreamNodeMaxBytes, limits.StreamNodeMaxEntries);
        StreamArgs.WriteId(ctx, id);
        long trimmed = a.HasStrategy ? s.Trim(a.ByMaxLen, a.MaxLen, a.MinId, a.Approx, a.Limit) : 0;
        CollectionAccess.Modified(ctx, ctx.Arg(1), NotifyType.Stream, "xadd"u8);
        if (trimmed > 0) ctx.Notify(NotifyType.Stream, "xtrim"u8, 1);
        if ((a.Approx || !a.IdGiven || !a.SeqGiven) && ctx.EffectsWanted)
        {
            var args = a.Approx ? a.ExactArgs(ctx, s) : Copy(ctx);
            args[a.IdArg] = id.ToBytes();
            ctx.Rewrite = [args];
        }
    }

    private const string TooSmall = "ERR The ID specified in XADD is equal or smaller than the target stream top item";

    /// <summary>streamNextID's fallback when the clock is not ahead: the next sequence, or the next ms.</summary>
    private static StreamId Next(StreamId last) =>
        last.Seq == ulong.MaxValue ? new StreamId(last.Ms + 1, 0) : new StreamId(last.Ms, last.Seq + 1);

    internal static byte[][] Copy(CommandContext ctx)
    {
        var args = new byte[ctx.ArgCount][];
        for (int i = 0; i < args.Length; i++) args[i] = ctx.ArgBytes(i);
        return args;
    }

    [Command("xlen", 2, Flags = CommandFlags.ReadOnly | CommandFlags.Fast, FirstKey = 1, LastKey = 1, Step = 1, KeyFlags = "RO", Group = "stream", Summary = "Return the number of messages in a stream.")]
    public static void XLen(CommandContext ctx)
    {
        if (!TryGetStream(ctx, ctx.Arg(1), out var s)) return;
        ctx.Reply.WriteInteger(s?.Length ?? 0);
    }

    [Command("xrange", -4, Flags = CommandFlags.ReadOnly, FirstKey = 1, LastKey = 1, Step = 1, Group = "stream", Summary = "Returns the messages from a stream within a range of IDs.")]
    public static void XRange(CommandContext ctx) => Range(ctx, rev: false);

    [Command("xrevrange", -4, Flags = CommandFlags.ReadOnly, FirstKey = 1, LastKey = 1, Step = 1, Group = "stream", Summary = "Returns the messages from a stream within a range of IDs in reverse order.")]
    public static void XRevRange(CommandContext ctx) => Range(ctx, rev: true);

    private static void Range(CommandContext ctx, bool rev)
    {
        if (!StreamArgs.TryRangeStart(ctx, ctx.Arg(rev ? 3 : 2), out var start)) return;
        if (!StreamArgs.TryRangeEnd(ctx, ctx.Arg(rev ? 2 : 3), out var end)) return;
        long count = -1;
        for (int j = 4; j < ctx.ArgCount; j++)
        {
            if (ctx.ArgIs(j, "count") && j + 1 < ctx.ArgCount)
            {
                if (!ctx.TryArgLong(j + 1, out count)) return;
                if (count < 0) count = 0;
                j++;
            }
            else
            {
                ctx.SyntaxError();
                return;
            }
        }
        if (!TryGetStream(ctx, ctx.Arg(1), out var s)) return;
        if (s == null)
        {
            ctx.Reply.WriteEmptyArray();
            return;
        }
        if (count == 0)
        {
            ctx.Reply.WriteNullArray();
            return;
        }
        StreamArgs.WriteEntries(ctx, rev ? s.ReverseRange(start, end) : s.Range(start, end), count < 0 ? 0 : count);
    }

    [Command("xdel", -3, Flags = CommandFlags.Write | CommandFlags.Fast, FirstKey = 1, LastKey = 1, Step = 1, KeyFlags = "RW delete", Group = "stream", Summary = "Returns the number of messages after removing them from a stream.")]
    public static void XDel(CommandContext ctx)
    {
        if (!TryGetStream(ctx, ctx.Arg(1), out var s)) return;
        if (s == null)
        {
            ctx.Reply.WriteInteger(0);
            return;
        }
        var ids = new StreamId[ctx.ArgCount - 2];
        for (int j = 2; j < ctx.ArgCount; j++)
            if (!StreamArgs.TryStrictId(ctx, ctx.Arg(j), 0, out ids[j - 2])) return;
        long deleted = 0;
        bool first = false;
        foreach (var id in ids)
        {
            if (!s.Delete(id)) continue;
            if (id == s.FirstId) first = true;
            if (id > s.MaxDeletedId) s.MaxDeletedId = id;
            deleted++;
        }
        if (deleted > 0)
        {
            if (s.Length == 0) s.FirstId = default;
            else if (first) s.RefreshFirstId();
            CollectionAccess.Modified(ctx, ctx.Arg(1), NotifyType.Stream, "xdel"u8);
        }
        else ctx.SuppressPropagation = true;
        ctx.Reply.WriteInteger(deleted);
    }

    [Command("xtrim", -4, Flags = CommandFlags.Write, FirstKey = 1, LastKey = 1, Step = 1, KeyFlags = "RW delete", Group = "stream", Tips = "nondeterministic_output", Summary = "Deletes messages from the beginning of a stream.")]
    public static void XTrim(CommandContext ctx)
    {
        if (!StreamTrimArgs.TryParse(ctx, xadd: false, out var a)) return;
        if (!TryGetStream(ctx, ctx.Arg(1), out var s)) return;
        long deleted = s == null ? 0 : s.Trim(a.ByMaxLen, a.MaxLen, a.MinId, a.Approx, a.Limit);
        if (deleted > 0)
        {
            CollectionAccess.Modified(ctx, ctx.Arg(1), NotifyType.Stream, "xtrim"u8);
            if (a.Approx && ctx.EffectsWanted) ctx.Rewrite = [a.ExactArgs(ctx, s!)];
        }
        else ctx.SuppressPropagation = true;
        ctx.Reply.WriteInteger(deleted);
    }

    [Command("xsetid", -3, Flags = CommandFlags.Write | CommandFlags.DenyOom | CommandFlags.Fast, FirstKey = 1, LastKey = 1, Step = 1, KeyFlags = "RW update", Group = "stream", Summary = "An internal command for replicating stream values.")]
    public static void XSetId(CommandContext ctx)
    {
        if (!StreamArgs.TryStrictId(ctx, ctx.Arg(2), 0, out var id)) return;
        long entriesAdded = -1;
        StreamId maxDeleted = default;
        for (int i = 3; i < ctx.ArgCount; i++)
        {
            bool more = i + 1 < ctx.ArgCount;
            if (ctx.ArgIs(i, "entriesadded") && more)
            {
                if (!ctx.TryArgLong(i + 1, out entriesAdded)) return;
                if (entriesAdded < 0)
                {
                    ctx.Error("ERR entries_added must be positive");
                    return;
                }
                i++;
            }
            else if (ctx.ArgIs(i, "maxdeletedid") && more)
            {
                if (!StreamArgs.TryStrictId(ctx, ctx.Arg(i + 1), 0, out maxDeleted)) return;
                if (id < maxDeleted)
                {
                    ctx.Error("ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id");
                    return;
                }
                i++;
            }
            else
            {
                ctx.SyntaxError();
                return;
            }
        }
        if (!TryGetStream(ctx, ctx.Arg(1), out var s)) return;
        if (s == null)
        {
            ctx.Error(Errors.NoSuchKey);
            return;
        }
        if (s.Length > 0)
        {
            if (id < s.LastValidId)
            {
                ctx.Error("ERR The ID specified in XSETID is smaller than the target stream top item");
                return;
            }
            if (entriesAdded != -1 && (ulong)s.Length > (ulong)entriesAdded)
            {
                ctx.Error("ERR The entries_added specified in XSETID is smaller than the target stream length");
                return;
            }
        }
        s.LastId = id;
        if (entriesAdded != -1) s.EntriesAdded = (ulong)entriesAdded;
        if (!maxDeleted.IsZero) s.MaxDeletedId = maxDeleted;
        CollectionAccess.Modified(ctx, ctx.Arg(1), NotifyType.Stream, "xsetid"u8);
        ctx.Ok();
    }
}
