using System.Buffers.Text;

namespace Codis.Server.Persistence;

/// <summary>
/// Redis's notion of a "canonical" decimal integer (string2ll and its listpack/intset twins): the text that
/// int64 → text would print back. Only such strings get integer encodings, so "007", "-0" and "+1" stay text.
/// </summary>
internal static class RdbInteger
{
    public static bool TryParseCanonical(ReadOnlySpan<byte> text, out long value)
    {
        value = 0;
        if (text.IsEmpty || text.Length > 20) return false;
        byte first = text[0];
        if (first == (byte)'0') return text.Length == 1;
        if (first == (byte)'-')
        {
            if (text.Length == 1 || text[1] == (byte)'0') return false;
        }
        else if (first < (byte)'1' || first > (byte)'9')
        {
            return false;
        }
        return Utf8Parser.TryParse(text, out value, out int used) && used == text.Length;
    }

    /// <summary>Decimal text of <paramref name="value"/> as a new array (readers turn encoded integers back into text).</summary>
    public static byte[] ToText(long value)
    {
        Span<byte> buf = stackalloc byte[20];
        Utf8Formatter.TryFormat(value, buf, out int n);
        return buf[..n].ToArray();
    }
}
