using System.Buffers.Binary;

namespace Codis.Server.Persistence;

/// <summary>
/// Intset blobs (redis-formats.md §2.7): <c>width u32 LE (2/4/8) · count u32 LE · members</c>, signed little endian,
/// strictly ascending, every member in the smallest width that fits them all.
/// </summary>
internal static class Intset
{
    public static List<long> Read(ReadOnlySpan<byte> blob)
    {
        if (blob.Length < 8) throw new RdbFormatException("intset too short");
        uint width = BinaryPrimitives.ReadUInt32LittleEndian(blob);
        uint count = BinaryPrimitives.ReadUInt32LittleEndian(blob[4..]);
        if (width is not (2 or 4 or 8)) throw new RdbFormatException("bad intset encoding");
        if ((ulong)count * width + 8 != (ulong)blob.Length) throw new RdbFormatException("intset size mismatch");
        var result = new List<long>((int)count);
        var data = blob[8..];
        for (int i = 0; i < count; i++)
        {
            long v = width switch
            {
                2 => BinaryPrimitives.ReadInt16LittleEndian(data[(i * 2)..]),
                4 => BinaryPrimitives.ReadInt32LittleEndian(data[(i * 4)..]),
                _ => BinaryPrimitives.ReadInt64LittleEndian(data[(i * 8)..]),
            };
            if (i > 0 && v <= result[i - 1]) throw new RdbFormatException("intset not strictly ascending");
            result.Add(v);
        }
        return result;
    }

    /// <summary>Encodes members that are already sorted ascending and distinct.</summary>
    public static byte[] Write(IReadOnlyList<long> sorted)
    {
        int width = 2;
        foreach (long v in sorted)
        {
            if (v < int.MinValue || v > int.MaxValue) { width = 8; break; }
            if (v < short.MinValue || v > short.MaxValue) width = 4;
        }
        var blob = new byte[8 + sorted.Count * width];
        BinaryPrimitives.WriteUInt32LittleEndian(blob, (uint)width);
        BinaryPrimitives.WriteUInt32LittleEndian(blob.AsSpan(4), (uint)sorted.Count);
        var data = blob.AsSpan(8);
        for (int i = 0; i < sorted.Count; i++)
        {
            switch (width)
            {
                case 2: BinaryPrimitives.WriteInt16LittleEndian(data[(i * 2)..], (short)sorted[i]); break;
                case 4: BinaryPrimitives.WriteInt32LittleEndian(data[(i * 4)..], (int)sorted[i]); break;
                default: BinaryPrimitives.WriteInt64LittleEndian(data[(i * 8)..], sorted[i]); break;
            }
        }
        return blob;
    }
}
