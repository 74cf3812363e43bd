namespace Codis.Server.Storage.HyperLogLog;

/// <summary>
/// The cardinality estimator Redis 7 uses: Otmar Ertl's improved raw estimator ("New cardinality estimation
/// algorithms for HyperLogLog sketches", arXiv:1702.01284) over the register histogram, with Redis's order of
/// floating-point operations so that the result is the same integer.
/// </summary>
internal static class HllEstimator
{
    /// <summary>1 / (2 ln 2).</summary>
    private const double AlphaInf = 0.721347520444481703680;

    /// <param name="histogram">Counts of registers per value, at least 64 entries.</param>
    public static ulong Estimate(ReadOnlySpan<int> histogram)
    {
        double m = Hll.Registers;
        double z = m * Tau((m - histogram[Hll.Q + 1]) / m);
        for (int j = Hll.Q; j >= 1; j--)
        {
            z += histogram[j];
            z *= 0.5;
        }
        z += m * Sigma(histogram[0] / m);
        double e = AlphaInf * m * m / z;
        return (ulong)Math.Round(e, MidpointRounding.AwayFromZero);
    }

    private static double Sigma(double x)
    {
        if (x == 1.0) return double.PositiveInfinity;
        double y = 1, z = x, previous;
        do
        {
            x *= x;
            previous = z;
            z += x * y;
            y += y;
        } while (previous != z);
        return z;
    }

    private static double Tau(double x)
    {
        if (x == 0.0 || x == 1.0) return 0.0;
        double y = 1.0, z = 1 - x, previous;
        do
        {
            x = Math.Sqrt(x);
            previous = z;
            y *= 0.5;
            z -= Math.Pow(1 - x, 2) * y;
        } while (previous != z);
        return z / 3;
    }

    /// <summary>The estimate for a valid HLL string; null when its sparse form is corrupted.</summary>
    public static ulong? Count(ReadOnlySpan<byte> hll)
    {
        Span<int> histogram = stackalloc int[64];
        histogram.Clear();
        return Hll.Histogram(hll, histogram) ? Estimate(histogram) : null;
    }

    /// <summary>The estimate for raw registers (one byte each), as PFCOUNT of several keys computes it.</summary>
    public static ulong CountRaw(ReadOnlySpan<byte> registers)
    {
        Span<int> histogram = stackalloc int[64];
        histogram.Clear();
        foreach (byte r in registers) histogram[r & 63]++;
        return Estimate(histogram);
    }
}
