using System.Buffers.Binary;

namespace Codis.Server.Persistence;

/// <summary>
/// Zipmap blobs, read only (Redis ≤ 2.4 hashes; redis-formats.md §2.8): <c>zmlen · (len key · len value · free ·
/// value · padding)* · FF</c>, where len is 1 byte below 254, else FE + u32 LE.
/// </summary>
internal static class Zipmap
{
    public static List<(byte[] Field, byte[] Value)> Read(ReadOnlySpan<byte> zm)
    {
        if (zm.Length < 2) throw new RdbFormatException("zipmap too short");
        var result = new List<(byte[], byte[])>();
        int p = 1; // zmlen is only a hint (254+ means unknown); the walk is authoritative
        while (true)
        {
            if (p >= zm.Length) throw new RdbFormatException("zipmap without terminator");
            if (zm[p] == 0xFF)
            {
                if (p != zm.Length - 1) throw new RdbFormatException("zipmap terminator before the end");
                break;
            }
            int keyLen = ReadLen(zm, ref p);
            var key = Slice(zm, p, keyLen).ToArray();
            p += keyLen;
            int valueLen = ReadLen(zm, ref p);
            int free = Slice(zm, p, 1)[0];
            p += 1;
            var value = Slice(zm, p, valueLen).ToArray();
            p += valueLen;
            Slice(zm, p, free);
            p += free;
            result.Add((key, value));
        }
        if (zm[0] < 254 && zm[0] != result.Count) throw new RdbFormatException("zipmap count mismatch");
        return result;
    }

    private static int ReadLen(ReadOnlySpan<byte> zm, ref int p)
    {
        byte b = Slice(zm, p, 1)[0];
        if (b < 254)
        {
            p += 1;
            return b;
        }
        if (b == 254)
        {
            uint v = BinaryPrimitives.ReadUInt32LittleEndian(Slice(zm, p + 1, 4));
            if (v > int.MaxValue) throw new RdbFormatException("bad zipmap length");
            p += 5;
            return (int)v;
        }
        throw new RdbFormatException("bad zipmap length");
    }

    private static ReadOnlySpan<byte> Slice(ReadOnlySpan<byte> zm, int start, int len)
    {
        if (len < 0 || start > zm.Length - 1 - len) throw new RdbFormatException("zipmap entry past the end");
        return zm.Slice(start, len);
    }
}
