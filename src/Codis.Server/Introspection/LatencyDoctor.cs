using System.Globalization;
using System.Text;

namespace Codis.Server.Introspection;

/// <summary>
/// LATENCY DOCTOR: one line of figures per event (as Redis prints them: spikes, average, mean deviation, seconds
/// per spike, worst ever), then advice for the kinds of events seen, worded for codis-server.
/// </summary>
internal static class LatencyDoctor
{
    public static string Report(List<LatencyMonitor.Series> events, long thresholdMs, long slowlogMicros, long nowUnixSeconds)
    {
        if (events.Count == 0 && thresholdMs == 0)
            return "Dave, I can't tell you anything: the latency monitor is off in this codis-server. Turn it on with " +
                "\"CONFIG SET latency-monitor-threshold <milliseconds>\" and ask me again once something was slow.\n";
        var text = new StringBuilder();
        var advice = new List<string>();
        for (int n = 0; n < events.Count; n++)
        {
            var e = events[n];
            if (n == 0) text.Append("Dave, I have observed latency spikes in this codis-server. Let's go through them.\n\n");
            var (avg, mad, period) = Analyze(e.Samples, nowUnixSeconds);
            text.Append(string.Create(CultureInfo.InvariantCulture,
                $"{n + 1}. {e.Event}: {e.Samples.Length} latency spikes (average {avg}ms, mean deviation {mad}ms, period {(double)period / e.Samples.Length:F2} sec). Worst all time event {e.Max}ms.\n"));
            AdviceFor(e.Event, thresholdMs, slowlogMicros, advice);
        }
        if (events.Count == 0)
            text.Append("Dave, not one latency spike since this codis-server started. Nothing to worry about.\n");
        else if (advice.Count == 0)
            text.Append("\nThese events have no easy fix I know of. The figures above, with INFO and SLOWLOG GET, are what to look at.\n");
        else
        {
            text.Append("\nI have a few advices for you:\n\n");
            foreach (var line in advice.Distinct()) text.Append("- ").Append(line).Append('\n');
        }
        return text.ToString();
    }

    /// <summary>Average and mean absolute deviation (whole ms), and the seconds since the oldest sample (at least 1).</summary>
    private static (long Avg, long Mad, long Period) Analyze(LatencyMonitor.Sample[] samples, long now)
    {
        long sum = 0, oldest = long.MaxValue;
        foreach (var s in samples)
        {
            sum += s.Milliseconds;
            oldest = Math.Min(oldest, s.UnixSeconds);
        }
        long avg = sum / samples.Length;
        long deviation = 0;
        foreach (var s in samples) deviation += Math.Abs(avg - s.Milliseconds);
        return (avg, deviation / samples.Length, Math.Max(1, now - oldest));
    }

    private static void AdviceFor(string name, long thresholdMs, long slowlogMicros, List<string> advice)
    {
        string slowlogSetting = (thresholdMs * 1000).ToString(CultureInfo.InvariantCulture);
        switch (name)
        {
            case "command":
                if (slowlogMicros < 0)
                    advice.Add($"Slow commands caused spikes but the slow log is off: 'CONFIG SET slowlog-log-slower-than {slowlogSetting}' makes it record them.");
                else if (slowlogMicros / 1000 > thresholdMs)
                    advice.Add($"The slow log only records commands slower than the latency monitor's threshold would: 'CONFIG SET slowlog-log-slower-than {slowlogSetting}' makes both see the same commands.");
                advice.Add("SLOWLOG GET shows which commands were slow, with their arguments; LATENCY HISTOGRAM shows each command's spread of run times.");
                advice.Add("Deleting, expiring or migrating one very large key (a hash, set, sorted set, list or stream with millions of elements) holds the server for the whole time; split such values over several keys.");
                break;
            case "fast-command":
                advice.Add("Even O(1) commands were slow, so the process was not running: lower the machine's load, give codis-server cores of its own, and check INFO memory's gc_* fields for long garbage-collector pauses (gc-gen0-size).");
                break;
            case "expire-cycle":
                advice.Add("The active expiry cycle took long: many keys expiring at the same moment (written together with one TTL) are deleted in the same cycle; spread their TTLs out.");
                break;
            case "eviction-cycle":
                advice.Add("Evicting keys to stay under maxmemory took long: big keys cost their whole size to free, and a higher maxmemory-eviction-tenacity lets one command evict for longer; give the server more memory or a lower write rate.");
                break;
            case "aof-write" or "aof-write-alone" or "aof-write-pending-fsync" or "aof-write-active-child" or "aof-fsync-always" or "aof-fstat":
                advice.Add("AOF writes or fsyncs were slow: keep the AOF (dir, appenddirname) on a fast local disk that other processes do not load; with 'appendfsync always' every write waits for the disk, 'everysec' trades up to a second of writes for latency.");
                break;
        }
    }
}
