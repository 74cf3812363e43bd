using System.Text;

namespace Codis.Server.Introspection;

/// <summary>
/// LATENCY GRAPH: an event's samples as columns of a 4-row ASCII chart (each row has three levels, "_", "o" and
/// "#", with "|" filling below a column's top), scaled between the lowest and highest sample, each column
/// labelled vertically with how long ago it happened (s, m, h, d); 80 columns per block. Same layout as Redis.
/// </summary>
internal static class LatencyGraph
{
    private const int Rows = 4;
    private const int Width = 80;
    private const string Levels = "_o#";

    public static string Render(LatencyMonitor.Series series, long nowUnixSeconds)
    {
        var samples = series.Samples;
        long low = samples.Min(s => s.Milliseconds), high = samples.Max(s => s.Milliseconds);
        var text = new StringBuilder();
        text.Append(series.Event).Append(" - high ").Append(high).Append(" ms, low ").Append(low)
            .Append(" ms (all time high ").Append(series.Max).Append(" ms)\n")
            .Append('-', Width).Append('\n');
        var labels = samples.Select(s => Ago(nowUnixSeconds - s.UnixSeconds)).ToArray();
        for (int from = 0; from < samples.Length; from += Width)
        {
            if (from > 0) text.Append('\n');
            int count = Math.Min(Width, samples.Length - from);
            RenderBlock(text, samples.AsSpan(from, count), labels.AsSpan(from, count), low, high);
        }
        return text.ToString();
    }

    private static void RenderBlock(StringBuilder text, ReadOnlySpan<LatencyMonitor.Sample> samples, ReadOnlySpan<string> labels, long low, long high)
    {
        int levels = Levels.Length * Rows;
        double range = high == low ? 1 : high - low;
        var heights = new int[samples.Length];
        for (int i = 0; i < samples.Length; i++)
            heights[i] = Math.Clamp((int)((double)((samples[i].Milliseconds - low) * levels) / range), 0, levels - 1);
        for (int row = 0; row < Rows; row++)
        {
            int below = (Rows - row - 1) * Levels.Length; // levels under this row
            foreach (int h in heights)
            {
                int at = h - below;
                text.Append(at < 0 ? ' ' : at < Levels.Length ? Levels[at] : '|');
            }
            text.Append('\n');
        }
        text.Append(' ', samples.Length).Append('\n'); // a blank row between the chart and the labels
        int longest = 0;
        foreach (var label in labels) longest = Math.Max(longest, label.Length);
        for (int c = 0; c < longest; c++)
        {
            foreach (var label in labels) text.Append(c < label.Length ? label[c] : ' ');
            text.Append('\n');
        }
    }

    private static string Ago(long seconds) => seconds switch
    {
        < 60 => seconds + "s",
        < 3600 => seconds / 60 + "m",
        < 86400 => seconds / 3600 + "h",
        _ => seconds / 86400 + "d",
    };
}
