using Codis.Server.Storage.Streams;

namespace Codis.Server.Commands;

/// <summary>Stream ID parsing and the reply shapes the stream commands share (Redis 7.0's texts).</summary>
internal static class StreamArgs
{
    public const string InvalidId = "ERR Invalid stream ID specified as stream command argument";

    /// <summary>An ID that may not be "-" or "+" (streamParseStrictIDOrReply).</summary>
    public static bool TryStrictId(CommandContext ctx, ReadOnlySpan<byte> text, ulong missingSeq, out StreamId id, bool reply = true)
    {
        if (text.Length == 1 && (text[0] == (byte)'-' || text[0] == (byte)'+'))
        {
            id = default;
            if (reply) ctx.Error(InvalidId);
            return false;
        }
        if (StreamId.TryParse(text, missingSeq, allowSeqStar: false, out id, out _)) return true;
        if (reply) ctx.Error(InvalidId);
        return false;
    }

    /// <summary>An ID where "-" is 0-0 and "+" the greatest ID (streamParseIDOrReply).</summary>
    public static bool TryId(CommandContext ctx, ReadOnlySpan<byte> text, ulong missingSeq, out StreamId id)
    {
        if (text.Length == 1 && text[0] == (byte)'-')
        {
            id = StreamId.Min;
            return true;
        }
        if (text.Length == 1 && text[0] == (byte)'+')
        {
            id = StreamId.Max;
            return true;
        }
        if (StreamId.TryParse(text, missingSeq, allowSeqStar: false, out id, out _)) return true;
        ctx.Error(InvalidId);
        return false;
    }

    /// <summary>A range bound: an ID, "-", "+", or "(id" for an exclusive one (streamParseIntervalIDOrReply).</summary>
    public static bool TryIntervalId(CommandContext ctx, ReadOnlySpan<byte> text, ulong missingSeq, out StreamId id, out bool exclusive)
    {
        exclusive = text.Length > 1 && text[0] == (byte)'(';
        return exclusive ? TryStrictId(ctx, text[1..], missingSeq, out id) : TryId(ctx, text, missingSeq, out id);
    }

    /// <summary>A range start: exclusive bounds move one ID up ("invalid start ID for the interval" past the last).</summary>
    public static bool TryRangeStart(CommandContext ctx, ReadOnlySpan<byte> text, out StreamId id)
    {
        if (!TryIntervalId(ctx, text, 0, out id, out bool ex)) return false;
        if (ex && !id.TryNext(out id))
        {
            ctx.Error("ERR invalid start ID for the interval");
            return false;
        }
        return true;
    }

    public static bool TryRangeEnd(CommandContext ctx, ReadOnlySpan<byte> text, out StreamId id)
    {
        if (!TryIntervalId(ctx, text, ulong.MaxValue, out id, out bool ex)) return false;
        if (ex && !id.TryPrevious(out id))
        {
            ctx.Error("ERR invalid end ID for the interval");
            return false;
        }
        return true;
    }

    public static void WriteId(CommandContext ctx, StreamId id)
    {
        Span<byte> buf = stackalloc byte[41];
        ctx.Reply.WriteBulk(buf[..id.Format(buf)]);
    }

    /// <summary>One entry: [id, [field, value, ...]], written from the node's bytes.</summary>
    public static void WriteEntry(CommandContext ctx, in StreamEntry e)
    {
        var r = ctx.Reply;
        r.WriteArrayHeader(2);
        WriteId(ctx, e.Id);
        var pairs = e.Pairs();
        r.WriteArrayHeader(2L * pairs.FieldCount);
        while (pairs.MoveNext())
        {
            r.WriteBulk(pairs.Field);
            r.WriteBulk(pairs.Value);
        }
    }

    /// <summary>Entries as an array, at most <paramref name="count"/> (0 = all): counted first, then written.</summary>
    public static void WriteEntries(CommandContext ctx, StreamRange entries, long count)
    {
        long n = entries.CountAhead(count);
        ctx.Reply.WriteArrayHeader(n);
        for (long i = 0; i < n && entries.MoveNext(); i++) WriteEntry(ctx, entries.Current);
    }

    /// <summary>The NOGROUP reply of commands that name a key and a group.</summary>
    public static void NoGroup(CommandContext ctx, int keyArg, int groupArg, string? suffix = null) =>
        ctx.Error($"NOGROUP No such key '{ctx.ArgString(keyArg)}' or consumer group '{ctx.ArgString(groupArg)}'{suffix}");

    public static byte[] Number(long v) => System.Text.Encoding.ASCII.GetBytes(v.ToString(System.Globalization.CultureInfo.InvariantCulture));
    public static byte[] Number(ulong v) => System.Text.Encoding.ASCII.GetBytes(v.ToString(System.Globalization.CultureInfo.InvariantCulture));
}
