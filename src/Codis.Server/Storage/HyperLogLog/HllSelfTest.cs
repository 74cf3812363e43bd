namespace Codis.Server.Storage.HyperLogLog;

/// <summary>
/// PFSELFTEST: checks the 6-bit register packing over every register, that the sparse and dense forms hold the
/// same registers and estimate alike while elements are added (until the sparse form is promoted at 3000 bytes), and that the estimate stays within 5 standard
/// errors (1.04/√16384 ≈ 0.81%) of the true count. Returns null when everything holds, else what failed.
/// </summary>
internal static class HllSelfTest
{
    public static string? Run()
    {
        var random = new Random(1234);
        var regs = new byte[Hll.DenseSize - Hll.HeaderSize];
        var expected = new byte[Hll.Registers];
        for (int round = 0; round < 100; round++)
        {
            for (int i = 0; i < Hll.Registers; i++)
            {
                expected[i] = (byte)random.Next(Hll.RegisterMax + 1);
                Hll.SetRegister(regs, i, expected[i]);
            }
            for (int i = 0; i < Hll.Registers; i++)
                if (Hll.GetRegister(regs, i) != expected[i]) return $"Register error at {i}";
        }

        var empty = Hll.CreateEmpty();
        var sparse = new HllEditor(empty, inPlace: false, maxSparseBytes: 3000);
        var dense = new HllEditor(HllSparse.ToDense(empty)!, inPlace: false, maxSparseBytes: long.MaxValue);
        Span<byte> element = stackalloc byte[8];
        const double relativeError = 1.04 / 128; // 1.04 / sqrt(16384)
        for (long n = 1; n <= 50_000; n++)
        {
            BitConverter.TryWriteBytes(element, random.NextInt64());
            sparse.Add(element);
            dense.Add(element);
            if ((n & (n - 1)) != 0 && n % 10_000 != 0) continue; // check at powers of two and every 10,000 (sparse until ~3000 bytes)
            var s = sparse.Result();
            var d = dense.Result();
            if (!sparse.IsDense)
            {
                var converted = HllSparse.ToDense(s);
                if (converted == null) return $"Sparse representation corrupted at {n} elements";
                if (!converted.AsSpan(Hll.HeaderSize).SequenceEqual(d.AsSpan(Hll.HeaderSize))) return $"Sparse and dense registers differ at {n} elements";
            }
            ulong cs = HllEstimator.Count(s) ?? ulong.MaxValue, cd = HllEstimator.Count(d) ?? ulong.MaxValue;
            if (cs != cd) return $"Sparse and dense estimates differ at {n} elements ({cs} vs {cd})";
            double error = Math.Abs((double)cd - n) / n;
            if (n >= 1000 && error > 5 * relativeError) return $"Estimate {cd} too far from {n} (error {error:P2})";
        }
        return null;
    }
}
