namespace Codis.Server.Storage;

/// <summary>
/// All databases and the one lock that makes every command atomic: connections parse and write on any core,
/// and execute their commands while holding <see cref="Lock"/>.
/// </summary>
internal sealed class Keyspace
{
    private readonly Database[] databases;
    private int expireDb, expireSlot, expireEntry;

    public Keyspace(int databaseCount)
    {
        databases = new Database[databaseCount];
        for (int i = 0; i < databaseCount; i++) databases[i] = new Database(i, this);
    }

    public Lock Lock { get; } = new();

    public int DatabaseCount => databases.Length;

    public Database this[int index] => databases[index];

    /// <summary>The command clock (unix ms), refreshed before each command as Redis caches mstime.</summary>
    public long Now { get; private set; } = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    /// <summary>The command clock in unix seconds: what a key's last-access time is stamped with.</summary>
    public uint AccessClock => (uint)(Now / 1000);

    /// <summary>
    /// While an LFU maxmemory-policy is selected, a key's access stamp holds an LFU counter (<see cref="Eviction.Lfu"/>)
    /// instead of its last-access second, as Redis reuses its LRU field; switching policies re-reads old stamps in
    /// the new sense until the keys are touched again.
    /// </summary>
    public bool LfuStamps => AccessKind == Eviction.AccessKind.Lfu;

    /// <summary>Set from maxmemory-policy: LRU and LFU policies have RDB files keep each key's idle time or counter.</summary>
    public Eviction.AccessKind AccessKind { get; set; }
    public int LfuLogFactor { get; set; } = 10;
    public int LfuDecayMinutes { get; set; } = 1;

    /// <summary>The access stamp of a key just created.</summary>
    public uint NewStamp => LfuStamps ? Eviction.Lfu.New(Now) : AccessClock;

    /// <summary>The access stamp of a key after an access.</summary>
    public uint Touch(uint stamp) =>
        LfuStamps ? Eviction.Lfu.Touch(stamp, Now, LfuLogFactor, LfuDecayMinutes, Random) : AccessClock;

    /// <summary>Reads the wall clock (the cron does, ten times a second, and everything outside a client's batch).</summary>
    public void RefreshClock()
    {
        // The wall clock first, the timer second: the offset can only come out a little small, so the batch clock
        // derived from it never runs ahead of the wall clock (a replica, Redis too, clamps a delivery TIME that is in
        // its future, and a clock 1 ms ahead made their PELs differ by that millisecond).
        long wallUs = (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) / 10;
        wallMinusTimerUs = wallUs - TimerMicroseconds(System.Diagnostics.Stopwatch.GetTimestamp());
        Now = wallUs / 1000;
    }

    /// <summary>
    /// The clock of a client's batch, from the timer reading its first command is timed with: one clock reading per
    /// batch instead of two, anchored to the wall clock by the last <see cref="RefreshClock()"/> (the two drift
    /// apart by microseconds between cron runs; a wall-clock step shows within one).
    /// </summary>
    public void RefreshClock(long timestamp) => Now = (TimerMicroseconds(timestamp) + wallMinusTimerUs) / 1000;

    private static long TimerMicroseconds(long timestamp) =>
        System.Diagnostics.Stopwatch.Frequency == 1_000_000_000 ? timestamp / 1000
        : (long)(timestamp * (1_000_000.0 / System.Diagnostics.Stopwatch.Frequency));

    // microseconds, so that the derived milliseconds are the wall clock's floor, not floor of floors (up to 1 ms ahead)
    private long wallMinusTimerUs = (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) / 10 - TimerMicroseconds(System.Diagnostics.Stopwatch.GetTimestamp());

    /// <summary>Replicas leave expiry to their master (which sends DEL); reads still hide expired keys.</summary>
    public bool ExpireAllowed { get; set; } = true;

    /// <summary>Changes since the last snapshot (the save rules and INFO's rdb_changes_since_last_save).</summary>
    public long Dirty { get; set; }

    public long ExpiredKeys { get; private set; }

    public long EvictedKeys { get; private set; }

    /// <summary>
    /// Snapshots being written from shared references (BGSAVE, AOF rewrite, full sync). While it is above zero,
    /// stored strings must not be patched in place: commands copy them first (a cheap copy-on-write).
    /// </summary>
    public int SnapshotReaders;

    /// <summary>Whether a stored string array may be changed in place (no snapshot is reading it).</summary>
    public bool StringsMutableInPlace => Volatile.Read(ref SnapshotReaders) == 0;

    /// <summary>Set by the server while a read-only command runs: its lookups count as keyspace hits/misses.</summary>
    public bool CountLookups { get; set; }

    /// <summary>Cleared while a CLIENT NO-TOUCH client's command runs: lookups leave the last-access time alone.</summary>
    public bool Touching { get; set; } = true;

    public long KeyspaceHits { get; set; }
    public long KeyspaceMisses { get; set; }

    /// <summary>CONFIG RESETSTAT.</summary>
    public void ResetStats() => ExpiredKeys = EvictedKeys = KeyspaceHits = KeyspaceMisses = 0;

    public Random Random { get; } = new();

    /// <summary>Raised (under the lock) whenever a key is written or deleted: WATCH, slot-migration bookkeeping.</summary>
    public event Action<Database, ReadOnlyMemory<byte>>? KeyModified;

    /// <summary>Raised (under the lock) when a key expires or is evicted: replication and AOF turn it into a DEL.</summary>
    public event Action<Database, byte[]>? KeyDeletedByServer;

    /// <summary>
    /// Raised (under the lock) for changes Redis signals to no one — XACK, XCLAIM, XAUTOCLAIM, XREADGROUP's deliveries,
    /// XGROUP CREATECONSUMER/DELCONSUMER: they touch no WATCH and wake no blocked reader, but a semi-async migration
    /// must know a key in flight changed.
    /// </summary>
    public event Action<Database, ReadOnlyMemory<byte>>? KeyChangedQuietly;

    public void OnChangedQuietly(Database db, ReadOnlySpan<byte> key)
    {
        var handler = KeyChangedQuietly;
        if (handler != null) handler(db, key.ToArray());
    }

    /// <summary>Client-side caching (CLIENT TRACKING); null until a client first turns it on.</summary>
    public Tracking.TrackingTable? Tracking { get; set; }

    public void OnModified(Database db, ReadOnlySpan<byte> key)
    {
        Dirty++;
        if (db.HasWatches) db.TouchWatched(key);
        Tracking?.Invalidate(key);
        var handler = KeyModified;
        if (handler != null) handler(db, key.ToArray());
    }

    /// <summary>Keyspace notifications; null while notify-keyspace-events enables nothing.</summary>
    public PubSub.KeyspaceEvents? Events { get; set; }

    /// <summary>Reports a keyspace event (notify-keyspace-events): with the setting empty, one null check.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public void Notify(PubSub.NotifyType type, ReadOnlySpan<byte> name, Database db, ReadOnlySpan<byte> key) =>
        Events?.Publish(type, name, db.Index, key);

    public void OnExpired(Database db, byte[] key)
    {
        Dirty++;
        ExpiredKeys++;
        if (db.HasWatches) db.TouchWatched(key);
        Tracking?.Invalidate(key);
        KeyDeletedByServer?.Invoke(db, key);
        KeyModified?.Invoke(db, key);
        Notify(PubSub.NotifyType.Expired, "expired"u8, db, key);
    }

    /// <summary>A key deleted by maxmemory-policy: as an expiry, but counted in evicted_keys.</summary>
    public void OnEvicted(Database db, byte[] key)
    {
        Dirty++;
        EvictedKeys++;
        if (db.HasWatches) db.TouchWatched(key);
        Tracking?.Invalidate(key);
        KeyDeletedByServer?.Invoke(db, key);
        KeyModified?.Invoke(db, key);
        Notify(PubSub.NotifyType.Evicted, "evicted"u8, db, key);
    }

    public long TotalKeys()
    {
        long n = 0;
        foreach (var db in databases) n += db.Count;
        return n;
    }

    /// <summary>
    /// SWAPDB: databases <paramref name="a"/> and <paramref name="b"/> exchange their data at once (the caller holds
    /// the lock, so no command sees half of it). Watched keys of both are touched first, as Redis does.
    /// </summary>
    public void SwapDatabases(int a, int b)
    {
        if (a == b) return;
        Database x = databases[a], y = databases[b];
        x.TouchWatchedForSwap(y);
        y.TouchWatchedForSwap(x);
        x.SwapData(y);
    }

    public void FlushAll()
    {
        foreach (var db in databases) db.Clear();
        Tracking?.InvalidateAll();
        Dirty++;
    }

    /// <summary>
    /// Active expiry (Redis's activeExpireCycle, simplified): a bounded sweep over slots that hold expiring
    /// keys, resumed where the last one stopped, run by the server cron under the lock.
    /// </summary>
    public int ActiveExpireCycle(int budget)
    {
        if (!ExpireAllowed) return 0;
        RefreshClock();
        int expired = 0;
        for (int n = 0; n < databases.Length && budget > 0; n++)
        {
            expired += databases[expireDb].ExpireStep(ref budget, ref expireSlot, ref expireEntry);
            if (budget <= 0) break;
            expireDb = (expireDb + 1) % databases.Length;
            expireSlot = expireEntry = 0;
        }
        return expired;
    }
}
