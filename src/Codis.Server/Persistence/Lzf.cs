namespace Codis.Server.Persistence;

/// <summary>
/// LZF in liblzf's format, as Redis stores compressed strings (the C3 string encoding). The compressor follows
/// liblzf 3.x with HLOG 16 and VERY_FAST step for step, so its output matches redis-server's byte for byte
/// (redis-formats.md §1.4), including the "does not fit" decisions that decide raw vs compressed.
/// </summary>
internal static class Lzf
{
    private const int HashLog = 16;
    private const int MaxLiteral = 1 << 5;     // 32 bytes per literal run
    private const int MaxOffset = 1 << 13;     // 8192: back references reach this far
    private const int MaxReference = (1 << 8) + (1 << 3); // 264: longest back reference

    // The hash table of input positions, reused per thread. Instead of clearing 64 Ki entries for every
    // 21-byte string, entries carry a per-call base: anything below the current base is "empty".
    [ThreadStatic] private static int[]? table;
    [ThreadStatic] private static int tableBase;

    /// <summary>
    /// Compresses <paramref name="input"/> into <paramref name="output"/>; returns the compressed length, or 0 when
    /// the result would not fit in <paramref name="output"/> (Redis then stores the string uncompressed).
    /// </summary>
    public static int Compress(ReadOnlySpan<byte> input, Span<byte> output)
    {
        int n = input.Length;
        int limit = output.Length;
        if (n == 0) return 0;

        var t = table ??= new int[1 << HashLog];
        if (tableBase > int.MaxValue - n - 2)
        {
            Array.Clear(t);
            tableBase = 0;
        }
        int baseMark = tableBase + 1; // stored value = baseMark + position; values < baseMark are stale
        tableBase = baseMark + n + 1;

        int op = 1; // output position; byte 0 is reserved for the first literal run's control byte
        int lit = 0;
        int ip = 0;
        if (limit < 1) return 0;
        uint h = n >= 2 ? (uint)((input[0] << 8) | input[1]) : 0;

        while (ip < n - 2)
        {
            h = (h << 8) | input[ip + 2];
            int slot = Slot(h);
            int stored = t[slot];
            int reference = stored >= baseMark ? stored - baseMark : -1;
            t[slot] = baseMark + ip;

            int off;
            if (reference > 0
                && (off = ip - reference - 1) < MaxOffset && off >= 0
                && input[reference + 2] == input[ip + 2]
                && input[reference] == input[ip] && input[reference + 1] == input[ip + 1])
            {
                int len = 2;
                int maxLen = n - ip - len;
                if (maxLen > MaxReference) maxLen = MaxReference;

                if (op + 3 + 1 >= limit && op - (lit == 0 ? 1 : 0) + 3 + 1 >= limit) return 0;

                output[op - lit - 1] = (byte)(lit - 1); // close the literal run
                if (lit == 0) op--;                      // or drop its unused control byte

                // liblzf unrolls 16 comparisons without checking maxLen before the bounded loop; when maxLen is
                // 17 or 18 that lets a match reach 19 bytes. Reproduced because it changes the output bytes.
                bool done = false;
                if (maxLen > 16)
                {
                    for (int k = 0; k < 16; k++)
                    {
                        len++;
                        if (input[reference + len] != input[ip + len])
                        {
                            done = true;
                            break;
                        }
                    }
                }
                if (!done)
                {
                    do len++;
                    while (len < maxLen && input[reference + len] == input[ip + len]);
                }

                len -= 2; // the encoded length is "bytes - 2"
                ip++;
                if (len < 7)
                {
                    output[op++] = (byte)((off >> 8) + (len << 5));
                }
                else
                {
                    output[op++] = (byte)((off >> 8) + (7 << 5));
                    output[op++] = (byte)(len - 7);
                }
                output[op++] = (byte)off;

                lit = 0;
                op++; // reserve the next run's control byte
                ip += len + 1;
                if (ip >= n - 2) break;

                // Re-seed the table with the two positions just before the new input position (VERY_FAST).
                ip -= 2;
                h = (uint)((input[ip] << 8) | input[ip + 1]);
                h = (h << 8) | input[ip + 2];
                t[Slot(h)] = baseMark + ip;
                ip++;
                h = (h << 8) | input[ip + 2];
                t[Slot(h)] = baseMark + ip;
                ip++;
            }
            else
            {
                if (op >= limit) return 0;
                lit++;
                output[op++] = input[ip++];
                if (lit == MaxLiteral)
                {
                    output[op - lit - 1] = (byte)(lit - 1);
                    lit = 0;
                    op++;
                }
            }
        }

        if (op + 3 > limit) return 0;
        while (ip < n)
        {
            lit++;
            output[op++] = input[ip++];
            if (lit == MaxLiteral)
            {
                output[op - lit - 1] = (byte)(lit - 1);
                lit = 0;
                op++;
            }
        }
        output[op - lit - 1] = (byte)(lit - 1);
        if (lit == 0) op--;
        return op;
    }

    private static int Slot(uint h) => (int)(((h >> (3 * 8 - HashLog)) - h * 5) & ((1u << HashLog) - 1));

    /// <summary>
    /// Decompresses into <paramref name="output"/>; returns the number of bytes produced, or −1 when the input is
    /// malformed (a run past its end, a reference before the start) or produces more than the output holds.
    /// </summary>
    public static int Decompress(ReadOnlySpan<byte> input, Span<byte> output)
    {
        int ip = 0, op = 0;
        while (ip < input.Length)
        {
            int c = input[ip++];
            if (c < 0x20)
            {
                int run = c + 1;
                if (ip + run > input.Length || op + run > output.Length) return -1;
                input.Slice(ip, run).CopyTo(output[op..]);
                ip += run;
                op += run;
                continue;
            }
            int len = c >> 5;
            if (len == 7)
            {
                if (ip >= input.Length) return -1;
                len += input[ip++];
            }
            if (ip >= input.Length) return -1;
            int from = op - ((c & 0x1F) << 8) - input[ip++] - 1;
            len += 2;
            if (from < 0 || op + len > output.Length) return -1;
            // Byte by byte on purpose: the source may overlap the bytes being written (distance 1 repeats a byte).
            if (op - from >= len)
            {
                output.Slice(from, len).CopyTo(output[op..]);
                op += len;
            }
            else
            {
                for (int k = 0; k < len; k++) output[op++] = output[from++];
            }
        }
        return op;
    }
}
