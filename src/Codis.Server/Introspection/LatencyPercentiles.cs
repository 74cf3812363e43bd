using System.Globalization;
using System.Text;
using Codis.Server.Commands;

namespace Codis.Server.Introspection;

/// <summary>
/// latency-tracking-info-percentiles: percentiles separated by single spaces, each read like strtod (so "1e2" and
/// "0x10" count, an overflow or underflow does not) and within 0..100; shown as C's "%f" without trailing zeros,
/// as Redis shows them.
/// </summary>
internal static class LatencyPercentiles
{
    private const string Invalid = "Invalid latency-tracking-info-percentiles parameters";
    private const string OutOfRange = "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]";

    public static string? Validate(string value) => TryParse(value, out _, out string? error) ? null : error;

    /// <summary>The text CONFIG GET shows for a valid value.</summary>
    public static string Canonical(string value) =>
        TryParse(value, out var list, out _) ? string.Join(' ', list.Select(Format)) : value;

    public static double[] Parse(string value) => TryParse(value, out var list, out _) ? list : [];

    /// <summary>"%f" then trailing zeros (and a bare point) cut: 99.9 → "99.9", 99.99999999 → "100".</summary>
    public static string Format(double percentile)
    {
        string text = percentile.ToString("F6", CultureInfo.InvariantCulture);
        return text.TrimEnd('0').TrimEnd('.');
    }

    private static bool TryParse(string value, out double[] list, out string? error)
    {
        list = [];
        error = null;
        if (value.Length == 0) return true;
        var words = value.Split(' ');
        var parsed = new double[words.Length];
        for (int i = 0; i < words.Length; i++)
        {
            if (!Strtod.TryParse(Encoding.UTF8.GetBytes(words[i]), leadingSpace: false, rangeIsError: true, out double p))
            {
                error = Invalid;
                return false;
            }
            if (p < 0 || p > 100)
            {
                error = OutOfRange;
                return false;
            }
            parsed[i] = p;
        }
        list = parsed;
        return true;
    }
}
