using System.Diagnostics;
using Codis.Core.Logging;

namespace Codis.Server.Persistence;

/// <summary>
/// RDB snapshots of the server: SAVE (blocking), BGSAVE (a <see cref="KeyspaceSnapshot"/> taken under the lock and
/// written by a background task while clients keep being served), the `save` rules checked by the cron, the load at
/// start and the save at shutdown. The AOF lives in <see cref="Aof"/>. Members marked "under the lock" must be
/// called holding the keyspace lock.
/// </summary>
internal sealed class PersistenceManager
{
    private const int BgSaveRetryDelayMs = 5000;

    private readonly CodisServer server;
    private Task? bgsave;
    private long bgsaveStartedTicks;
    private long lastBgsaveTryTicks;

    public PersistenceManager(CodisServer server)
    {
        this.server = server;
        Aof = new AofManager(server, this);
        LastSaveUnix = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
    }

    public AofManager Aof { get; }

    /// <summary>Supplies the repl-* aux fields for saved files (set by replication; null = none).</summary>
    public Func<ReplicationAux?>? ReplicationAuxSource { get; set; }

    public string Dir => server.Settings["dir"].Value;
    public string RdbPath => Path.Combine(Dir, server.Settings["dbfilename"].Value);

    public long LastSaveUnix { get; private set; }
    public bool LastBgSaveOk { get; private set; } = true;
    public long LastBgSaveSeconds { get; private set; } = -1;
    public bool BgSaveInProgress => bgsave != null;
    public long CurrentBgSaveSeconds => bgsave == null ? -1 : (Environment.TickCount64 - bgsaveStartedTicks) / 1000;
    public long Saves { get; private set; }
    public long LastLoadKeysLoaded { get; private set; }
    public long LastLoadKeysExpired { get; private set; }
    public long ChangesSinceSave => server.Keyspace.Dirty;

    /// <summary>The longest time a snapshot held the keyspace lock (ms), over all snapshots of this process.</summary>
    public double LongestSnapshotPauseMs { get; private set; }
    public double LastSnapshotPauseMs { get; private set; }

    /// <summary>Takes a snapshot (under the lock) and records how long clients were paused by it.</summary>
    public KeyspaceSnapshot TakeSnapshot()
    {
        long start = Stopwatch.GetTimestamp();
        var snap = KeyspaceSnapshot.Take(server.Keyspace);
        snap.Functions = server.Functions.Codes();
        double ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        LastSnapshotPauseMs = ms;
        if (ms > LongestSnapshotPauseMs) LongestSnapshotPauseMs = ms;
        return snap;
    }

    /// <summary>Writes a snapshot as an RDB file at <paramref name="path"/> (temp file, fsync, rename).</summary>
    public void WriteRdbFile(KeyspaceSnapshot snapshot, string path, ReplicationAux? repl, bool aofBase = false)
    {
        string temp = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, $"temp-{Environment.ProcessId}-{Environment.CurrentManagedThreadId}.rdb");
        try
        {
            using (var f = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
            {
                new RdbFileWriter(f, server.Settings["rdbcompression"].AsBool, server.Settings["rdbchecksum"].AsBool)
                    .Write(snapshot, repl, aofBase, UsedMemoryEstimate());
                f.Flush(flushToDisk: true);
            }
            DurableFile.Replace(temp, path);
        }
        catch
        {
            try { File.Delete(temp); } catch (IOException) { }
            throw;
        }
    }

    public static long UsedMemoryEstimate() => GC.GetTotalMemory(false);

    /// <summary>SAVE: writes dbfilename now, clients wait (under the lock). Returns an error text or null.</summary>
    public string? Save()
    {
        if (bgsave != null) return "ERR Background save already in progress";
        try
        {
            using var snap = TakeSnapshot();
            long dirty = server.Keyspace.Dirty;
            WriteRdbFile(snap, RdbPath, ReplicationAuxSource?.Invoke());
            SaveSucceeded(dirty);
            Log.Info("DB saved on disk", ("file", RdbPath), ("keys", snap.KeyCount));
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Log.Warn("Failed saving the DB", ("file", RdbPath), ("error", e.Message));
            LastBgSaveOk = false;
            return "ERR";
        }
    }

    private void SaveSucceeded(long dirtyAtStart)
    {
        server.Keyspace.Dirty -= dirtyAtStart;
        LastSaveUnix = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        LastBgSaveOk = true;
        Saves++;
    }

    /// <summary>BGSAVE: snapshots now and writes in the background (under the lock). Returns an error text or null.</summary>
    public string? StartBgSave(string reason)
    {
        if (bgsave != null) return "ERR Background save already in progress";
        var snap = TakeSnapshot();
        long dirty = server.Keyspace.Dirty;
        var repl = ReplicationAuxSource?.Invoke();
        string path = RdbPath;
        bgsaveStartedTicks = lastBgsaveTryTicks = Environment.TickCount64;
        Log.Info("Background saving started", ("reason", reason), ("keys", snap.KeyCount), ("pause_ms", Math.Round(LastSnapshotPauseMs, 2)));
        bgsave = Task.Run(() =>
        {
            Exception? error = null;
            try { WriteRdbFile(snap, path, repl); }
            catch (Exception e) { error = e; }
            finally { snap.Dispose(); }
            lock (server.Keyspace.Lock)
            {
                LastBgSaveSeconds = (Environment.TickCount64 - bgsaveStartedTicks) / 1000;
                if (error == null)
                {
                    SaveSucceeded(dirty);
                    Log.Info("Background saving terminated with success", ("file", path));
                }
                else
                {
                    LastBgSaveOk = false;
                    Log.Warn("Background saving error", ("file", path), ("error", error.Message));
                }
                bgsave = null;
            }
        });
        return null;
    }

    /// <summary>Waits for a running BGSAVE (not under the lock).</summary>
    public void WaitBgSave()
    {
        var t = bgsave;
        t?.Wait();
    }

    /// <summary>The `save` rules (cron, under the lock).</summary>
    public void Cron()
    {
        Aof.Cron();
        if (bgsave != null) return;
        var rules = SaveRules.Parse(server.Settings["save"].Value);
        if (rules.Count == 0) return;
        long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        long changes = server.Keyspace.Dirty;
        foreach (var rule in rules)
        {
            if (changes < rule.Changes || now - LastSaveUnix < rule.Seconds) continue;
            // After a failure, wait a little before trying again (as Redis does).
            if (!LastBgSaveOk && Environment.TickCount64 - lastBgsaveTryTicks < BgSaveRetryDelayMs) continue;
            Log.Info($"{rule.Changes} changes in {rule.Seconds} seconds. Saving...");
            StartBgSave("save rule");
            return;
        }
    }

    /// <summary>Whether writes are refused because the last background save failed (MISCONF).</summary>
    public bool RefuseWrites =>
        !LastBgSaveOk && server.Settings["stop-writes-on-bgsave-error"].AsBool && server.Settings["save"].Value.Length > 0;

    public const string MisconfError = "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.";

    /// <summary>
    /// Loads the data at start (before listening): the AOF when appendonly is on, else dbfilename if it exists.
    /// Throws <see cref="InvalidDataException"/> with a message naming the file and the position when it is corrupt.
    /// </summary>
    public RdbLoadResult? LoadAtStartup(bool asReplica)
    {
        lock (server.Keyspace.Lock)
        {
            server.Keyspace.RefreshClock();
            if (server.Settings["appendonly"].AsBool) return Aof.LoadAtStartup();
            if (!File.Exists(RdbPath)) return null;
            return LoadRdbFile(RdbPath, keepExpired: asReplica);
        }
    }

    /// <summary>Loads an RDB file into the (empty) keyspace, under the lock.</summary>
    public RdbLoadResult LoadRdbFile(string path, bool keepExpired)
    {
        long start = Stopwatch.GetTimestamp();
        using var f = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        var result = RdbFileLoader.Load(f, server.Keyspace, new RdbFileLoader.Options { KeepExpired = keepExpired, NowMs = server.Keyspace.Now }, path);
        LoadFunctions(result, path);
        server.Keyspace.Dirty = 0;
        LastLoadKeysLoaded = result.KeysLoaded;
        LastLoadKeysExpired = result.KeysExpired;
        Log.Info("DB loaded from disk", ("file", path), ("keys", result.KeysLoaded), ("expired", result.KeysExpired),
            ("seconds", Math.Round(Stopwatch.GetElapsedTime(start).TotalSeconds, 3)));
        return result;
    }

    /// <summary>The file's function libraries replace the current ones (a full sync brings the master's).</summary>
    internal void LoadFunctions(RdbLoadResult result, string path)
    {
        try
        {
            server.Functions.ReplaceAll(result.Functions);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}");
        }
    }

    /// <summary>
    /// What shutdown persists (SHUTDOWN and SIGTERM): the AOF is flushed and fsynced; a snapshot is written when
    /// <paramref name="save"/> is true, or when it is null and save rules are configured. Under the lock.
    /// Returns false when the snapshot failed.
    /// </summary>
    public bool PersistForShutdown(bool? save)
    {
        if (shutdownPersisted) return true;
        Aof.FlushForShutdown();
        bool wantSave = save ?? server.Settings["save"].Value.Length > 0;
        if (wantSave)
        {
            var t = bgsave;
            if (t != null)
            {
                // A background save would race the final one for the same file; let it finish first.
                server.Keyspace.Lock.Exit();
                try { t.Wait(); } catch (AggregateException) { }
                finally { server.Keyspace.Lock.Enter(); }
            }
            Log.Info("Saving the final RDB snapshot before exiting.");
            if (Save() != null) return false;
        }
        shutdownPersisted = true;
        return true;
    }

    private bool shutdownPersisted;
}
