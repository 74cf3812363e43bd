using System.Buffers.Binary;

namespace Codis.Server.Persistence;

/// <summary>
/// CRC-64/Jones as Redis uses it (crc64.c): reflected, polynomial 0xad93d23594c935a9, init 0, no final xor.
/// Check value: "123456789" → 0xe9c6d914c4b8d9ca. Guards DUMP payloads and RDB files; serialised little endian.
/// </summary>
internal static class Crc64
{
    /// <summary>The reversed (LSB-first) form of the Jones polynomial.</summary>
    private const ulong ReversedPolynomial = 0x95ac9329ac4bc9b5UL;

    // Slicing-by-8: table k holds the CRC of byte i followed by k zero bytes, so eight input bytes fold in
    // with eight lookups and no per-bit work (RDB files and 1 MiB payloads go through here).
    private static readonly ulong[] Table = BuildTable();

    private static ulong[] BuildTable()
    {
        var t = new ulong[8 * 256];
        for (int i = 0; i < 256; i++)
        {
            ulong crc = (ulong)i;
            for (int bit = 0; bit < 8; bit++)
                crc = (crc & 1) != 0 ? (crc >> 1) ^ ReversedPolynomial : crc >> 1;
            t[i] = crc;
        }
        for (int k = 1; k < 8; k++)
            for (int i = 0; i < 256; i++)
            {
                ulong prev = t[(k - 1) * 256 + i];
                t[k * 256 + i] = (prev >> 8) ^ t[(int)(prev & 0xFF)];
            }
        return t;
    }

    /// <summary>The CRC of <paramref name="data"/> alone.</summary>
    public static ulong Compute(ReadOnlySpan<byte> data) => Update(0, data);

    /// <summary>Continues a CRC over the next piece of input (pieces may be any size).</summary>
    public static ulong Update(ulong crc, ReadOnlySpan<byte> data)
    {
        var t = Table;
        while (data.Length >= 8)
        {
            ulong x = crc ^ BinaryPrimitives.ReadUInt64LittleEndian(data);
            crc = t[7 * 256 + (int)(x & 0xFF)]
                ^ t[6 * 256 + (int)((x >> 8) & 0xFF)]
                ^ t[5 * 256 + (int)((x >> 16) & 0xFF)]
                ^ t[4 * 256 + (int)((x >> 24) & 0xFF)]
                ^ t[3 * 256 + (int)((x >> 32) & 0xFF)]
                ^ t[2 * 256 + (int)((x >> 40) & 0xFF)]
                ^ t[1 * 256 + (int)((x >> 48) & 0xFF)]
                ^ t[(int)(x >> 56)];
            data = data[8..];
        }
        foreach (byte b in data)
            crc = t[(int)((crc ^ b) & 0xFF)] ^ (crc >> 8);
        return crc;
    }
}
