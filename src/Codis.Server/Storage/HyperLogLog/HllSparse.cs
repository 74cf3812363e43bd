namespace Codis.Server.Storage.HyperLogLog;

/// <summary>
/// The sparse register encoding, edited exactly as Redis edits it so that the bytes match redis-server's for the
/// same inputs. Opcodes: ZERO <c>00xxxxxx</c> = 1..64 zero registers; XZERO <c>01xxxxxx yyyyyyyy</c> = 1..16384
/// zero registers; VAL <c>1vvvvvxx</c> = 1..4 registers of value 1..32.
/// </summary>
internal static class HllSparse
{
    public const int ValMaxValue = 32;
    public const int ValMaxLength = 4;
    public const int ZeroMaxLength = 64;
    public const int XZeroMaxLength = 16384;

    public static bool IsZero(byte op) => (op & 0xc0) == 0;
    public static bool IsXZero(byte op) => (op & 0xc0) == 0x40;
    public static bool IsVal(byte op) => (op & 0x80) != 0;
    public static int ZeroLength(byte op) => (op & 0x3f) + 1;
    public static int XZeroLength(byte op, byte next) => (((op & 0x3f) << 8) | next) + 1;
    public static int ValValue(byte op) => ((op >> 2) & 0x1f) + 1;
    public static int ValLength(byte op) => (op & 0x3) + 1;

    public static byte Val(int value, int length) => (byte)(0x80 | ((value - 1) << 2) | (length - 1));

    public static void WriteXZero(Span<byte> at, int length)
    {
        length--;
        at[0] = (byte)(0x40 | (length >> 8));
        at[1] = (byte)(length & 0xff);
    }

    /// <summary>Writes a run of zeros as ZERO (≤ 64) or XZERO; returns the bytes written.</summary>
    private static int WriteZeros(Span<byte> at, int length)
    {
        if (length > ZeroMaxLength)
        {
            WriteXZero(at, length);
            return 2;
        }
        at[0] = (byte)(length - 1);
        return 1;
    }

    public enum SetResult { Unchanged, Updated, Promote, Invalid }

    /// <summary>
    /// Redis's hllSparseSet: raises register <paramref name="index"/> to <paramref name="count"/> in the sparse
    /// string <paramref name="s"/> of <paramref name="length"/> bytes (header included; the array has at least 3
    /// spare bytes). <see cref="SetResult.Promote"/>: the value does not fit a VAL opcode or the string would pass
    /// <paramref name="maxBytes"/> — the caller converts to dense and sets the register there.
    /// </summary>
    public static SetResult Set(byte[] s, ref int length, int index, int count, long maxBytes)
    {
        if (count > ValMaxValue) return SetResult.Promote;

        // Find the opcode covering the register.
        int p = Hll.HeaderSize, end = length, prev = -1, first = 0, span = 0;
        while (p < end)
        {
            int oplen = 1;
            byte op = s[p];
            if (IsZero(op)) span = ZeroLength(op);
            else if (IsVal(op)) span = ValLength(op);
            else
            {
                if (p + 1 >= end) return SetResult.Invalid;
                span = XZeroLength(op, s[p + 1]);
                oplen = 2;
            }
            if (index <= first + span - 1) break;
            prev = p;
            p += oplen;
            first += span;
        }
        if (span == 0 || p >= end) return SetResult.Invalid;

        byte cur = s[p];
        bool isVal = IsVal(cur), isXZero = IsXZero(cur), isZero = IsZero(cur);
        int next = isXZero ? p + 2 : p + 1;
        if (next >= end) next = -1;
        int runLength = isZero ? ZeroLength(cur) : isXZero ? XZeroLength(cur, s[p + 1]) : ValLength(cur);

        if (isVal)
        {
            int old = ValValue(cur);
            if (old >= count) return SetResult.Unchanged;
            if (runLength == 1)
            {
                s[p] = Val(count, 1);
                Merge(s, ref length, prev);
                return SetResult.Updated;
            }
        }
        if (isZero && runLength == 1)
        {
            s[p] = Val(count, 1);
            Merge(s, ref length, prev);
            return SetResult.Updated;
        }

        // General case: split the opcode into up to three (at most 5 bytes).
        Span<byte> seq = stackalloc byte[5];
        int n = 0, last = first + span - 1;
        if (isZero || isXZero)
        {
            if (index != first) n += WriteZeros(seq[n..], index - first);
            seq[n++] = Val(count, 1);
            if (index != last) n += WriteZeros(seq[n..], last - index);
        }
        else
        {
            int value = ValValue(cur);
            if (index != first) seq[n++] = Val(value, index - first);
            seq[n++] = Val(count, 1);
            if (index != last) seq[n++] = Val(value, last - index);
        }
        int oldLength = isXZero ? 2 : 1;
        int delta = n - oldLength;
        if (delta > 0 && length + delta > maxBytes) return SetResult.Promote;
        if (delta != 0 && next >= 0) Array.Copy(s, next, s, next + delta, end - next);
        length += delta;
        seq[..n].CopyTo(s.AsSpan(p));
        Merge(s, ref length, prev);
        return SetResult.Updated;
    }

    /// <summary>Redis's step 3: merges adjacent VAL opcodes of equal value, scanning up to 5 opcodes from prev.</summary>
    private static void Merge(byte[] s, ref int length, int prev)
    {
        int p = prev >= 0 ? prev : Hll.HeaderSize;
        int end = length;
        int scan = 5;
        while (p < end && scan-- > 0)
        {
            byte op = s[p];
            if (IsXZero(op))
            {
                p += 2;
                continue;
            }
            if (IsZero(op))
            {
                p++;
                continue;
            }
            if (p + 1 < end && IsVal(s[p + 1]))
            {
                int v1 = ValValue(op), v2 = ValValue(s[p + 1]);
                if (v1 == v2)
                {
                    int len = ValLength(op) + ValLength(s[p + 1]);
                    if (len <= ValMaxLength)
                    {
                        s[p + 1] = Val(v1, len);
                        Array.Copy(s, p + 1, s, p, end - p - 1);
                        end--;
                        continue; // try the merged opcode with the one on its right
                    }
                }
            }
            p++;
        }
        length = end;
    }

    /// <summary>The runs of sparse opcodes in register order, as (value, length); ZERO and XZERO are value 0.</summary>
    private ref struct Runs(ReadOnlySpan<byte> ops)
    {
        private readonly ReadOnlySpan<byte> ops = ops;
        private int p;

        /// <summary>The opcodes ended inside a two-byte XZERO.</summary>
        public bool Truncated { get; private set; }

        public bool Next(out int value, out int length)
        {
            value = length = 0;
            if (p >= ops.Length) return false;
            byte op = ops[p];
            if (IsZero(op))
            {
                length = ZeroLength(op);
                p++;
            }
            else if (IsXZero(op))
            {
                if (p + 1 >= ops.Length)
                {
                    Truncated = true;
                    return false;
                }
                length = XZeroLength(op, ops[p + 1]);
                p += 2;
            }
            else
            {
                value = ValValue(op);
                length = ValLength(op);
                p++;
            }
            return true;
        }
    }

    /// <summary>
    /// Redis's hllSparseToDense: the dense string (header copied, cache included) for a sparse one; null when the
    /// opcodes do not cover exactly 16384 registers.
    /// </summary>
    public static byte[]? ToDense(ReadOnlySpan<byte> sparse)
    {
        var dense = new byte[Hll.DenseSize];
        sparse[..Hll.HeaderSize].CopyTo(dense);
        dense[4] = Hll.Dense;
        var regs = dense.AsSpan(Hll.HeaderSize);
        var runs = new Runs(sparse[Hll.HeaderSize..]);
        int idx = 0;
        while (runs.Next(out int value, out int length))
        {
            if (idx + length > Hll.Registers) return null;
            if (value != 0) for (int i = 0; i < length; i++) Hll.SetRegister(regs, idx + i, value);
            idx += length;
        }
        return !runs.Truncated && idx == Hll.Registers ? dense : null;
    }

    /// <summary>max[i] = MAX(max[i], register i); false when the opcodes do not cover exactly 16384 registers.</summary>
    public static bool MergeInto(ReadOnlySpan<byte> ops, Span<byte> max)
    {
        var runs = new Runs(ops);
        int idx = 0;
        while (runs.Next(out int value, out int length))
        {
            if (idx + length > Hll.Registers) return false;
            for (int i = 0; i < length; i++, idx++)
                if (value > max[idx]) max[idx] = (byte)value;
        }
        return !runs.Truncated && idx == Hll.Registers;
    }

    /// <summary>The register histogram; false when the opcodes do not cover exactly 16384 registers.</summary>
    public static bool Histogram(ReadOnlySpan<byte> ops, Span<int> histogram)
    {
        var runs = new Runs(ops);
        int idx = 0;
        while (runs.Next(out int value, out int length))
        {
            histogram[value] += length;
            idx += length;
        }
        return !runs.Truncated && idx == Hll.Registers;
    }

    /// <summary>PFDEBUG DECODE: "z:3 Z:100 v:5,1 ..." (ZERO, XZERO, VAL value,length).</summary>
    public static string Decode(ReadOnlySpan<byte> ops)
    {
        var sb = new System.Text.StringBuilder();
        int p = 0;
        while (p < ops.Length)
        {
            byte op = ops[p];
            if (sb.Length > 0) sb.Append(' ');
            if (IsZero(op))
            {
                sb.Append("z:").Append(ZeroLength(op));
                p++;
            }
            else if (IsXZero(op))
            {
                int run = p + 1 < ops.Length ? XZeroLength(op, ops[p + 1]) : ((op & 0x3f) << 8) + 1;
                sb.Append("Z:").Append(run);
                p += 2;
            }
            else
            {
                sb.Append("v:").Append(ValValue(op)).Append(',').Append(ValLength(op));
                p++;
            }
        }
        return sb.ToString();
    }
}
