using System.Buffers.Binary;

namespace Codis.Server.Persistence;

/// <summary>
/// Ziplist blobs, read only (Redis ≤ 6.2; redis-formats.md §2.6): <c>zlbytes · zltail · zllen · entries · FF</c>,
/// entry = prevlen · encoding · data. Validated as it is walked: sizes, prevlens, tail offset, count, terminator.
/// </summary>
internal static class Ziplist
{
    private const int HeaderSize = 10;

    /// <summary>The elements, integers as decimal text.</summary>
    public static List<byte[]> Read(ReadOnlySpan<byte> zl)
    {
        if (zl.Length < HeaderSize + 1) throw new RdbFormatException("ziplist too short");
        if (BinaryPrimitives.ReadUInt32LittleEndian(zl) != zl.Length) throw new RdbFormatException("ziplist size mismatch");
        uint tail = BinaryPrimitives.ReadUInt32LittleEndian(zl[4..]);
        int declared = BinaryPrimitives.ReadUInt16LittleEndian(zl[8..]);
        if (zl[^1] != 0xFF) throw new RdbFormatException("ziplist without terminator");
        var result = new List<byte[]>();
        int p = HeaderSize, prevSize = 0, last = HeaderSize;
        while (true)
        {
            if (p >= zl.Length) throw new RdbFormatException("ziplist entry past the end");
            if (zl[p] == 0xFF)
            {
                if (p != zl.Length - 1) throw new RdbFormatException("ziplist terminator before the end");
                break;
            }
            int start = p;
            int prevLen;
            if (zl[p] < 254)
            {
                prevLen = zl[p];
                p += 1;
            }
            else if (zl[p] == 254)
            {
                uint v = BinaryPrimitives.ReadUInt32LittleEndian(Slice(zl, p + 1, 4));
                if (v > int.MaxValue) throw new RdbFormatException("bad ziplist prevlen");
                prevLen = (int)v;
                p += 5;
            }
            else
            {
                throw new RdbFormatException("bad ziplist prevlen");
            }
            if (prevLen != prevSize) throw new RdbFormatException("ziplist prevlen mismatch");

            byte enc = Slice(zl, p, 1)[0];
            switch (enc >> 6)
            {
                case 0:
                    result.Add(Slice(zl, p + 1, enc & 0x3F).ToArray());
                    p += 1 + (enc & 0x3F);
                    break;
                case 1:
                    {
                        int len = ((enc & 0x3F) << 8) | Slice(zl, p + 1, 1)[0];
                        result.Add(Slice(zl, p + 2, len).ToArray());
                        p += 2 + len;
                        break;
                    }
                case 2:
                    {
                        if (enc != 0x80) throw new RdbFormatException("bad ziplist encoding");
                        uint len = BinaryPrimitives.ReadUInt32BigEndian(Slice(zl, p + 1, 4));
                        if (len > int.MaxValue) throw new RdbFormatException("bad ziplist string length");
                        result.Add(Slice(zl, p + 5, (int)len).ToArray());
                        p += 5 + (int)len;
                        break;
                    }
                default:
                    {
                        long v;
                        int size;
                        switch (enc)
                        {
                            case 0xC0: v = BinaryPrimitives.ReadInt16LittleEndian(Slice(zl, p + 1, 2)); size = 3; break;
                            case 0xD0: v = BinaryPrimitives.ReadInt32LittleEndian(Slice(zl, p + 1, 4)); size = 5; break;
                            case 0xE0: v = BinaryPrimitives.ReadInt64LittleEndian(Slice(zl, p + 1, 8)); size = 9; break;
                            case 0xF0:
                                {
                                    var s = Slice(zl, p + 1, 3);
                                    v = ((s[0] | (s[1] << 8) | (s[2] << 16)) << 8) >> 8;
                                    size = 4;
                                    break;
                                }
                            case 0xFE: v = (sbyte)Slice(zl, p + 1, 1)[0]; size = 2; break;
                            default:
                                if (enc >= 0xF1 && enc <= 0xFD)
                                {
                                    v = (enc & 0x0F) - 1;
                                    size = 1;
                                    break;
                                }
                                throw new RdbFormatException($"bad ziplist encoding 0x{enc:x2}");
                        }
                        result.Add(RdbInteger.ToText(v));
                        p += size;
                        break;
                    }
            }
            last = start;
            prevSize = p - start;
        }
        if (result.Count > 0 && tail != last) throw new RdbFormatException("ziplist tail offset mismatch");
        if (declared != ushort.MaxValue && declared != result.Count) throw new RdbFormatException("ziplist count mismatch");
        return result;
    }

    private static ReadOnlySpan<byte> Slice(ReadOnlySpan<byte> zl, int start, int len)
    {
        if (len < 0 || start > zl.Length - 1 - len) throw new RdbFormatException("ziplist entry past the end");
        return zl.Slice(start, len);
    }
}
