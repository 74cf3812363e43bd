using Codis.Server.Storage.Streams;

namespace Codis.Server.Commands;

/// <summary>
/// The options XADD and XTRIM share (streamParseAddOrTrimArgsOrReply): NOMKSTREAM (XADD), MAXLEN|MINID [=|~]
/// threshold, LIMIT count, and for XADD the ID that ends them ("*", "ms-*", "ms-seq").
/// </summary>
internal struct StreamTrimArgs
{
    public bool ByMaxLen, ByMinId, Approx, NoMkStream, IdGiven, SeqGiven;
    public long MaxLen, Limit;
    public StreamId MinId, Id;

    /// <summary>Argument index of the threshold (the "~" or "=" before it, if any, is one before).</summary>
    public int ThresholdArg;

    /// <summary>XADD: argument index of the ID.</summary>
    public int IdArg;

    public readonly bool HasStrategy => ByMaxLen || ByMinId;

    /// <summary>Parses from argument 2; false after an error reply.</summary>
    public static bool TryParse(CommandContext ctx, bool xadd, out StreamTrimArgs a)
    {
        a = default;
        bool limitGiven = false;
        int i = 2;
        for (; i < ctx.ArgCount; i++)
        {
            int more = ctx.ArgCount - 1 - i;
            var opt = ctx.Arg(i);
            if (xadd && opt.Length == 1 && opt[0] == (byte)'*') break;
            if ((ctx.ArgIs(i, "maxlen") || ctx.ArgIs(i, "minid")) && more > 0)
            {
                bool maxlen = ctx.ArgIs(i, "maxlen");
                if (a.HasStrategy)
                {
                    ctx.Error("ERR syntax error, MAXLEN and MINID options at the same time are not compatible");
                    return false;
                }
                a.Approx = false;
                var next = ctx.Arg(i + 1);
                if (more >= 2 && next.Length == 1 && next[0] == (byte)'~')
                {
                    a.Approx = true;
                    i++;
                }
                else if (more >= 2 && next.Length == 1 && next[0] == (byte)'=') i++;
                if (maxlen)
                {
                    if (!ctx.TryArgLong(i + 1, out a.MaxLen)) return false;
                    if (a.MaxLen < 0)
                    {
                        ctx.Error("ERR The MAXLEN argument must be >= 0.");
                        return false;
                    }
                    a.ByMaxLen = true;
                }
                else
                {
                    if (!StreamArgs.TryStrictId(ctx, ctx.Arg(i + 1), 0, out a.MinId)) return false;
                    a.ByMinId = true;
                }
                i++;
                a.ThresholdArg = i;
            }
            else if (ctx.ArgIs(i, "limit") && more > 0)
            {
                if (!ctx.TryArgLong(i + 1, out a.Limit)) return false;
                if (a.Limit < 0)
                {
                    ctx.Error("ERR The LIMIT argument must be >= 0.");
                    return false;
                }
                limitGiven = true;
                i++;
            }
            else if (xadd && ctx.ArgIs(i, "nomkstream")) a.NoMkStream = true;
            else if (xadd)
            {
                if (!ParseAddId(ctx, i, ref a)) return false;
                break;
            }
            else
            {
                ctx.SyntaxError();
                return false;
            }
        }
        a.IdArg = i;
        if (a.Limit != 0 && !a.HasStrategy)
        {
            ctx.Error("ERR syntax error, LIMIT cannot be used without specifying a trimming strategy");
            return false;
        }
        if (!xadd && !a.HasStrategy)
        {
            ctx.Error("ERR syntax error, XTRIM must be called with a trimming strategy");
            return false;
        }
        if (ctx.Client.IsReplay)
        {
            // From the AOF or our master: the threshold was rewritten to be exact, so no work limit applies.
            a.Limit = 0;
        }
        else if (limitGiven)
        {
            if (!a.Approx)
            {
                ctx.Error("ERR syntax error, LIMIT cannot be used without the special ~ option");
                return false;
            }
        }
        else if (a.Approx)
        {
            long limit = 100L * Storage.Collections.CollectionLimits.Current.StreamNodeMaxEntries;
            a.Limit = limit <= 0 || limit > 10000 ? 10000 : limit;
        }
        else a.Limit = 0;
        return true;
    }

    private static bool ParseAddId(CommandContext ctx, int i, ref StreamTrimArgs a)
    {
        var text = ctx.Arg(i);
        if ((text.Length == 1 && (text[0] == (byte)'-' || text[0] == (byte)'+'))
            || !StreamId.TryParse(text, 0, allowSeqStar: true, out a.Id, out a.SeqGiven))
        {
            ctx.Error(StreamArgs.InvalidId);
            return false;
        }
        a.IdGiven = true;
        return true;
    }

    /// <summary>
    /// After an approximate trim: the arguments to propagate, with "~" made "=" and the threshold made what the
    /// trim actually left (the length, or the first ID), so the AOF and replicas trim exactly the same.
    /// </summary>
    public readonly byte[][] ExactArgs(CommandContext ctx, StreamValue s)
    {
        var args = new byte[ctx.ArgCount][];
        for (int i = 0; i < args.Length; i++) args[i] = ctx.ArgBytes(i);
        args[ThresholdArg - 1] = "="u8.ToArray();
        args[ThresholdArg] = ByMaxLen ? StreamArgs.Number(s.Length) : (s.TryFirst(out var first) ? first.Id : StreamId.Max).ToBytes();
        return args;
    }
}
