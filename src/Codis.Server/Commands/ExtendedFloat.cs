using System.Globalization;
using System.Numerics;
using System.Text;

namespace Codis.Server.Commands;

/// <summary>
/// The x87 80-bit extended float (C's long double on x86-64, 64-bit mantissa), emulated exactly: Redis computes
/// INCRBYFLOAT in it, parses with strtold and prints with "%.17Lf", so 0.1+0.2 shows "0.3" and 1e300 prints
/// all its digits. Doing the sum in double would give different text, which clients and replicas would see.
/// Arithmetic goes through BigInteger: INCRBYFLOAT is not a hot path, exactness is what matters.
/// </summary>
internal readonly struct ExtendedFloat
{
    /// <summary>The weight of the lowest subnormal bit (2^-16445).</summary>
    private const int MinExponent = -16445;

    /// <summary>Every finite value is below 2^16384.</summary>
    private const int MaxBits = 16384;

    /// <summary>Redis's MAX_LONG_DOUBLE_CHARS: longer input is not a number.</summary>
    private const int MaxChars = 5 * 1024;

    private static readonly BigInteger Pow10_17 = BigInteger.Pow(10, 17);

    // value = (-1)^Negative * Mantissa * 2^Exponent
    private readonly BigInteger mantissa;
    private readonly int exponent;

    public bool Negative { get; }
    public bool IsInfinity { get; }

    private ExtendedFloat(bool negative, BigInteger mantissa, int exponent, bool infinity = false)
    {
        Negative = negative;
        this.mantissa = mantissa;
        this.exponent = exponent;
        IsInfinity = infinity;
    }

    private static ExtendedFloat Infinity(bool negative) => new(negative, BigInteger.Zero, 0, infinity: true);

    /// <summary>Redis's string2ld: the whole text must be a strtold number (no spaces, no NaN, no overflow).</summary>
    public static bool TryParse(ReadOnlySpan<byte> s, out ExtendedFloat value)
    {
        value = default;
        if (s.IsEmpty || s.Length >= MaxChars || IsCSpace(s[0])) return false;
        bool negative = false;
        int i = 0;
        if (s[0] is (byte)'+' or (byte)'-')
        {
            negative = s[0] == (byte)'-';
            i = 1;
        }
        var rest = s[i..];
        if (Ascii.EqualsIgnoreCase(rest, "inf"u8) || Ascii.EqualsIgnoreCase(rest, "infinity"u8))
        {
            value = Infinity(negative);
            return true;
        }
        if (rest.Length > 2 && rest[0] == (byte)'0' && (rest[1] | 0x20) == (byte)'x')
            return TryParseHex(rest[2..], negative, out value);
        return TryParseDecimal(rest, negative, out value);
    }

    private static bool IsCSpace(byte c) => c is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\v' or (byte)'\f' or (byte)'\r';

    private static bool TryParseDecimal(ReadOnlySpan<byte> s, bool negative, out ExtendedFloat value)
    {
        value = default;
        var digits = new StringBuilder(s.Length);
        int i = 0, fractionDigits = 0;
        bool anyDigit = false, seenDot = false;
        for (; i < s.Length; i++)
        {
            byte c = s[i];
            if (c >= (byte)'0' && c <= (byte)'9')
            {
                anyDigit = true;
                if (digits.Length > 0 || c != (byte)'0') digits.Append((char)c);
                if (seenDot) fractionDigits++;
            }
            else if (c == (byte)'.' && !seenDot) seenDot = true;
            else break;
        }
        if (!anyDigit) return false;
        long exp10 = 0;
        if (i < s.Length)
        {
            // strtold only takes an exponent that has digits; anything else is left over, which fails here.
            if ((s[i] | 0x20) != (byte)'e') return false;
            if (!TryParseExponent(s[(i + 1)..], out exp10)) return false;
        }
        if (digits.Length == 0)
        {
            value = new ExtendedFloat(negative, BigInteger.Zero, 0);
            return true;
        }
        exp10 -= fractionDigits;
        long magnitude = digits.Length + exp10; // the value is in [10^(magnitude-1), 10^magnitude)
        if (magnitude > 4934) return false;     // beyond LDBL_MAX (1.19e4932): ERANGE
        if (magnitude < -4960) return false;    // below the smallest subnormal (3.6e-4951): ERANGE
        var d = BigInteger.Parse(digits.ToString(), CultureInfo.InvariantCulture);
        ExtendedFloat result;
        if (exp10 >= 0)
        {
            result = Round(d * BigInteger.Pow(10, (int)exp10), false, 0, negative);
        }
        else
        {
            // d / 10^k with at least 66 quotient bits, the remainder as the sticky bit.
            var scale = BigInteger.Pow(10, (int)-exp10);
            long shift = 66 - (d.GetBitLength() - scale.GetBitLength()) + 1;
            if (shift < 0) shift = 0;
            var q = BigInteger.DivRem(d << (int)shift, scale, out var r);
            result = Round(q, !r.IsZero, (int)-shift, negative);
        }
        if (result.IsInfinity || result.mantissa.IsZero) return false; // ERANGE
        value = result;
        return true;
    }

    private static bool TryParseHex(ReadOnlySpan<byte> s, bool negative, out ExtendedFloat value)
    {
        value = default;
        var m = BigInteger.Zero;
        int i = 0, fractionDigits = 0;
        bool anyDigit = false, seenDot = false;
        for (; i < s.Length; i++)
        {
            byte c = s[i];
            int h = HexValue(c);
            if (h >= 0)
            {
                anyDigit = true;
                m = (m << 4) + h;
                if (seenDot) fractionDigits++;
            }
            else if (c == (byte)'.' && !seenDot) seenDot = true;
            else break;
        }
        if (!anyDigit) return false; // "0x" alone: strtold stops after the 0
        long exp2 = 0;
        if (i < s.Length)
        {
            if ((s[i] | 0x20) != (byte)'p') return false;
            if (!TryParseExponent(s[(i + 1)..], out exp2)) return false;
        }
        if (m.IsZero)
        {
            value = new ExtendedFloat(negative, BigInteger.Zero, 0);
            return true;
        }
        exp2 -= 4L * fractionDigits;
        long top = m.GetBitLength() + exp2;
        if (top > MaxBits + 1) return false;
        if (top < MinExponent - 2) return false;
        var result = Round(m, false, (int)exp2, negative);
        if (result.IsInfinity || result.mantissa.IsZero) return false;
        value = result;
        return true;
    }

    private static int HexValue(byte c) => c switch
    {
        >= (byte)'0' and <= (byte)'9' => c - '0',
        >= (byte)'a' and <= (byte)'f' => c - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => c - 'A' + 10,
        _ => -1,
    };

    /// <summary>[+-]digits to the end of the text; huge exponents saturate (the magnitude check rejects them).</summary>
    private static bool TryParseExponent(ReadOnlySpan<byte> s, out long exp)
    {
        exp = 0;
        bool neg = false;
        if (!s.IsEmpty && s[0] is (byte)'+' or (byte)'-')
        {
            neg = s[0] == (byte)'-';
            s = s[1..];
        }
        if (s.IsEmpty) return false;
        foreach (byte c in s)
        {
            if (c < (byte)'0' || c > (byte)'9') return false;
            if (exp < 1_000_000_000) exp = exp * 10 + (c - '0');
        }
        if (neg) exp = -exp;
        return true;
    }

    /// <summary>
    /// Rounds (q + sticky fraction) * 2^exp2 to 64 significant bits (fewer for subnormals), ties to even,
    /// as the FPU does in its default mode.
    /// </summary>
    private static ExtendedFloat Round(BigInteger q, bool sticky, int exp2, bool negative)
    {
        long drop = q.GetBitLength() - 64;
        if (exp2 + drop < MinExponent) drop = MinExponent - (long)exp2;
        var m = q;
        long exp = exp2;
        if (drop > 0)
        {
            m = q >> (int)drop;
            var rem = q - (m << (int)drop);
            var half = BigInteger.One << (int)(drop - 1);
            int cmp = rem.CompareTo(half);
            if (cmp > 0 || (cmp == 0 && (sticky || !m.IsEven))) m += 1;
            exp += drop;
            if (m.GetBitLength() > 64)
            {
                m >>= 1;
                exp++;
            }
        }
        if (!m.IsZero && m.GetBitLength() + exp > MaxBits) return Infinity(negative);
        return new ExtendedFloat(negative, m, (int)exp);
    }

    /// <summary>a + b; false when the result is NaN or infinite (INCRBYFLOAT's error).</summary>
    public static bool TryAdd(ExtendedFloat a, ExtendedFloat b, out ExtendedFloat sum)
    {
        sum = default;
        if (a.IsInfinity || b.IsInfinity) return false;
        int e = Math.Min(a.exponent, b.exponent);
        var x = a.mantissa << (a.exponent - e);
        var y = b.mantissa << (b.exponent - e);
        var s = (a.Negative ? -x : x) + (b.Negative ? -y : y);
        if (s.IsZero)
        {
            // Round-to-nearest: x + (-x) is +0; only -0 + -0 stays negative.
            sum = new ExtendedFloat(a.Negative && b.Negative, BigInteger.Zero, 0);
            return true;
        }
        sum = Round(BigInteger.Abs(s), false, e, s.Sign < 0);
        return !sum.IsInfinity;
    }

    /// <summary>Redis's ld2string in human mode: "%.17Lf", trailing zeros and dot removed, "-0" shown as "0".</summary>
    public override string ToString()
    {
        if (IsInfinity) return Negative ? "-inf" : "inf";
        string text;
        if (exponent >= 0)
        {
            text = (mantissa << exponent).ToString(CultureInfo.InvariantCulture);
        }
        else
        {
            int k = -exponent;
            var n = mantissa * Pow10_17;
            var q = n >> k;
            var rem = n - (q << k);
            int cmp = rem.CompareTo(BigInteger.One << (k - 1));
            if (cmp > 0 || (cmp == 0 && !q.IsEven)) q += 1;
            var whole = BigInteger.DivRem(q, Pow10_17, out var frac);
            string fraction = frac.ToString("D17", CultureInfo.InvariantCulture).TrimEnd('0');
            text = fraction.Length == 0
                ? whole.ToString(CultureInfo.InvariantCulture)
                : whole.ToString(CultureInfo.InvariantCulture) + "." + fraction;
        }
        if (Negative && text != "0") text = "-" + text;
        return text;
    }
}
