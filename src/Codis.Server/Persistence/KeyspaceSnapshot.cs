using Codis.Server.Storage;

namespace Codis.Server.Persistence;

/// <summary>One key of a snapshot: what an RDB record needs.</summary>
internal readonly record struct SnapshotEntry(byte[] Key, object Value, long ExpireAt);

/// <summary>
/// A point-in-time copy of the keyspace that can be written out while clients keep changing the live one. It is
/// taken under the keyspace lock by copying entry references only: keys are never mutated once stored, and string
/// values are shared too because, while a snapshot holds them (<see cref="Keyspace.SnapshotReaders"/> &gt; 0), the
/// commands that patch strings in place (SETRANGE, SETBIT) copy first. Other value types are mutable collections,
/// so they are deep-copied here (that cost is paid under the lock).
/// </summary>
internal sealed class KeyspaceSnapshot : IDisposable
{
    private readonly Keyspace keyspace;
    private int released;

    private KeyspaceSnapshot(Keyspace keyspace, SnapshotEntry[][] databases, long takenAtMs)
    {
        this.keyspace = keyspace;
        Databases = databases;
        TakenAtMs = takenAtMs;
    }

    /// <summary>Per database index: its keys (an empty array for an empty database).</summary>
    public SnapshotEntry[][] Databases { get; }

    /// <summary>Unix ms when it was taken (the keyspace clock).</summary>
    public long TakenAtMs { get; }

    public long KeyCount
    {
        get
        {
            long n = 0;
            foreach (var db in Databases) n += db.Length;
            return n;
        }
    }

    /// <summary>Copies the keyspace; the caller holds the keyspace lock. Dispose when done writing.</summary>
    public static KeyspaceSnapshot Take(Keyspace keyspace)
    {
        var dbs = new SnapshotEntry[keyspace.DatabaseCount][];
        for (int d = 0; d < dbs.Length; d++)
        {
            var db = keyspace[d];
            if (db.Count == 0)
            {
                dbs[d] = [];
                continue;
            }
            var entries = new SnapshotEntry[db.Count];
            int n = 0;
            for (int s = 0; s < Codis.Core.Slots.SlotHash.SlotCount; s++)
            {
                var t = db.Table(s);
                if (t == null) continue;
                int cap = t.Capacity;
                for (int i = 0; i < cap; i++)
                {
                    ref var e = ref t.At(i);
                    if (e.Key == null) continue;
                    object v = e.Value is byte[] ? e.Value : ValueTypes.DeepCopy(e.Value!);
                    entries[n++] = new SnapshotEntry(e.Key, v, e.ExpireAt);
                }
            }
            dbs[d] = n == entries.Length ? entries : entries[..n];
        }
        Interlocked.Increment(ref keyspace.SnapshotReaders);
        return new KeyspaceSnapshot(keyspace, dbs, keyspace.Now);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref released, 1) == 0) Interlocked.Decrement(ref keyspace.SnapshotReaders);
    }
}
