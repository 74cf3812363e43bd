using System.Buffers.Binary;

namespace Codis.Server.Storage.HyperLogLog;

/// <summary>
/// Redis's HyperLogLog string layout (reference/redis-formats.md): a 16-byte header — "HYLL", the encoding
/// (0 dense, 1 sparse), 3 unused bytes, the cached cardinality as 8 bytes little-endian whose top bit marks it
/// invalid — then the registers: 16384 registers of 6 bits packed least-significant bit first (dense, 12288
/// bytes), or the sparse run-length opcodes (<see cref="HllSparse"/>). The value is an ordinary string, so DUMP,
/// RDB, AOF, replication and migration carry it byte for byte.
/// </summary>
internal static class Hll
{
    public const int P = 14;
    public const int Q = 64 - P;
    public const int Registers = 1 << P;
    public const int RegisterMask = Registers - 1;
    public const int Bits = 6;
    public const int RegisterMax = (1 << Bits) - 1;
    public const int HeaderSize = 16;
    public const int DenseSize = HeaderSize + (Registers * Bits + 7) / 8;
    public const byte Dense = 0;
    public const byte Sparse = 1;
    public const byte MaxEncoding = 1;

    public const string InvalidObject = "INVALIDOBJ Corrupted HLL object detected";
    public const string NotHll = "WRONGTYPE Key is not a valid HyperLogLog string value.";

    /// <summary>Redis's isHLLObjectOrReply (after the type check): the header and, for dense, the exact length.</summary>
    public static bool IsValid(ReadOnlySpan<byte> s)
    {
        if (s.Length < HeaderSize) return false;
        if (s[0] != 'H' || s[1] != 'Y' || s[2] != 'L' || s[3] != 'L') return false;
        if (s[4] > MaxEncoding) return false;
        return s[4] != Dense || s.Length == DenseSize;
    }

    public static bool IsDense(ReadOnlySpan<byte> s) => s[4] == Dense;

    /// <summary>A new, empty HLL as Redis creates it: sparse, one XZERO covering every register, cache 0 (valid).</summary>
    public static byte[] CreateEmpty()
    {
        var s = new byte[HeaderSize + 2];
        "HYLL"u8.CopyTo(s);
        s[4] = Sparse;
        HllSparse.WriteXZero(s.AsSpan(HeaderSize), Registers);
        return s;
    }

    public static bool CacheValid(ReadOnlySpan<byte> s) => (s[15] & 0x80) == 0;

    public static void InvalidateCache(Span<byte> s) => s[15] |= 0x80;

    public static ulong CachedCardinality(ReadOnlySpan<byte> s) => BinaryPrimitives.ReadUInt64LittleEndian(s.Slice(8, 8));

    public static void SetCachedCardinality(Span<byte> s, ulong card) => BinaryPrimitives.WriteUInt64LittleEndian(s.Slice(8, 8), card);

    /// <summary>Register <paramref name="index"/> of a dense register array.</summary>
    public static int GetRegister(ReadOnlySpan<byte> registers, int index)
    {
        int bit = index * Bits;
        int b = bit >> 3, shift = bit & 7;
        int v = registers[b] >> shift;
        if (shift > 8 - Bits) v |= registers[b + 1] << (8 - shift);
        return v & RegisterMax;
    }

    public static void SetRegister(Span<byte> registers, int index, int value)
    {
        int bit = index * Bits;
        int b = bit >> 3, shift = bit & 7;
        registers[b] = (byte)((registers[b] & ~(RegisterMax << shift)) | (value << shift));
        if (shift > 8 - Bits)
        {
            int high = 8 - shift;
            registers[b + 1] = (byte)((registers[b + 1] & ~(RegisterMax >> high)) | (value >> high));
        }
    }

    /// <summary>
    /// Redis's hllPatLen: the register an element goes to (the hash's low 14 bits) and the length of the run of
    /// zeros, plus one, in the remaining 50 bits (a sentinel bit caps it at 51).
    /// </summary>
    public static int PatternLength(ReadOnlySpan<byte> element, out int index)
    {
        ulong hash = MurmurHash64A(element, 0xadc83b19UL);
        index = (int)(hash & RegisterMask);
        hash >>= P;
        hash |= 1UL << Q;
        return System.Numerics.BitOperations.TrailingZeroCount(hash) + 1;
    }

    /// <summary>MurmurHash64A (Austin Appleby), blocks and tail read little-endian as Redis does on every platform.</summary>
    public static ulong MurmurHash64A(ReadOnlySpan<byte> data, ulong seed)
    {
        const ulong m = 0xc6a4a7935bd1e995UL;
        const int r = 47;
        ulong h = seed ^ ((ulong)data.Length * m);
        int blocks = data.Length >> 3;
        for (int i = 0; i < blocks; i++)
        {
            ulong k = BinaryPrimitives.ReadUInt64LittleEndian(data.Slice(i << 3, 8));
            k *= m;
            k ^= k >> r;
            k *= m;
            h ^= k;
            h *= m;
        }
        var tail = data[(blocks << 3)..];
        if (tail.Length > 0)
        {
            for (int i = tail.Length - 1; i >= 0; i--) h ^= (ulong)tail[i] << (8 * i);
            h *= m;
        }
        h ^= h >> r;
        h *= m;
        h ^= h >> r;
        return h;
    }

    /// <summary>
    /// Merges the registers of a valid HLL string into <paramref name="max"/> (16384 bytes, one per register):
    /// max[i] = MAX(max[i], register i). False for a sparse form that does not cover exactly 16384 registers.
    /// </summary>
    public static bool MergeInto(ReadOnlySpan<byte> hll, Span<byte> max)
    {
        var regs = hll[HeaderSize..];
        if (IsDense(hll))
        {
            for (int i = 0; i < Registers; i++)
            {
                int v = GetRegister(regs, i);
                if (v > max[i]) max[i] = (byte)v;
            }
            return true;
        }
        return HllSparse.MergeInto(regs, max);
    }

    /// <summary>The register histogram of a valid HLL string; false for a corrupted sparse form.</summary>
    public static bool Histogram(ReadOnlySpan<byte> hll, Span<int> histogram)
    {
        var regs = hll[HeaderSize..];
        if (IsDense(hll))
        {
            for (int i = 0; i < Registers; i++) histogram[GetRegister(regs, i)]++;
            return true;
        }
        return HllSparse.Histogram(regs, histogram);
    }
}
