using System.Buffers;
using Codis.Core.Resp;
using Codis.Server.Commands;
using Codis.Server.Storage;

namespace Codis.Server.Replication;

/// <summary>
/// The propagation hook: after a write command ran (under the lock), its effect goes to the AOF and to the
/// replication stream as the command itself or as the handler's <see cref="CommandContext.Rewrite"/>. A command is
/// propagated when it is flagged Write, changed the dataset (the dirty counter moved, or it set a rewrite) and did
/// not opt out (<see cref="CommandContext.SuppressPropagation"/>, <see cref="CommandFlags.NoPropagate"/>). Commands
/// applied from our master go to the AOF only: their bytes already went through the stream as received.
/// Keys that expire become DEL, as in Redis.
/// </summary>
internal sealed class Propagation
{
    private readonly CodisServer server;
    private readonly ArrayBufferWriter<byte> scratch = new(1024);

    // Looked up once: RefuseWrite reads them on every write command.
    private readonly Codis.Core.Config.Setting replicaReadOnly, minReplicasToWrite, minReplicasMaxLag;

    public Propagation(CodisServer server)
    {
        this.server = server;
        replicaReadOnly = server.Settings["replica-read-only"];
        minReplicasToWrite = server.Settings["min-replicas-to-write"];
        minReplicasMaxLag = server.Settings["min-replicas-max-lag"];
        server.Keyspace.KeyDeletedByServer += (db, key) => Emit(db.Index, [Del, key], toStream: true);
    }

    private static readonly byte[] Del = "DEL"u8.ToArray();

    /// <summary>Called by ExecuteOne after the handler, with the dirty counter read before it.</summary>
    public void AfterCommand(CommandContext ctx, RespRequest request, long dirtyBefore)
    {
        var spec = ctx.Command;
        if (!spec.Has(CommandFlags.Write) || spec.Has(CommandFlags.NoPropagate) || spec.Has(CommandFlags.NoLock)) return;
        if (ctx.SuppressPropagation) return;
        if (server.Keyspace.Dirty == dirtyBefore && ctx.Rewrite == null) return;
        if (!server.Persistence.Aof.Enabled && !server.Replication.WantsStream) return; // nobody to tell
        bool toStream = !ctx.Client.IsMasterLink;
        int db = ctx.Client.DbIndex;
        if (ctx.Rewrite is { } rewrite)
        {
            // Several effects of one command (XREADGROUP's XCLAIMs) reach the AOF and replicas as one MULTI/EXEC.
            if (rewrite.Count > 1) Hold();
            try
            {
                foreach (var args in rewrite) Emit(db, args, toStream);
            }
            finally
            {
                if (rewrite.Count > 1) ReleaseHeld();
            }
            return;
        }
        if (server.Persistence.Aof.Loading) return;
        scratch.ResetWrittenCount();
        CommandEncoder.Write(scratch, request);
        Send(db, toStream);
    }

    /// <summary>Propagates a command a feature builds itself (e.g. a MULTI/EXEC wrapper), under the lock.</summary>
    public void Emit(int db, IReadOnlyList<byte[]> args, bool toStream = true)
    {
        if (server.Persistence.Aof.Loading) return;
        if (!server.Persistence.Aof.Enabled && !server.Replication.WantsStream) return;
        scratch.ResetWrittenCount();
        CommandEncoder.Write(scratch, args);
        Send(db, toStream);
    }

    /// <summary>
    /// PUBLISH: to the replication stream only, never the AOF (as Redis's forced replication of PUBLISH). Replicas
    /// pass their master's stream on as received, so they do not emit it again.
    /// </summary>
    public void EmitToReplicas(int db, RespRequest request)
    {
        if (!server.Replication.WantsStream || server.Replication.IsReplica) return;
        if (transaction && !streamMulti)
        {
            server.Replication.FeedCommand(db, MultiCommand);
            streamMulti = true;
        }
        scratch.ResetWrittenCount();
        CommandEncoder.Write(scratch, request);
        server.Replication.FeedCommand(db, scratch.WrittenSpan);
    }

    // While a script (or anything else that must look atomic downstream) runs, what it propagates is held and
    // goes out when it ends: one command as it is, more wrapped in MULTI ... EXEC so that the AOF and the
    // replicas apply them at once (Redis 7's effects replication). Holds nest: the outermost release sends.
    private List<(int Db, byte[] Bytes, bool ToAof, bool ToStream)>? held;
    private int holdDepth;
    private static readonly byte[][] Multi = ["MULTI"u8.ToArray()], Exec = ["EXEC"u8.ToArray()];

    /// <summary>Where held commands go (redis.set_repl): bit 1 the AOF, bit 2 the replicas.</summary>
    public int HeldTargets { get; set; } = 3;

    /// <summary>From now until the matching <see cref="ReleaseHeld"/>, propagated commands are held.</summary>
    public void Hold()
    {
        if (holdDepth++ > 0) return;
        held = spare ?? new();
        spare = null;
        HeldTargets = 3;
    }

    /// <summary>Ends a <see cref="Hold"/>; the outermost sends what was held (in MULTI/EXEC when more than one).</summary>
    public void ReleaseHeld()
    {
        if (holdDepth == 0 || --holdDepth > 0) return;
        var ops = held;
        held = null;
        HeldTargets = 3;
        if (ops == null) return;
        try
        {
            SendHeld(ops);
        }
        finally
        {
            ops.Clear();
            spare = ops; // reused by the next hold: no list per script
        }
    }

    private List<(int Db, byte[] Bytes, bool ToAof, bool ToStream)>? spare;

    private void SendHeld(List<(int Db, byte[] Bytes, bool ToAof, bool ToStream)> ops)
    {
        if (ops.Count == 0) return;
        // one command is atomic by itself; inside EXEC the transaction's own MULTI … EXEC wraps them (no nesting)
        if (ops.Count == 1 || transaction)
        {
            foreach (var op in ops) SendNow(op.Db, op.Bytes, op.ToAof, op.ToStream);
            return;
        }
        bool aof = ops.Exists(o => o.ToAof), stream = ops.Exists(o => o.ToStream);
        scratch.ResetWrittenCount();
        CommandEncoder.Write(scratch, Multi);
        SendNow(ops[0].Db, scratch.WrittenSpan, aof, stream);
        foreach (var op in ops) SendNow(op.Db, op.Bytes, op.ToAof, op.ToStream);
        scratch.ResetWrittenCount();
        CommandEncoder.Write(scratch, Exec);
        SendNow(ops[^1].Db, scratch.WrittenSpan, aof, stream);
    }

    private void Send(int db, bool toStream)
    {
        if (held != null)
        {
            if (HeldTargets != 0) held.Add((db, scratch.WrittenSpan.ToArray(), (HeldTargets & 1) != 0, toStream && (HeldTargets & 2) != 0));
            return;
        }
        SendNow(db, scratch.WrittenSpan, toAof: true, toStream);
    }

    private void SendNow(int db, ReadOnlySpan<byte> bytes, bool toAof, bool toStream)
    {
        toStream &= !server.Replication.IsReplica;
        if (transaction)
        {
            // MULTI goes out just before the transaction's first effect, so a read-only EXEC propagates nothing.
            if (toAof && !aofMulti && server.Persistence.Aof.Enabled)
            {
                server.Persistence.Aof.Feed(db, MultiCommand);
                aofMulti = true;
            }
            if (toStream && !streamMulti)
            {
                server.Replication.FeedCommand(db, MultiCommand);
                streamMulti = true;
            }
        }
        if (toAof) server.Persistence.Aof.Feed(db, bytes);
        if (toStream) server.Replication.FeedCommand(db, bytes);
    }

    private static readonly byte[] MultiCommand = "*1\r\n$5\r\nMULTI\r\n"u8.ToArray();
    private static readonly byte[] ExecCommand = "*1\r\n$4\r\nEXEC\r\n"u8.ToArray();
    private bool transaction, aofMulti, streamMulti;

    /// <summary>
    /// EXEC: what the queued commands propagate (and keys that expire meanwhile) is wrapped in MULTI … EXEC, so
    /// the AOF and replicas apply the transaction as one unit too; EXEC is written in whatever database the last
    /// command selected. Under the lock; not nested.
    /// </summary>
    public void BeginTransaction()
    {
        transaction = true;
        aofMulti = streamMulti = false;
    }

    public void EndTransaction()
    {
        transaction = false;
        if (aofMulti) server.Persistence.Aof.FeedRaw(ExecCommand);
        if (streamMulti) server.Replication.FeedRaw(ExecCommand);
        aofMulti = streamMulti = false;
    }

    /// <summary>
    /// Why a write from this client must be refused now, or null: READONLY on a read-only replica, MISCONF after
    /// a failed background save or AOF write, NOREPLICAS below min-replicas-to-write. Replayed commands pass.
    /// </summary>
    public string? RefuseWrite(CommandContext ctx)
    {
        if (ctx.Client.IsReplay) return null;
        if (server.Replication.IsReplica && replicaReadOnly.AsBool)
            return "READONLY You can't write against a read only replica.";
        if (server.Persistence.RefuseWrites) return Persistence.PersistenceManager.MisconfError;
        if (server.Persistence.Aof.Enabled && !server.Persistence.Aof.LastWriteOk)
            return "MISCONF Errors writing to the AOF file: the last write failed (see the server log)";
        int minReplicas = minReplicasToWrite.AsInt;
        if (minReplicas <= 0) return null;
        long maxLag = minReplicasMaxLag.AsLong;
        if (maxLag > 0 && !server.Replication.IsReplica)
        {
            if (server.Replication.GoodReplicas(Environment.TickCount64, maxLag * 1000) < minReplicas) return "NOREPLICAS Not enough good replicas to write.";
        }
        return null;
    }
}
