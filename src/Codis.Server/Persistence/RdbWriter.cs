using System.Buffers;
using System.Buffers.Binary;

namespace Codis.Server.Persistence;

/// <summary>
/// Appends RDB primitives to a growable buffer: lengths, strings (integer, LZF or raw, chosen the way Redis 7.0
/// chooses), binary doubles and fixed-width little-endian numbers. DUMP builds one payload with it; RDB saving
/// and replication can drain <see cref="WrittenSpan"/> to a stream and <see cref="Clear"/> between keys.
/// </summary>
internal sealed class RdbWriter(int initialCapacity = 256)
{
    private byte[] buffer = new byte[Math.Max(16, initialCapacity)];
    private int length;

    /// <summary>Redis's rdbcompression: try LZF on strings longer than 20 bytes.</summary>
    public bool Compression { get; init; } = true;

    public int Length => length;
    public ReadOnlySpan<byte> WrittenSpan => buffer.AsSpan(0, length);
    public byte[] ToArray() => buffer.AsSpan(0, length).ToArray();
    public void Clear() => length = 0;

    /// <summary>Returns room for <paramref name="count"/> more bytes; <see cref="Advance"/> commits what was used.</summary>
    public Span<byte> GetSpan(int count)
    {
        if (buffer.Length - length < count)
        {
            long wanted = Math.Max((long)buffer.Length * 2, (long)length + count);
            if (wanted > Array.MaxLength) wanted = Math.Max(Array.MaxLength, length + count);
            Array.Resize(ref buffer, (int)wanted);
        }
        return buffer.AsSpan(length, count);
    }

    public void Advance(int count) => length += count;

    public void WriteByte(byte b) => Put(b);

    public void WriteRaw(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(GetSpan(bytes.Length));
        length += bytes.Length;
    }

    public void WriteUInt16LE(ushort v)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(GetSpan(2), v);
        length += 2;
    }

    public void WriteUInt32LE(uint v)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(GetSpan(4), v);
        length += 4;
    }

    public void WriteUInt64LE(ulong v)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(GetSpan(8), v);
        length += 8;
    }

    /// <summary>An IEEE-754 binary64, little endian (zset type 5 scores).</summary>
    public void WriteBinaryDouble(double d) => WriteUInt64LE(BitConverter.DoubleToUInt64Bits(d));

    /// <summary>The RDB length encoding in its shortest form (6-bit, 14-bit, 32-bit BE, 64-bit BE).</summary>
    public void WriteLength(ulong n)
    {
        if (n < 1 << 6)
        {
            Put((byte)n);
        }
        else if (n < 1 << 14)
        {
            var s = GetSpan(2);
            s[0] = (byte)(0x40 | (n >> 8));
            s[1] = (byte)n;
            length += 2;
        }
        else if (n <= uint.MaxValue)
        {
            var s = GetSpan(5);
            s[0] = 0x80;
            BinaryPrimitives.WriteUInt32BigEndian(s[1..], (uint)n);
            length += 5;
        }
        else
        {
            var s = GetSpan(9);
            s[0] = 0x81;
            BinaryPrimitives.WriteUInt64BigEndian(s[1..], n);
            length += 9;
        }
    }

    /// <summary>
    /// An RDB string the way Redis's rdbSaveRawString writes it: canonical int32 text of ≤ 11 bytes as C0/C1/C2;
    /// else, with compression on and more than 20 bytes, LZF when it saves at least 4 bytes; else raw.
    /// </summary>
    public void WriteString(ReadOnlySpan<byte> s)
    {
        if (s.Length <= 11 && RdbInteger.TryParseCanonical(s, out long v) && TryWriteEncodedInt(v)) return;
        if (Compression && s.Length > 20 && TryWriteLzf(s)) return;
        WriteLength((ulong)s.Length);
        WriteRaw(s);
    }

    /// <summary>A string that is held as an integer: C0/C1/C2 when it fits int32, else its decimal text (never LZF).</summary>
    public void WriteIntegerString(long v)
    {
        if (TryWriteEncodedInt(v)) return;
        var text = RdbInteger.ToText(v);
        WriteLength((ulong)text.Length);
        WriteRaw(text);
    }

    private bool TryWriteEncodedInt(long v)
    {
        if (v >= sbyte.MinValue && v <= sbyte.MaxValue)
        {
            var s = GetSpan(2);
            s[0] = 0xC0;
            s[1] = (byte)(sbyte)v;
            length += 2;
        }
        else if (v >= short.MinValue && v <= short.MaxValue)
        {
            var s = GetSpan(3);
            s[0] = 0xC1;
            BinaryPrimitives.WriteInt16LittleEndian(s[1..], (short)v);
            length += 3;
        }
        else if (v >= int.MinValue && v <= int.MaxValue)
        {
            var s = GetSpan(5);
            s[0] = 0xC2;
            BinaryPrimitives.WriteInt32LittleEndian(s[1..], (int)v);
            length += 5;
        }
        else
        {
            return false;
        }
        return true;
    }

    private bool TryWriteLzf(ReadOnlySpan<byte> s)
    {
        // Redis gives the compressor len-4 bytes of room: compression must save at least 4 bytes to be used.
        int room = s.Length - 4;
        byte[] rented = ArrayPool<byte>.Shared.Rent(room);
        try
        {
            int clen = Lzf.Compress(s, rented.AsSpan(0, room));
            if (clen == 0) return false;
            Put(0xC3);
            WriteLength((ulong)clen);
            WriteLength((ulong)s.Length);
            WriteRaw(rented.AsSpan(0, clen));
            return true;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private void Put(byte b)
    {
        GetSpan(1)[0] = b;
        length++;
    }
}
