namespace Codis.Server.Storage;

/// <summary>
/// The keys one client WATCHes, and whether any of them changed since (Redis's CLIENT_DIRTY_CAS). Each database
/// indexes its watched keys (<see cref="Database"/>), so a write looks its key up only while someone watches
/// something there. Everything here runs under the keyspace lock.
/// </summary>
internal sealed class KeyWatcher
{
    private readonly List<WatchedKey> keys = new();

    /// <summary>A watched key was modified (or flushed, or expired): EXEC will fail.</summary>
    public bool Dirty { get; internal set; }

    public int Count => keys.Count;

    /// <summary>WATCH key: a key already watched in that database is not added twice.</summary>
    public void Watch(Database db, ReadOnlySpan<byte> key)
    {
        foreach (var k in keys)
            if (k.Db == db && k.Key.AsSpan().SequenceEqual(key)) return;
        // A key that is already logically expired is remembered as such: its deletion is then no change.
        var w = new WatchedKey(this, db, key.ToArray()) { ExpiredAtWatch = db.IsLogicallyExpired(key) };
        keys.Add(w);
        db.AddWatch(w);
    }

    /// <summary>UNWATCH, EXEC, DISCARD, RESET, disconnect: forgets every key and the dirty flag.</summary>
    public void UnwatchAll()
    {
        foreach (var k in keys) k.Db.RemoveWatch(k);
        keys.Clear();
        Dirty = false;
    }

    /// <summary>
    /// EXEC's check for keys that expired without anyone noticing yet (lazy expiry): a key that was live at WATCH
    /// and is past its expiry now counts as modified.
    /// </summary>
    public bool AnyExpiredSinceWatch()
    {
        foreach (var k in keys)
            if (!k.ExpiredAtWatch && k.Db.IsLogicallyExpired(k.Key)) return true;
        return false;
    }
}

/// <summary>One (client, database, key) entry of WATCH.</summary>
internal sealed class WatchedKey(KeyWatcher owner, Database db, byte[] key)
{
    public KeyWatcher Owner { get; } = owner;
    public Database Db { get; } = db;
    public byte[] Key { get; } = key;

    /// <summary>The key existed but was already past its expiry when WATCHed.</summary>
    public bool ExpiredAtWatch { get; set; }
}
