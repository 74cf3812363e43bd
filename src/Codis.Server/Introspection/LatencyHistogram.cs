namespace Codis.Server.Introspection;

/// <summary>
/// Command latencies for INFO latencystats: log-linear buckets (a power of two split into 32 steps, so a value is
/// kept within 1/32 of its size), fixed memory, recording is two array writes. Callers hold the keyspace lock.
/// </summary>
internal sealed class LatencyHistogram
{
    private const int SubBits = 5;
    private const int Sub = 1 << SubBits;
    private readonly long[] counts = new long[64 * Sub];

    public long Total { get; private set; }

    public void Record(long nanoseconds)
    {
        counts[Index(Math.Max(1, nanoseconds))]++;
        Total++;
    }

    private static int Index(long v)
    {
        int log = 63 - (int)long.LeadingZeroCount(v);
        if (log < SubBits) return (int)v; // exact below 32
        int sub = (int)(v >> (log - SubBits)) & (Sub - 1);
        return (log - SubBits + 1) * Sub + sub;
    }

    /// <summary>The highest value a bucket stands for (HDR's "highest equivalent value").</summary>
    private static long UpperBound(int index)
    {
        if (index < Sub) return index;
        int log = index / Sub + SubBits - 1;
        long sub = index % Sub;
        long low = (1L << log) + (sub << (log - SubBits));
        return low + (1L << (log - SubBits)) - 1;
    }

    /// <summary>The value at a percentile (0..100), in the recorded unit.</summary>
    public long ValueAt(double percentile)
    {
        if (Total == 0) return 0;
        long rank = Math.Max(1, (long)Math.Ceiling(percentile / 100 * Total));
        long seen = 0;
        for (int i = 0; i < counts.Length; i++)
        {
            seen += counts[i];
            if (seen >= rank) return UpperBound(i);
        }
        return UpperBound(counts.Length - 1);
    }

    public void Reset()
    {
        Array.Clear(counts);
        Total = 0;
    }
}
