using Codis.Core.Slots;
using Codis.Server.Persistence;
using Codis.Server.Slots;

namespace Codis.Server.Storage;

/// <summary>
/// One of the numbered databases: 1024 slot tables, created on first use, with lazy expiry on every access.
/// All methods run under the keyspace lock.
/// </summary>
internal sealed class Database(int index, Keyspace keyspace)
{
    private KeyTable?[] slots = new KeyTable?[SlotHash.SlotCount];
    private TagIndex tags = new();

    public int Index { get; } = index;
    public long Count { get; private set; }
    public long ExpiresCount
    {
        get
        {
            long n = 0;
            foreach (var t in slots) if (t != null) n += t.ExpiresCount;
            return n;
        }
    }

    public Keyspace Keyspace => keyspace;

    /// <summary>Tagged keys grouped by tag CRC, for the slot-migration commands that move a tag group together.</summary>
    public TagIndex Tags => tags;

    public KeyTable? Table(int slot) => slots[slot];

    private KeyTable TableOrCreate(int slot) => slots[slot] ??= new KeyTable();

    /// <summary>Finds a live key and marks it accessed; an expired one is deleted on the way (lazy expiry).</summary>
    public bool TryFind(ReadOnlySpan<byte> key, out KeyTable table, out int index)
    {
        if (!TryPeek(key, out table, out index)) return false;
        if (keyspace.Touching)
        {
            ref var e = ref table.At(index);
            e.Access = keyspace.Touch(e.Access);
        }
        return true;
    }

    /// <summary>
    /// <see cref="TryFind"/> without marking the key accessed, for commands that only inspect it (TYPE, TTL,
    /// EXISTS, OBJECT), as Redis's LOOKUP_NOTOUCH. <paramref name="announceMiss"/> false: a miss raises no
    /// "keymiss" event (OBJECT, Redis's LOOKUP_NONOTIFY).
    /// </summary>
    public bool TryPeek(ReadOnlySpan<byte> key, out KeyTable table, out int index, bool announceMiss = true)
    {
        bool found = Lookup(key, out table, out index);
        if (keyspace.CountLookups)
        {
            if (found) keyspace.KeyspaceHits++;
            else
            {
                keyspace.KeyspaceMisses++;
                if (announceMiss) keyspace.Notify(PubSub.NotifyType.KeyMiss, "keymiss"u8, this, key); // where Redis counts them
            }
        }
        return found;
    }

    private bool Lookup(ReadOnlySpan<byte> key, out KeyTable table, out int index, bool expire = true)
    {
        int slot = SlotHash.Slot(key);
        table = slots[slot]!;
        if (table == null)
        {
            index = -1;
            return false;
        }
        index = table.Find(key);
        if (index < 0) return false;
        long exp = table.At(index).ExpireAt;
        if (exp != 0 && exp <= keyspace.Now && keyspace.ExpireAllowed && expire)
        {
            var k = table.At(index).Key!;
            RemoveAt(table, index);
            keyspace.OnExpired(this, k);
            index = -1;
            return false;
        }
        return true;
    }

    public object? Get(ReadOnlySpan<byte> key) =>
        TryFind(key, out var t, out int i) ? t.At(i).Value : null;

    /// <summary>
    /// <see cref="Get"/> of a key a writing command only reads (SUNIONSTORE's sources, COPY's source, GETDEL):
    /// counted in keyspace_hits/misses and a miss announced as "keymiss", as Redis's lookupKeyRead does for them.
    /// </summary>
    public object? GetForRead(ReadOnlySpan<byte> key)
    {
        bool counting = keyspace.CountLookups;
        keyspace.CountLookups = true;
        var value = Get(key);
        keyspace.CountLookups = counting;
        return value;
    }

    /// <summary><see cref="TryFind"/>, counted and announced as <see cref="GetForRead"/>.</summary>
    public bool TryFindForRead(ReadOnlySpan<byte> key, out KeyTable table, out int index)
    {
        bool counting = keyspace.CountLookups;
        keyspace.CountLookups = true;
        bool found = TryFind(key, out table, out index);
        keyspace.CountLookups = counting;
        return found;
    }

    public bool Exists(ReadOnlySpan<byte> key) => TryFind(key, out _, out _);

    /// <summary>Stores a value. <paramref name="expireAt"/>: unix ms, 0 = none, <see cref="KeepTtl"/> = keep the old one.</summary>
    public void Set(ReadOnlySpan<byte> key, object value, long expireAt = 0)
    {
        if (TryFind(key, out var table, out int index))
        {
            ref var e = ref table.At(index);
            e.Value = value;
            if (expireAt != KeepTtl) table.SetExpire(index, expireAt);
            keyspace.OnModified(this, key);
            return;
        }
        Add(key.ToArray(), value, expireAt == KeepTtl ? 0 : expireAt);
    }

    public const long KeepTtl = -1;

    /// <summary>
    /// <see cref="Set"/> for a string value given as bytes: a string of the same length is overwritten in place
    /// (no new array; the stored array belongs to this key alone unless a snapshot is reading it).
    /// </summary>
    public void SetString(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, long expireAt = 0)
    {
        if (TryFind(key, out var table, out int index))
        {
            ref var e = ref table.At(index);
            if (e.Value is byte[] old && old.Length == value.Length && keyspace.StringsMutableInPlace) value.CopyTo(old);
            else e.Value = value.ToArray();
            if (expireAt != KeepTtl) table.SetExpire(index, expireAt);
            keyspace.OnModified(this, key);
            return;
        }
        Add(Collections.ElementBytes.Copy(key), Collections.ElementBytes.Copy(value), expireAt == KeepTtl ? 0 : expireAt);
    }

    /// <summary>
    /// Adds a key that is known to be absent; <paramref name="announce"/> false for data being loaded (an RDB file,
    /// a full resync), which raises no "new" keyspace event, as in Redis.
    /// </summary>
    public void Add(byte[] key, object value, long expireAt, bool announce = true)
    {
        int slot = SlotHash.Slot(key);
        var table = TableOrCreate(slot);
        int index = table.Add(key, KeyTable.HashOf(key), value, expireAt);
        table.At(index).Access = keyspace.NewStamp;
        Count++;
        Tags.OnAdded(key);
        keyspace.OnModified(this, key);
        if (announce) keyspace.Notify(PubSub.NotifyType.New, "new"u8, this, key);
    }

    /// <summary>
    /// RESTORE's IDLETIME/FREQ and an RDB's IDLE/FREQ records, as Redis's objectSetLRUOrLFU: an idle time counts
    /// unless an LFU policy is selected, a counter only under one. -1 = not given.
    /// </summary>
    public void RestoreAccess(ReadOnlySpan<byte> key, long idleSeconds, int frequency)
    {
        if (!Lookup(key, out var table, out int index, expire: false)) return;
        if (frequency >= 0 && keyspace.LfuStamps) table.At(index).Access = Eviction.Lfu.Stamp(keyspace.Now, frequency);
        else if (idleSeconds >= 0 && !keyspace.LfuStamps)
        {
            uint clock = keyspace.AccessClock;
            table.At(index).Access = (uint)Math.Max(1, clock - Math.Min(idleSeconds, clock - 1L));
        }
    }

    public bool Remove(ReadOnlySpan<byte> key)
    {
        if (!TryFind(key, out var table, out int index)) return false;
        RemoveAt(table, index);
        keyspace.OnModified(this, key);
        return true;
    }

    public void RemoveAt(KeyTable table, int index)
    {
        var key = table.At(index).Key!;
        table.RemoveAt(index);
        Count--;
        Tags.OnRemoved(key);
    }

    public long GetExpire(ReadOnlySpan<byte> key) =>
        TryFind(key, out var t, out int i) ? t.At(i).ExpireAt : -1;

    public bool SetExpire(ReadOnlySpan<byte> key, long expireAt)
    {
        if (!TryFind(key, out var t, out int i)) return false;
        t.SetExpire(i, expireAt);
        keyspace.OnModified(this, key);
        return true;
    }

    public long SlotCount(int slot) => slots[slot]?.Count ?? 0;

    public void Clear()
    {
        if (watched != null) TouchAllWatched();
        for (int s = 0; s < slots.Length; s++) slots[s] = null;
        Count = 0;
        Tags.Clear();
    }

    /// <summary>
    /// SWAPDB: this database and <paramref name="other"/> exchange their keys (slot tables, counts, tag index, and so
    /// the expiry that lives in each entry). Who watches or waits on which database stays, as in Redis: clients keep
    /// their database number and see the other data.
    /// </summary>
    internal void SwapData(Database other)
    {
        (slots, other.slots) = (other.slots, slots);
        (tags, other.tags) = (other.tags, tags);
        (Count, other.Count) = (other.Count, Count);
    }

    /// <summary>Removes every key of one slot; returns how many.</summary>
    public long ClearSlot(int slot)
    {
        var t = slots[slot];
        if (t == null) return 0;
        long n = t.Count;
        slots[slot] = null;
        Count -= n;
        Tags.ClearSlot(slot);
        return n;
    }

    /// <summary>
    /// One step of active expiry: checks up to <paramref name="budget"/> entries of slots that hold expiring
    /// keys, resuming where the last step stopped; returns how many keys expired.
    /// </summary>
    public int ExpireStep(ref int budget, ref int slotCursor, ref int entryCursor)
    {
        int expired = 0;
        if (Count == 0) return 0;
        long now = keyspace.Now;
        for (int visited = 0; visited <= SlotHash.SlotCount && budget > 0; visited++)
        {
            var t = slots[slotCursor];
            if (t != null && t.ExpiresCount > 0)
            {
                while (entryCursor < t.Capacity && budget > 0)
                {
                    budget--;
                    int i = entryCursor++;
                    if (!t.IsUsed(i)) continue;
                    ref var e = ref t.At(i);
                    if (e.ExpireAt != 0 && e.ExpireAt <= now)
                    {
                        var k = e.Key!;
                        RemoveAt(t, i);
                        keyspace.OnExpired(this, k);
                        expired++;
                        if (slots[slotCursor] != t || t.Count == 0) break;
                    }
                }
                if (budget == 0) break;
            }
            slotCursor = (slotCursor + 1) & SlotHash.SlotMask;
            entryCursor = 0;
        }
        return expired;
    }

    /// <summary>Keys of all slots, for KEYS and similar full walks.</summary>
    public IEnumerable<(KeyTable Table, int Index)> Entries()
    {
        for (int s = 0; s < slots.Length; s++)
        {
            var t = slots[s];
            if (t == null) continue;
            for (int i = 0; i < t.Capacity; i++)
                if (t.IsUsed(i)) yield return (t, i);
        }
    }

    // WATCH: the watched keys of this database and who watches them (Redis's db->watched_keys). Null while
    // nobody watches here, so a write pays one null check.
    private Dictionary<byte[], List<WatchedKey>>? watched;

    public bool HasWatches => watched != null;

    internal void AddWatch(WatchedKey w)
    {
        watched ??= new Dictionary<byte[], List<WatchedKey>>(ByteArrayComparer.Instance);
        if (!watched.TryGetValue(w.Key, out var list)) watched[w.Key] = list = new List<WatchedKey>(1);
        list.Add(w);
    }

    internal void RemoveWatch(WatchedKey w)
    {
        if (watched == null || !watched.TryGetValue(w.Key, out var list)) return;
        list.Remove(w);
        if (list.Count > 0) return;
        watched.Remove(w.Key);
        if (watched.Count == 0) watched = null;
    }

    /// <summary>A key was written, deleted or expired: its watchers' transactions will fail.</summary>
    internal void TouchWatched(ReadOnlySpan<byte> key)
    {
        if (!watched!.GetAlternateLookup<ReadOnlySpan<byte>>().TryGetValue(key, out var list)) return;
        bool present = Lookup(key, out _, out _, expire: false);
        foreach (var w in list)
        {
            // Watched while already expired, and now gone: logically nothing changed (as Redis 7).
            if (w.ExpiredAtWatch && !present) w.ExpiredAtWatch = false;
            else w.Owner.Dirty = true;
        }
    }

    /// <summary>FLUSHDB/FLUSHALL (and a full resync): every watched key that exists here is touched.</summary>
    private void TouchAllWatched()
    {
        foreach (var (key, list) in watched!)
        {
            if (!Lookup(key, out _, out _, expire: false)) continue;
            foreach (var w in list)
            {
                if (w.ExpiredAtWatch) w.ExpiredAtWatch = false; // an expired key flushed: no logical change
                else w.Owner.Dirty = true;
            }
        }
    }

    /// <summary>
    /// SWAPDB, before the swap: a watched key of this database that exists here or in <paramref name="incoming"/>
    /// (the data about to replace this one) is touched, as Redis's touchAllWatchedKeysInDb. Expired keys follow
    /// Redis 7: an already expired key that is replaced by nothing, or by another expired key, is no change, and a
    /// missing key replaced by an expired one is remembered as expired.
    /// </summary>
    internal void TouchWatchedForSwap(Database incoming)
    {
        if (watched == null) return;
        foreach (var (key, list) in watched)
        {
            bool here = Lookup(key, out _, out _, expire: false);
            bool there = incoming.Lookup(key, out _, out _, expire: false);
            if (!here && !there) continue;
            foreach (var w in list)
            {
                if (w.ExpiredAtWatch)
                {
                    if (!there)
                    {
                        w.ExpiredAtWatch = false;
                        continue;
                    }
                    if (incoming.IsLogicallyExpired(key)) continue;
                }
                else if (!here && incoming.IsLogicallyExpired(key))
                {
                    w.ExpiredAtWatch = true;
                    continue;
                }
                w.Owner.Dirty = true;
            }
        }
    }

    /// <summary>The key is stored but past its expiry (Redis's keyIsExpired): looked at without deleting it.</summary>
    public bool IsLogicallyExpired(ReadOnlySpan<byte> key)
    {
        var table = slots[SlotHash.Slot(key)];
        if (table == null) return false;
        int index = table.Find(key);
        if (index < 0) return false;
        long exp = table.At(index).ExpireAt;
        return exp != 0 && exp <= keyspace.Now;
    }
}
