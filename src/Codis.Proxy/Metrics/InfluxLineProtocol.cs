using System.Globalization;
using System.Text;

namespace Codis.Proxy.Metrics;

/// <summary>
/// InfluxDB 1.x line protocol: <c>measurement,tag=v,... field=1i,field=0.5 timestamp_ns</c>. Tags are sorted by
/// key (what InfluxDB prefers) and a tag with an empty value is left out (the protocol has no empty tag values).
/// </summary>
internal static class InfluxLineProtocol
{
    public static string Line(string measurement, IEnumerable<KeyValuePair<string, string>> tags, IEnumerable<MetricField> fields, DateTimeOffset at)
    {
        var sb = new StringBuilder(512);
        Escape(sb, measurement, measurement: true);
        foreach (var (k, v) in tags.Where(t => t.Value.Length > 0).OrderBy(t => t.Key, StringComparer.Ordinal))
        {
            sb.Append(',');
            Escape(sb, k);
            sb.Append('=');
            Escape(sb, v);
        }
        char sep = ' ';
        foreach (var f in fields)
        {
            sb.Append(sep);
            sep = ',';
            Escape(sb, f.Name);
            sb.Append('=').Append(f.Text);
            if (!f.IsFloat) sb.Append('i');
        }
        long ns = (at - DateTimeOffset.UnixEpoch).Ticks * 100;
        sb.Append(' ').Append(ns.ToString(CultureInfo.InvariantCulture));
        return sb.ToString();
    }

    /// <summary>
    /// Backslash before the characters that end a part: comma and space (and = in tag keys, tag values and field keys).
    /// A line break cannot be written in a tag at all: it becomes a space.
    /// </summary>
    public static void Escape(StringBuilder sb, string s, bool measurement = false)
    {
        foreach (char ch in s)
        {
            char c = ch is '\n' or '\r' ? ' ' : ch;
            if (c is ',' or ' ' || (c == '=' && !measurement)) sb.Append('\\');
            sb.Append(c);
        }
    }
}
