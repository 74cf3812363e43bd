using System.IO.Hashing;
using System.Runtime.CompilerServices;

namespace Codis.Server.Storage;

/// <summary>
/// The keys of one slot of one database: a chained hash table over a flat entry array (the layout of .NET's
/// Dictionary), written here because the keyspace needs what Dictionary does not offer: lookup by span without
/// allocating, a SCAN cursor that is an entry index (stable across growth, so a key present for a whole scan is
/// returned exactly once), random sampling (RANDOMKEY, active expiry, migration) and the expiry stored inline.
/// </summary>
internal sealed class KeyTable
{
    internal struct Entry
    {
        public byte[]? Key;      // null = free
        public object? Value;
        public long ExpireAt;    // unix ms; 0 = persistent
        public int Hash;
        public int Next;         // index + 1 of the next entry in the chain, or the next free entry; 0 = end
        public uint Access;      // unix seconds of the last access (OBJECT IDLETIME)
    }

    private static readonly ulong Seed = (ulong)Random.Shared.NextInt64();

    private int[] buckets = [];  // index + 1 of the first entry; 0 = empty
    private Entry[] entries = [];
    private int used;            // high-water mark of entries ever used
    private int freeList;        // index + 1 of the first free entry
    private int freeCount;

    public int Count => used - freeCount;
    public int ExpiresCount { get; private set; }

    /// <summary>Highest entry index + 1: the end of a SCAN over this table.</summary>
    public int Capacity => used;

    /// <summary>Approximate bytes held by the table's arrays (for INFO memory).</summary>
    public long Overhead => buckets.Length * 4L + entries.Length * (long)Unsafe.SizeOf<Entry>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int HashOf(ReadOnlySpan<byte> key) => (int)XxHash3.HashToUInt64(key, (long)Seed);

    public int Find(ReadOnlySpan<byte> key) => Find(key, HashOf(key));

    /// <returns>the entry index, or -1</returns>
    public int Find(ReadOnlySpan<byte> key, int hash)
    {
        if (buckets.Length == 0) return -1;
        int i = buckets[(uint)hash % (uint)buckets.Length] - 1;
        var e = entries;
        while ((uint)i < (uint)e.Length)
        {
            ref var entry = ref e[i];
            if (entry.Hash == hash && key.SequenceEqual(entry.Key)) return i;
            i = entry.Next - 1;
        }
        return -1;
    }

    public ref Entry At(int index) => ref entries[index];

    /// <summary>
    /// A copy of the entry array (free entries have a null key) for a snapshot: one bulk copy, valid up to
    /// <see cref="Capacity"/>, unaffected by later changes to the table.
    /// </summary>
    internal Entry[] CopyEntries() => used == 0 ? [] : entries.AsSpan(0, used).ToArray();

    public bool IsUsed(int index) => (uint)index < (uint)used && entries[index].Key != null;

    /// <summary>Adds a key known to be absent; returns its entry index.</summary>
    public int Add(byte[] key, int hash, object value, long expireAt)
    {
        if (buckets.Length == 0) Grow(4);
        int index;
        if (freeCount > 0)
        {
            index = freeList - 1;
            freeList = entries[index].Next;
            freeCount--;
        }
        else
        {
            if (used == entries.Length)
            {
                Grow(entries.Length * 2);
            }
            index = used++;
        }
        ref int bucket = ref buckets[(uint)hash % (uint)buckets.Length];
        ref var entry = ref entries[index];
        entry.Key = key;
        entry.Value = value;
        entry.ExpireAt = expireAt;
        entry.Hash = hash;
        entry.Next = bucket;
        bucket = index + 1;
        if (expireAt != 0) ExpiresCount++;
        return index;
    }

    public void SetExpire(int index, long expireAt)
    {
        ref var e = ref entries[index];
        if (e.ExpireAt == 0 && expireAt != 0) ExpiresCount++;
        else if (e.ExpireAt != 0 && expireAt == 0) ExpiresCount--;
        e.ExpireAt = expireAt;
    }

    public void RemoveAt(int index)
    {
        ref var entry = ref entries[index];
        ref int bucket = ref buckets[(uint)entry.Hash % (uint)buckets.Length];
        int prev = -1;
        int i = bucket - 1;
        while (i != index)
        {
            prev = i;
            i = entries[i].Next - 1;
        }
        if (prev < 0) bucket = entry.Next;
        else entries[prev].Next = entry.Next;
        if (entry.ExpireAt != 0) ExpiresCount--;
        entry = default;
        entry.Next = freeList;
        freeList = index + 1;
        freeCount++;
        // An empty table gives its memory back (indices may restart: no scan can be inside an empty table).
        if (freeCount == used) Clear();
    }

    public void Clear()
    {
        buckets = [];
        entries = [];
        used = freeList = freeCount = 0;
        ExpiresCount = 0;
    }

    private void Grow(int size)
    {
        // Entries keep their indices when the table grows: SCAN cursors stay valid.
        Array.Resize(ref entries, size);
        buckets = new int[size];
        for (int i = 0; i < used; i++)
        {
            ref var e = ref entries[i];
            if (e.Key == null) continue;
            ref int b = ref buckets[(uint)e.Hash % (uint)size];
            e.Next = b;
            b = i + 1;
        }
        // Free entries are only reused before growth, so none exist here and their chain is untouched.
    }

    /// <summary>A random used entry index, or -1 when empty.</summary>
    public int RandomIndex(Random random)
    {
        if (Count == 0) return -1;
        for (int tries = 0; tries < 64; tries++)
        {
            int i = random.Next(used);
            if (entries[i].Key != null) return i;
        }
        int start = random.Next(used);
        for (int k = 0; k < used; k++)
        {
            int i = (start + k) % used;
            if (entries[i].Key != null) return i;
        }
        return -1;
    }
}
