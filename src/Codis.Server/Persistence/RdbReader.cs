using System.Buffers.Binary;
using System.Globalization;

namespace Codis.Server.Persistence;

/// <summary>
/// Reads RDB primitives from a byte array (DUMP payloads, migration) or a stream (RDB files, a replication
/// transfer). Malformed input throws <see cref="RdbFormatException"/>. With <see cref="TrackCrc"/> on, every
/// consumed byte also feeds a running CRC-64, so a streamed RDB file can be checked against its trailer.
/// </summary>
internal sealed class RdbReader
{
    private readonly Stream? stream;
    private byte[] buffer;
    private int pos;
    private int end;
    private long consumedBefore; // bytes dropped from the buffer's front (stream mode)
    private ulong crc;

    /// <summary>Reads <paramref name="count"/> bytes of <paramref name="data"/> from <paramref name="offset"/>.</summary>
    public RdbReader(byte[] data, int offset, int count)
    {
        buffer = data;
        pos = offset;
        end = offset + count;
        consumedBefore = -offset;
    }

    public RdbReader(byte[] data) : this(data, 0, data.Length) { }

    public RdbReader(Stream source, int bufferSize = 64 * 1024)
    {
        stream = source;
        buffer = new byte[bufferSize];
    }

    /// <summary>Bytes consumed so far.</summary>
    public long Position => consumedBefore + pos;

    /// <summary>When set, consumed bytes are added to <see cref="Crc"/>.</summary>
    public bool TrackCrc { get; set; }

    public ulong Crc
    {
        get => crc;
        set => crc = value;
    }

    /// <summary>True when no byte is left (a stream is asked for more first).</summary>
    public bool AtEnd => !Ensure(1, throwOnShort: false);

    public byte ReadByte()
    {
        Ensure(1);
        return Consume(1)[0];
    }

    public byte PeekByte()
    {
        Ensure(1);
        return buffer[pos];
    }

    /// <summary>The next <paramref name="count"/> bytes, valid only until the next read.</summary>
    public ReadOnlySpan<byte> ReadSpan(int count)
    {
        if (count < 0) throw new RdbFormatException("negative length");
        Ensure(count);
        return Consume(count);
    }

    /// <summary>The next <paramref name="count"/> bytes as a new array.</summary>
    public byte[] ReadBytes(long count)
    {
        if (count < 0 || count > Array.MaxLength) throw new RdbFormatException("length out of range");
        int n = (int)count;
        if (stream == null || n <= buffer.Length) return ReadSpan(n).ToArray();
        // Large values from a stream: copy what is buffered, read the rest straight into the result.
        var result = new byte[n];
        int have = end - pos;
        Consume(have).CopyTo(result);
        int filled = have;
        while (filled < n)
        {
            int r = stream.Read(result, filled, n - filled);
            if (r <= 0) throw new RdbFormatException("unexpected end of data");
            if (TrackCrc) crc = Crc64.Update(crc, result.AsSpan(filled, r));
            filled += r;
        }
        consumedBefore += n - have;
        return result;
    }

    public ushort ReadUInt16LE() => BinaryPrimitives.ReadUInt16LittleEndian(ReadSpan(2));
    public uint ReadUInt32LE() => BinaryPrimitives.ReadUInt32LittleEndian(ReadSpan(4));
    public ulong ReadUInt64LE() => BinaryPrimitives.ReadUInt64LittleEndian(ReadSpan(8));

    /// <summary>An 8-byte little-endian IEEE-754 double (zset type 5).</summary>
    public double ReadBinaryDouble() => BitConverter.UInt64BitsToDouble(ReadUInt64LE());

    /// <summary>A length; the "special encoding" form (11xxxxxx) is an error here.</summary>
    public ulong ReadLength()
    {
        ulong n = ReadLength(out bool encoded);
        if (encoded) throw new RdbFormatException("unexpected string encoding where a length is expected");
        return n;
    }

    /// <summary>A length, or with <paramref name="encoded"/> set, the special string encoding number (0..63).</summary>
    public ulong ReadLength(out bool encoded)
    {
        encoded = false;
        byte b0 = ReadByte();
        switch (b0 >> 6)
        {
            case 0:
                return (ulong)(b0 & 0x3F);
            case 1:
                return (ulong)(((b0 & 0x3F) << 8) | ReadByte());
            case 2:
                if (b0 == 0x80) return BinaryPrimitives.ReadUInt32BigEndian(ReadSpan(4));
                if (b0 == 0x81) return BinaryPrimitives.ReadUInt64BigEndian(ReadSpan(8));
                throw new RdbFormatException($"unknown length encoding 0x{b0:x2}");
            default:
                encoded = true;
                return (ulong)(b0 & 0x3F);
        }
    }

    /// <summary>A length that must fit a collection count or a buffer size (corrupt huge lengths fail here).</summary>
    public int ReadCount()
    {
        ulong n = ReadLength();
        if (n > int.MaxValue) throw new RdbFormatException("length out of range");
        return (int)n;
    }

    /// <summary>An RDB string (raw, integer-encoded or LZF); integers come back as their decimal text.</summary>
    public byte[] ReadString()
    {
        ulong n = ReadLength(out bool encoded);
        if (!encoded) return ReadBytes((long)Math.Min(n, (ulong)long.MaxValue));
        switch (n)
        {
            case 0: return RdbInteger.ToText((sbyte)ReadByte());
            case 1: return RdbInteger.ToText(BinaryPrimitives.ReadInt16LittleEndian(ReadSpan(2)));
            case 2: return RdbInteger.ToText(BinaryPrimitives.ReadInt32LittleEndian(ReadSpan(4)));
            case 3: return ReadLzfString();
            default: throw new RdbFormatException($"unknown string encoding {n}");
        }
    }

    private byte[] ReadLzfString()
    {
        ulong clen = ReadLength();
        ulong ulen = ReadLength();
        if (clen == 0 || clen > int.MaxValue) throw new RdbFormatException("bad LZF compressed length");
        // One 3-byte back reference expands to at most 264 bytes: anything claiming more is corrupt, and checking
        // before allocating keeps a tiny bad payload from asking for gigabytes.
        if (ulen == 0 || ulen > (ulong)Array.MaxLength || ulen > clen * 88 + 32) throw new RdbFormatException("bad LZF original length");
        var compressed = clen <= (ulong)buffer.Length ? ReadSpan((int)clen) : ReadBytes((long)clen);
        var result = new byte[ulen];
        if (Lzf.Decompress(compressed, result) != result.Length) throw new RdbFormatException("invalid LZF data");
        return result;
    }

    /// <summary>A text double as zset type 3 stores it: 1 length byte (253 nan, 254 +inf, 255 −inf) then ASCII.</summary>
    public double ReadTextDouble()
    {
        byte len = ReadByte();
        switch (len)
        {
            case 253: return double.NaN;
            case 254: return double.PositiveInfinity;
            case 255: return double.NegativeInfinity;
        }
        var text = ReadSpan(len);
        if (!TryParseDouble(text, out double d)) throw new RdbFormatException("bad text double");
        return d;
    }

    /// <summary>Parses a double as strtod would for the texts Redis writes (digits, sign, '.', exponent, inf).</summary>
    public static bool TryParseDouble(ReadOnlySpan<byte> text, out double value)
    {
        value = 0;
        if (text.IsEmpty || text.Length > 512) return false;
        Span<char> chars = stackalloc char[text.Length];
        for (int i = 0; i < text.Length; i++) chars[i] = (char)text[i];
        if (chars.Equals("inf", StringComparison.OrdinalIgnoreCase) || chars.Equals("+inf", StringComparison.OrdinalIgnoreCase))
        {
            value = double.PositiveInfinity;
            return true;
        }
        if (chars.Equals("-inf", StringComparison.OrdinalIgnoreCase))
        {
            value = double.NegativeInfinity;
            return true;
        }
        foreach (char c in chars)
            if (!(char.IsAsciiDigit(c) || c is '.' or '-' or '+' or 'e' or 'E')) return false;
        return double.TryParse(chars, NumberStyles.Float, CultureInfo.InvariantCulture, out value);
    }

    private ReadOnlySpan<byte> Consume(int count)
    {
        var span = new ReadOnlySpan<byte>(buffer, pos, count);
        pos += count;
        if (TrackCrc) crc = Crc64.Update(crc, span);
        return span;
    }

    private bool Ensure(int count, bool throwOnShort = true)
    {
        if (end - pos >= count) return true;
        if (stream != null)
        {
            // Keep the unread tail at the front, grow for requests larger than the buffer, then refill.
            int have = end - pos;
            if (count > buffer.Length)
            {
                var bigger = new byte[Math.Max(count, buffer.Length * 2)];
                Buffer.BlockCopy(buffer, pos, bigger, 0, have);
                buffer = bigger;
            }
            else if (pos > 0)
            {
                Buffer.BlockCopy(buffer, pos, buffer, 0, have);
            }
            consumedBefore += pos;
            pos = 0;
            end = have;
            while (end < count)
            {
                int r = stream.Read(buffer, end, buffer.Length - end);
                if (r <= 0) break;
                end += r;
            }
            if (end - pos >= count) return true;
        }
        if (throwOnShort) throw new RdbFormatException("unexpected end of data");
        return false;
    }

    public override string ToString() => $"RdbReader at {Position.ToString(CultureInfo.InvariantCulture)}";
}
