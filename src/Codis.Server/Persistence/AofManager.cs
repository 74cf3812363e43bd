using System.Buffers;
using System.Diagnostics;
using Codis.Core.Logging;
using Codis.Server.Replication;
using Microsoft.Win32.SafeHandles;

namespace Codis.Server.Persistence;

/// <summary>
/// The append-only file in Redis 7's multi-part layout (see <see cref="AofManifest"/>): every propagated write is
/// appended to the current increment file after its batch has run and before its replies are sent, and fsynced as
/// appendfsync says (always: before the replies, group-committed across clients; everysec: by a background fsync
/// once a second; no: left to the kernel). BGREWRITEAOF switches writes to a new increment file and snapshots the
/// keyspace in the same locked moment, writes the new base (RDB) in the background, then commits a manifest of
/// "new base + new increment" and deletes the old files. Members marked "under the lock" need the keyspace lock.
/// </summary>
internal sealed class AofManager
{
    private readonly CodisServer server;
    private readonly PersistenceManager persistence;
    private readonly object bufferLock = new();
    private readonly object fileLock = new();
    private ArrayBufferWriter<byte> pending = new(64 * 1024);
    private ArrayBufferWriter<byte> writing = new(64 * 1024);
    private AofManifest manifest = new();
    private SafeFileHandle? incr;
    private long incrLength;
    private int selectedDb = -1;
    private long lastFsyncTicks;
    private long writtenSinceFsync;
    private Task? fsyncTask;
    private Task? rewrite;
    private long rewriteStartedTicks;
    private bool loading;

    public AofManager(CodisServer server, PersistenceManager persistence)
    {
        this.server = server;
        this.persistence = persistence;
        server.Settings["appendonly"].Changed = s =>
        {
            lock (server.Keyspace.Lock)
            {
                if (s.AsBool) Enable();
                else Disable();
            }
        };
    }

    public bool Enabled { get; private set; }
    public bool Loading => loading;
    public bool RewriteInProgress => rewrite != null;
    public bool LastWriteOk { get; private set; } = true;
    public bool LastRewriteOk { get; private set; } = true;
    public long LastRewriteSeconds { get; private set; } = -1;
    public long CurrentRewriteSeconds => rewrite == null ? -1 : (Environment.TickCount64 - rewriteStartedTicks) / 1000;
    public long Rewrites { get; private set; }
    public long BaseSize { get; private set; }
    public long CurrentSize => BaseSize + IncrsSize;
    public long IncrsSize { get; private set; }
    public long BufferLength { get { lock (bufferLock) return pending.WrittenCount; } }
    public bool FsyncPending => fsyncTask is { IsCompleted: false };

    private string Policy => server.Settings["appendfsync"].Value;
    public string DirPath => Path.Combine(persistence.Dir, server.Settings["appenddirname"].Value);
    private string FileName => server.Settings["appendfilename"].Value;
    public string ManifestPath => Path.Combine(DirPath, FileName + ".manifest");

    /// <summary>Appends one encoded command for <paramref name="db"/> (under the lock).</summary>
    public void Feed(int db, ReadOnlySpan<byte> command)
    {
        if (!Enabled || loading) return;
        lock (bufferLock)
        {
            if (db != selectedDb)
            {
                CommandEncoder.Write(pending, "SELECT"u8, CommandEncoder.Ascii(db));
                selectedDb = db;
            }
            pending.Write(command);
        }
    }

    /// <summary>Appends bytes in whatever database is selected (the EXEC closing a transaction), under the lock.</summary>
    public void FeedRaw(ReadOnlySpan<byte> command)
    {
        if (!Enabled || loading) return;
        lock (bufferLock) pending.Write(command);
    }

    /// <summary>
    /// Writes what the batch fed (not under the lock, before replies go out). With appendfsync always it returns
    /// only once the bytes are fsynced; concurrent callers share one write + fsync.
    /// </summary>
    public void Commit()
    {
        if (!Enabled) return;
        lock (bufferLock)
        {
            if (pending.WrittenCount == 0) return;
        }
        lock (fileLock)
        {
            WritePendingLocked(fsync: Policy == "always");
        }
    }

    private void WritePendingLocked(bool fsync)
    {
        lock (bufferLock)
        {
            (pending, writing) = (writing, pending);
        }
        if (writing.WrittenCount > 0 && incr != null)
        {
            try
            {
                long started = server.Latency.Start();
                RandomAccess.Write(incr, writing.WrittenSpan, incrLength);
                if (started != 0) RecordWriteLatency(started);
                incrLength += writing.WrittenCount;
                IncrsSize += writing.WrittenCount;
                writtenSinceFsync += writing.WrittenCount;
                LastWriteOk = true;
            }
            catch (IOException e)
            {
                if (LastWriteOk) Log.Warn("Error writing to the AOF file", ("error", e.Message));
                LastWriteOk = false;
                // Keep the bytes: put them back in front of whatever arrived meanwhile, and retry on the next commit.
                lock (bufferLock)
                {
                    var merged = new ArrayBufferWriter<byte>(writing.WrittenCount + pending.WrittenCount + 1024);
                    merged.Write(writing.WrittenSpan);
                    merged.Write(pending.WrittenSpan);
                    pending = merged;
                    writing = new ArrayBufferWriter<byte>(64 * 1024);
                }
                return;
            }
        }
        writing.ResetWrittenCount();
        if (fsync && writtenSinceFsync > 0 && incr != null)
        {
            long started = server.Latency.Start();
            RandomAccess.FlushToDisk(incr);
            if (started != 0 && Policy == "always") server.Latency.End("aof-fsync-always", started);
            writtenSinceFsync = 0;
            lastFsyncTicks = Environment.TickCount64;
        }
    }

    /// <summary>
    /// LATENCY's AOF write events: "aof-write" for every write, and one of "aof-write-pending-fsync" (a background
    /// fsync was still running), "aof-write-active-child" (a rewrite was running; ours is a thread, not a child
    /// process) or "aof-write-alone", as Redis classifies them.
    /// </summary>
    private void RecordWriteLatency(long started)
    {
        long micros = (long)Stopwatch.GetElapsedTime(started).TotalMicroseconds;
        server.Latency.AddIfNeeded("aof-write", micros);
        server.Latency.AddIfNeeded(FsyncPending ? "aof-write-pending-fsync" : rewrite != null ? "aof-write-active-child" : "aof-write-alone", micros);
    }

    /// <summary>everysec fsync and automatic rewrites (cron, under the lock).</summary>
    public void Cron()
    {
        if (!Enabled) return;
        if (Policy != "always") Commit(); // writes fed outside a client batch (expiry in the cron)
        if (Policy == "everysec" && writtenSinceFsync > 0 && Environment.TickCount64 - lastFsyncTicks >= 1000 && !FsyncPending)
        {
            var handle = incr;
            writtenSinceFsync = 0;
            lastFsyncTicks = Environment.TickCount64;
            fsyncTask = Task.Run(() =>
            {
                try { if (handle != null) RandomAccess.FlushToDisk(handle); }
                catch (ObjectDisposedException) { } // the file was switched by a rewrite, which fsynced it
                catch (IOException e) { Log.Warn("AOF fsync failed", ("error", e.Message)); }
            });
        }
        if (rewriteScheduled && rewrite == null)
        {
            rewriteScheduled = false;
            StartRewrite("scheduled");
            return;
        }
        long pct = server.Settings["auto-aof-rewrite-percentage"].AsLong;
        if (rewrite == null && pct > 0 && CurrentSize > server.Settings["auto-aof-rewrite-min-size"].AsLong)
        {
            long baseSize = Math.Max(BaseSize, 1);
            if ((CurrentSize - baseSize) * 100 / baseSize >= pct)
            {
                Log.Info("Starting automatic rewriting of AOF", ("growth_pct", (CurrentSize - baseSize) * 100 / baseSize));
                StartRewrite("auto");
            }
        }
    }

    /// <summary>CONFIG SET appendonly yes: a rewrite creates the base from the current data (under the lock).</summary>
    public void Enable()
    {
        if (Enabled) return;
        Directory.CreateDirectory(DirPath);
        manifest = File.Exists(ManifestPath) ? AofManifest.Parse(File.ReadAllText(ManifestPath), ManifestPath) : new AofManifest();
        Enabled = true;
        StartRewrite("appendonly enabled");
    }

    /// <summary>CONFIG SET appendonly no: flush, fsync and close (the files stay).</summary>
    public void Disable()
    {
        if (!Enabled) return;
        FlushForShutdown();
        Enabled = false;
        lock (fileLock)
        {
            incr?.Dispose();
            incr = null;
        }
    }

    /// <summary>BGREWRITEAOF (under the lock). Returns an error text or null.</summary>
    public string? StartRewrite(string reason)
    {
        if (rewrite != null) return "ERR Background append only file rewriting already in progress";
        if (!Enabled) return "ERR the append only file is off (appendonly no)";
        Directory.CreateDirectory(DirPath);
        var next = manifest.Clone();
        var newIncr = new AofFileInfo($"{FileName}.{next.NextIncrSeq}.incr.aof", next.NextIncrSeq, 'i');
        var newBase = new AofFileInfo($"{FileName}.{next.NextBaseSeq}.base.rdb", next.NextBaseSeq, 'b');
        try
        {
            // Same locked moment: writes after it go to the new increment, the snapshot holds everything before.
            SwitchIncr(newIncr);
            next.Incrs.Add(newIncr);
            DurableFile.WriteAllText(ManifestPath, next.Format());
            manifest = next;
        }
        catch (IOException e)
        {
            LastRewriteOk = false;
            Log.Warn("Can't start the AOF rewrite", ("error", e.Message));
            return "ERR Can't rewrite append only file in background: " + e.Message;
        }
        var snap = persistence.TakeSnapshot();
        rewriteStartedTicks = Environment.TickCount64;
        Log.Info("Background append only file rewriting started", ("reason", reason), ("keys", snap.KeyCount),
            ("pause_ms", Math.Round(persistence.LastSnapshotPauseMs, 2)));
        rewrite = Task.Run(() =>
        {
            Exception? error = null;
            string path = Path.Combine(DirPath, newBase.Name);
            try { persistence.WriteRdbFile(snap, path, repl: null, aofBase: true); }
            catch (Exception e) { error = e; }
            finally { snap.Dispose(); }
            lock (server.Keyspace.Lock)
            {
                FinishRewrite(newBase, newIncr, path, error);
            }
        });
        return null;
    }

    private void FinishRewrite(AofFileInfo newBase, AofFileInfo newIncr, string basePath, Exception? error)
    {
        rewrite = null;
        LastRewriteSeconds = (Environment.TickCount64 - rewriteStartedTicks) / 1000;
        if (error == null && Enabled)
        {
            var done = new AofManifest { Base = newBase };
            var obsolete = new List<AofFileInfo>();
            if (manifest.Base != null) obsolete.Add(manifest.Base);
            obsolete.AddRange(manifest.History);
            foreach (var i in manifest.Incrs)
            {
                if (i.Seq < newIncr.Seq) obsolete.Add(i);
                else done.Incrs.Add(i);
            }
            try
            {
                long renameStarted = server.Latency.Start();
                DurableFile.WriteAllText(ManifestPath, done.Format());
                server.Latency.End("aof-rename", renameStarted);
                manifest = done;
                foreach (var f in obsolete)
                {
                    try { File.Delete(Path.Combine(DirPath, f.Name)); } catch (IOException) { }
                }
                BaseSize = new FileInfo(basePath).Length;
                IncrsSize = 0;
                foreach (var i in manifest.Incrs) IncrsSize += SizeOf(i);
                LastRewriteOk = true;
                Rewrites++;
                Log.Info("Background AOF rewrite finished successfully", ("base", newBase.Name), ("bytes", BaseSize));
                return;
            }
            catch (IOException e)
            {
                error = e;
            }
        }
        LastRewriteOk = false;
        Log.Warn("Background AOF rewrite failed", ("error", error?.Message ?? "appendonly was turned off"));
    }

    private long SizeOf(AofFileInfo f)
    {
        long started = server.Latency.Start();
        var fi = new FileInfo(Path.Combine(DirPath, f.Name));
        long size = fi.Exists ? fi.Length : 0;
        server.Latency.End("aof-fstat", started);
        return size;
    }

    private void SwitchIncr(AofFileInfo next)
    {
        lock (fileLock)
        {
            WritePendingLocked(fsync: true);
            var handle = File.OpenHandle(Path.Combine(DirPath, next.Name), FileMode.Append, FileAccess.Write, FileShare.Read);
            incr?.Dispose();
            incr = handle;
            incrLength = RandomAccess.GetLength(handle);
            lock (bufferLock) selectedDb = -1;
        }
    }

    /// <summary>
    /// A replica loaded a full sync (under the lock): the increments no longer describe the data, so a rewrite
    /// makes a new base from it (as Redis restarts its AOF after a sync).
    /// </summary>
    public void OnDatasetReplaced()
    {
        if (!Enabled) return;
        if (rewrite != null) rewriteScheduled = true;
        else StartRewrite("full sync from master");
    }

    private bool rewriteScheduled;

    public bool RewriteScheduled => rewriteScheduled;

    /// <summary>Shutdown: write and fsync everything fed so far.</summary>
    public void FlushForShutdown()
    {
        if (!Enabled) return;
        lock (fileLock)
        {
            WritePendingLocked(fsync: true);
        }
        try { fsyncTask?.Wait(); } catch (AggregateException) { }
    }

    public void WaitRewrite()
    {
        try { rewrite?.Wait(); } catch (AggregateException) { }
    }

    /// <summary>
    /// Loads the AOF at start (under the lock): the manifest's base, then each increment in order. With no AOF yet
    /// the (empty) dataset becomes base 1, as Redis 7 does. A truncated last command in the last file is dropped
    /// (aof-load-truncated yes) and the file cut there; anything else malformed refuses to start with the file and
    /// byte offset.
    /// </summary>
    public RdbLoadResult? LoadAtStartup()
    {
        Directory.CreateDirectory(DirPath);
        Enabled = true;
        if (!File.Exists(ManifestPath))
        {
            manifest = new AofManifest();
            Log.Info("Creating AOF base file on server start", ("dir", DirPath));
            CreateInitialFiles();
            return null;
        }
        manifest = AofManifest.Parse(File.ReadAllText(ManifestPath), ManifestPath);
        if (manifest.Base == null && manifest.Incrs.Count == 0)
        {
            CreateInitialFiles();
            return null;
        }
        long start = Stopwatch.GetTimestamp();
        loading = true;
        RdbLoadResult? baseResult = null;
        try
        {
            var files = new List<AofFileInfo>();
            if (manifest.Base != null) files.Add(manifest.Base);
            files.AddRange(manifest.Incrs);
            var loader = new AofCommandLoader(server);
            for (int n = 0; n < files.Count; n++)
            {
                string path = Path.Combine(DirPath, files[n].Name);
                if (!File.Exists(path))
                    throw new InvalidDataException($"The AOF file {files[n].Name} listed in {ManifestPath} doesn't exist");
                var r = loader.LoadFile(path, isLast: n == files.Count - 1, server.Settings["aof-load-truncated"].AsBool);
                if (files[n].Type == 'b')
                {
                    baseResult = r;
                    BaseSize = new FileInfo(path).Length;
                }
                else
                {
                    IncrsSize += new FileInfo(path).Length;
                }
            }
            server.Keyspace.Dirty = 0;
            Log.Info("DB loaded from append only file", ("files", files.Count), ("keys", server.Keyspace.TotalKeys()),
                ("seconds", Math.Round(Stopwatch.GetElapsedTime(start).TotalSeconds, 3)));
        }
        finally
        {
            loading = false;
        }
        var last = manifest.Incrs.Count > 0 ? manifest.Incrs[^1] : null;
        if (last == null)
        {
            last = new AofFileInfo($"{FileName}.{manifest.NextIncrSeq}.incr.aof", manifest.NextIncrSeq, 'i');
            manifest.Incrs.Add(last);
            DurableFile.WriteAllText(ManifestPath, manifest.Format());
        }
        SwitchIncr(last);
        return baseResult;
    }

    private void CreateInitialFiles()
    {
        var baseFile = new AofFileInfo($"{FileName}.1.base.rdb", 1, 'b');
        var incrFile = new AofFileInfo($"{FileName}.1.incr.aof", 1, 'i');
        using (var snap = persistence.TakeSnapshot())
            persistence.WriteRdbFile(snap, Path.Combine(DirPath, baseFile.Name), repl: null, aofBase: true);
        var m = new AofManifest { Base = baseFile };
        m.Incrs.Add(incrFile);
        SwitchIncr(incrFile);
        DurableFile.WriteAllText(ManifestPath, m.Format());
        manifest = m;
        BaseSize = new FileInfo(Path.Combine(DirPath, baseFile.Name)).Length;
        IncrsSize = 0;
    }

}
