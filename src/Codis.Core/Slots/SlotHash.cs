using System.IO.Hashing;

namespace Codis.Core.Slots;

/// <summary>
/// The one slot-hashing rule shared by proxy, server and dashboard (reference/codis.md §2):
/// CRC-32/IEEE of the key, or of its hash-tag body, modulo 1024.
/// </summary>
public static class SlotHash
{
    public const int SlotCount = 1024;
    public const int SlotMask = SlotCount - 1;

    /// <summary>
    /// The bytes that are hashed: the body between the first '{' and the first '}' after it, when both
    /// exist (an empty body counts, unlike Redis Cluster), else the whole key.
    /// </summary>
    public static ReadOnlySpan<byte> HashTag(ReadOnlySpan<byte> key)
    {
        int open = key.IndexOf((byte)'{');
        if (open < 0) return key;
        int close = key[(open + 1)..].IndexOf((byte)'}');
        if (close < 0) return key;
        return key.Slice(open + 1, close);
    }

    /// <summary>True when the key carries a tag, so that all keys with the same tag CRC travel together.</summary>
    public static bool HasTag(ReadOnlySpan<byte> key)
    {
        int open = key.IndexOf((byte)'{');
        return open >= 0 && key[(open + 1)..].IndexOf((byte)'}') >= 0;
    }

    public static uint Crc32(ReadOnlySpan<byte> data) => System.IO.Hashing.Crc32.HashToUInt32(data);

    /// <summary>CRC-32 of the hashed part (tag body or whole key).</summary>
    public static uint TagCrc(ReadOnlySpan<byte> key) => Crc32(HashTag(key));

    public static int Slot(ReadOnlySpan<byte> key) => (int)(TagCrc(key) & SlotMask);
}
