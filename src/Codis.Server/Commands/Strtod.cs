using System.Globalization;
using System.Text;

namespace Codis.Server.Commands;

/// <summary>
/// C's strtod over a whole argument, with the two ways Redis checks it: scores and increments
/// (getDoubleFromObject: no leading space, and an overflow or an underflow to zero is an error) and score-range
/// bounds (zslParseRange: leading space allowed, out-of-range values saturate to ±inf or 0). Both take what strtod
/// takes — decimal with exponent, inf/infinity, hexadecimal ("0x10", "0x1.8p3") — and refuse NaN and any
/// trailing character.
/// </summary>
internal static class Strtod
{
    /// <summary>Redis's MAX_LONG_DOUBLE_CHARS-style bound: longer text is not a number.</summary>
    private const int MaxChars = 5000;

    /// <summary>Parses the whole text; false when strtod would stop early, on NaN, or on a range error that counts.</summary>
    /// <param name="leadingSpace">strtod skips leading white space; getDoubleFromObject refuses it</param>
    /// <param name="rangeIsError">getDoubleFromObject refuses ERANGE results (±HUGE_VAL, or 0 from a non-zero text)</param>
    public static bool TryParse(ReadOnlySpan<byte> s, bool leadingSpace, bool rangeIsError, out double value)
    {
        value = 0;
        if (s.Length > MaxChars) return false;
        if (leadingSpace)
        {
            int skip = 0;
            while (skip < s.Length && IsCSpace(s[skip])) skip++;
            s = s[skip..];
        }
        if (s.IsEmpty) return false;
        bool negative = false;
        var body = s;
        if (body[0] is (byte)'+' or (byte)'-')
        {
            negative = body[0] == (byte)'-';
            body = body[1..];
        }
        if (Ascii.EqualsIgnoreCase(body, "inf"u8) || Ascii.EqualsIgnoreCase(body, "infinity"u8))
        {
            value = negative ? double.NegativeInfinity : double.PositiveInfinity;
            return true;
        }
        bool ok = body.Length > 2 && body[0] == (byte)'0' && (body[1] | 0x20) == (byte)'x'
            ? TryHex(body[2..], out value, out bool range)
            : TryDecimal(body, out value, out range);
        if (!ok || (range && rangeIsError)) return false;
        if (negative) value = -value;
        return true;
    }

    private static bool IsCSpace(byte c) => c is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\v' or (byte)'\f' or (byte)'\r';

    /// <summary>digits[.digits][(e|E)[+-]digits], or .digits: the only decimal forms strtod reads to the end.</summary>
    private static bool TryDecimal(ReadOnlySpan<byte> s, out double value, out bool range)
    {
        value = 0;
        range = false;
        int i = 0;
        bool anyDigit = false, nonZero = false;
        for (; i < s.Length && (uint)(s[i] - '0') <= 9; i++)
        {
            anyDigit = true;
            nonZero |= s[i] != (byte)'0';
        }
        if (i < s.Length && s[i] == (byte)'.')
        {
            for (i++; i < s.Length && (uint)(s[i] - '0') <= 9; i++)
            {
                anyDigit = true;
                nonZero |= s[i] != (byte)'0';
            }
        }
        if (!anyDigit) return false;
        if (i < s.Length && (s[i] | 0x20) == (byte)'e')
        {
            int j = i + 1;
            if (j < s.Length && s[j] is (byte)'+' or (byte)'-') j++;
            int digitsAt = j;
            while (j < s.Length && (uint)(s[j] - '0') <= 9) j++;
            if (j == digitsAt) return false; // "1e" or "1e+": strtod stops before the 'e', leaving it unparsed
            i = j;
        }
        if (i != s.Length) return false;
        Span<char> chars = s.Length <= 256 ? stackalloc char[s.Length] : new char[s.Length];
        for (int k = 0; k < s.Length; k++) chars[k] = (char)s[k];
        if (!double.TryParse(chars, NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent, CultureInfo.InvariantCulture, out value)) return false;
        range = double.IsInfinity(value) || (value == 0 && nonZero);
        return true;
    }

    /// <summary>hexdigits[.hexdigits][(p|P)[+-]digits], after the "0x".</summary>
    private static bool TryHex(ReadOnlySpan<byte> s, out double value, out bool range)
    {
        value = 0;
        range = false;
        ulong mantissa = 0;
        int shift = 0;          // binary exponent adjustment for digits kept or dropped
        bool sticky = false, anyDigit = false, seenDot = false;
        int i = 0;
        for (; i < s.Length; i++)
        {
            int h = HexValue(s[i]);
            if (h < 0)
            {
                if (s[i] == (byte)'.' && !seenDot)
                {
                    seenDot = true;
                    continue;
                }
                break;
            }
            anyDigit = true;
            if (mantissa >> 60 == 0)
            {
                mantissa = (mantissa << 4) | (uint)h;
                if (seenDot) shift -= 4;
            }
            else
            {
                // beyond 64 bits of mantissa: keep only whether something non-zero was dropped
                sticky |= h != 0;
                if (!seenDot) shift += 4;
            }
        }
        if (!anyDigit) return false; // "0x" or "0x.": strtod reads the 0 and stops at the 'x'
        if (i < s.Length)
        {
            if ((s[i] | 0x20) != (byte)'p') return false;
            int j = i + 1;
            bool negativeExp = false;
            if (j < s.Length && s[j] is (byte)'+' or (byte)'-')
            {
                negativeExp = s[j] == (byte)'-';
                j++;
            }
            int digitsAt = j;
            long exp = 0;
            for (; j < s.Length && (uint)(s[j] - '0') <= 9; j++)
                exp = Math.Min(exp * 10 + (s[j] - '0'), 1_000_000);
            if (j == digitsAt || j != s.Length) return false;
            shift = (int)Math.Clamp(shift + (negativeExp ? -exp : exp), -2_000_000, 2_000_000);
        }
        if (mantissa == 0) return true;
        // A dropped non-zero digit only breaks a tie: fold it into the lowest bit, far below double's 53.
        if (sticky) mantissa |= 1;
        value = Math.ScaleB((double)mantissa, shift);
        range = double.IsInfinity(value) || value == 0;
        return true;
    }

    private static int HexValue(byte c) => c switch
    {
        >= (byte)'0' and <= (byte)'9' => c - '0',
        >= (byte)'a' and <= (byte)'f' => c - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => c - 'A' + 10,
        _ => -1,
    };
}
