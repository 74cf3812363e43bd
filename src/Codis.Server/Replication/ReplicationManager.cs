using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Codis.Core.Logging;
using Codis.Server.Commands;
using Codis.Server.Persistence;

namespace Codis.Server.Replication;

/// <summary>
/// Master/replica replication (redis-formats.md §5): the replication id and offset, the backlog, the replicas
/// attached to this server and, on a replica, the link to its master. The stream is fed from the propagation hook
/// (a master's own writes) or passed through byte for byte from the master (a replica), so a replica's offsets and
/// backlog equal its master's and a promoted replica can serve partial resyncs to the others. Members marked "under
/// the lock" need the keyspace lock.
/// </summary>
internal sealed partial class ReplicationManager
{
    public const string ZeroId = "0000000000000000000000000000000000000000";
    private static readonly byte[] PingCommand = "*1\r\n$4\r\nping\r\n"u8.ToArray();
    private static readonly byte[] GetAckCommand = "*3\r\n$8\r\nREPLCONF\r\n$6\r\nGETACK\r\n$1\r\n*\r\n"u8.ToArray();

    private readonly List<ReplicaConnection> replicas = new();
    private readonly ArrayBufferWriter<byte> scratch = new(256);
    private readonly SemaphoreSlim ackSignal = new(0);
    private int streamDb = -1;
    private long lastPingTicks = Environment.TickCount64;
    private long noReplicasSinceTicks = Environment.TickCount64;
    private long lastCronTicks;
    private int ackWaiters;
    private readonly OffsetHistory offsetHistory = new();

    public ReplicationManager(CodisServer server)
    {
        Server = server;
        ReplId = NewId();
        server.Settings["repl-backlog-size"].Changed = s =>
        {
            lock (server.Keyspace.Lock) Backlog?.Resize(s.AsLong);
        };
    }

    public CodisServer Server { get; }
    public string ReplId { get; private set; }
    public string ReplId2 { get; private set; } = ZeroId;
    public long SecondReplOffset { get; private set; } = -1;
    public long MasterReplOffset { get; private set; }
    public ReplicationBacklog? Backlog { get; private set; }
    public IReadOnlyList<ReplicaConnection> Replicas => replicas;
    public MasterLink? Link { get; private set; }
    public bool IsReplica => Link != null;

    /// <summary>Whether this server's own writes go into a stream (a backlog or replicas exist; a master).</summary>
    public bool WantsStream => !IsReplica && (Backlog != null || replicas.Count > 0);

    public static string NewId() => Convert.ToHexString(RandomNumberGenerator.GetBytes(20)).ToLowerInvariant();

    /// <summary>At start, after the data was loaded: resume the history an RDB recorded, connect to `replicaof`.</summary>
    public void Start(ReplicationAux? loaded)
    {
        lock (Server.Keyspace.Lock)
        {
            string replicaOf = Server.Settings["replicaof"].Value;
            var parts = replicaOf.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            bool replica = parts.Length == 2 && !parts[0].Equals("no", StringComparison.OrdinalIgnoreCase);
            if (loaded != null)
            {
                if (replica)
                {
                    // Our own dump.rdb from a previous sync: PSYNC can continue from it (§5.8).
                    ReplId = loaded.ReplId;
                    MasterReplOffset = loaded.Offset;
                }
                else
                {
                    // A master restarting keeps the old history as id2 so its replicas can continue.
                    ReplId2 = loaded.ReplId;
                    SecondReplOffset = loaded.Offset + 1;
                    MasterReplOffset = loaded.Offset;
                    Backlog = new ReplicationBacklog(Server.Settings["repl-backlog-size"].AsLong, MasterReplOffset);
                }
            }
            if (replica)
            {
                // Started as a replica without a previous sync on file: nothing to continue from (PSYNC ? -1).
                noCachedMaster = loaded == null;
                ReplicaOf(parts[0], int.Parse(parts[1], CultureInfo.InvariantCulture), loaded?.StreamDb ?? 0);
            }
        }
    }

    /// <summary>The repl-* aux fields for an RDB saved now (under the lock): when there is history to resume.</summary>
    public ReplicationAux? AuxForSave() =>
        IsReplica || Backlog != null ? new ReplicationAux(ReplId, MasterReplOffset, IsReplica ? Link!.StreamDb : Math.Max(streamDb, 0)) : null;

    /// <summary>A write of this server's own (propagation hook, under the lock).</summary>
    public void FeedCommand(int db, ReadOnlySpan<byte> command)
    {
        if (Backlog == null && replicas.Count == 0) return;
        if (db != streamDb)
        {
            scratch.ResetWrittenCount();
            CommandEncoder.Write(scratch, "SELECT"u8, CommandEncoder.Ascii(db));
            FeedRaw(scratch.WrittenSpan);
            streamDb = db;
        }
        FeedRaw(command);
    }

    /// <summary>Stream bytes as they are (a replica passing on its master's stream; PINGs), under the lock.</summary>
    public void FeedRaw(ReadOnlySpan<byte> bytes)
    {
        if (Backlog == null && replicas.Count == 0 && !IsReplica) return;
        Backlog?.Feed(bytes);
        MasterReplOffset += bytes.Length;
        foreach (var r in replicas) r.Enqueue(bytes);
    }

    // ---- master side -------------------------------------------------------------------------------------

    /// <summary>
    /// PSYNC replid offset / SYNC (under the lock): answers +CONTINUE and queues the missing backlog bytes, or
    /// +FULLRESYNC with a snapshot taken now; the connection is then handed to a <see cref="ReplicaConnection"/>.
    /// </summary>
    public void HandleSync(CommandContext ctx, bool psync)
    {
        if (psync && ctx.ArgCount > 3 && ctx.ArgIs(3, "FAILOVER") && !AcceptFailoverRequest(ctx)) return;
        if (Failover != FailoverState.None)
        {
            ctx.Error("NOMASTERLINK Can't SYNC while failing over");
            return;
        }
        if (IsReplica && Link!.State != "connected")
        {
            ctx.Error("NOMASTERLINK Can't SYNC while not connected with my master");
            return;
        }
        var hs = ctx.Client.ReplicaHandshake ?? new ReplicaHandshake();
        if (psync)
        {
            string id = ctx.ArgString(1);
            if (CommandContext.TryParseLong(ctx.Arg(2), out long offset) && TryPartial(id, offset))
            {
                var conn = new ReplicaConnection(this, ctx.Client, hs, ReplicaState.Online);
                ctx.Reply.WriteRaw(Encoding.ASCII.GetBytes(hs.CapaPsync2 ? $"+CONTINUE {ReplId}\r\n" : "+CONTINUE\r\n"));
                conn.Enqueue(Backlog!.CopyFrom(offset));
                Attach(conn);
                Server.Stats.SyncPartialOk++;
                Log.Info("Partial resynchronization request accepted", ("replica", $"{conn.Ip}:{conn.Port}"),
                    ("offset", offset), ("bytes", MasterReplOffset + 1 - offset));
                ctx.Client.TakeOver = (reader, writer) => conn.RunAsync(reader, writer, transfer: null, diskless: false);
                return;
            }
            if (id != "?") Server.Stats.SyncPartialErr++;
        }
        Server.Stats.SyncFull++;
        if (Backlog == null)
        {
            // The first replica: a new history starts here (§5.2).
            if (!IsReplica)
            {
                ReplId = NewId();
                ReplId2 = ZeroId;
                SecondReplOffset = -1;
            }
            Backlog = new ReplicationBacklog(Server.Settings["repl-backlog-size"].AsLong, MasterReplOffset);
        }
        streamDb = -1; // the stream after the snapshot starts with a SELECT
        var snap = Server.Persistence.TakeSnapshot();
        var aux = new ReplicationAux(ReplId, MasterReplOffset, 0);
        var replica = new ReplicaConnection(this, ctx.Client, hs, ReplicaState.WaitBgsave);
        Attach(replica);
        bool diskless = psync && hs.CapaEof && Server.Settings["repl-diskless-sync"].AsBool;
        Log.Info("Starting full resynchronization", ("replica", $"{replica.Ip}:{replica.Port}"), ("replid", ReplId),
            ("offset", MasterReplOffset), ("diskless", diskless), ("keys", snap.KeyCount), ("pause_ms", Math.Round(Server.Persistence.LastSnapshotPauseMs, 2)));
        if (psync) ctx.Reply.WriteRaw(Encoding.ASCII.GetBytes($"+FULLRESYNC {ReplId} {MasterReplOffset}\r\n"));
        bool rdbOnly = hs.RdbOnly;
        ctx.Client.TakeOver = (reader, writer) => replica.RunAsync(reader, writer,
            w => RdbTransfer.SendAsync(Server, w, snap, aux, diskless, keepStreaming: !rdbOnly), diskless);
    }

    private bool TryPartial(string id, long offset)
    {
        if (Backlog == null) return false;
        if (id != ReplId && !(id == ReplId2 && offset <= SecondReplOffset)) return false;
        return Backlog.Covers(offset);
    }

    private void Attach(ReplicaConnection r)
    {
        replicas.Add(r);
        r.Session.IsInternal = true;
    }

    internal void Detach(ReplicaConnection r)
    {
        lock (Server.Keyspace.Lock)
        {
            replicas.Remove(r);
            if (replicas.Count == 0) noReplicasSinceTicks = Environment.TickCount64;
        }
        OnAck();
    }

    private void DisconnectReplicas()
    {
        foreach (var r in replicas.ToArray()) r.Close();
    }

    internal void OnAck()
    {
        if (Volatile.Read(ref ackWaiters) > 0) ackSignal.Release();
    }

    /// <summary>Replicas whose ACKed offset reached <paramref name="offset"/> (under the lock).</summary>
    public int CountAcked(long offset)
    {
        int n = 0;
        foreach (var r in replicas) if (r.State == ReplicaState.Online && r.AckOffset >= offset) n++;
        return n;
    }

    /// <summary>
    /// WAIT numreplicas timeout (not under the lock): asks for ACKs with GETACK and waits until enough replicas
    /// acknowledged everything written before the call, or the timeout (0 = forever) passes.
    /// </summary>
    public long Wait(int wanted, long timeoutMs, CancellationToken cancel)
    {
        long target;
        lock (Server.Keyspace.Lock)
        {
            target = MasterReplOffset;
            int now = CountAcked(target);
            if (now >= wanted) return now;
            if (replicas.Count > 0) FeedRaw(GetAckCommand);
        }
        long deadline = timeoutMs == 0 ? long.MaxValue : Environment.TickCount64 + timeoutMs;
        Interlocked.Increment(ref ackWaiters);
        try
        {
            while (true)
            {
                int acked;
                lock (Server.Keyspace.Lock) acked = CountAcked(target);
                long left = deadline - Environment.TickCount64;
                if (acked >= wanted || left <= 0 || cancel.IsCancellationRequested) return acked;
                try { ackSignal.Wait((int)Math.Min(left, 100), cancel); }
                catch (OperationCanceledException) { }
            }
        }
        finally
        {
            Interlocked.Decrement(ref ackWaiters);
        }
    }

    /// <summary>
    /// Redis 7's shutdown-timeout (not under the lock): a master about to stop pauses writes and gives its online
    /// replicas up to that many seconds to acknowledge everything, so a planned restart loses nothing on them.
    /// Returns false when some replica was still behind.
    /// </summary>
    public bool WaitForReplicasBeforeShutdown()
    {
        int seconds = (int)Server.Settings["shutdown-timeout"].AsLong;
        int online;
        lock (Server.Keyspace.Lock)
        {
            if (IsReplica || seconds <= 0) return true;
            online = replicas.Count(r => r.State == ReplicaState.Online);
            if (online == 0 || CountAcked(MasterReplOffset) == online) return true;
            Server.Pause(seconds * 1000L + 1000, all: false);
        }
        Log.Info("Waiting for replicas before shutting down", ("replicas", online), ("shutdown_timeout_s", seconds));
        long acked = Wait(online, seconds * 1000L, CancellationToken.None);
        if (acked >= online)
        {
            Log.Info("Replicas are in sync: shutting down", ("replicas", online));
            return true;
        }
        Log.Warn("Lagging replicas after shutdown-timeout: shutting down anyway", ("in_sync", acked), ("replicas", online));
        return false;
    }

    // ---- replica side ------------------------------------------------------------------------------------

    /// <summary>REPLICAOF host port (under the lock). Returns the reply text.</summary>
    public string ReplicaOf(string host, int port, int streamDb = 0)
    {
        if (Link != null && Link.Host.Equals(host, StringComparison.OrdinalIgnoreCase) && Link.Port == port)
            return "+OK Already connected to specified master";
        Link?.Stop();
        // Replicas of ours must resync with us: our history is about to follow another master's.
        DisconnectReplicas();
        Link = new MasterLink(this, host, port, streamDb);
        Server.Role = "slave";
        Server.Keyspace.ExpireAllowed = false;
        Log.Info("Connecting to MASTER", ("master", $"{host}:{port}"));
        Link.Start();
        return "+OK";
    }

    /// <summary>
    /// Replicas that count for min-replicas-to-write (under the lock): online, still connected, acknowledged within
    /// <paramref name="maxLagMs"/>, and with an acknowledged offset at or past what this master had max-lag + 1 s ago.
    /// The last rule is ours (Redis judges only the time of the last ACK): ACKs a cut-off replica had queued in TCP
    /// arrive all at once when the link comes back, after it may have been promoted elsewhere, and would make it look
    /// current for a moment; their offsets are from before the cut, so they do not count.
    /// </summary>
    public int GoodReplicas(long now, long maxLagMs)
    {
        long floor = offsetHistory.AtOrBefore(now - maxLagMs - 1000);
        int good = 0;
        foreach (var r in replicas)
            if (r.State == ReplicaState.Online && !r.Closed && now - r.LastAckTicks <= maxLagMs && r.AckOffset >= floor) good++;
        return good;
    }

    /// <summary>REPLICAOF NO ONE (under the lock): a new history that remembers the old one as id2 (§5.6).</summary>
    public void PromoteToMaster()
    {
        if (Link == null) return;
        Link.Stop();
        Link = null;
        ReplId2 = ReplId;
        SecondReplOffset = MasterReplOffset + 1;
        ReplId = NewId();
        Backlog ??= new ReplicationBacklog(Server.Settings["repl-backlog-size"].AsLong, MasterReplOffset);
        DisconnectReplicas();
        streamDb = -1;
        Server.Role = "master";
        Server.Keyspace.ExpireAllowed = true;
        Log.Info("MASTER MODE enabled", ("replid", ReplId), ("replid2", ReplId2), ("second_offset", SecondReplOffset));
    }

    private bool noCachedMaster;

    /// <summary>
    /// What the master link asks PSYNC for (under the lock): our history (a previous sync, or our own as a former
    /// master), or "? -1" for a replica that started with none.
    /// </summary>
    public (string Id, long Offset, bool Failover) PsyncRequest() =>
        noCachedMaster ? ("?", -1, false) : (ReplId, MasterReplOffset + 1, Failover == FailoverState.InProgress);

    /// <summary>A full sync finished loading (under the lock): the master's history is ours now.</summary>
    internal void OnFullSync(string id, long offset)
    {
        noCachedMaster = false;
        ReplId = id;
        MasterReplOffset = offset;
        offsetHistory.Clear();
        ReplId2 = ZeroId;
        SecondReplOffset = -1;
        Backlog = new ReplicationBacklog(Server.Settings["repl-backlog-size"].AsLong, offset);
        DisconnectReplicas();
    }

    /// <summary>+CONTINUE [id] (under the lock): same data; the master may have a new id (it was promoted).</summary>
    internal void OnContinue(string? id)
    {
        if (id != null && id != ReplId)
        {
            ReplId2 = ReplId;
            SecondReplOffset = MasterReplOffset + 1;
            ReplId = id;
            DisconnectReplicas();
        }
        Backlog ??= new ReplicationBacklog(Server.Settings["repl-backlog-size"].AsLong, MasterReplOffset);
    }

    /// <summary>PINGs into the stream, replica timeouts, backlog expiry, a FAILOVER's progress (cron, under the lock).</summary>
    public void Cron()
    {
        long now = Environment.TickCount64;
        if (Failover != FailoverState.None) FailoverCron(now);
        if (now - lastCronTicks < 1000) return;
        lastCronTicks = now;
        offsetHistory.Record(now, MasterReplOffset);
        // (no PINGs while a FAILOVER waits: its target must reach an offset that stands still)
        if (!IsReplica && replicas.Count > 0 && Failover == FailoverState.None && now - lastPingTicks >= Server.Settings["repl-ping-replica-period"].AsLong * 1000)
        {
            lastPingTicks = now;
            FeedRaw(PingCommand);
        }
        long timeoutMs = Server.Settings["repl-timeout"].AsLong * 1000;
        foreach (var r in replicas.ToArray())
        {
            if (r.State == ReplicaState.Online && now - r.LastAckTicks > timeoutMs)
            {
                Log.Warn("Disconnecting timedout replica", ("replica", $"{r.Ip}:{r.Port}"));
                r.Close();
            }
        }
        long ttl = Server.Settings["repl-backlog-ttl"].AsLong;
        if (!IsReplica && Backlog != null && replicas.Count == 0 && ttl > 0 && now - noReplicasSinceTicks > ttl * 1000)
        {
            // A new history starts when a backlog is needed again, so nobody resumes from bytes we dropped.
            Backlog = null;
            ReplId2 = ZeroId;
            SecondReplOffset = -1;
            Log.Info("Replication backlog freed after having no replicas", ("seconds", ttl));
        }
    }

    /// <summary>Closes the links at shutdown.</summary>
    public void Shutdown()
    {
        Link?.Stop();
        DisconnectReplicas();
    }
}
