using System.Buffers.Binary;

namespace Codis.Server.Persistence;

/// <summary>
/// DUMP/RESTORE payloads in Redis 7.0's format: <c>type(1) · value · RDB version u16 LE · CRC-64 u64 LE</c>, the CRC
/// covering everything before it (redis-formats.md §3). Used by DUMP/RESTORE and by slot migration.
/// </summary>
internal static class DumpPayload
{
    /// <summary>The RDB version 7.0 writes; payloads with a footer version above it are refused.</summary>
    public const ushort RdbVersion = 10;

    public const string ErrorChecksum = "ERR DUMP payload version or checksum are wrong";
    public const string ErrorBadData = "ERR Bad data format";

    /// <summary>
    /// Serializes a keyspace value (<c>byte[]</c> = string) or an <see cref="RdbValue"/> as a DUMP payload, choosing
    /// the encoding Redis 7.0 would (§2.2), LZF on as with the default rdbcompression.
    /// </summary>
    public static byte[] Serialize(object value) => Serialize(value, compression: true);

    /// <summary>As <see cref="Serialize(object)"/>, with rdbcompression given explicitly.</summary>
    public static byte[] Serialize(object value, bool compression)
    {
        var w = new RdbWriter(value is byte[] b ? b.Length + 24 : 256) { Compression = compression };
        RdbValueWriter.Write(w, value);
        w.WriteUInt16LE(RdbVersion);
        ulong crc = Crc64.Compute(w.WrittenSpan);
        w.WriteUInt64LE(crc);
        return w.ToArray();
    }

    /// <summary>
    /// Checks the footer and decodes the value: a string becomes <c>byte[]</c>, anything else an <see cref="RdbValue"/>
    /// (<see cref="RdbList"/>, <see cref="RdbSet"/>, <see cref="RdbHash"/>, <see cref="RdbZSet"/>, <see cref="RdbStream"/>).
    /// On failure <paramref name="error"/> is the reply Redis gives (<see cref="ErrorChecksum"/>, <see cref="ErrorBadData"/>).
    /// </summary>
    public static bool TryDeserialize(ReadOnlySpan<byte> payload, out object? value, out string? error)
    {
        value = null;
        if (!VerifyFooter(payload))
        {
            error = ErrorChecksum;
            return false;
        }
        // Bytes between the value and the footer are ignored, as Redis does (it never checks the value used them up).
        var body = payload[..^10].ToArray();
        try
        {
            var r = new RdbReader(body);
            byte type = r.ReadByte();
            if (!RdbType.IsObjectType(type)) throw new RdbFormatException($"unknown object type {type}");
            value = RdbValueReader.Read(r, type);
            error = null;
            return true;
        }
        catch (RdbFormatException)
        {
            error = ErrorBadData;
            return false;
        }
    }

    /// <summary>Redis's verifyDumpPayload: at least 10 bytes, footer version ≤ 10, CRC-64 matches.</summary>
    public static bool VerifyFooter(ReadOnlySpan<byte> payload)
    {
        if (payload.Length < 10) return false;
        ushort version = BinaryPrimitives.ReadUInt16LittleEndian(payload[^10..]);
        if (version > RdbVersion) return false;
        ulong expected = BinaryPrimitives.ReadUInt64LittleEndian(payload[^8..]);
        return Crc64.Compute(payload[..^8]) == expected;
    }

    /// <summary>
    /// Turns a decoded value into what the keyspace stores: strings as they are, hashes, lists, sets and sorted
    /// sets as the keyspace's collections (<see cref="KeyValueRdb"/>); other types give an error naming the type
    /// instead of pretending to store them.
    /// </summary>
    public static bool TryToKeyspaceValue(object decoded, out object? stored, out string? error)
    {
        if (decoded is byte[])
        {
            stored = decoded;
            error = null;
            return true;
        }
        if (decoded is RdbValue rdb && KeyValueRdb.TryFromRdb(rdb, out stored))
        {
            error = null;
            return true;
        }
        stored = null;
        string type = decoded is RdbValue v ? v.TypeName : decoded.GetType().Name;
        error = $"ERR RESTORE of type '{type}' is not supported yet by this codis-server";
        return false;
    }
}
