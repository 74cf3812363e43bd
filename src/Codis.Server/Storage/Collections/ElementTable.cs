using System.IO.Hashing;

namespace Codis.Server.Storage.Collections;

/// <summary>
/// The "hashtable" encoding of hashes, sets and sorted sets: a chained hash table over a flat entry array keyed
/// by byte strings. Like <see cref="KeyTable"/>, lookups take spans (no allocation), an entry keeps its index
/// while it lives (so an HSCAN/SSCAN/ZSCAN cursor is an entry index and every element present for the whole scan
/// is returned exactly once), and a random element is a random index.
/// </summary>
internal sealed class ElementTable<TValue>
{
    private struct Entry
    {
        public byte[]? Key;   // null = free
        public TValue Value;
        public int Hash;
        public int Next;      // index + 1 of the next entry in the chain or the free list; 0 = end
        public int DensePos;  // where this entry's index sits in <dense>
    }

    private static readonly long Seed = Random.Shared.NextInt64();

    private int[] buckets = [];
    private Entry[] entries = [];
    private int used;
    private int freeList;
    private int freeCount;
    private int[] dense = []; // the used entry indexes, packed: O(1) random picks however sparse the entries get

    public ElementTable(int capacity = 0)
    {
        if (capacity > 0) Grow(Math.Max(4, (int)Math.Min(int.MaxValue / 2, System.Numerics.BitOperations.RoundUpToPowerOf2((uint)capacity))));
    }

    public int Count => used - freeCount;

    /// <summary>
    /// Makes room for <paramref name="capacity"/> entries at once, so a collection that is known to grow that big
    /// (a migration's chunks say how many elements follow) never rehashes a million entries in one command.
    /// </summary>
    public void Reserve(int capacity)
    {
        if (capacity <= entries.Length) return;
        Grow(Math.Max(4, (int)Math.Min(int.MaxValue / 2, System.Numerics.BitOperations.RoundUpToPowerOf2((uint)capacity))));
        if (dense.Length < capacity) Array.Resize(ref dense, capacity);
    }

    /// <summary>One past the highest entry index in use: where a scan ends.</summary>
    public int Capacity => used;

    private static int HashOf(ReadOnlySpan<byte> key) => (int)XxHash3.HashToUInt64(key, Seed);

    public int Find(ReadOnlySpan<byte> key)
    {
        if (buckets.Length == 0) return -1;
        int hash = HashOf(key);
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

    public bool Contains(ReadOnlySpan<byte> key) => Find(key) >= 0;

    public bool TryGetValue(ReadOnlySpan<byte> key, out TValue value)
    {
        int i = Find(key);
        if (i < 0)
        {
            value = default!;
            return false;
        }
        value = entries[i].Value;
        return true;
    }

    public bool IsUsed(int index) => (uint)index < (uint)used && entries[index].Key != null;

    public byte[] KeyAt(int index) => entries[index].Key!;

    public ref TValue ValueAt(int index) => ref entries[index].Value;

    /// <summary>Adds a key known to be absent; returns its entry index.</summary>
    public int Add(byte[] key, TValue value)
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
            if (used == entries.Length) Grow(entries.Length * 2);
            index = used++;
        }
        int hash = HashOf(key);
        ref int bucket = ref buckets[(uint)hash % (uint)buckets.Length];
        ref var entry = ref entries[index];
        entry.Key = key;
        entry.Value = value;
        entry.Hash = hash;
        entry.Next = bucket;
        bucket = index + 1;
        int pos = Count - 1;
        if (pos == dense.Length) Array.Resize(ref dense, Math.Max(4, dense.Length * 2));
        dense[pos] = index;
        entry.DensePos = pos;
        return index;
    }

    /// <summary>Adds or replaces; returns true when the key was new.</summary>
    public bool Set(ReadOnlySpan<byte> key, TValue value)
    {
        int i = Find(key);
        if (i >= 0)
        {
            entries[i].Value = value;
            return false;
        }
        Add(ElementBytes.Copy(key), value);
        return true;
    }

    public bool Remove(ReadOnlySpan<byte> key)
    {
        int i = Find(key);
        if (i < 0) return false;
        RemoveAt(i);
        return true;
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
        int last = dense[Count - 1];
        dense[entry.DensePos] = last;
        entries[last].DensePos = entry.DensePos;
        entry = default;
        entry.Next = freeList;
        freeList = index + 1;
        freeCount++;
        if (freeCount == used) Clear();
    }

    public void Clear()
    {
        buckets = [];
        entries = [];
        dense = [];
        used = freeList = freeCount = 0;
    }

    private void Grow(int size)
    {
        // Entries keep their indexes when the table grows: scan cursors stay valid.
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
    }

    /// <summary>A random used entry index, or -1 when empty.</summary>
    public int RandomIndex(Random random) => Count == 0 ? -1 : dense[random.Next(Count)];

    /// <summary>
    /// The entries as they are now, in one array copy (chunked slot migration streams a big collection from it
    /// while the live table keeps changing; elements are never mutated in place, only replaced).
    /// </summary>
    public Snapshot TakeSnapshot() => Snapshot.Of(this);

    /// <summary>A copy of the entry array: index i is free or holds a key and its value.</summary>
    public readonly struct Snapshot
    {
        private readonly Entry[] copy;

        private Snapshot(Entry[] copy) => this.copy = copy;

        internal static Snapshot Of(ElementTable<TValue> table) => new(table.entries.AsSpan(0, table.used).ToArray());

        public int Length => copy.Length;
        public bool IsUsed(int i) => copy[i].Key != null;
        public byte[] KeyAt(int i) => copy[i].Key!;
        public TValue ValueAt(int i) => copy[i].Value;
    }

    /// <summary>Used entry indexes in table order.</summary>
    public IEnumerable<int> Indexes()
    {
        for (int i = 0; i < used; i++)
            if (entries[i].Key != null) yield return i;
    }
}
