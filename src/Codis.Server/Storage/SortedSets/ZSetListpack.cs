using System.Buffers.Binary;

namespace Codis.Server.Storage.SortedSets;

/// <summary>
/// The byte layout of a small sorted set's entries, end to end in one array in (score, member) order:
/// <c>[member length][member][score][back length]</c>.
/// <list type="bullet">
/// <item>member length: one byte below 254, else 254 + 2 bytes or 255 + 4 bytes (little-endian);</item>
/// <item>score: an integral score 0..239 is that one byte; 0xF0 + int16, 0xF1 + int32, else 0xF2 + the double's
/// 8 bytes (so -0 is kept as 0, as Redis's listpack keeps an integral score as an integer);</item>
/// <item>back length: the size of the entry before it, 7 bits a byte from the last byte backwards (the high bit says
/// another byte precedes), so the entry before any position is found in O(1) for reverse walks.</item>
/// </list>
/// A 1-character member with a small integer score takes 4 bytes; Redis's listpack takes 5.
/// </summary>
internal static class ZSetListpack
{
    private const byte Int16Tag = 0xF0, Int32Tag = 0xF1, DoubleTag = 0xF2;

    private static int LengthSize(int len) => len < 254 ? 1 : len <= 0xFFFF ? 3 : 5;

    private static int ScoreSize(double s)
    {
        if (s >= 0 && s < Int16Tag && s == Math.Floor(s)) return 1;
        if (s >= short.MinValue && s <= short.MaxValue && s == Math.Floor(s)) return 3;
        if (s >= int.MinValue && s <= int.MaxValue && s == Math.Floor(s)) return 5;
        return 9;
    }

    private static int BackSize(int size) => size < 1 << 7 ? 1 : size < 1 << 14 ? 2 : size < 1 << 21 ? 3 : size < 1 << 28 ? 4 : 5;

    /// <summary>The bytes an entry takes, back length included.</summary>
    public static int EntrySize(int memberLength, double score)
    {
        int body = LengthSize(memberLength) + memberLength + ScoreSize(score);
        return body + BackSize(body);
    }

    /// <summary>Writes an entry at the start of <paramref name="d"/> (room for <see cref="EntrySize"/>); returns its size.</summary>
    public static int Write(Span<byte> d, ReadOnlySpan<byte> member, double score)
    {
        int n;
        int len = member.Length;
        if (len < 254)
        {
            d[0] = (byte)len;
            n = 1;
        }
        else if (len <= 0xFFFF)
        {
            d[0] = 254;
            BinaryPrimitives.WriteUInt16LittleEndian(d[1..], (ushort)len);
            n = 3;
        }
        else
        {
            d[0] = 255;
            BinaryPrimitives.WriteInt32LittleEndian(d[1..], len);
            n = 5;
        }
        member.CopyTo(d[n..]);
        n += len;
        switch (ScoreSize(score))
        {
            case 1:
                d[n++] = (byte)(int)score;
                break;
            case 3:
                d[n] = Int16Tag;
                BinaryPrimitives.WriteInt16LittleEndian(d[(n + 1)..], (short)score);
                n += 3;
                break;
            case 5:
                d[n] = Int32Tag;
                BinaryPrimitives.WriteInt32LittleEndian(d[(n + 1)..], (int)score);
                n += 5;
                break;
            default:
                d[n] = DoubleTag;
                BinaryPrimitives.WriteDoubleLittleEndian(d[(n + 1)..], score);
                n += 9;
                break;
        }
        int back = BackSize(n);
        for (int j = 0; j < back; j++)
            d[n + back - 1 - j] = (byte)(((n >> (7 * j)) & 0x7F) | (j < back - 1 ? 0x80 : 0));
        return n + back;
    }

    /// <summary>Where the member of the entry at <paramref name="pos"/> starts, and its length.</summary>
    public static int Member(byte[] b, int pos, out int length)
    {
        byte h = b[pos];
        if (h < 254)
        {
            length = h;
            return pos + 1;
        }
        if (h == 254)
        {
            length = BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(pos + 1));
            return pos + 3;
        }
        length = BinaryPrimitives.ReadInt32LittleEndian(b.AsSpan(pos + 1));
        return pos + 5;
    }

    /// <summary>The score at <paramref name="pos"/> (just past a member); <paramref name="end"/> is where it ends.</summary>
    public static double Score(byte[] b, int pos, out int end)
    {
        byte t = b[pos];
        switch (t)
        {
            case < Int16Tag:
                end = pos + 1;
                return t;
            case Int16Tag:
                end = pos + 3;
                return BinaryPrimitives.ReadInt16LittleEndian(b.AsSpan(pos + 1));
            case Int32Tag:
                end = pos + 5;
                return BinaryPrimitives.ReadInt32LittleEndian(b.AsSpan(pos + 1));
            default:
                end = pos + 9;
                return BinaryPrimitives.ReadDoubleLittleEndian(b.AsSpan(pos + 1));
        }
    }

    /// <summary>Reads the entry at <paramref name="pos"/>; returns where the next one starts.</summary>
    public static int Read(byte[] b, int pos, out int member, out int memberLength, out double score)
    {
        member = Member(b, pos, out memberLength);
        score = Score(b, member + memberLength, out int end);
        return end + BackSize(end - pos);
    }

    /// <summary>Where the entry after the one at <paramref name="pos"/> starts.</summary>
    public static int Skip(byte[] b, int pos)
    {
        int m = Member(b, pos, out int len);
        int s = m + len;
        int end = s + (b[s] switch { < Int16Tag => 1, Int16Tag => 3, Int32Tag => 5, _ => 9 });
        return end + BackSize(end - pos);
    }

    /// <summary>Where the entry ending at <paramref name="end"/> (an entry's start, or the used length) starts.</summary>
    public static int Before(byte[] b, int end)
    {
        int p = end - 1;
        int size = 0, shift = 0;
        while (true)
        {
            byte x = b[p];
            size |= (x & 0x7F) << shift;
            if ((x & 0x80) == 0) break;
            shift += 7;
            p--;
        }
        return p - size;
    }
}
