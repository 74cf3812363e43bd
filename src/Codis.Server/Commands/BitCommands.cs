using System.Numerics;
using System.Runtime.InteropServices;
using Codis.Server.Storage;

namespace Codis.Server.Commands;

/// <summary>GETBIT SETBIT BITCOUNT BITPOS BITOP. Bit 0 is the most significant bit of the first byte.</summary>
internal static class BitCommands
{
    /// <summary>Redis's getBitOffsetFromArgument: a non-negative offset whose byte stays under proto-max-bulk-len.</summary>
    private static bool TryBitOffset(CommandContext ctx, int arg, out long offset)
    {
        if (!CommandContext.TryParseLong(ctx.Arg(arg), out offset) || offset < 0 ||
            (offset >> 3) >= ctx.Server.Limits.MaxBulkLength || (offset >> 3) >= Array.MaxLength)
        {
            ctx.Error(Errors.BitOffset);
            return false;
        }
        return true;
    }

    [Command("getbit", 3, Flags = CommandFlags.ReadOnly | CommandFlags.Fast, FirstKey = 1, LastKey = 1, Step = 1, Group = "bitmap", Summary = "Returns a bit value by offset.")]
    public static void GetBit(CommandContext ctx)
    {
        if (!TryBitOffset(ctx, 2, out long offset)) return;
        if (!StringCommands.TryGetString(ctx, ctx.Arg(1), out var value)) return;
        long index = offset >> 3;
        int bit = value != null && index < value.Length ? (value[index] >> (7 - (int)(offset & 7))) & 1 : 0;
        ctx.Reply.WriteInteger(bit);
    }

    [Command("setbit", 4, Flags = CommandFlags.Write | CommandFlags.DenyOom, FirstKey = 1, LastKey = 1, Step = 1, Group = "bitmap", Summary = "Sets or clears the bit at offset of the string value. Creates the key if it doesn't exist.")]
    public static void SetBit(CommandContext ctx)
    {
        if (!TryBitOffset(ctx, 2, out long offset)) return;
        if (!CommandContext.TryParseLong(ctx.Arg(3), out long on) || (on & ~1L) != 0)
        {
            ctx.Error(Errors.BitValue);
            return;
        }
        var key = ctx.Arg(1);
        if (!StringCommands.TryGetString(ctx, key, out var value)) return;
        long index = offset >> 3;
        var db = ctx.Db;
        bool grown = false;
        if (value == null)
        {
            value = new byte[index + 1];
            db.Add(ctx.ArgBytes(1), value, 0);
            grown = true;
        }
        else if (index >= value.Length || !ctx.Keyspace.StringsMutableInPlace)
        {
            var bigger = new byte[Math.Max(index + 1, value.Length)];
            value.CopyTo(bigger, 0);
            value = bigger;
            db.Set(key, value, Database.KeepTtl);
            grown = true;
        }
        int shift = 7 - (int)(offset & 7);
        int old = (value[index] >> shift) & 1;
        if (on == 1) value[index] |= (byte)(1 << shift);
        else value[index] &= (byte)~(1 << shift);
        if (old != on && !grown) ctx.Keyspace.OnModified(db, key);
        else if (old == on && !grown) ctx.SuppressPropagation = true;
        if (old != on || grown) ctx.Notify(PubSub.NotifyType.String, "setbit"u8, 1);
        ctx.Reply.WriteInteger(old);
    }

    /// <summary>
    /// Resolves a BYTE or BIT range (negative indexes count from the end) to inclusive bit bounds inside a string
    /// of <paramref name="length"/> bytes; false when it is empty.
    /// </summary>
    private static bool ResolveRange(long length, long start, long end, bool bits, out long firstBit, out long lastBit)
    {
        long total = bits ? length << 3 : length;
        if (start < 0) start += total;
        if (end < 0) end += total;
        if (start < 0) start = 0;
        if (end < 0) end = 0;
        if (end >= total) end = total - 1;
        firstBit = lastBit = 0;
        if (start > end) return false;
        firstBit = bits ? start : start << 3;
        lastBit = bits ? end : (end << 3) + 7;
        return true;
    }

    [Command("bitcount", -2, Flags = CommandFlags.ReadOnly, FirstKey = 1, LastKey = 1, Step = 1, Group = "bitmap", Summary = "Counts the number of set bits (population counting) in a string.")]
    public static void BitCount(CommandContext ctx)
    {
        if (!StringCommands.TryGetString(ctx, ctx.Arg(1), out var value)) return;
        if (value == null)
        {
            ctx.Reply.WriteInteger(0);
            return;
        }
        long first, last;
        if (ctx.ArgCount == 2)
        {
            if (value.Length == 0)
            {
                ctx.Reply.WriteInteger(0);
                return;
            }
            first = 0;
            last = ((long)value.Length << 3) - 1;
        }
        else if (ctx.ArgCount is 4 or 5)
        {
            if (!ctx.TryArgLong(2, out long start) || !ctx.TryArgLong(3, out long end)) return;
            if (start < 0 && end < 0 && start > end)
            {
                ctx.Reply.WriteInteger(0);
                return;
            }
            bool bits = false;
            if (ctx.ArgCount == 5)
            {
                if (ctx.ArgIs(4, "BIT")) bits = true;
                else if (!ctx.ArgIs(4, "BYTE"))
                {
                    ctx.SyntaxError();
                    return;
                }
            }
            if (!ResolveRange(value.Length, start, end, bits, out first, out last))
            {
                ctx.Reply.WriteInteger(0);
                return;
            }
        }
        else
        {
            ctx.SyntaxError();
            return;
        }
        ctx.Reply.WriteInteger(CountBits(value, first, last));
    }

    private static long CountBits(byte[] value, long first, long last)
    {
        long firstByte = first >> 3, lastByte = last >> 3;
        long count = PopCount(value.AsSpan((int)firstByte, (int)(lastByte - firstByte + 1)));
        // Take out the bits of the edge bytes that lie outside the range.
        count -= BitOperations.PopCount((uint)(value[firstByte] & ~(0xFF >> (int)(first & 7)) & 0xFF));
        count -= BitOperations.PopCount((uint)(value[lastByte] & (0xFF >> (int)((last & 7) + 1))));
        return count;
    }

    private static long PopCount(ReadOnlySpan<byte> bytes)
    {
        long count = 0;
        var words = MemoryMarshal.Cast<byte, ulong>(bytes);
        foreach (ulong w in words) count += BitOperations.PopCount(w);
        for (int i = words.Length * 8; i < bytes.Length; i++) count += BitOperations.PopCount(bytes[i]);
        return count;
    }

    [Command("bitpos", -3, Flags = CommandFlags.ReadOnly, FirstKey = 1, LastKey = 1, Step = 1, Group = "bitmap", Summary = "Finds the first set (1) or clear (0) bit in a string.")]
    public static void BitPos(CommandContext ctx)
    {
        if (!CommandContext.TryParseLong(ctx.Arg(2), out long bit))
        {
            ctx.Error(Errors.NotInteger);
            return;
        }
        if (bit is not (0 or 1))
        {
            ctx.Error("ERR The bit argument must be 1 or 0.");
            return;
        }
        if (!StringCommands.TryGetString(ctx, ctx.Arg(1), out var value)) return;
        if (value == null)
        {
            // A missing key is an endless run of zeros.
            ctx.Reply.WriteInteger(bit == 1 ? -1 : 0);
            return;
        }
        bool endGiven = false;
        long first = 0, last = ((long)value.Length << 3) - 1;
        bool empty = value.Length == 0;
        if (ctx.ArgCount is >= 4 and <= 6)
        {
            if (!ctx.TryArgLong(3, out long start)) return;
            bool bits = false;
            if (ctx.ArgCount == 6)
            {
                if (ctx.ArgIs(5, "BIT")) bits = true;
                else if (!ctx.ArgIs(5, "BYTE"))
                {
                    ctx.SyntaxError();
                    return;
                }
            }
            long end = value.Length - 1;
            if (ctx.ArgCount >= 5)
            {
                if (!ctx.TryArgLong(4, out end)) return;
                endGiven = true;
            }
            empty = !ResolveRange(value.Length, start, end, bits, out first, out last);
        }
        else if (ctx.ArgCount != 3)
        {
            ctx.SyntaxError();
            return;
        }
        if (empty)
        {
            ctx.Reply.WriteInteger(-1);
            return;
        }
        long pos = FindBit(value, first, last, bit == 1);
        if (pos < 0)
        {
            // Looking for a clear bit without an explicit end: the string continues with zeros to the right.
            pos = bit == 0 && !endGiven ? ((last >> 3) + 1) << 3 : -1;
        }
        ctx.Reply.WriteInteger(pos);
    }

    private static long FindBit(byte[] value, long first, long last, bool set)
    {
        long pos = first;
        // Up to the first byte boundary bit by bit, then whole bytes, then the tail bits.
        while (pos <= last && (pos & 7) != 0)
        {
            if (BitAt(value, pos) == set) return pos;
            pos++;
        }
        byte skip = set ? (byte)0 : (byte)0xFF;
        while (pos + 7 <= last)
        {
            long i = pos >> 3;
            int rest = (int)((last - pos + 1) >> 3);
            var span = value.AsSpan((int)i, rest);
            int found = span.IndexOfAnyExcept(skip);
            if (found < 0)
            {
                pos += (long)rest << 3;
                break;
            }
            byte b = span[found];
            int lead = BitOperations.LeadingZeroCount((uint)(set ? b : (byte)~b)) - 24;
            return ((i + found) << 3) + lead;
        }
        for (; pos <= last; pos++)
            if (BitAt(value, pos) == set) return pos;
        return -1;
    }

    private static bool BitAt(byte[] value, long pos) => ((value[pos >> 3] >> (7 - (int)(pos & 7))) & 1) != 0;

    [Command("bitop", -4, Flags = CommandFlags.Write | CommandFlags.DenyOom, FirstKey = 2, LastKey = -1, Step = 1, KeyFlagsByKey = "OW update|RO access", Group = "bitmap", Summary = "Performs bitwise operations on multiple strings, and stores the result.")]
    public static void BitOp(CommandContext ctx)
    {
        int op;
        if (ctx.ArgIs(1, "AND")) op = 0;
        else if (ctx.ArgIs(1, "OR")) op = 1;
        else if (ctx.ArgIs(1, "XOR")) op = 2;
        else if (ctx.ArgIs(1, "NOT")) op = 3;
        else
        {
            ctx.SyntaxError();
            return;
        }
        if (op == 3 && ctx.ArgCount != 4)
        {
            ctx.Error("ERR BITOP NOT must be called with a single source key.");
            return;
        }
        var db = ctx.Db;
        int n = ctx.ArgCount - 3;
        var sources = new byte[]?[n];
        int maxLen = 0;
        for (int j = 0; j < n; j++)
        {
            if (!StringCommands.TryGetString(ctx, ctx.Arg(3 + j), out var s, asRead: true)) return;
            sources[j] = s;
            if (s != null && s.Length > maxLen) maxLen = s.Length;
        }
        if (maxLen == 0)
        {
            if (db.Remove(ctx.Arg(2))) ctx.Notify(PubSub.NotifyType.Generic, "del"u8, 2);
            else ctx.SuppressPropagation = true;
            ctx.Reply.WriteInteger(0);
            return;
        }
        var result = new byte[maxLen];
        // Missing keys and the bytes past a shorter string count as zeros.
        sources[0]?.CopyTo(result, 0);
        if (op == 3)
        {
            for (int i = 0; i < maxLen; i++) result[i] = (byte)~result[i];
        }
        else
        {
            for (int j = 1; j < n; j++)
            {
                var s = sources[j] ?? [];
                Combine(result, s, op);
            }
        }
        db.Set(ctx.Arg(2), result);
        ctx.Notify(PubSub.NotifyType.String, "set"u8, 2);
        ctx.Reply.WriteInteger(maxLen);
    }

    private static void Combine(byte[] acc, byte[] s, int op)
    {
        int common = Math.Min(acc.Length, s.Length);
        var a = acc.AsSpan(0, common);
        var b = s.AsSpan(0, common);
        int words = common / 8;
        var aw = MemoryMarshal.Cast<byte, ulong>(a[..(words * 8)]);
        var bw = MemoryMarshal.Cast<byte, ulong>(b[..(words * 8)]);
        for (int i = 0; i < aw.Length; i++)
            aw[i] = op switch { 0 => aw[i] & bw[i], 1 => aw[i] | bw[i], _ => aw[i] ^ bw[i] };
        for (int i = words * 8; i < common; i++)
            a[i] = op switch { 0 => (byte)(a[i] & b[i]), 1 => (byte)(a[i] | b[i]), _ => (byte)(a[i] ^ b[i]) };
        // Beyond the shorter string: AND with zeros clears, OR/XOR with zeros keep.
        if (op == 0) acc.AsSpan(common).Clear();
    }
}
