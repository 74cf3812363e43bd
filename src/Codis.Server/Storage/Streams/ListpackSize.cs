using Codis.Server.Persistence;

namespace Codis.Server.Storage.Streams;

/// <summary>
/// Byte sizes of listpack elements as Redis encodes them (a canonical integer string is stored as an integer),
/// backlen included: what a stream node's listpack would weigh, so nodes are cut where Redis cuts them.
/// </summary>
internal static class ListpackSize
{
    public static int Of(long v)
    {
        int size = v is >= 0 and <= 127 ? 1
            : v is >= -4096 and <= 4095 ? 2
            : v is >= short.MinValue and <= short.MaxValue ? 3
            : v is >= -8388608 and <= 8388607 ? 4
            : v is >= int.MinValue and <= int.MaxValue ? 5
            : 9;
        return size + 1;
    }

    public static int Of(ReadOnlySpan<byte> s)
    {
        if (s.Length <= 20 && RdbInteger.TryParseCanonical(s, out long v)) return Of(v);
        long len = s.Length;
        long entry = (len < 64 ? 1 : len < 4096 ? 2 : 5) + len;
        return (int)Math.Min(int.MaxValue, entry + Backlen(entry));
    }

    private static int Backlen(long l) => l < 128 ? 1 : l < 16384 ? 2 : l < 2097152 ? 3 : l < 268435456 ? 4 : 5;
}
