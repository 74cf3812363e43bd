using System.Text;
using Codis.Server.Storage.SortedSets;

namespace Codis.Server.Commands;

/// <summary>Score and lex interval parsing, and score replies, as Redis 7.0 does them.</summary>
internal static class SortedSetParsing
{
    public const string ScoreRangeError = "ERR min or max is not a float";
    public const string LexRangeError = "ERR min or max not valid string range item";

    /// <summary>
    /// One end of a score interval as zslParseRange reads it: "(" makes it exclusive, then strtod, which skips
    /// leading space and saturates out-of-range values (1e999 is +inf); NaN and trailing text are refused.
    /// </summary>
    private static bool TryParseScoreBound(ReadOnlySpan<byte> s, out double value, out bool exclusive)
    {
        exclusive = s.Length > 0 && s[0] == (byte)'(';
        if (exclusive) s = s[1..];
        if (s.IsEmpty)
        {
            value = 0; // strtod of "" is 0 and leaves nothing unparsed, so Redis takes it as 0
            return true;
        }
        return Strtod.TryParse(s, leadingSpace: true, rangeIsError: false, out value);
    }

    public static bool TryParseScoreRange(ReadOnlySpan<byte> min, ReadOnlySpan<byte> max, out ScoreRange range)
    {
        range = default;
        if (!TryParseScoreBound(min, out double lo, out bool loEx) || !TryParseScoreBound(max, out double hi, out bool hiEx)) return false;
        range = new ScoreRange(lo, loEx, hi, hiEx);
        return true;
    }

    private static bool TryParseLexBound(ReadOnlySpan<byte> s, out byte[] value, out bool exclusive, out bool open)
    {
        value = [];
        exclusive = open = false;
        if (s.Length == 1 && (s[0] == (byte)'-' || s[0] == (byte)'+'))
        {
            open = true;
            exclusive = s[0] == (byte)'+'; // marks which end: '+' is the top
            return true;
        }
        if (s.Length == 0 || (s[0] != (byte)'[' && s[0] != (byte)'(')) return false;
        exclusive = s[0] == (byte)'(';
        value = s[1..].ToArray();
        return true;
    }

    /// <summary>
    /// "-" is below everything and "+" above everything wherever they appear, so "+" as the minimum or "-" as the
    /// maximum give an empty range.
    /// </summary>
    public static bool TryParseLexRange(ReadOnlySpan<byte> min, ReadOnlySpan<byte> max, out LexRange range, out bool empty)
    {
        range = default;
        empty = false;
        if (!TryParseLexBound(min, out var lo, out bool loEx, out bool loOpen) || !TryParseLexBound(max, out var hi, out bool hiEx, out bool hiOpen)) return false;
        if ((loOpen && loEx) || (hiOpen && !hiEx)) empty = true; // min is "+" or max is "-"
        range = new LexRange(lo, !loOpen && loEx, loOpen, hi, !hiOpen && hiEx, hiOpen);
        return true;
    }

    /// <summary>A score as Redis 7.0 replies it: %.17g, "inf", "-inf"; a double in RESP3, a bulk string in RESP2.</summary>
    public static void WriteScore(CommandContext ctx, double score) => ctx.Reply.WriteDouble(score);

    public static byte[] ScoreText(double score) =>
        score == 0 && double.IsNegative(score) ? "-0"u8.ToArray() : Encoding.ASCII.GetBytes(CommandContext.FormatDouble(score));

    /// <summary>
    /// A score as a listpack holds it (ZSCAN of a small sorted set): integral values within ±2^62 as integers,
    /// the rest as %.17g text.
    /// </summary>
    public static byte[] ListpackScoreText(double score)
    {
        const double Limit = long.MaxValue / 2;
        if (score >= -Limit && score <= Limit && (long)score == score) return Persistence.RdbInteger.ToText((long)score);
        return ScoreText(score);
    }

    /// <summary>The count of ZPOPMIN/ZPOPMAX/ZMPOP-style commands.</summary>
    public static bool TryParsePositiveCount(CommandContext ctx, int arg, out long count)
    {
        if (!ctx.TryArgLong(arg, out count, "ERR value is out of range, must be positive")) return false;
        if (count >= 0) return true;
        ctx.Error("ERR value is out of range, must be positive");
        return false;
    }
}
