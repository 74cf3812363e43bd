using System.Buffers.Text;
using System.Globalization;
using System.Numerics;

namespace Codis.Server.Commands;

/// <summary>
/// C's "%.Nf" of a double, exactly as glibc prints it: the exact binary value rounded to N decimals, ties to even.
/// The GEO commands reply distances with "%.4f" and coordinates with ld2string's human mode ("%.17Lf" of the
/// double widened to long double, which is exact, then trailing zeros dropped), and word range errors with "%f".
/// </summary>
internal static class FixedPointFormat
{
    private static readonly UInt128[] PowersOfTen = BuildPowers();

    private static UInt128[] BuildPowers()
    {
        var p = new UInt128[18];
        p[0] = 1;
        for (int i = 1; i < p.Length; i++) p[i] = p[i - 1] * 10;
        return p;
    }

    /// <summary>Writes "%.{decimals}f" of <paramref name="d"/> (decimals ≤ 17); with <paramref name="human"/> trailing zeros, a bare dot and "-0" go, as ld2string's human mode does.</summary>
    public static int Write(double d, int decimals, bool human, Span<byte> dest)
    {
        if (!double.IsFinite(d) || Math.Abs(d) >= 1L << 52)
        {
            string slow = Text(d, decimals, human);
            for (int i = 0; i < slow.Length; i++) dest[i] = (byte)slow[i];
            return slow.Length;
        }
        bool negative = double.IsNegative(d);
        ulong bits = BitConverter.DoubleToUInt64Bits(Math.Abs(d));
        int exp = (int)(bits >> 52);
        ulong mantissa = bits & ((1UL << 52) - 1);
        if (exp == 0) exp = 1;
        else mantissa |= 1UL << 52;
        int shift = 1075 - exp; // d = mantissa / 2^shift; positive here since |d| < 2^52
        UInt128 pow = PowersOfTen[decimals];
        UInt128 q = 0;
        if (shift < 128)
        {
            UInt128 n = mantissa * pow; // below 2^53 * 10^17 < 2^110
            q = n >> shift;
            UInt128 rem = n - (q << shift), half = UInt128.One << (shift - 1);
            if (rem > half || (rem == half && (q & 1) != 0)) q++;
        }
        ulong whole = (ulong)(q / pow), frac = (ulong)(q % pow);
        int at = 0;
        if (negative) dest[at++] = (byte)'-';
        Utf8Formatter.TryFormat(whole, dest[at..], out int w);
        at += w;
        if (decimals > 0)
        {
            dest[at++] = (byte)'.';
            for (int i = decimals - 1; i >= 0; i--)
            {
                dest[at + i] = (byte)('0' + (int)(frac % 10));
                frac /= 10;
            }
            at += decimals;
        }
        return human ? Trim(dest, at) : at;
    }

    private static int Trim(Span<byte> s, int length)
    {
        if (s[..length].IndexOf((byte)'.') >= 0)
        {
            while (s[length - 1] == (byte)'0') length--;
            if (s[length - 1] == (byte)'.') length--;
        }
        if (length == 2 && s[0] == (byte)'-' && s[1] == (byte)'0')
        {
            s[0] = (byte)'0';
            length = 1;
        }
        return length;
    }

    /// <summary>The same as text, for any value (huge numbers print every integer digit, as printf does).</summary>
    public static string Text(double d, int decimals, bool human = false)
    {
        if (double.IsNaN(d)) return double.IsNegative(d) ? "-nan" : "nan";
        if (double.IsInfinity(d)) return d > 0 ? "inf" : "-inf";
        bool negative = double.IsNegative(d);
        ulong bits = BitConverter.DoubleToUInt64Bits(Math.Abs(d));
        int exp = (int)(bits >> 52);
        ulong mantissa = bits & ((1UL << 52) - 1);
        if (exp == 0) exp = 1;
        else mantissa |= 1UL << 52;
        int e2 = exp - 1075;
        var pow = BigInteger.Pow(10, decimals);
        BigInteger q;
        if (e2 >= 0) q = (new BigInteger(mantissa) << e2) * pow;
        else
        {
            var n = new BigInteger(mantissa) * pow;
            q = n >> -e2;
            var rem = n - (q << -e2);
            var half = BigInteger.One << (-e2 - 1);
            int c = rem.CompareTo(half);
            if (c > 0 || (c == 0 && !q.IsEven)) q += 1;
        }
        var whole = BigInteger.DivRem(q, pow, out var frac);
        string text = (negative ? "-" : "") + whole.ToString(CultureInfo.InvariantCulture) +
                      (decimals > 0 ? "." + frac.ToString("D" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture) : "");
        if (!human) return text;
        var buf = new byte[text.Length];
        for (int i = 0; i < text.Length; i++) buf[i] = (byte)text[i];
        int len = Trim(buf, buf.Length);
        return System.Text.Encoding.ASCII.GetString(buf, 0, len);
    }
}
