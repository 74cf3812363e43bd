using System.Buffers.Binary;

namespace Codis.Server.Persistence;

/// <summary>
/// Builds a listpack the way Redis 7.0 appends to one (lpAppend): canonical decimal strings become integers in the
/// smallest form, other strings take the 6-bit, 12-bit or 32-bit length form. Byte-identical to Redis's blobs.
/// </summary>
internal sealed class ListpackBuilder
{
    private byte[] buffer = new byte[64];
    private int length = Listpack.HeaderSize;

    public int Count { get; private set; }

    /// <summary>Size of the finished listpack so far (header and terminator included), as Redis's lpBytes.</summary>
    public int Bytes => length + 1;

    public void Clear()
    {
        length = Listpack.HeaderSize;
        Count = 0;
    }

    public void Append(ReadOnlySpan<byte> element)
    {
        if (element.Length <= 20 && RdbInteger.TryParseCanonical(element, out long v))
        {
            Append(v);
            return;
        }
        int len = element.Length;
        int head = len < 64 ? 1 : len < 4096 ? 2 : 5;
        var s = Reserve(head + len + 5);
        if (head == 1)
        {
            s[0] = (byte)(0x80 | len);
        }
        else if (head == 2)
        {
            s[0] = (byte)(0xE0 | (len >> 8));
            s[1] = (byte)len;
        }
        else
        {
            s[0] = 0xF0;
            BinaryPrimitives.WriteUInt32LittleEndian(s[1..], (uint)len);
        }
        element.CopyTo(s[head..]);
        Commit(s, head + len);
    }

    public void Append(long v)
    {
        var s = Reserve(9 + 1);
        int size;
        if (v >= 0 && v <= 127)
        {
            s[0] = (byte)v;
            size = 1;
        }
        else if (v >= -4096 && v <= 4095)
        {
            int u = v < 0 ? (1 << 13) + (int)v : (int)v;
            s[0] = (byte)(0xC0 | (u >> 8));
            s[1] = (byte)u;
            size = 2;
        }
        else if (v >= short.MinValue && v <= short.MaxValue)
        {
            s[0] = 0xF1;
            BinaryPrimitives.WriteInt16LittleEndian(s[1..], (short)v);
            size = 3;
        }
        else if (v >= -8388608 && v <= 8388607)
        {
            s[0] = 0xF2;
            s[1] = (byte)v;
            s[2] = (byte)(v >> 8);
            s[3] = (byte)(v >> 16);
            size = 4;
        }
        else if (v >= int.MinValue && v <= int.MaxValue)
        {
            s[0] = 0xF3;
            BinaryPrimitives.WriteInt32LittleEndian(s[1..], (int)v);
            size = 5;
        }
        else
        {
            s[0] = 0xF4;
            BinaryPrimitives.WriteInt64LittleEndian(s[1..], v);
            size = 9;
        }
        Commit(s, size);
    }

    /// <summary>The finished blob: header (total bytes, count capped at 65535) · entries · FF.</summary>
    public byte[] ToArray()
    {
        var result = new byte[length + 1];
        buffer.AsSpan(0, length).CopyTo(result);
        BinaryPrimitives.WriteUInt32LittleEndian(result, (uint)result.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(result.AsSpan(4), (ushort)Math.Min(Count, ushort.MaxValue));
        result[^1] = 0xFF;
        return result;
    }

    private Span<byte> Reserve(int count)
    {
        if (buffer.Length - length < count)
            Array.Resize(ref buffer, (int)Math.Min(Array.MaxLength, Math.Max((long)buffer.Length * 2, (long)length + count)));
        return buffer.AsSpan(length);
    }

    private void Commit(Span<byte> s, int size)
    {
        int bl = Listpack.EncodeBacklen(size, s[size..]);
        length += size + bl;
        Count++;
    }
}
