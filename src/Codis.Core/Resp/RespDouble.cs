using System.Globalization;

namespace Codis.Core.Resp;

/// <summary>
/// Doubles as Redis 7.0 replies them: C's "%.17g" (shortest exponent form, trailing zeros dropped), "inf", "-inf"
/// and "nan". One formatter for RESP3 doubles and the bulk strings RESP2 gets instead.
/// </summary>
public static class RespDouble
{
    /// <summary>Room for any %.17g text ("-1.2345678901234567e-308").</summary>
    public const int MaxLength = 32;

    /// <summary>Writes the text into <paramref name="dst"/> (at least <see cref="MaxLength"/> bytes) and returns its length.</summary>
    public static int Format(double d, Span<byte> dst)
    {
        // Integral values below 1e17 print all their digits in %.17g: the common case (scores 1, 2, 3) skips the string.
        if (d == Math.Floor(d) && Math.Abs(d) < 1e17 && !(d == 0 && double.IsNegative(d)))
        {
            ((long)d).TryFormat(dst, out int n, default, CultureInfo.InvariantCulture);
            return n;
        }
        string s = G17(d);
        for (int i = 0; i < s.Length; i++) dst[i] = (byte)s[i];
        return s.Length;
    }

    /// <summary>C's %.17g (with inf, -inf, nan as glibc prints them).</summary>
    public static string G17(double d)
    {
        if (double.IsNaN(d)) return "nan";
        if (double.IsPositiveInfinity(d)) return "inf";
        if (double.IsNegativeInfinity(d)) return "-inf";
        if (d == 0) return double.IsNegative(d) ? "-0" : "0";
        string r = d.ToString("E16", CultureInfo.InvariantCulture); // d.dddddddddddddddde+XXX
        int ePos = r.IndexOf('E');
        int exp = int.Parse(r.AsSpan(ePos + 1), CultureInfo.InvariantCulture);
        string mantissa = r[..ePos];
        bool neg = mantissa.StartsWith('-');
        string digits = mantissa.Replace("-", "").Replace(".", "");
        var sb = new System.Text.StringBuilder();
        if (neg) sb.Append('-');
        if (exp < -4 || exp >= 17)
        {
            string m = digits[0] + (digits.Length > 1 ? "." + digits[1..] : "");
            if (m.Contains('.')) m = m.TrimEnd('0').TrimEnd('.');
            sb.Append(m).Append('e').Append(exp < 0 ? '-' : '+').Append(Math.Abs(exp).ToString("00", CultureInfo.InvariantCulture));
        }
        else if (exp >= 0)
        {
            string intPart = digits[..(exp + 1)];
            string frac = digits[(exp + 1)..].TrimEnd('0');
            sb.Append(intPart);
            if (frac.Length > 0) sb.Append('.').Append(frac);
        }
        else
        {
            string frac = (new string('0', -exp - 1) + digits).TrimEnd('0');
            sb.Append("0.").Append(frac);
        }
        return sb.ToString();
    }
}
