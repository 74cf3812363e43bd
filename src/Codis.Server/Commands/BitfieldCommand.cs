using Codis.Server.Storage;

namespace Codis.Server.Commands;

/// <summary>
/// BITFIELD and BITFIELD_RO: signed and unsigned integers of 1–64 bits (u63 at most) at any bit offset of a string,
/// read, written and incremented with WRAP, SAT or FAIL overflow, as Redis 7.0 does. Bit 0 is the most
/// significant bit of the first byte, as for SETBIT.
/// </summary>
internal static class BitfieldCommand
{
    private const string TypeError = "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.";

    private enum OpCode { Get, Set, IncrBy }

    private enum Overflow { Wrap, Sat, Fail }

    private readonly record struct Op(OpCode Code, bool Signed, int Bits, long Offset, long Value, Overflow Overflow);

    [Command("bitfield", -2, Flags = CommandFlags.Write | CommandFlags.DenyOom, FirstKey = 1, LastKey = 1, Step = 1, KeyFlags = "RW access update variable_flags", Group = "bitmap", Summary = "Performs arbitrary bitfield integer operations on strings.")]
    public static void Bitfield(CommandContext ctx) => Run(ctx, readOnly: false);

    [Command("bitfield_ro", -2, Flags = CommandFlags.ReadOnly | CommandFlags.Fast, FirstKey = 1, LastKey = 1, Step = 1, Group = "bitmap", Summary = "Performs arbitrary read-only bitfield integer operations on strings.")]
    public static void BitfieldRo(CommandContext ctx) => Run(ctx, readOnly: true);

    private static void Run(CommandContext ctx, bool readOnly)
    {
        // Every operation is parsed before any runs: a bad one anywhere leaves the string untouched.
        var ops = new List<Op>();
        var overflow = Overflow.Wrap;
        bool writes = false;
        long highestBit = -1;
        for (int j = 2; j < ctx.ArgCount; j++)
        {
            int remaining = ctx.ArgCount - 1 - j;
            OpCode code;
            if (ctx.ArgIs(j, "GET") && remaining >= 2) code = OpCode.Get;
            else if (ctx.ArgIs(j, "SET") && remaining >= 3) code = OpCode.Set;
            else if (ctx.ArgIs(j, "INCRBY") && remaining >= 3) code = OpCode.IncrBy;
            else if (ctx.ArgIs(j, "OVERFLOW") && remaining >= 1)
            {
                j++;
                if (ctx.ArgIs(j, "WRAP")) overflow = Overflow.Wrap;
                else if (ctx.ArgIs(j, "SAT")) overflow = Overflow.Sat;
                else if (ctx.ArgIs(j, "FAIL")) overflow = Overflow.Fail;
                else
                {
                    ctx.Error("ERR Invalid OVERFLOW type specified");
                    return;
                }
                continue;
            }
            else
            {
                ctx.SyntaxError();
                return;
            }
            if (!TryType(ctx.Arg(j + 1), out bool signed, out int bits))
            {
                ctx.Error(TypeError);
                return;
            }
            if (!TryOffset(ctx, ctx.Arg(j + 2), bits, out long offset))
            {
                ctx.Error(Errors.BitOffset);
                return;
            }
            long value = 0;
            if (code != OpCode.Get)
            {
                if (!ctx.TryArgLong(j + 3, out value)) return;
                writes = true;
                highestBit = Math.Max(highestBit, offset + bits - 1);
            }
            ops.Add(new Op(code, signed, bits, offset, value, overflow));
            j += code == OpCode.Get ? 2 : 3;
        }
        if (readOnly && writes)
        {
            ctx.Error("ERR BITFIELD_RO only supports the GET subcommand");
            return;
        }

        var key = ctx.Arg(1);
        // only GETs: Redis looks the key up as a read (counted, a miss announced)
        if (!StringCommands.TryGetString(ctx, key, out var value0, asRead: !writes)) return;
        byte[] bytes = value0 ?? [];
        bool changed = false;
        if (writes)
        {
            // The string grows to the highest bit any write names, even when that write then fails on overflow.
            long need = (highestBit >> 3) + 1;
            if (!StringCommands.CheckLength(ctx, 0, need)) return;
            if (value0 == null)
            {
                bytes = new byte[need];
                ctx.Db.Add(ctx.ArgBytes(1), bytes, 0);
                changed = true;
            }
            else if (need > bytes.Length || !ctx.Keyspace.StringsMutableInPlace)
            {
                var bigger = new byte[Math.Max(need, bytes.Length)];
                bytes.CopyTo(bigger, 0);
                changed |= need > bytes.Length;
                bytes = bigger;
                ctx.Db.Set(key, bytes, Database.KeepTtl);
            }
        }

        ctx.Reply.WriteArrayHeader(ops.Count);
        bool modified = false;
        foreach (var op in ops)
        {
            ulong raw = Read(bytes, op.Offset, op.Bits);
            if (op.Code == OpCode.Get)
            {
                ctx.Reply.WriteInteger(op.Signed ? SignExtend(raw, op.Bits) : (long)raw);
                continue;
            }
            bool overflowed;
            ulong stored;
            long reply;
            if (op.Signed)
            {
                long old = SignExtend(raw, op.Bits);
                long next;
                if (op.Code == OpCode.IncrBy)
                {
                    overflowed = SignedOverflow(old, op.Value, op.Bits, op.Overflow, out long limit);
                    next = overflowed ? limit : old + op.Value;
                    reply = next;
                }
                else
                {
                    overflowed = SignedOverflow(op.Value, 0, op.Bits, op.Overflow, out long limit);
                    next = overflowed ? limit : op.Value;
                    reply = old;
                }
                stored = (ulong)next;
            }
            else
            {
                ulong next;
                if (op.Code == OpCode.IncrBy)
                {
                    overflowed = UnsignedOverflow(raw, op.Value, op.Bits, op.Overflow, out ulong limit);
                    next = overflowed ? limit : raw + (ulong)op.Value;
                    reply = (long)next;
                }
                else
                {
                    overflowed = UnsignedOverflow((ulong)op.Value, 0, op.Bits, op.Overflow, out ulong limit);
                    next = overflowed ? limit : (ulong)op.Value;
                    reply = (long)raw;
                }
                stored = next;
            }
            if (overflowed && op.Overflow == Overflow.Fail)
            {
                ctx.Reply.WriteNullBulk();
                continue;
            }
            ctx.Reply.WriteInteger(reply);
            ulong mask = op.Bits == 64 ? ulong.MaxValue : (1UL << op.Bits) - 1;
            if ((stored & mask) != raw)
            {
                Write(bytes, op.Offset, op.Bits, stored);
                modified = true;
            }
        }
        if (modified && !changed) ctx.Keyspace.OnModified(ctx.Db, key);
        else if (!modified && !changed) ctx.SuppressPropagation = true;
        if (modified || changed) ctx.Notify(PubSub.NotifyType.String, "setbit"u8, 1);
    }

    /// <summary>i1..i64 or u1..u63 (lower case, as Redis checks it).</summary>
    private static bool TryType(ReadOnlySpan<byte> s, out bool signed, out int bits)
    {
        signed = s.Length > 0 && s[0] == (byte)'i';
        bits = 0;
        if (s.Length < 2 || (s[0] != (byte)'i' && s[0] != (byte)'u')) return false;
        if (!CommandContext.TryParseLong(s[1..], out long n) || n < 1 || n > (signed ? 64 : 63)) return false;
        bits = (int)n;
        return true;
    }

    /// <summary>A bit offset, or #N for the N-th field of this width; its byte stays under proto-max-bulk-len.</summary>
    private static bool TryOffset(CommandContext ctx, ReadOnlySpan<byte> s, int bits, out long offset)
    {
        bool hash = s.Length > 0 && s[0] == (byte)'#';
        if (!CommandContext.TryParseLong(hash ? s[1..] : s, out offset)) return false;
        if (hash)
        {
            try { offset = checked(offset * bits); }
            catch (OverflowException) { return false; }
        }
        return offset >= 0 && (offset >> 3) < ctx.Server.Limits.MaxBulkLength && (offset >> 3) < Array.MaxLength;
    }

    private static ulong Read(byte[] s, long offset, int bits)
    {
        ulong v = 0;
        for (int k = 0; k < bits; k++)
        {
            long bit = offset + k;
            long index = bit >> 3;
            int b = index < s.Length ? (s[index] >> (7 - (int)(bit & 7))) & 1 : 0;
            v = (v << 1) | (uint)b;
        }
        return v;
    }

    private static void Write(byte[] s, long offset, int bits, ulong value)
    {
        for (int k = 0; k < bits; k++)
        {
            long bit = offset + k;
            int shift = 7 - (int)(bit & 7);
            bool on = ((value >> (bits - 1 - k)) & 1) != 0;
            if (on) s[bit >> 3] |= (byte)(1 << shift);
            else s[bit >> 3] &= (byte)~(1 << shift);
        }
    }

    private static long SignExtend(ulong raw, int bits) =>
        bits == 64 || (raw & (1UL << (bits - 1))) == 0 ? (long)raw : (long)(raw | (ulong.MaxValue << bits));

    /// <summary>Whether value + incr leaves the signed range of <paramref name="bits"/>; limit is what WRAP or SAT stores then.</summary>
    private static bool SignedOverflow(long value, long incr, int bits, Overflow mode, out long limit)
    {
        limit = 0;
        long max = bits == 64 ? long.MaxValue : (1L << (bits - 1)) - 1;
        long min = -max - 1;
        // Redis's test, with its differences computed as the C code does (wrapping): a SET of a value far below a
        // narrow field's range wraps max - value negative and counts as overflowing upwards (SAT stores max).
        long maxIncr = unchecked(max - value), minIncr = unchecked(min - value);
        bool high = value > max || (bits != 64 && incr > maxIncr) || (value >= 0 && incr > 0 && incr > maxIncr);
        bool low = !high && (value < min || (bits != 64 && incr < minIncr) || (value < 0 && incr < 0 && incr < minIncr));
        if (!high && !low) return false;
        if (mode == Overflow.Sat) limit = high ? max : min;
        else if (mode == Overflow.Wrap)
        {
            ulong c = unchecked((ulong)value + (ulong)incr);
            if (bits < 64)
            {
                ulong msb = 1UL << (bits - 1), upper = ulong.MaxValue << bits;
                c = (c & msb) != 0 ? c | upper : c & ~upper;
            }
            limit = (long)c;
        }
        return true;
    }

    /// <summary>Whether value + incr leaves [0, 2^bits − 1]; limit is what WRAP or SAT stores then.</summary>
    private static bool UnsignedOverflow(ulong value, long incr, int bits, Overflow mode, out ulong limit)
    {
        limit = 0;
        ulong max = (1UL << bits) - 1; // bits ≤ 63
        bool high = value > max || (incr > 0 && (ulong)incr > max - value);
        bool low = !high && incr < 0 && (ulong)(-(incr + 1)) + 1 > value; // |incr| > value, without negating long.MinValue
        if (!high && !low) return false;
        if (mode == Overflow.Sat) limit = high ? max : 0;
        else if (mode == Overflow.Wrap) limit = unchecked(value + (ulong)incr) & max;
        return true;
    }
}
