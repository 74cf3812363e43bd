using System.Buffers.Binary;
using Codis.Server.Commands;
using Codis.Server.Persistence;
using Codis.Server.Storage;
using Codis.Server.Storage.Streams;

namespace Codis.Server.Slots;

/// <summary>
/// The target side of a stream sent in chunks (<see cref="ChunkedStream"/>, docs/slots.md): each message is applied
/// to the half-built stream in place (nodes appended as they come, nothing built before is read again) and sets
/// the temporary TTL it carries. The stream's counters arrive last (stream-meta), after a check that every entry
/// arrived. Propagated as the message itself with TTL 0 followed by PEXPIREAT/PERSIST, so a replica or the AOF
/// builds the same stream the same way (no native command recreates node boundaries and deleted entries).
/// </summary>
internal static class RestoreStreamChunks
{
    /// <summary>Applies <c>SLOTSRESTORE-ASYNC stream|stream-group|stream-consumers|stream-pel|stream-meta key ttl ...</c>.</summary>
    public static void Apply(CommandContext ctx, Database db, string sub, long expireAt)
    {
        var existing = db.Get(ctx.Arg(2));
        if (existing != null && existing is not StreamValue)
        {
            RestoreAsyncCommands.Ack(ctx, -1, $"wrong type (expect=stream,got={ValueTypes.TypeName(existing)})");
            return;
        }
        if (existing == null && sub != "stream")
        {
            RestoreAsyncCommands.Ack(ctx, -1, $"the specified key doesn't exist ({ctx.ArgString(2)})");
            return;
        }
        var s = existing as StreamValue;
        string? error;
        long result;
        try
        {
            (error, result) = sub switch
            {
                "stream" => Nodes(ctx, ref s),
                "stream-group" => Group(ctx, s!),
                "stream-consumers" => Consumers(ctx, s!),
                "stream-pel" => Pel(ctx, s!),
                _ => Meta(ctx, s!),
            };
        }
        catch (RdbFormatException e)
        {
            (error, result) = ($"invalid stream chunk ({e.Message})", 0);
        }
        if (error != null)
        {
            // What was applied before the error stays under the temporary TTL; the source fails the batch.
            RestoreAsyncCommands.Ack(ctx, -1, error);
            return;
        }
        if (existing == null) db.Add(ctx.ArgBytes(2), s!, expireAt);
        else db.Set(ctx.Arg(2), s!, expireAt);
        if (RestoreAsyncCommands.Propagating(ctx))
        {
            var args = new byte[ctx.ArgCount][];
            for (int i = 0; i < args.Length; i++) args[i] = i == 3 ? "0"u8.ToArray() : ctx.ArgBytes(i);
            ctx.Rewrite = [args, RestoreAsyncCommands.ExpireRewrite(ctx, expireAt)];
        }
        else
        {
            ctx.SuppressPropagation = true;
        }
        RestoreAsyncCommands.Ack(ctx, 0, result.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>stream key ttl hint [master-id listpack]...: whole nodes appended after the ones already here.</summary>
    private static (string?, long) Nodes(CommandContext ctx, ref StreamValue? s)
    {
        int argc = ctx.ArgCount;
        if (argc < 5 || (argc - 5) % 2 != 0) return (BadArity(ctx), 0);
        if (!CommandContext.TryParseLong(ctx.Arg(4), out long hint) || hint < 0) return ($"invalid Hint value (Hint={ctx.ArgString(4)})", 0);
        // Decode and check every node before touching the stream: a bad chunk leaves it as it was.
        var decoded = new StreamNode[(argc - 5) / 2];
        var last = s != null && s.NodeCount > 0 ? s.Node(s.NodeCount - 1).LastId : (StreamId?)null;
        for (int i = 0; i < decoded.Length; i++)
        {
            var rawId = ctx.Arg(5 + 2 * i);
            if (rawId.Length != 16) return ("invalid stream node ID", 0);
            var master = new StreamId(BinaryPrimitives.ReadUInt64BigEndian(rawId), BinaryPrimitives.ReadUInt64BigEndian(rawId[8..]));
            if (last is { } l && master <= l) return ("stream nodes out of order", 0);
            var node = StreamRdb.ReadNode(master, ctx.ArgBytes(6 + 2 * i));
            decoded[i] = node;
            last = node.LastId;
        }
        s ??= new StreamValue();
        foreach (var node in decoded) s.LoadNode(node);
        // Meanwhile the stream reads as what it holds; stream-meta sets the source's counters.
        if (s.TryLast(out var e) && e.Id > s.LastId) s.LastId = e.Id;
        if (s.TryFirst(out var f)) s.FirstId = f.Id;
        return (null, s.Length);
    }

    /// <summary>stream-group key ttl group last-id entries-read: creates a consumer group.</summary>
    private static (string?, long) Group(CommandContext ctx, StreamValue s)
    {
        if (ctx.ArgCount != 7) return (BadArity(ctx), 0);
        if (!TryId(ctx.Arg(5), out var lastId)) return ("invalid stream ID", 0);
        if (!CommandContext.TryParseLong(ctx.Arg(6), out long read) || read < StreamGroup.EntriesReadUnknown) return ("invalid entries-read", 0);
        if (s.CreateGroup(ctx.ArgBytes(4), lastId, read) == null) return ($"duplicate stream group ({ctx.ArgString(4)})", 0);
        return (null, s.GroupCount);
    }

    /// <summary>stream-consumers key ttl group [name seen-time]...: adds consumers to a group.</summary>
    private static (string?, long) Consumers(CommandContext ctx, StreamValue s)
    {
        int argc = ctx.ArgCount;
        if (argc < 7 || (argc - 5) % 2 != 0) return (BadArity(ctx), 0);
        if (s.FindGroup(ctx.ArgBytes(4)) is not { } g) return ($"no such stream group ({ctx.ArgString(4)})", 0);
        for (int i = 5; i < argc; i += 2)
            if (!CommandContext.TryParseLong(ctx.Arg(i + 1), out _)) return ("invalid consumer seen-time", 0);
        for (int i = 5; i < argc; i += 2)
        {
            CommandContext.TryParseLong(ctx.Arg(i + 1), out long seen);
            g.GetOrCreateConsumer(ctx.ArgBytes(i), seen, out bool created);
            if (!created) return ($"duplicate stream consumer ({ctx.ArgString(i)})", 0);
        }
        return (null, g.Consumers.Count);
    }

    /// <summary>stream-pel key ttl group [id consumer delivery-time delivery-count]...: adds pending entries.</summary>
    private static (string?, long) Pel(CommandContext ctx, StreamValue s)
    {
        int argc = ctx.ArgCount;
        if (argc < 9 || (argc - 5) % 4 != 0) return (BadArity(ctx), 0);
        if (s.FindGroup(ctx.ArgBytes(4)) is not { } g) return ($"no such stream group ({ctx.ArgString(4)})", 0);
        for (int i = 5; i < argc; i += 4)
        {
            if (!TryId(ctx.Arg(i), out var id)) return ("invalid stream ID", 0);
            if (g.FindConsumer(ctx.ArgBytes(i + 1)) is not { } owner) return ($"no such stream consumer ({ctx.ArgString(i + 1)})", 0);
            if (!CommandContext.TryParseLong(ctx.Arg(i + 2), out long time)) return ("invalid delivery time", 0);
            if (!CommandContext.TryParseLong(ctx.Arg(i + 3), out long count) || count < 0) return ("invalid delivery count", 0);
            var p = new StreamPending(id) { DeliveryTime = time, DeliveryCount = (ulong)count, Consumer = owner };
            if (!g.Pending.Add(p)) return ($"duplicate pending entry ({ctx.ArgString(i)})", 0);
            owner.Pending.Add(p);
        }
        return (null, g.Pending.Count);
    }

    /// <summary>stream-meta key ttl length last-id first-id max-deleted-id entries-added: the counters, once every entry is here.</summary>
    private static (string?, long) Meta(CommandContext ctx, StreamValue s)
    {
        if (ctx.ArgCount != 9) return (BadArity(ctx), 0);
        if (!CommandContext.TryParseLong(ctx.Arg(4), out long length) || length != s.Length)
            return ($"stream length mismatch (expect={ctx.ArgString(4)},got={s.Length})", 0);
        if (!TryId(ctx.Arg(5), out var lastId) || !TryId(ctx.Arg(6), out var firstId) || !TryId(ctx.Arg(7), out var maxDeleted))
            return ("invalid stream ID", 0);
        if (!ulong.TryParse(ctx.Arg(8), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out ulong added))
            return ("invalid entries-added", 0);
        if (s.TryLast(out var e) && e.Id > lastId) return ("stream last ID too small", 0);
        s.LastId = lastId;
        s.FirstId = firstId;
        s.MaxDeletedId = maxDeleted;
        s.EntriesAdded = added;
        return (null, s.Length);
    }

    private static bool TryId(ReadOnlySpan<byte> text, out StreamId id) =>
        StreamId.TryParse(text, 0, allowSeqStar: false, out id, out bool seqGiven) && seqGiven;

    private static string BadArity(CommandContext ctx) => $"wrong number of arguments (argc={ctx.ArgCount},cmd={ctx.ArgString(1)})";
}
