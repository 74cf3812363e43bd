using System.Runtime.CompilerServices;
using Codis.Server.Storage.Hashes;
using Codis.Server.Storage.Lists;
using Codis.Server.Storage.Sets;
using Codis.Server.Storage.SortedSets;
using Codis.Server.Storage.Streams;

namespace Codis.Server.Storage;

/// <summary>
/// MEMORY USAGE's estimate of what one key costs: its slot-table entry, its name, and its value, from the .NET
/// layout of what holds them (an array is 24 bytes of header and length, then its data, rounded to 8). As in Redis,
/// a collection's elements are sampled (<c>samples</c> of them, 0 = all) and their average size counts for all.
/// </summary>
internal static class MemoryUsage
{
    private const int ArrayHeader = 24;
    private const int ObjectHeader = 16;
    private static readonly int KeyEntry = Unsafe.SizeOf<KeyTable.Entry>() + sizeof(int); // entry + bucket

    public static long OfKey(byte[] key, object value, int samples) => KeyEntry + Array(key.Length) + OfValue(value, samples);

    public static long Array(long dataBytes) => (ArrayHeader + dataBytes + 7) & ~7L;

    public static long OfValue(object value, int samples) => value switch
    {
        byte[] s => Array(s.Length),
        HashValue h => ObjectHeader + 32 + (h.IsListpack
            ? Array(h.PackedBytes)
            : Sampled(h.Entries(), h.Count, samples, e => Array(e.Field.Length) + Array(e.Value.Length) + 28 + 4)),
        SetValue s => ObjectHeader + 24 + (s.Table == null
            ? Array(s.PackedBytes)
            : 56 + Sampled(s.Members(), s.Count, samples, m => Array(m.Length) + 24 + 4 + 4)),
        // a listpack is its array; a skiplist has per member its bytes, the member table's entry (key, score, hash,
        // chain, position) and the skip-list node, plus a third of an upper-link block on average
        SortedSetValue z => ObjectHeader + 32 + (z.IsListpack
            ? Array(z.PackedBytes)
            : 64 + Sampled(z.Entries(), z.Count, samples, e => Array(e.Member.Length) + 32 + 4 + 48 + 8)),
        // packed nodes: their arrays are the whole cost, summed exactly (a few per thousand elements)
        ListValue l => ObjectHeader + 32 + l.AllocatedBytes,
        StreamValue st => OfStream(st),
        _ => ObjectHeader,
    };

    private static long Sampled<T>(IEnumerable<T> elements, int count, int samples, Func<T, long> size)
    {
        if (count == 0) return 0;
        long sum = 0;
        int seen = 0;
        foreach (var e in elements)
        {
            sum += size(e);
            if (++seen == samples) break;
        }
        return seen == 0 ? 0 : (long)((double)sum / seen * count);
    }

    /// <summary>A stream's nodes are packed buffers, so their sizes are known exactly; groups are estimated.</summary>
    private static long OfStream(StreamValue st)
    {
        long bytes = ObjectHeader + 96 + st.NodeCount * 8L;
        for (int i = 0; i < st.NodeCount; i++) bytes += ObjectHeader + 64 + Array(st.Node(i).Used);
        if (st.Groups != null)
            foreach (var g in st.Groups.Values)
                bytes += ObjectHeader + 96 + g.Pending.Count * 72L + g.Consumers.Count * 96L;
        return bytes;
    }
}
