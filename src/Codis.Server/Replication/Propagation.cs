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
        server.Keyspace.KeyExpired += (db, key) => Emit(db.Index, [Del, key], toStream: true);
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
            foreach (var args in rewrite) Emit(db, args, toStream);
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

    private void Send(int db, bool toStream)
    {
        var bytes = scratch.WrittenSpan;
        server.Persistence.Aof.Feed(db, bytes);
        if (toStream && !server.Replication.IsReplica) server.Replication.FeedCommand(db, bytes);
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
            int good = 0;
            long now = Environment.TickCount64;
            foreach (var r in server.Replication.Replicas)
                if (r.State == ReplicaState.Online && now - r.LastAckTicks <= maxLag * 1000) good++;
            if (good < minReplicas) return "NOREPLICAS Not enough good replicas to write.";
        }
        return null;
    }
}
