using Codis.Server.PubSub;
using Codis.Server.Storage.Streams;

namespace Codis.Server.Commands;

/// <summary>The consumer group commands: XGROUP XACK XPENDING XCLAIM XAUTOCLAIM (Redis 7.0 semantics and errors).</summary>
internal static class StreamGroupCommands
{
    private static readonly string[] XGroupHelp =
    [
        "XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CREATE <key> <groupname> <id|$> [option]",
        "    Create a new consumer group. Options are:",
        "    * MKSTREAM",
        "      Create the empty stream if it does not exist.",
        "    * ENTRIESREAD entries_read",
        "      Set the group's entries_read counter (internal use).",
        "CREATECONSUMER <key> <groupname> <consumer>",
        "    Create a new consumer in the specified group.",
        "DELCONSUMER <key> <groupname> <consumer>",
        "    Remove the specified consumer.",
        "DESTROY <key> <groupname>",
        "    Remove the specified group.",
        "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
        "    Set the current group ID and entries_read counter.",
        "HELP",
        "    Prints this help.",
    ];

    [Command("xgroup", -2, Flags = CommandFlags.Write, Group = "stream", Summary = "A container for consumer groups commands.")]
    [Subcommand("xgroup", "create", -5, Flags = CommandFlags.Write | CommandFlags.DenyOom, FirstKey = 2, LastKey = 2, Step = 1, KeyFlags = "RW insert", Summary = "Creates a consumer group.")]
    [Subcommand("xgroup", "setid", -5, Flags = CommandFlags.Write, FirstKey = 2, LastKey = 2, Step = 1, KeyFlags = "RW update", Summary = "Sets the last-delivered ID of a consumer group.")]
    [Subcommand("xgroup", "destroy", 4, Flags = CommandFlags.Write, FirstKey = 2, LastKey = 2, Step = 1, KeyFlags = "RW delete", Summary = "Destroys a consumer group.")]
    [Subcommand("xgroup", "createconsumer", 5, Flags = CommandFlags.Write | CommandFlags.DenyOom, FirstKey = 2, LastKey = 2, Step = 1, KeyFlags = "RW insert", Summary = "Creates a consumer in a consumer group.")]
    [Subcommand("xgroup", "delconsumer", 5, Flags = CommandFlags.Write, FirstKey = 2, LastKey = 2, Step = 1, KeyFlags = "RW delete", Summary = "Deletes a consumer from a consumer group.")]
    [Subcommand("xgroup", "help", 2, Flags = CommandFlags.Loading | CommandFlags.Stale, Summary = "Returns helpful text about the different subcommands.")]
    public static void XGroup(CommandContext ctx)
    {
        string sub = ctx.ArgString(1).ToLowerInvariant();
        if (!ServerCommands.CheckSubcommand(ctx, "xgroup", sub)) return;
        if (sub == "help")
        {
            ctx.SuppressPropagation = true;
            Subcommands.WriteHelp(ctx, XGroupHelp);
            return;
        }
        bool mkStream = false;
        long entriesRead = StreamGroup.EntriesReadUnknown;
        for (int i = 5; i < ctx.ArgCount;)
        {
            if (sub == "create" && ctx.ArgIs(i, "mkstream"))
            {
                mkStream = true;
                i++;
            }
            else if (sub is "create" or "setid" && ctx.ArgIs(i, "entriesread") && i + 1 < ctx.ArgCount)
            {
                if (!ctx.TryArgLong(i + 1, out entriesRead)) return;
                if (entriesRead < 0 && entriesRead != StreamGroup.EntriesReadUnknown)
                {
                    ctx.Error("ERR value for ENTRIESREAD must be positive or -1");
                    return;
                }
                i += 2;
            }
            else
            {
                SubcommandSyntaxError(ctx);
                return;
            }
        }
        if (!StreamCommands.TryGetStream(ctx, ctx.Arg(2), out var s)) return;
        var groupName = ctx.ArgBytes(3);
        StreamGroup? g = null;
        if (!mkStream)
        {
            if (s == null)
            {
                ctx.Error("ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.");
                return;
            }
            g = s.FindGroup(groupName);
            if (g == null && sub is "setid" or "createconsumer" or "delconsumer")
            {
                ctx.Error($"NOGROUP No such consumer group '{ctx.ArgString(3)}' for key name '{ctx.ArgString(2)}'");
                return;
            }
        }
        switch (sub)
        {
            case "create":
            {
                if (ctx.ArgCount > 8)
                {
                    SubcommandSyntaxError(ctx);
                    return;
                }
                StreamId id;
                if (ctx.Arg(4).SequenceEqual("$"u8)) id = s?.LastId ?? default;
                else if (!StreamArgs.TryStrictId(ctx, ctx.Arg(4), 0, out id)) return;
                if (s == null)
                {
                    s = new StreamValue();
                    ctx.Db.Add(Storage.Collections.ElementBytes.Copy(ctx.Arg(2)), s, 0);
                }
                if (s.CreateGroup(groupName, id, entriesRead) == null)
                {
                    ctx.SuppressPropagation = true;
                    ctx.Error("BUSYGROUP Consumer Group name already exists");
                    return;
                }
                CollectionAccess.Modified(ctx, ctx.Arg(2), NotifyType.Stream, "xgroup-create"u8);
                ctx.Ok();
                return;
            }
            case "setid":
            {
                if (ctx.ArgCount != 5 && ctx.ArgCount != 7)
                {
                    SubcommandSyntaxError(ctx);
                    return;
                }
                StreamId id;
                if (ctx.Arg(4).SequenceEqual("$"u8)) id = s!.LastId;
                else if (!StreamArgs.TryId(ctx, ctx.Arg(4), 0, out id)) return;
                g!.LastId = id;
                g.EntriesRead = entriesRead;
                CollectionAccess.Modified(ctx, ctx.Arg(2), NotifyType.Stream, "xgroup-setid"u8);
                ctx.Ok();
                return;
            }
            case "destroy":
                if (g != null && s!.DestroyGroup(groupName))
                {
                    CollectionAccess.Modified(ctx, ctx.Arg(2), NotifyType.Stream, "xgroup-destroy"u8); // wakes its blocked readers with NOGROUP
                    ctx.Reply.WriteInteger(1);
                }
                else
                {
                    ctx.SuppressPropagation = true;
                    ctx.Reply.WriteInteger(0);
                }
                return;
            case "createconsumer":
                g!.GetOrCreateConsumer(ctx.ArgBytes(4), ctx.Now, out bool created);
                if (created)
                {
                    ctx.Keyspace.Dirty++;
                    ctx.Keyspace.OnChangedQuietly(ctx.Db, ctx.Arg(2));
                    ctx.Notify(NotifyType.Stream, "xgroup-createconsumer"u8, 2);
                }
                else ctx.SuppressPropagation = true;
                ctx.Reply.WriteInteger(created ? 1 : 0);
                return;
            case "delconsumer":
            {
                bool existed = g!.FindConsumer(ctx.ArgBytes(4)) != null;
                int pending = g.DeleteConsumer(ctx.ArgBytes(4));
                if (existed)
                {
                    ctx.Keyspace.Dirty++;
                    ctx.Keyspace.OnChangedQuietly(ctx.Db, ctx.Arg(2));
                    ctx.Notify(NotifyType.Stream, "xgroup-delconsumer"u8, 2);
                }
                else ctx.SuppressPropagation = true;
                ctx.Reply.WriteInteger(pending);
                return;
            }
        }
    }

    private static void SubcommandSyntaxError(CommandContext ctx)
    {
        ctx.SuppressPropagation = true;
        ctx.Error($"ERR unknown subcommand or wrong number of arguments for '{Truncate(ctx.ArgString(1))}'. Try {ctx.ArgString(0).ToUpperInvariant()} HELP.");
    }

    private static string Truncate(string s) => s.Length > 128 ? s[..128] : s;

    [Command("xack", -4, Flags = CommandFlags.Write | CommandFlags.Fast, FirstKey = 1, LastKey = 1, Step = 1, KeyFlags = "RW update", Group = "stream", Summary = "Returns the number of messages that were successfully acknowledged by the consumer group member of a stream.")]
    public static void XAck(CommandContext ctx)
    {
        if (!StreamCommands.TryGetStream(ctx, ctx.Arg(1), out var s)) return;
        var g = s?.FindGroup(ctx.ArgBytes(2));
        if (g == null)
        {
            ctx.SuppressPropagation = true;
            ctx.Reply.WriteInteger(0);
            return;
        }
        var ids = new StreamId[ctx.ArgCount - 3];
        for (int j = 3; j < ctx.ArgCount; j++)
            if (!StreamArgs.TryStrictId(ctx, ctx.Arg(j), 0, out ids[j - 3])) return;
        long acked = 0;
        foreach (var id in ids)
        {
            var p = g.FindPending(id);
            if (p == null) continue;
            g.RemovePending(p);
            acked++;
        }
        if (acked > 0)
        {
            ctx.Keyspace.Dirty += acked;
            ctx.Keyspace.OnChangedQuietly(ctx.Db, ctx.Arg(1));
        }
        else ctx.SuppressPropagation = true;
        ctx.Reply.WriteInteger(acked);
    }

    [Command("xpending", -3, Flags = CommandFlags.ReadOnly, FirstKey = 1, LastKey = 1, Step = 1, Group = "stream", Tips = "nondeterministic_output", Summary = "Returns the information and entries from a stream consumer group's pending entries list.")]
    public static void XPending(CommandContext ctx)
    {
        bool summary = ctx.ArgCount == 3;
        if (!summary && (ctx.ArgCount < 6 || ctx.ArgCount > 9))
        {
            ctx.SyntaxError();
            return;
        }
        StreamId start = default, end = default;
        long count = 0, minIdle = 0;
        byte[]? consumerName = null;
        if (!summary)
        {
            int at = 3;
            if (ctx.ArgIs(3, "idle"))
            {
                if (!ctx.TryArgLong(4, out minIdle)) return;
                if (ctx.ArgCount < 8)
                {
                    ctx.SyntaxError();
                    return;
                }
                at += 2;
            }
            if (!ctx.TryArgLong(at + 2, out count)) return;
            if (count < 0) count = 0;
            if (!StreamArgs.TryRangeStart(ctx, ctx.Arg(at), out start)) return;
            if (!StreamArgs.TryRangeEnd(ctx, ctx.Arg(at + 1), out end)) return;
            if (at + 3 < ctx.ArgCount) consumerName = ctx.ArgBytes(at + 3);
        }
        if (!StreamCommands.TryGetStream(ctx, ctx.Arg(1), out var s)) return;
        var g = s?.FindGroup(ctx.ArgBytes(2));
        if (g == null)
        {
            StreamArgs.NoGroup(ctx, 1, 2);
            return;
        }
        var r = ctx.Reply;
        if (summary)
        {
            r.WriteArrayHeader(4);
            r.WriteInteger(g.Pending.Count);
            if (g.Pending.Count == 0)
            {
                r.WriteNullBulk();
                r.WriteNullBulk();
                r.WriteNullArray();
                return;
            }
            StreamArgs.WriteId(ctx, g.Pending.Min!.Id);
            StreamArgs.WriteId(ctx, g.Pending.Max!.Id);
            var owners = g.Consumers.Values.Where(c => c.Pending.Count > 0).ToList();
            r.WriteArrayHeader(owners.Count);
            foreach (var c in owners)
            {
                r.WriteArrayHeader(2);
                r.WriteBulk(c.Name);
                r.WriteBulkInteger(c.Pending.Count);
            }
            return;
        }
        SortedSet<StreamPending> pel = g.Pending;
        if (consumerName != null)
        {
            var c = g.FindConsumer(consumerName);
            if (c == null)
            {
                r.WriteEmptyArray();
                return;
            }
            pel = c.Pending;
        }
        long now = ctx.Now;
        var rows = new List<StreamPending>();
        if (count > 0)
            foreach (var p in StreamGroup.Range(pel, start, end))
            {
                if (minIdle != 0 && now - p.DeliveryTime < minIdle) continue;
                rows.Add(p);
                if (rows.Count >= count) break;
            }
        r.WriteArrayHeader(rows.Count);
        foreach (var p in rows)
        {
            r.WriteArrayHeader(4);
            StreamArgs.WriteId(ctx, p.Id);
            r.WriteBulk(p.Consumer?.Name ?? []);
            r.WriteInteger(Math.Max(0, now - p.DeliveryTime));
            r.WriteInteger(unchecked((long)p.DeliveryCount));
        }
    }

    [Command("xclaim", -6, Flags = CommandFlags.Write | CommandFlags.Fast, FirstKey = 1, LastKey = 1, Step = 1, KeyFlags = "RW update", Group = "stream", Tips = "nondeterministic_output", Summary = "Changes, or acquires, ownership of a message in a consumer group, as if the message was delivered a consumer group member.")]
    public static void XClaim(CommandContext ctx)
    {
        if (!StreamCommands.TryGetStream(ctx, ctx.Arg(1), out var s)) return;
        var g = s?.FindGroup(ctx.ArgBytes(2));
        if (g == null)
        {
            StreamArgs.NoGroup(ctx, 1, 2);
            return;
        }
        if (!ctx.TryArgLong(4, out long minIdle, "ERR Invalid min-idle-time argument for XCLAIM")) return;
        if (minIdle < 0) minIdle = 0;
        var ids = new List<StreamId>();
        int j = 5;
        for (; j < ctx.ArgCount; j++)
        {
            if (!StreamArgs.TryStrictId(ctx, ctx.Arg(j), 0, out var id, reply: false)) break;
            ids.Add(id);
        }
        long now = ctx.Now, retryCount = -1, deliveryTime = -1;
        bool force = false, justId = false;
        StreamId lastId = default;
        for (; j < ctx.ArgCount; j++)
        {
            bool more = j + 1 < ctx.ArgCount;
            if (ctx.ArgIs(j, "force")) force = true;
            else if (ctx.ArgIs(j, "justid")) justId = true;
            else if (ctx.ArgIs(j, "idle") && more)
            {
                if (!ctx.TryArgLong(++j, out long idle, "ERR Invalid IDLE option argument for XCLAIM")) return;
                deliveryTime = now - idle;
            }
            else if (ctx.ArgIs(j, "time") && more)
            {
                if (!ctx.TryArgLong(++j, out deliveryTime, "ERR Invalid TIME option argument for XCLAIM")) return;
            }
            else if (ctx.ArgIs(j, "retrycount") && more)
            {
                if (!ctx.TryArgLong(++j, out retryCount, "ERR Invalid RETRYCOUNT option argument for XCLAIM")) return;
            }
            else if (ctx.ArgIs(j, "lastid") && more)
            {
                if (!StreamArgs.TryStrictId(ctx, ctx.Arg(++j), 0, out lastId)) return;
            }
            else
            {
                ctx.Error($"ERR Unrecognized XCLAIM option '{ctx.ArgString(j)}'");
                return;
            }
        }
        var key = ctx.ArgBytes(1);
        var effects = new List<byte[][]>();
        bool propagateLastId = false;
        if (lastId > g.LastId)
        {
            g.LastId = lastId;
            propagateLastId = true;
        }
        // A time in the future is this server's now, as in Redis; but a replica (or an AOF replay) takes the master's
        // time as it is: its own clock may trail the master's by a millisecond, and the PELs must match exactly.
        if (deliveryTime == -1 || deliveryTime < 0 || (deliveryTime > now && !ctx.Client.IsReplay)) deliveryTime = now;
        StreamConsumer? consumer = null;
        var claimed = new List<StreamEntry>();
        foreach (var id in ids)
        {
            var p = g.FindPending(id);
            if (!s!.TryFind(id, out var entry))
            {
                if (p != null)
                {
                    // The entry is gone: its pending entry goes too (the XCLAIM replayed downstream does the same).
                    effects.Add(StreamGroupReads.ClaimEffect(key, g, p));
                    propagateLastId = false;
                    g.RemovePending(p);
                }
                continue;
            }
            if (force && p == null)
            {
                p = new StreamPending(id);
                g.Pending.Add(p);
            }
            if (p == null) continue;
            if (p.Consumer != null && minIdle != 0 && now - p.DeliveryTime < minIdle) continue;
            if (consumer == null)
            {
                consumer = g.GetOrCreateConsumer(ctx.ArgBytes(3), now, out bool created);
                consumer.SeenTime = now;
                if (created) ctx.Notify(NotifyType.Stream, "xgroup-createconsumer"u8, 1);
            }
            StreamGroup.Assign(p, consumer);
            p.DeliveryTime = deliveryTime;
            if (retryCount >= 0) p.DeliveryCount = (ulong)retryCount;
            else if (!justId) p.DeliveryCount++;
            claimed.Add(entry);
            effects.Add(StreamGroupReads.ClaimEffect(key, g, p));
            propagateLastId = false;
        }
        if (propagateLastId) effects.Add(StreamGroupReads.SetIdEffect(key, g));
        ctx.Reply.WriteArrayHeader(claimed.Count);
        foreach (var entry in claimed)
        {
            if (justId) StreamArgs.WriteId(ctx, entry.Id);
            else StreamArgs.WriteEntry(ctx, entry);
        }
        if (effects.Count > 0)
        {
            ctx.Keyspace.Dirty += effects.Count;
            ctx.Keyspace.OnChangedQuietly(ctx.Db, ctx.Arg(1));
            ctx.Rewrite = effects;
        }
        else ctx.SuppressPropagation = true;
    }

    [Command("xautoclaim", -6, Flags = CommandFlags.Write | CommandFlags.Fast, FirstKey = 1, LastKey = 1, Step = 1, KeyFlags = "RW delete", Group = "stream", Tips = "nondeterministic_output", Summary = "Changes, or acquires, ownership of messages in a consumer group, as if the messages were delivered to as consumer group member.")]
    public static void XAutoClaim(CommandContext ctx)
    {
        if (!ctx.TryArgLong(4, out long minIdle, "ERR Invalid min-idle-time argument for XAUTOCLAIM")) return;
        if (minIdle < 0) minIdle = 0;
        if (!StreamArgs.TryRangeStart(ctx, ctx.Arg(5), out var start)) return;
        long count = 100;
        bool justId = false;
        for (int j = 6; j < ctx.ArgCount; j++)
        {
            if (ctx.ArgIs(j, "count") && j + 1 < ctx.ArgCount)
            {
                const long MaxCount = long.MaxValue / 16;
                if (!CommandContext.TryParseLong(ctx.Arg(j + 1), out count) || count < 1 || count > MaxCount)
                {
                    ctx.Error("ERR COUNT must be > 0");
                    return;
                }
                j++;
            }
            else if (ctx.ArgIs(j, "justid")) justId = true;
            else
            {
                ctx.SyntaxError();
                return;
            }
        }
        if (!StreamCommands.TryGetStream(ctx, ctx.Arg(1), out var s)) return;
        var g = s?.FindGroup(ctx.ArgBytes(2));
        if (g == null)
        {
            StreamArgs.NoGroup(ctx, 1, 2);
            return;
        }
        var key = ctx.ArgBytes(1);
        long now = ctx.Now, attempts = count * 10;
        var effects = new List<byte[][]>();
        var claimed = new List<StreamEntry>();
        var deleted = new List<StreamId>();
        StreamConsumer? consumer = null;
        StreamId cursor = default;
        var candidates = StreamGroup.Range(g.Pending, start, StreamId.Max).Take((int)Math.Min(attempts + 1, int.MaxValue)).ToList();
        int i = 0;
        for (; i < candidates.Count && attempts > 0 && count > 0; i++)
        {
            attempts--;
            var p = candidates[i];
            if (!s!.TryFind(p.Id, out var entry))
            {
                effects.Add(StreamGroupReads.ClaimEffect(key, g, p));
                g.RemovePending(p);
                deleted.Add(p.Id);
                count--;
                continue;
            }
            if (minIdle != 0 && now - p.DeliveryTime < minIdle) continue;
            if (consumer == null)
            {
                consumer = g.GetOrCreateConsumer(ctx.ArgBytes(3), now, out bool created);
                consumer.SeenTime = now;
                if (created) ctx.Notify(NotifyType.Stream, "xgroup-createconsumer"u8, 1);
            }
            StreamGroup.Assign(p, consumer);
            p.DeliveryTime = now;
            if (!justId) p.DeliveryCount++;
            claimed.Add(entry);
            count--;
            effects.Add(StreamGroupReads.ClaimEffect(key, g, p));
        }
        if (i < candidates.Count) cursor = candidates[i].Id;
        var r = ctx.Reply;
        r.WriteArrayHeader(3);
        StreamArgs.WriteId(ctx, cursor);
        r.WriteArrayHeader(claimed.Count);
        foreach (var e in claimed)
        {
            if (justId) StreamArgs.WriteId(ctx, e.Id);
            else StreamArgs.WriteEntry(ctx, e);
        }
        r.WriteArrayHeader(deleted.Count);
        foreach (var id in deleted) StreamArgs.WriteId(ctx, id);
        if (effects.Count > 0)
        {
            ctx.Keyspace.Dirty += effects.Count;
            ctx.Keyspace.OnChangedQuietly(ctx.Db, ctx.Arg(1));
            ctx.Rewrite = effects;
        }
        else ctx.SuppressPropagation = true;
    }
}
