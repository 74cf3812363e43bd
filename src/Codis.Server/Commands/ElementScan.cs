using System.Buffers.Text;
using Codis.Core.Text;
using Codis.Server.Storage.Collections;

namespace Codis.Server.Commands;

/// <summary>
/// The shared part of HSCAN, SSCAN and ZSCAN: MATCH/COUNT parsing and the cursor walk. Compact encodings are
/// returned whole with cursor 0, as Redis does; a hashtable is walked by entry index (the cursor), COUNT bounding
/// the entries looked at.
/// </summary>
internal static class ElementScan
{
    public readonly record struct Options(long Count, int PatternArg);

    /// <summary>Parses [MATCH pattern] [COUNT n] from argument 3 on; replies the error and returns false when bad.</summary>
    public static bool TryParseOptions(CommandContext ctx, out Options options)
    {
        options = default;
        long count = 10;
        int patternAt = -1;
        for (int i = 3; i < ctx.ArgCount; i++)
        {
            bool hasNext = i + 1 < ctx.ArgCount;
            if (hasNext && ctx.ArgIs(i, "COUNT"))
            {
                if (!ctx.TryArgLong(i + 1, out count)) return false;
                if (count < 1)
                {
                    ctx.SyntaxError();
                    return false;
                }
                i++;
            }
            else if (hasNext && ctx.ArgIs(i, "MATCH"))
            {
                patternAt = ++i;
            }
            else
            {
                ctx.SyntaxError();
                return false;
            }
        }
        options = new Options(count, patternAt);
        return true;
    }

    public static bool TryParseCursor(CommandContext ctx, out ulong cursor)
    {
        if (ScanCommands.TryParseCursor(ctx.Arg(2), out cursor)) return true;
        ctx.Error("ERR invalid cursor");
        return false;
    }

    public static bool Matches(CommandContext ctx, Options o, ReadOnlySpan<byte> element)
    {
        if (o.PatternArg < 0) return true;
        var p = ctx.Arg(o.PatternArg);
        return (p.Length == 1 && p[0] == (byte)'*') || Glob.Match(p, element);
    }

    /// <summary>The reply for a key that does not exist: cursor 0, no elements.</summary>
    public static void WriteEmpty(CommandContext ctx)
    {
        ctx.Reply.WriteArrayHeader(2);
        ctx.Reply.WriteBulk("0"u8);
        ctx.Reply.WriteEmptyArray();
    }

    /// <summary>
    /// Walks a hashtable from <paramref name="cursor"/>; <paramref name="emit"/> adds the reply elements of one
    /// entry (one for sets, two for hashes and zsets) to the list.
    /// </summary>
    public static void WriteTable<T>(CommandContext ctx, Options o, ElementTable<T> table, ulong cursor, Action<int, List<byte[]>> emit)
    {
        int index = cursor > int.MaxValue ? int.MaxValue : (int)cursor;
        var found = new List<byte[]>();
        long budget = o.Count, emptyBudget = o.Count > long.MaxValue / 10 ? long.MaxValue : o.Count * 10;
        while (index < table.Capacity && budget > 0 && emptyBudget > 0)
        {
            int i = index++;
            if (!table.IsUsed(i))
            {
                emptyBudget--;
                continue;
            }
            budget--;
            if (Matches(ctx, o, table.KeyAt(i))) emit(i, found);
        }
        ulong next = index >= table.Capacity ? 0 : (ulong)index;
        WriteResult(ctx, next, found);
    }

    public static void WriteResult(CommandContext ctx, ulong next, List<byte[]> found)
    {
        var r = ctx.Reply;
        r.WriteArrayHeader(2);
        Span<byte> text = stackalloc byte[24];
        Utf8Formatter.TryFormat(next, text, out int n);
        r.WriteBulk(text[..n]);
        r.WriteArrayHeader(found.Count);
        foreach (var e in found) r.WriteBulk(e);
    }
}
