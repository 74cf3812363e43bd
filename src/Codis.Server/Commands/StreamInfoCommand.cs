using Codis.Server.Storage.Streams;

namespace Codis.Server.Commands;

/// <summary>XINFO STREAM [FULL [COUNT n]] / GROUPS / CONSUMERS, field by field as Redis 7.0 replies (RESP2 maps as flat arrays).</summary>
internal static class StreamInfoCommand
{
    private static readonly string[] Help =
    [
        "XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CONSUMERS <key> <groupname>",
        "    Show consumers of <groupname>.",
        "GROUPS <key>",
        "    Show the stream consumer groups.",
        "STREAM <key> [FULL [COUNT <count>]",
        "    Show information about the stream.",
        "HELP",
        "    Prints this help.",
    ];

    [Command("xinfo", -2, Flags = CommandFlags.ReadOnly, Group = "stream", Summary = "A container for stream introspection commands.")]
    [Subcommand("xinfo", "stream", -3, Flags = CommandFlags.ReadOnly, FirstKey = 2, LastKey = 2, Step = 1, Summary = "Returns information about a stream.")]
    [Subcommand("xinfo", "groups", 3, Flags = CommandFlags.ReadOnly, FirstKey = 2, LastKey = 2, Step = 1, Summary = "Returns a list of the consumer groups of a stream.")]
    [Subcommand("xinfo", "consumers", 4, Flags = CommandFlags.ReadOnly, FirstKey = 2, LastKey = 2, Step = 1, Tips = "nondeterministic_output", Summary = "Returns a list of the consumers in a consumer group.")]
    [Subcommand("xinfo", "help", 2, Flags = CommandFlags.Loading | CommandFlags.Stale, Summary = "Returns helpful text about the different subcommands.")]
    public static void XInfo(CommandContext ctx)
    {
        string sub = ctx.ArgString(1).ToLowerInvariant();
        if (!ServerCommands.CheckSubcommand(ctx, "xinfo", sub)) return;
        if (sub == "help")
        {
            Subcommands.WriteHelp(ctx, Help);
            return;
        }
        if (!StreamCommands.TryGetStream(ctx, ctx.Arg(2), out var s)) return;
        if (s == null)
        {
            ctx.Error(Errors.NoSuchKey);
            return;
        }
        var r = ctx.Reply;
        switch (sub)
        {
            case "consumers":
            {
                var g = s.FindGroup(ctx.ArgBytes(3));
                if (g == null)
                {
                    ctx.Error($"NOGROUP No such consumer group '{ctx.ArgString(3)}' for key name '{ctx.ArgString(2)}'");
                    return;
                }
                long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                r.WriteArrayHeader(g.Consumers.Count);
                foreach (var c in g.Consumers.Values)
                {
                    r.WriteMapHeader(3);
                    r.WriteBulk("name"u8); r.WriteBulk(c.Name);
                    r.WriteBulk("pending"u8); r.WriteInteger(c.Pending.Count);
                    r.WriteBulk("idle"u8); r.WriteInteger(Math.Max(0, now - c.SeenTime));
                }
                return;
            }
            case "groups":
                r.WriteArrayHeader(s.GroupCount);
                if (s.Groups == null) return;
                foreach (var g in s.Groups.Values)
                {
                    r.WriteMapHeader(6);
                    r.WriteBulk("name"u8); r.WriteBulk(g.Name);
                    r.WriteBulk("consumers"u8); r.WriteInteger(g.Consumers.Count);
                    r.WriteBulk("pending"u8); r.WriteInteger(g.Pending.Count);
                    r.WriteBulk("last-delivered-id"u8); StreamArgs.WriteId(ctx, g.LastId);
                    r.WriteBulk("entries-read"u8); WriteEntriesRead(ctx, g);
                    r.WriteBulk("lag"u8); WriteLag(ctx, s, g);
                }
                return;
            default:
                StreamInfo(ctx, s);
                return;
        }
    }

    private static void WriteEntriesRead(CommandContext ctx, StreamGroup g)
    {
        if (g.EntriesRead != StreamGroup.EntriesReadUnknown) ctx.Reply.WriteInteger(g.EntriesRead);
        else ctx.Reply.WriteNullBulk();
    }

    private static void WriteLag(CommandContext ctx, StreamValue s, StreamGroup g)
    {
        if (s.Lag(g) is { } lag) ctx.Reply.WriteInteger(lag);
        else ctx.Reply.WriteNullBulk();
    }

    private static void StreamInfo(CommandContext ctx, StreamValue s)
    {
        bool full = ctx.ArgCount > 3;
        long count = 10;
        if (full)
        {
            int optc = ctx.ArgCount - 3;
            if ((optc != 1 && optc != 3) || !ctx.ArgIs(3, "full") || (optc == 3 && !ctx.ArgIs(4, "count")))
            {
                ctx.Error($"ERR unknown subcommand or wrong number of arguments for '{ctx.ArgString(1)}'. Try XINFO HELP.");
                return;
            }
            if (optc == 3)
            {
                if (!ctx.TryArgLong(5, out count)) return;
                if (count < 0) count = 10;
            }
        }
        var r = ctx.Reply;
        r.WriteMapHeader(full ? 9 : 10);
        r.WriteBulk("length"u8); r.WriteInteger(s.Length);
        r.WriteBulk("radix-tree-keys"u8); r.WriteInteger(s.NodeCount);
        r.WriteBulk("radix-tree-nodes"u8); r.WriteInteger(RadixNodes(s));
        r.WriteBulk("last-generated-id"u8); StreamArgs.WriteId(ctx, s.LastId);
        r.WriteBulk("max-deleted-entry-id"u8); StreamArgs.WriteId(ctx, s.MaxDeletedId);
        r.WriteBulk("entries-added"u8); r.WriteInteger(unchecked((long)s.EntriesAdded));
        r.WriteBulk("recorded-first-entry-id"u8); StreamArgs.WriteId(ctx, s.FirstId);
        if (!full)
        {
            r.WriteBulk("groups"u8); r.WriteInteger(s.GroupCount);
            r.WriteBulk("first-entry"u8);
            if (s.TryFirst(out var first)) StreamArgs.WriteEntry(ctx, first);
            else r.WriteNullBulk();
            r.WriteBulk("last-entry"u8);
            if (s.TryLast(out var last)) StreamArgs.WriteEntry(ctx, last);
            else r.WriteNullBulk();
            return;
        }
        r.WriteBulk("entries"u8);
        StreamArgs.WriteEntries(ctx, s.Entries(), count);
        r.WriteBulk("groups"u8);
        r.WriteArrayHeader(s.GroupCount);
        if (s.Groups == null) return;
        foreach (var g in s.Groups.Values)
        {
            r.WriteMapHeader(7);
            r.WriteBulk("name"u8); r.WriteBulk(g.Name);
            r.WriteBulk("last-delivered-id"u8); StreamArgs.WriteId(ctx, g.LastId);
            r.WriteBulk("entries-read"u8); WriteEntriesRead(ctx, g);
            r.WriteBulk("lag"u8); WriteLag(ctx, s, g);
            r.WriteBulk("pel-count"u8); r.WriteInteger(g.Pending.Count);
            r.WriteBulk("pending"u8);
            var pel = Limit(g.Pending, count);
            r.WriteArrayHeader(pel.Count);
            foreach (var p in pel)
            {
                r.WriteArrayHeader(4);
                StreamArgs.WriteId(ctx, p.Id);
                r.WriteBulk(p.Consumer?.Name ?? []);
                r.WriteInteger(p.DeliveryTime);
                r.WriteInteger(unchecked((long)p.DeliveryCount));
            }
            r.WriteBulk("consumers"u8);
            r.WriteArrayHeader(g.Consumers.Count);
            foreach (var c in g.Consumers.Values)
            {
                r.WriteMapHeader(4);
                r.WriteBulk("name"u8); r.WriteBulk(c.Name);
                r.WriteBulk("seen-time"u8); r.WriteInteger(c.SeenTime);
                r.WriteBulk("pel-count"u8); r.WriteInteger(c.Pending.Count);
                r.WriteBulk("pending"u8);
                var own = Limit(c.Pending, count);
                r.WriteArrayHeader(own.Count);
                foreach (var p in own)
                {
                    r.WriteArrayHeader(3);
                    StreamArgs.WriteId(ctx, p.Id);
                    r.WriteInteger(p.DeliveryTime);
                    r.WriteInteger(unchecked((long)p.DeliveryCount));
                }
            }
        }
    }

    private static List<StreamPending> Limit(SortedSet<StreamPending> pel, long count) =>
        count == 0 ? pel.ToList() : pel.Take((int)Math.Min(count, int.MaxValue)).ToList();

    /// <summary>
    /// Redis reports its radix tree's internal node count; we keep no radix tree. An empty tree is one node; keys
    /// that share the leading bytes of their 16-byte IDs, as stream IDs do, take about one node per key plus the root.
    /// </summary>
    private static long RadixNodes(StreamValue s) => s.NodeCount == 0 ? 1 : s.NodeCount + 1;
}
