namespace Codis.Server.Introspection;

/// <summary>
/// One command's latencies (INFO latencystats, LATENCY HISTOGRAM), bucketed as Redis 7 does: HDR-style with two
/// significant digits over 1 ns .. 1 s, i.e. exact below 256 and 128 steps per power of two above, so that the
/// percentiles and bucket bounds we report are the values Redis would report for the same timings. Values are
/// whole microseconds recorded as nanoseconds (Redis's unit). Fixed memory (24 KB, made on a command's first
/// call); recording is one array write. Callers hold the keyspace lock.
/// </summary>
internal sealed class LatencyHistogram
{
    private const int HalfBits = 7;
    private const int Half = 1 << HalfBits;
    private const long Lowest = 1, Highest = 1_000_000_000;

    // Through the end of the power of two that holds Highest, as HDR sizes its array.
    private static readonly int Length = ((IndexOf(Highest) >> HalfBits) + 1) << HalfBits;

    private readonly long[] counts = new long[Length];

    public long Total { get; private set; }

    public void RecordMicros(long micros)
    {
        counts[IndexOf(Math.Clamp(micros * 1000, Lowest, Highest))]++;
        Total++;
    }

    private static int IndexOf(long value)
    {
        int shift = Math.Max(0, 63 - (int)long.LeadingZeroCount(value) - HalfBits);
        return (shift << HalfBits) + (int)(value >> shift);
    }

    private static int ShiftOf(int index) => Math.Max(0, (index >> HalfBits) - 1);

    private static long LowestAt(int index)
    {
        int shift = ShiftOf(index);
        return (long)(index - (shift << HalfBits)) << shift;
    }

    /// <summary>The highest value a bucket stands for (HDR's "highest equivalent value").</summary>
    private static long HighestAt(int index) => LowestAt(index) + (1L << ShiftOf(index)) - 1;

    /// <summary>The value (ns) at a percentile (0..100): the bucket's top, or its bottom for 0, as HDR reports.</summary>
    public long ValueAt(double percentile)
    {
        if (Total == 0) return 0;
        long rank = Math.Max(1, (long)(Math.Min(percentile, 100) / 100 * Total + 0.5));
        long seen = 0;
        for (int i = 0; i < counts.Length; i++)
        {
            seen += counts[i];
            if (seen >= rank) return percentile == 0 ? LowestAt(i) : HighestAt(i);
        }
        return HighestAt(counts.Length - 1);
    }

    /// <summary>
    /// LATENCY HISTOGRAM's buckets: at each power of two from 1024 ns, the calls up to it (cumulative), named by
    /// the bucket's top in microseconds; a step that adds no calls is left out.
    /// </summary>
    public List<(long Micros, long Calls)> PowerOfTwoBuckets()
    {
        var buckets = new List<(long, long)>();
        long cumulative = 0, reported = 0;
        int next = 0;
        for (long level = 1024; reported < Total; level *= 2)
        {
            int last = Math.Min(IndexOf(level), counts.Length - 1);
            for (; next <= last; next++) cumulative += counts[next];
            if (cumulative > reported) buckets.Add((HighestAt(last) / 1000, reported = cumulative));
        }
        return buckets;
    }

    public void Reset()
    {
        Array.Clear(counts);
        Total = 0;
    }
}
