using System.Diagnostics;
using Codis.Core.Slots;

namespace Codis.Server.Storage.Eviction;

/// <summary>
/// Keeps memory under maxmemory by deleting keys chosen by maxmemory-policy, as Redis's performEvictions: before
/// a command runs while memory is over the limit, and from the cron until it is under again. LRU, LFU and TTL
/// victims come from a pool of the best of <c>maxmemory-samples</c> random keys per database, kept between
/// calls; the random policies delete a random key. All methods run under the keyspace lock.
///
/// The limit is held against the GC's count of allocated bytes, which goes down only when a collection reclaims
/// what was deleted — for the old keys eviction picks, a full (gen2) collection. Until one has, the estimated
/// size of every evicted key (MEMORY USAGE's estimate) is subtracted, so a burst of evictions stops once it has
/// freed enough instead of emptying the database; and a background collection is started when that estimate or
/// other deletions have grown, so the figure catches up.
/// </summary>
internal sealed class Evictor(Keyspace keyspace)
{
    private const int PoolSize = 16;
    private const int MaxPendingBuckets = 64;

    public EvictionPolicy Policy { get; set; }
    public int Samples { get; set; } = 5;
    public int Tenacity { get; set; } = 10;

    /// <summary>Milliseconds spent over maxmemory (INFO stats total_eviction_exceeded_time), and since when now.</summary>
    public long ExceededMilliseconds => exceededTotalMs + CurrentExceededMilliseconds;
    public long CurrentExceededMilliseconds => exceededSince == 0 ? 0 : Environment.TickCount64 - exceededSince;
    private long exceededSince, exceededTotalMs;

    public void ResetStats()
    {
        exceededTotalMs = 0;
        if (exceededSince != 0) exceededSince = Environment.TickCount64;
    }

    // The pool: pool[0..poolCount) in ascending score, the best (most evictable) last.
    private readonly Candidate[] pool = new Candidate[PoolSize];
    private int poolCount;
    private int nextRandomDb;

    private struct Candidate
    {
        public byte[]? Key;
        public KeyTable? Table; // where it was sampled: found again without hashing while its entry holds it
        public int Index;
        public int Db;
        public ulong Score;
    }

    public enum Outcome { Ok, Running, Failed }

    /// <summary>
    /// Frees memory until <paramref name="used"/> (the limit's figure, <see cref="UsedForLimit"/>) is at most
    /// <paramref name="limit"/>, within the tenacity's time budget. Failed: nothing (more) can be evicted.
    /// </summary>
    public Outcome Evict(long used, long limit)
    {
        if (used <= limit)
        {
            EndExceeded();
            return Outcome.Ok;
        }
        if (exceededSince == 0) exceededSince = Environment.TickCount64;
        if (Policy == EvictionPolicy.NoEviction) return Outcome.Failed;

        long toFree = used - limit, freed = 0;
        long start = Stopwatch.GetTimestamp();
        long budgetTicks = TimeLimitMicroseconds(Tenacity) is long us and > 0 ? us * Stopwatch.Frequency / 1_000_000 : long.MaxValue;
        int evicted = 0;
        while (freed < toFree)
        {
            if (!TryPickVictim(out var db, out var table, out int index)) return Outcome.Failed;
            ref var e = ref table.At(index);
            var key = e.Key!;
            long size = MemoryUsage.OfKey(key, e.Value!, samples: 5);
            db.RemoveAt(table, index);
            keyspace.OnEvicted(db, key);
            AddPending(key, size);
            freed += size;
            if ((++evicted & 15) == 0 && Stopwatch.GetTimestamp() - start > budgetTicks) return Outcome.Running;
        }
        EndExceeded();
        return Outcome.Ok;
    }

    private void EndExceeded()
    {
        if (exceededSince == 0) return;
        exceededTotalMs += Environment.TickCount64 - exceededSince;
        exceededSince = 0;
    }

    /// <summary>Redis's evictionTimeLimitUs: 50 µs per point up to 10 (500 µs by default), then 15 % more per point; 100 = no limit.</summary>
    public static long TimeLimitMicroseconds(int tenacity) =>
        tenacity >= 100 ? 0 : tenacity <= 10 ? 50L * Math.Max(1, tenacity) : (long)(500 * Math.Pow(1.15, tenacity - 10));

    // ---- victims ----

    private bool TryPickVictim(out Database db, out KeyTable table, out int index)
    {
        if (Policy.IsRandom()) return TryPickRandom(out db, out table, out index);
        for (int attempt = 0; attempt < 8; attempt++)
        {
            bool any = false;
            for (int d = 0; d < keyspace.DatabaseCount; d++)
            {
                var candidateDb = keyspace[d];
                if (candidateDb.Count == 0 || (Policy.VolatileOnly() && !MayHaveExpires(candidateDb))) continue;
                any |= Sample(candidateDb);
            }
            // Best first; a candidate whose key is gone (or changed) since it was pooled is dropped.
            while (poolCount > 0)
            {
                var best = pool[poolCount - 1];
                RemoveFromPool(poolCount - 1);
                db = keyspace[best.Db];
                if (Locate(db, best, out table, out index) && !(Policy.VolatileOnly() && table.At(index).ExpireAt == 0)) return true;
            }
            if (!any) break;
        }
        db = null!;
        table = null!;
        index = -1;
        return false;
    }

    private bool TryPickRandom(out Database db, out KeyTable table, out int index)
    {
        for (int n = 0; n < keyspace.DatabaseCount; n++)
        {
            db = keyspace[nextRandomDb];
            nextRandomDb = (nextRandomDb + 1) % keyspace.DatabaseCount;
            if (db.Count == 0 || (Policy.VolatileOnly() && !MayHaveExpires(db))) continue;
            if (RandomEntry(db, Policy.VolatileOnly(), out table, out index)) return true;
        }
        db = null!;
        table = null!;
        index = -1;
        return false;
    }

    // Database.ExpiresCount sums 1024 slot tables: read once per 100 ms per database, not per victim. A database
    // whose last count was 0 is skipped until then (its keys gaining TTLs meanwhile wait for the next count).
    private long[] expiresCounts = [];
    private long expiresCountedAt = long.MinValue;

    private bool MayHaveExpires(Database db)
    {
        long now = Environment.TickCount64;
        if (expiresCounts.Length != keyspace.DatabaseCount || now - expiresCountedAt >= 100)
        {
            expiresCounts = new long[keyspace.DatabaseCount];
            for (int d = 0; d < expiresCounts.Length; d++) expiresCounts[d] = keyspace[d].Count == 0 ? 0 : keyspace[d].ExpiresCount;
            expiresCountedAt = now;
        }
        return expiresCounts[db.Index] > 0;
    }

    private static bool Locate(Database db, in Candidate c, out KeyTable table, out int index)
    {
        // Entry indices are stable while the key stays; the table itself is replaced by FLUSHDB, SWAPDB and a cleared slot.
        var key = c.Key!;
        if (c.Table is { } t && t.IsUsed(c.Index) && ReferenceEquals(t.At(c.Index).Key, key) && db.Table(SlotHash.Slot(key)) == t)
        {
            table = t;
            index = c.Index;
            return true;
        }
        table = db.Table(SlotHash.Slot(key))!;
        index = table?.Find(key) ?? -1;
        return index >= 0;
    }

    /// <summary>
    /// Adds maxmemory-samples random keys of <paramref name="db"/> to the pool; false if none found. They come from
    /// one random slot table: its keys are a random subset (by hash), and one table's entries sit together in
    /// memory, where keys from as many tables would cost a few cache misses each.
    /// </summary>
    private bool Sample(Database db)
    {
        bool volatileOnly = Policy.VolatileOnly();
        if (!RandomTable(db, volatileOnly, out var table)) return false;
        var random = keyspace.Random;
        for (int s = 0; s < Samples; s++)
        {
            int i = RandomIndexIn(table, random, volatileOnly);
            if (i < 0) break;
            ref var e = ref table.At(i);
            Offer(db.Index, table, i, e.Key!, Score(ref e));
        }
        return true;
    }

    /// <summary>Higher = evicted sooner: idle seconds (LRU), 255 - counter (LFU), the earliest deadline (TTL).</summary>
    private ulong Score(ref KeyTable.Entry e) => Policy switch
    {
        EvictionPolicy.VolatileTtl => ulong.MaxValue - (ulong)e.ExpireAt,
        EvictionPolicy.AllKeysLfu or EvictionPolicy.VolatileLfu =>
            (ulong)(255 - Lfu.Counter(e.Access, keyspace.Now, keyspace.LfuDecayMinutes)),
        _ => e.Access == 0 ? 0 : (ulong)Math.Max(0L, (long)keyspace.AccessClock - e.Access),
    };

    /// <summary>A random key of the database (only ones with a TTL if asked): a random slot, a random place in it.</summary>
    private bool RandomEntry(Database db, bool volatileOnly, out KeyTable table, out int index)
    {
        index = -1;
        return RandomTable(db, volatileOnly, out table) && (index = RandomIndexIn(table, keyspace.Random, volatileOnly)) >= 0;
    }

    /// <summary>The first slot table from a random slot on that holds keys (with a TTL if asked).</summary>
    private bool RandomTable(Database db, bool volatileOnly, out KeyTable table)
    {
        int first = keyspace.Random.Next(SlotHash.SlotCount);
        for (int n = 0; n < SlotHash.SlotCount; n++)
        {
            var t = db.Table((first + n) & SlotHash.SlotMask);
            if (t == null || t.Count == 0 || (volatileOnly && t.ExpiresCount == 0)) continue;
            table = t;
            return true;
        }
        table = null!;
        return false;
    }

    /// <summary>The first used entry (with a TTL if asked) from a random place on, wrapping around; -1 if none.</summary>
    private static int RandomIndexIn(KeyTable t, Random random, bool volatileOnly)
    {
        int capacity = t.Capacity;
        if (capacity == 0) return -1;
        int start = random.Next(capacity);
        for (int k = 0; k < capacity; k++)
        {
            int i = start + k < capacity ? start + k : start + k - capacity;
            if (t.IsUsed(i) && (!volatileOnly || t.At(i).ExpireAt != 0)) return i;
        }
        return -1;
    }

    private void Offer(int db, KeyTable table, int index, byte[] key, ulong score)
    {
        for (int k = 0; k < poolCount; k++)
            if (ReferenceEquals(pool[k].Key, key)) { RemoveFromPool(k); break; } // re-scored below
        int pos = 0;
        while (pos < poolCount && pool[pos].Score < score) pos++;
        if (poolCount == PoolSize)
        {
            if (pos == 0) return; // worse than everything in a full pool
            Array.Copy(pool, 1, pool, 0, pos - 1); // the worst leaves
            pos--;
        }
        else
        {
            Array.Copy(pool, pos, pool, pos + 1, poolCount - pos);
            poolCount++;
        }
        pool[pos] = new Candidate { Key = key, Table = table, Index = index, Db = db, Score = score };
    }

    private void RemoveFromPool(int k)
    {
        Array.Copy(pool, k + 1, pool, k, poolCount - k - 1);
        pool[--poolCount] = default;
    }

    /// <summary>FLUSHALL, SWAPDB and the like: pooled candidates may name keys of other data now.</summary>
    public void ClearPool()
    {
        Array.Clear(pool);
        poolCount = 0;
    }

    // ---- the memory figure ----

    // Bytes evicted but perhaps not reclaimed yet: by the generation the key was in, and a stamp that tells when
    // a collection of that generation has run since (for gen0/gen1, their collection count at the eviction; for
    // gen2, the count of all collections, which a full collection's GCMemoryInfo.Index is numbered by).
    private readonly List<(int Gen, int Stamp, long Bytes)> pending = [];
    private long pendingBytes;
    private long lastFullGc, lastFullReadMs;
    private long lastInducedMs = -1;
    private long dirtyAtInduce = -1;

    public long PendingBytes => Volatile.Read(ref pendingBytes);

    // Eviction adds under the keyspace lock; INFO and the cron's memory sample read from other threads too.
    private readonly Lock pendingLock = new();

    private void AddPending(byte[] key, long bytes)
    {
        int gen = Math.Min(2, GC.GetGeneration(key));
        int stamp = GC.CollectionCount(gen == 2 ? 0 : gen);
        lock (pendingLock) AddPending(gen, stamp, bytes);
    }

    private void AddPending(int gen, int stamp, long bytes)
    {
        pendingBytes += bytes;
        for (int i = pending.Count - 1; i >= 0 && i >= pending.Count - 3; i--)
        {
            if (pending[i].Gen != gen || pending[i].Stamp != stamp) continue;
            pending[i] = (gen, stamp, pending[i].Bytes + bytes);
            return;
        }
        if (pending.Count < MaxPendingBuckets) pending.Add((gen, stamp, bytes));
        else pending[^1] = (pending[^1].Gen, pending[^1].Stamp, pending[^1].Bytes + bytes); // released late, never early
    }

    /// <summary>
    /// The figure maxmemory is held against: <paramref name="gcUsed"/> (INFO's used_memory) less what eviction
    /// released that no collection of its generation has reclaimed yet.
    /// </summary>
    public long UsedForLimit(long gcUsed)
    {
        if (Volatile.Read(ref pendingBytes) == 0) return gcUsed;
        lock (pendingLock)
        {
            // A background collection counts at its start but reclaims at its end, which only its GCMemoryInfo
            // tells (an allocation per call, so read at most once a millisecond).
            long nowMs = Environment.TickCount64;
            if (nowMs != lastFullReadMs)
            {
                lastFullReadMs = nowMs;
                lastFullGc = Math.Max(GC.GetGCMemoryInfo(GCKind.Background).Index, GC.GetGCMemoryInfo(GCKind.FullBlocking).Index);
            }
            int gen0 = GC.CollectionCount(0), gen1 = GC.CollectionCount(1);
            int kept = 0;
            for (int i = 0; i < pending.Count; i++)
            {
                var p = pending[i];
                bool reclaimed = p.Gen switch { 0 => gen0 > p.Stamp, 1 => gen1 > p.Stamp, _ => lastFullGc > p.Stamp };
                if (reclaimed) pendingBytes -= p.Bytes;
                else pending[kept++] = p;
            }
            pending.RemoveRange(kept, pending.Count - kept);
            if (pending.Count == 0) pendingBytes = 0;
        }
        return Math.Max(0, gcUsed - pendingBytes);
    }

    /// <summary>
    /// Over the limit with deletions the GC has not reclaimed (evictions worth a sixteenth of the limit, or any
    /// write since the last time): starts a background full collection, at most once a second.
    /// </summary>
    public void ReclaimIfWorthIt(long limit)
    {
        long now = Environment.TickCount64;
        if (lastInducedMs >= 0 && now - lastInducedMs < 1000) return;
        bool evictedEnough = pendingBytes > limit / 16;
        bool changed = keyspace.Dirty != dirtyAtInduce;
        if (!evictedEnough && !changed) return;
        lastInducedMs = now;
        dirtyAtInduce = keyspace.Dirty;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: false, compacting: false);
    }
}
