using Codis.Server.Storage.Streams;

namespace Codis.Server.Commands;

/// <summary>
/// XREAD and XREADGROUP, with BLOCK on the server's blocking machinery: a blocked reader is tried again whenever
/// one of its keys is written, and served once the stream (or its group) has entries past its ID. Inside MULTI
/// and scripts they never wait. XREADGROUP propagates its effects (XCLAIM, XGROUP SETID), never itself.
/// </summary>
internal static class StreamReadCommands
{
    private static readonly byte[] NullArray = "*-1\r\n"u8.ToArray();

    /// <summary>With BLOCK and no COUNT, a served reader gets at most this many entries (as Redis).</summary>
    private const long BlockedDefaultCount = 1000;

    [Command("xread", -4, Flags = CommandFlags.ReadOnly | CommandFlags.Blocking, KeyKeyword = "STREAMS", KeyKeywordFrom = 1, Group = "stream", Summary = "Returns messages from multiple streams with IDs greater than the ones requested. Blocks until a message is available otherwise.")]
    public static void XRead(CommandContext ctx) => Read(ctx, group: false);

    [Command("xreadgroup", -7, Flags = CommandFlags.Write | CommandFlags.Blocking, KeyKeyword = "STREAMS", KeyKeywordFrom = 4, KeyFlags = "RO access", Group = "stream", Summary = "Returns new or historical messages from a stream for a consumer in a group. Blocks until a message is available otherwise.")]
    public static void XReadGroup(CommandContext ctx) => Read(ctx, group: true);

    private static void Read(CommandContext ctx, bool group)
    {
        long timeout = -1, count = 0;
        int streamsArg = 0, streamCount = 0;
        bool noAck = false;
        byte[]? groupName = null, consumerName = null;
        for (int i = 1; i < ctx.ArgCount; i++)
        {
            int more = ctx.ArgCount - i - 1;
            if (ctx.ArgIs(i, "block") && more > 0)
            {
                if (ctx.Client.IsScript)
                {
                    ctx.Error($"ERR {ctx.ArgString(0)} command is not allowed with BLOCK option from scripts");
                    return;
                }
                i++;
                if (!ctx.TryArgLong(i, out timeout, "ERR timeout is not an integer or out of range")) return;
                if (timeout < 0)
                {
                    ctx.Error("ERR timeout is negative");
                    return;
                }
            }
            else if (ctx.ArgIs(i, "count") && more > 0)
            {
                i++;
                if (!ctx.TryArgLong(i, out count)) return;
                if (count < 0) count = 0;
            }
            else if (ctx.ArgIs(i, "streams") && more > 0)
            {
                streamsArg = i + 1;
                streamCount = ctx.ArgCount - streamsArg;
                if (streamCount % 2 != 0)
                {
                    ctx.Error("ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.");
                    return;
                }
                streamCount /= 2;
                break;
            }
            else if (ctx.ArgIs(i, "group") && more >= 2)
            {
                if (!group)
                {
                    ctx.Error("ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.");
                    return;
                }
                groupName = ctx.ArgBytes(i + 1);
                consumerName = ctx.ArgBytes(i + 2);
                i += 2;
            }
            else if (ctx.ArgIs(i, "noack"))
            {
                if (!group)
                {
                    ctx.Error("ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.");
                    return;
                }
                noAck = true;
            }
            else
            {
                ctx.SyntaxError();
                return;
            }
        }
        if (streamsArg == 0)
        {
            ctx.SyntaxError();
            return;
        }
        if (group && groupName == null)
        {
            ctx.Error("ERR Missing GROUP option for XREADGROUP");
            return;
        }

        // IDs: "$" = the stream's last ID now, ">" = what the group has not delivered (kept as Max).
        var ids = new StreamId[streamCount];
        var groups = new StreamGroup?[streamCount];
        for (int k = 0; k < streamCount; k++)
        {
            int keyArg = streamsArg + k, idArg = streamsArg + streamCount + k;
            if (!CollectionAccess.TryGetForRead(ctx, ctx.Arg(keyArg), out StreamValue? s)) return; // XREADGROUP's too
            if (groupName != null)
            {
                groups[k] = s?.FindGroup(groupName);
                if (groups[k] == null)
                {
                    ctx.Error($"NOGROUP No such key '{ctx.ArgString(keyArg)}' or consumer group '{System.Text.Encoding.UTF8.GetString(groupName)}' in XREADGROUP with GROUP option");
                    return;
                }
            }
            var text = ctx.Arg(idArg);
            if (text.Length == 1 && text[0] == (byte)'$')
            {
                if (group)
                {
                    ctx.Error("ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.");
                    return;
                }
                ids[k] = s?.LastId ?? default;
            }
            else if (text.Length == 1 && text[0] == (byte)'>')
            {
                if (!group)
                {
                    ctx.Error("ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.");
                    return;
                }
                ids[k] = StreamId.Max;
            }
            else if (!StreamArgs.TryStrictId(ctx, text, 0, out ids[k])) return;
        }

        // Serve at once what can be served (deciding first: the reply starts with how many streams it holds).
        var served = new List<(int K, StreamValue S, StreamId Gt, bool History, StreamConsumer? Consumer, bool Created)>();
        for (int k = 0; k < streamCount; k++)
        {
            if (ctx.Db.Get(ctx.Arg(streamsArg + k)) is not StreamValue s) continue;
            var gt = ids[k];
            bool now = false, history = false;
            StreamConsumer? consumer = null;
            bool created = false;
            if (groups[k] is { } g)
            {
                if (gt != StreamId.Max)
                {
                    now = true;
                    history = true;
                }
                else if (s.Length > 0 && s.LastValidId > g.LastId)
                {
                    now = true;
                    gt = g.LastId;
                }
                if (now)
                {
                    // As Redis 7.0: the consumer appears only when the read serves it something now.
                    consumer = g.GetOrCreateConsumer(consumerName!, ctx.Now, out created);
                    consumer.SeenTime = ctx.Now;
                    if (created) ctx.Notify(PubSub.NotifyType.Stream, "xgroup-createconsumer"u8, streamsArg + k);
                }
            }
            else if (s.Length > 0 && s.LastValidId > gt) now = true;
            if (now) served.Add((k, s, gt, history, consumer, created));
        }
        if (served.Count > 0)
        {
            var effects = new List<byte[][]>();
            // RESP3: a map of stream name to entries; RESP2: an array of [name, entries].
            bool map = ctx.Reply.Resp3;
            if (map) ctx.Reply.WriteMapHeader(served.Count);
            else ctx.Reply.WriteArrayHeader(served.Count);
            foreach (var (k, s, gt, history, consumer, created) in served)
            {
                var key = ctx.ArgBytes(streamsArg + k);
                if (!map) ctx.Reply.WriteArrayHeader(2);
                ctx.Reply.WriteBulk(key);
                if (groups[k] is not { } g) StreamArgs.WriteEntries(ctx, AfterId(s, gt), count);
                else if (history) StreamGroupReads.ServeHistory(ctx, s, consumer!, gt, count);
                else StreamGroupReads.ServeNew(ctx, key, s, g, consumer!, created, gt, count, noAck, effects);
            }
            Finish(ctx, effects);
            return;
        }
        if (timeout >= 0)
        {
            if (ctx.DenyBlocking)
            {
                ctx.SuppressPropagation = true;
                ctx.Reply.WriteNullArray();
                return;
            }
            long deadline = timeout == 0 ? long.MaxValue : (timeout > long.MaxValue - ctx.Now ? long.MaxValue : ctx.Now + timeout);
            var keys = new byte[streamCount][];
            var waitIds = new Dictionary<byte[], StreamId>(Persistence.ByteArrayComparer.Instance);
            for (int k = 0; k < streamCount; k++)
            {
                keys[k] = ctx.ArgBytes(streamsArg + k);
                waitIds.TryAdd(keys[k], ids[k]);
            }
            long blockedCount = count > 0 ? count : BlockedDefaultCount;
            ctx.SuppressPropagation = true;
            ctx.Server.Blocking.Block(ctx, keys, deadline, NullArray,
                (c, key) => ServeBlocked(c, key, waitIds[key], groupName, consumerName, noAck, blockedCount), serveEach: true);
            return;
        }
        ctx.SuppressPropagation = true;
        ctx.Reply.WriteNullArray();
    }

    private static StreamRange AfterId(StreamValue s, StreamId gt) =>
        gt.TryNext(out var start) ? s.Range(start, StreamId.Max) : StreamRange.Empty;

    private static void Finish(CommandContext ctx, List<byte[][]> effects)
    {
        if (effects.Count > 0)
        {
            ctx.Rewrite = effects;
            // Deliveries change the group, which Redis signals to no one: XCLAIM key …, XGROUP SETID key ….
            foreach (var e in effects) ctx.Keyspace.OnChangedQuietly(ctx.Db, System.Text.Ascii.EqualsIgnoreCase(e[0], "XGROUP"u8) ? e[2] : e[1]);
        }
        else ctx.SuppressPropagation = true;
    }

    /// <summary>
    /// A blocked reader's turn after one of its keys was written. XREAD waits on through deletes and type changes;
    /// XREADGROUP ends with an error when the key is gone or its group was destroyed, as Redis 7.0 does.
    /// </summary>
    private static bool ServeBlocked(CommandContext ctx, byte[] key, StreamId gt, byte[]? groupName, byte[]? consumerName, bool noAck, long count)
    {
        var value = ctx.Db.Get(key);
        StreamGroup? g = null;
        if (groupName != null)
        {
            if (value is not StreamValue)
            {
                ctx.Error("UNBLOCKED the stream key no longer exists");
                ctx.SuppressPropagation = true;
                return true;
            }
            g = ((StreamValue)value).FindGroup(groupName);
            if (g == null)
            {
                ctx.Error("NOGROUP the consumer group this client was blocked on no longer exists");
                ctx.SuppressPropagation = true;
                return true;
            }
            gt = g.LastId;
        }
        if (value is not StreamValue s || s.LastId <= gt) return false;
        if (ctx.Reply.Resp3) ctx.Reply.WriteMapHeader(1);
        else
        {
            ctx.Reply.WriteArrayHeader(1);
            ctx.Reply.WriteArrayHeader(2);
        }
        ctx.Reply.WriteBulk(key);
        var effects = new List<byte[][]>();
        if (g == null) StreamArgs.WriteEntries(ctx, AfterId(s, gt), count);
        else
        {
            var consumer = g.GetOrCreateConsumer(consumerName!, ctx.Now, out bool created);
            consumer.SeenTime = ctx.Now;
            if (created) ctx.Notify(PubSub.NotifyType.Stream, "xgroup-createconsumer"u8, key);
            StreamGroupReads.ServeNew(ctx, key, s, g, consumer, created, gt, count, noAck, effects);
        }
        Finish(ctx, effects);
        return true;
    }
}
