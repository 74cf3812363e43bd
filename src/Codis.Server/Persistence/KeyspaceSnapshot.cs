using Codis.Core.Slots;
using Codis.Server.Storage;

namespace Codis.Server.Persistence;

/// <summary>One key of a snapshot: what an RDB record needs.</summary>
internal readonly record struct SnapshotEntry(byte[] Key, object Value, long ExpireAt, uint Access);

/// <summary>
/// A point-in-time copy of the keyspace that can be written out while clients keep changing the live one. It is
/// taken under the keyspace lock by bulk-copying each slot table's entry array (references only, no per-key
/// allocation): keys are never mutated once stored, and string values are shared too because, while a snapshot
/// holds them (<see cref="Keyspace.SnapshotReaders"/> &gt; 0), the commands that patch strings in place (SETRANGE,
/// SETBIT) copy first. Other value types are mutable collections, so they are deep-copied here (that cost is paid
/// under the lock).
/// </summary>
internal sealed class KeyspaceSnapshot : IDisposable
{
    private readonly Keyspace keyspace;
    private readonly KeyTable.Entry[][][] tables; // [db][slot] → copied entries (null key = free)
    private readonly long[] counts;
    private int released;

    private KeyspaceSnapshot(Keyspace keyspace, KeyTable.Entry[][][] tables, long[] counts, long takenAtMs)
    {
        this.keyspace = keyspace;
        this.tables = tables;
        this.counts = counts;
        TakenAtMs = takenAtMs;
        AccessKind = keyspace.AccessKind;
        LfuDecayMinutes = keyspace.LfuDecayMinutes;
    }

    /// <summary>What the entries' access stamps held when it was taken: what an RDB saves per key (IDLE or FREQ).</summary>
    public Storage.Eviction.AccessKind AccessKind { get; }
    public int LfuDecayMinutes { get; }

    public int DatabaseCount => tables.Length;

    /// <summary>Unix ms when it was taken (the keyspace clock).</summary>
    public long TakenAtMs { get; }

    public long KeyCount => counts.Sum();

    /// <summary>The function libraries' code (an RDB's function records), copied with the keys.</summary>
    public List<byte[]> Functions { get; set; } = [];

    public long Count(int db) => counts[db];

    /// <summary>The keys of one database, slot by slot.</summary>
    public IEnumerable<SnapshotEntry> Entries(int db)
    {
        foreach (var slot in tables[db])
        {
            if (slot == null) continue;
            for (int i = 0; i < slot.Length; i++)
            {
                var e = slot[i];
                if (e.Key != null) yield return new SnapshotEntry(e.Key, e.Value!, e.ExpireAt, e.Access);
            }
        }
    }

    public long ExpiresCount(int db)
    {
        long n = 0;
        foreach (var slot in tables[db])
            if (slot != null)
                foreach (var e in slot) if (e.Key != null && e.ExpireAt != 0) n++;
        return n;
    }

    /// <summary>Copies the keyspace; the caller holds the keyspace lock. Dispose when done writing.</summary>
    public static KeyspaceSnapshot Take(Keyspace keyspace)
    {
        var all = new KeyTable.Entry[keyspace.DatabaseCount][][];
        var counts = new long[keyspace.DatabaseCount];
        for (int d = 0; d < all.Length; d++)
        {
            var db = keyspace[d];
            counts[d] = db.Count;
            if (db.Count == 0)
            {
                all[d] = [];
                continue;
            }
            var slots = new KeyTable.Entry[SlotHash.SlotCount][];
            for (int s = 0; s < slots.Length; s++)
            {
                var t = db.Table(s);
                if (t == null || t.Count == 0) continue;
                var copy = t.CopyEntries();
                for (int i = 0; i < copy.Length; i++)
                {
                    ref var e = ref copy[i];
                    if (e.Key != null && e.Value is not byte[]) e.Value = ValueTypes.DeepCopy(e.Value!);
                }
                slots[s] = copy;
            }
            all[d] = slots;
        }
        Interlocked.Increment(ref keyspace.SnapshotReaders);
        return new KeyspaceSnapshot(keyspace, all, counts, keyspace.Now);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref released, 1) == 0) Interlocked.Decrement(ref keyspace.SnapshotReaders);
    }
}
