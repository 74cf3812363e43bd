using Codis.Server.Storage.Streams;

namespace Codis.Server.Commands;

/// <summary>
/// How a consumer group hands out entries (streamReplyWithRange with a group): new entries move the group's last
/// delivered ID and read counter and enter the PELs, history reads re-deliver the consumer's own pending
/// entries. The effects are collected as the commands that reproduce them on replicas and in the AOF: XCLAIM
/// … FORCE JUSTID LASTID per delivered entry and XGROUP SETID … ENTRIESREAD once the last ID moved.
/// </summary>
internal static class StreamGroupReads
{
    private static readonly byte[] XClaim = "XCLAIM"u8.ToArray(), XGroup = "XGROUP"u8.ToArray(), SetIdWord = "SETID"u8.ToArray(),
        EntriesReadWord = "ENTRIESREAD"u8.ToArray(), Zero = "0"u8.ToArray(), Time = "TIME"u8.ToArray(), RetryCount = "RETRYCOUNT"u8.ToArray(),
        Force = "FORCE"u8.ToArray(), JustId = "JUSTID"u8.ToArray(), LastId = "LASTID"u8.ToArray(), CreateConsumer = "CREATECONSUMER"u8.ToArray();

    /// <summary>Entries after <paramref name="after"/> not delivered to the group yet, at most count (0 = all).</summary>
    public static void ServeNew(CommandContext ctx, byte[] key, StreamValue s, StreamGroup g, StreamConsumer consumer, bool consumerCreated,
        StreamId after, long count, bool noAck, List<byte[][]> effects)
    {
        var range = after.TryNext(out var start) ? s.Range(start, StreamId.Max) : StreamRange.Empty;
        long delivered = range.CountAhead(count);
        long now = ctx.Now;
        bool moved = false;
        ctx.Reply.WriteArrayHeader(delivered);
        for (long i = 0; i < delivered && range.MoveNext(); i++)
        {
            var e = range.Current;
            if (e.Id > g.LastId)
            {
                if (g.EntriesRead != StreamGroup.EntriesReadUnknown && !s.HasTombstonesFrom(e.Id)) g.EntriesRead++;
                else if (s.EntriesAdded != 0) g.EntriesRead = s.EstimateDistance(e.Id);
                g.LastId = e.Id;
                moved = true;
            }
            StreamArgs.WriteEntry(ctx, e);
            if (noAck) continue;
            var p = g.FindPending(e.Id);
            if (p == null)
            {
                p = new StreamPending(e.Id);
                g.Pending.Add(p);
            }
            StreamGroup.Assign(p, consumer);
            p.DeliveryTime = now;
            p.DeliveryCount = 1;
            effects.Add(ClaimEffect(key, g, p));
        }
        if (consumerCreated && (noAck || delivered == 0))
            effects.Add([XGroup, CreateConsumer, key, g.Name, consumer.Name]);
        if (moved) effects.Add(SetIdEffect(key, g));
        if (delivered > 0 || consumerCreated) ctx.Keyspace.Dirty++;
    }

    /// <summary>The consumer's own pending entries after an ID (a deleted entry shows as [id, nil]).</summary>
    public static void ServeHistory(CommandContext ctx, StreamValue s, StreamConsumer consumer, StreamId after, long count)
    {
        var list = new List<StreamPending>();
        if (after.TryNext(out var start))
            foreach (var p in StreamGroup.Range(consumer.Pending, start, StreamId.Max))
            {
                if (count > 0 && list.Count >= count) break;
                list.Add(p);
            }
        ctx.Reply.WriteArrayHeader(list.Count);
        foreach (var p in list)
        {
            if (!s.TryFind(p.Id, out var e))
            {
                ctx.Reply.WriteArrayHeader(2);
                StreamArgs.WriteId(ctx, p.Id);
                ctx.Reply.WriteNullArray();
                continue;
            }
            StreamArgs.WriteEntry(ctx, e);
            p.DeliveryTime = ctx.Now;
            p.DeliveryCount++;
        }
    }

    /// <summary>XCLAIM key group consumer 0 id TIME t RETRYCOUNT n FORCE JUSTID LASTID last: recreates a PEL entry as it is.</summary>
    public static byte[][] ClaimEffect(byte[] key, StreamGroup g, StreamPending p) =>
        [XClaim, key, g.Name, p.Consumer!.Name, Zero, p.Id.ToBytes(), Time, StreamArgs.Number(p.DeliveryTime),
         RetryCount, StreamArgs.Number(p.DeliveryCount), Force, JustId, LastId, g.LastId.ToBytes()];

    /// <summary>XGROUP SETID key group last ENTRIESREAD n.</summary>
    public static byte[][] SetIdEffect(byte[] key, StreamGroup g) =>
        [XGroup, SetIdWord, key, g.Name, g.LastId.ToBytes(), EntriesReadWord, StreamArgs.Number(g.EntriesRead)];
}
