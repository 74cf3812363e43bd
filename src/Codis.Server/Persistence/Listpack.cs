using System.Buffers.Binary;

namespace Codis.Server.Persistence;

/// <summary>One listpack element: an integer, or a string (<see cref="String"/> non-null).</summary>
internal readonly record struct ListpackEntry(byte[]? String, long Integer)
{
    public bool IsInteger => String == null;

    /// <summary>The element as Redis's readers return it: integers as decimal text.</summary>
    public byte[] ToBytes() => String ?? RdbInteger.ToText(Integer);

    /// <summary>The element as an integer (stream metadata): an integer entry, or a string holding canonical decimal.</summary>
    public long AsInteger()
    {
        if (String == null) return Integer;
        if (RdbInteger.TryParseCanonical(String, out long v)) return v;
        throw new RdbFormatException("listpack entry is not an integer");
    }
}

/// <summary>
/// Listpack blobs (redis-formats.md §2.5): <c>total_bytes u32 LE · num_entries u16 LE · entries · FF</c>, each entry
/// = encoding+data then its backlen. Reading validates the header, every entry, every backlen and the terminator.
/// </summary>
internal static class Listpack
{
    public const int HeaderSize = 6;
    private const byte End = 0xFF;

    /// <summary>Decodes all elements; throws <see cref="RdbFormatException"/> on any inconsistency.</summary>
    public static List<ListpackEntry> Read(ReadOnlySpan<byte> lp)
    {
        if (lp.Length < HeaderSize + 1) throw new RdbFormatException("listpack too short");
        uint total = BinaryPrimitives.ReadUInt32LittleEndian(lp);
        if (total != lp.Length) throw new RdbFormatException("listpack size mismatch");
        if (lp[^1] != End) throw new RdbFormatException("listpack without terminator");
        int declared = BinaryPrimitives.ReadUInt16LittleEndian(lp[4..]);
        var result = new List<ListpackEntry>(declared == ushort.MaxValue ? 16 : declared);
        int p = HeaderSize;
        Span<byte> backlen = stackalloc byte[5];
        while (true)
        {
            if (p >= lp.Length) throw new RdbFormatException("listpack entry past the end");
            byte b = lp[p];
            if (b == End)
            {
                if (p != lp.Length - 1) throw new RdbFormatException("listpack terminator before the end");
                break;
            }
            int start = p;
            ListpackEntry entry;
            if ((b & 0x80) == 0)
            {
                entry = new ListpackEntry(null, b & 0x7F);
                p += 1;
            }
            else if ((b & 0xC0) == 0x80)
            {
                int len = b & 0x3F;
                entry = new ListpackEntry(Slice(lp, p + 1, len).ToArray(), 0);
                p += 1 + len;
            }
            else if ((b & 0xE0) == 0xC0)
            {
                int u = ((b & 0x1F) << 8) | At(lp, p + 1);
                entry = new ListpackEntry(null, u < 4096 ? u : u - 8192);
                p += 2;
            }
            else if ((b & 0xF0) == 0xE0)
            {
                int len = ((b & 0x0F) << 8) | At(lp, p + 1);
                entry = new ListpackEntry(Slice(lp, p + 2, len).ToArray(), 0);
                p += 2 + len;
            }
            else
            {
                switch (b)
                {
                    case 0xF0:
                        {
                            uint len = BinaryPrimitives.ReadUInt32LittleEndian(Slice(lp, p + 1, 4));
                            if (len > int.MaxValue) throw new RdbFormatException("listpack string too long");
                            entry = new ListpackEntry(Slice(lp, p + 5, (int)len).ToArray(), 0);
                            p += 5 + (int)len;
                            break;
                        }
                    case 0xF1:
                        entry = new ListpackEntry(null, BinaryPrimitives.ReadInt16LittleEndian(Slice(lp, p + 1, 2)));
                        p += 3;
                        break;
                    case 0xF2:
                        {
                            var s = Slice(lp, p + 1, 3);
                            int v = s[0] | (s[1] << 8) | (s[2] << 16);
                            entry = new ListpackEntry(null, (v << 8) >> 8); // sign-extend 24 bits
                            p += 4;
                            break;
                        }
                    case 0xF3:
                        entry = new ListpackEntry(null, BinaryPrimitives.ReadInt32LittleEndian(Slice(lp, p + 1, 4)));
                        p += 5;
                        break;
                    case 0xF4:
                        entry = new ListpackEntry(null, BinaryPrimitives.ReadInt64LittleEndian(Slice(lp, p + 1, 8)));
                        p += 9;
                        break;
                    default:
                        throw new RdbFormatException($"invalid listpack encoding 0x{b:x2}");
                }
            }
            int size = p - start;
            int bl = EncodeBacklen(size, backlen);
            if (!Slice(lp, p, bl).SequenceEqual(backlen[..bl])) throw new RdbFormatException("listpack backlen mismatch");
            p += bl;
            result.Add(entry);
        }
        if (declared != ushort.MaxValue && declared != result.Count) throw new RdbFormatException("listpack count mismatch");
        return result;
    }

    /// <summary>
    /// The backlen of an entry of <paramref name="size"/> bytes, with Redis's thresholds (127 / 16382 / 2097150 /
    /// 268435454): identical bytes depend on copying them, including 16383 taking 3 bytes.
    /// </summary>
    public static int EncodeBacklen(int size, Span<byte> dest)
    {
        uint l = (uint)size;
        if (l <= 127)
        {
            dest[0] = (byte)l;
            return 1;
        }
        if (l < 16383)
        {
            dest[0] = (byte)(l >> 7);
            dest[1] = (byte)((l & 127) | 128);
            return 2;
        }
        if (l < 2097151)
        {
            dest[0] = (byte)(l >> 14);
            dest[1] = (byte)(((l >> 7) & 127) | 128);
            dest[2] = (byte)((l & 127) | 128);
            return 3;
        }
        if (l < 268435455)
        {
            dest[0] = (byte)(l >> 21);
            dest[1] = (byte)(((l >> 14) & 127) | 128);
            dest[2] = (byte)(((l >> 7) & 127) | 128);
            dest[3] = (byte)((l & 127) | 128);
            return 4;
        }
        dest[0] = (byte)(l >> 28);
        dest[1] = (byte)(((l >> 21) & 127) | 128);
        dest[2] = (byte)(((l >> 14) & 127) | 128);
        dest[3] = (byte)(((l >> 7) & 127) | 128);
        dest[4] = (byte)((l & 127) | 128);
        return 5;
    }

    private static byte At(ReadOnlySpan<byte> lp, int i)
    {
        if ((uint)i >= (uint)lp.Length) throw new RdbFormatException("listpack entry past the end");
        return lp[i];
    }

    private static ReadOnlySpan<byte> Slice(ReadOnlySpan<byte> lp, int start, int len)
    {
        if (len < 0 || start > lp.Length - len) throw new RdbFormatException("listpack entry past the end");
        return lp.Slice(start, len);
    }
}
