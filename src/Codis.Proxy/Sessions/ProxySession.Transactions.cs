using System.Text;
using Codis.Core.Resp;
using Codis.Core.Slots;
using Codis.Proxy.Backends;
using Codis.Proxy.Routing;

namespace Codis.Proxy.Sessions;

/// <summary>
/// MULTI/EXEC/DISCARD/WATCH/UNWATCH through the proxy (docs/proxy.md, "Transactions"). A transaction lives in
/// one slot, decided by its first key: WATCH and the queued commands go over a connection pinned to the
/// session, to that slot's master, where the server queues them itself (so its QUEUED and queue-time errors
/// are the client's). EXEC runs with the slot entered, after checking the slot still lives on that master and
/// is not migrating, so a fill (the first step of any migration) waits for the EXEC to finish and a transaction
/// opened before a migration is discarded instead of run on the old owner.
/// </summary>
internal sealed partial class ProxySession
{
    private const string CrossSlot = "CROSSSLOT Keys in request don't hash to the same slot";
    private const string ExecAbort = "EXECABORT Transaction discarded because of previous errors.";

    private PinnedConnection? txConn;          // WATCH and MULTI state live on it
    private PinnedConnection? spareTxConn;     // clean after an EXEC: the session's next transaction reuses it
    private int txSlot = -1;                   // the slot every key of WATCH and the transaction hashes to
    private bool inMulti;
    private bool backendMulti;                 // MULTI was sent on txConn
    private bool txAborted;                    // a queue-time error the proxy found: EXEC answers EXECABORT
    private bool txWrites;                     // a write is queued on txConn: with backend_replica_ack, EXEC is followed by WAIT
    private List<(byte[] Wire, byte[] Reply)>? txPreQueued; // keyless commands queued before the slot was known
    private readonly List<int> keyIndexes = new();

    /// <summary>MULTI EXEC DISCARD WATCH UNWATCH outside MULTI.</summary>
    private ValueTask Transaction(RespRequest req, Batch batch, OpInfo op)
    {
        switch (op.Special)
        {
            case OpSpecial.Multi:
                if (req.Count != 1) break;
                inMulti = true;
                txAborted = false;
                if (txConn != null)
                {
                    backendMulti = true;
                    SendPinned(txConn, req, batch, op);
                }
                else Answer(batch, op, Replies.Ok);
                return ValueTask.CompletedTask;
            case OpSpecial.Watch:
                if (req.Count < 2) break;
                return Watch(req, batch, op);
            case OpSpecial.Unwatch:
                if (req.Count != 1) break;
                EndTransaction();
                Answer(batch, op, Replies.Ok);
                return ValueTask.CompletedTask;
            case OpSpecial.Exec:
                if (req.Count != 1) break;
                Answer(batch, op, Replies.Error("ERR EXEC without MULTI"));
                return ValueTask.CompletedTask;
            case OpSpecial.Discard:
                if (req.Count != 1) break;
                Answer(batch, op, Replies.Error("ERR DISCARD without MULTI"));
                return ValueTask.CompletedTask;
        }
        Answer(batch, op, Replies.Error($"ERR wrong number of arguments for '{op.Name.ToLowerInvariant()}' command"));
        return ValueTask.CompletedTask;
    }

    private async ValueTask Watch(RespRequest req, Batch batch, OpInfo op)
    {
        int slot = SlotOfAll(req, 1, req.Count - 1);
        if (slot < 0 || (txSlot >= 0 && slot != txSlot))
        {
            Answer(batch, op, Replies.Error(CrossSlot));
            return;
        }
        if (txConn == null && await OpenTransactionAsync(slot).ConfigureAwait(false) is { } error)
        {
            Answer(batch, op, Replies.Error(error));
            return;
        }
        SendPinned(txConn!, req, batch, op);
    }

    /// <summary>Every request while the session is in MULTI.</summary>
    private ValueTask QueueInMulti(RespRequest req, Batch batch, OpInfo? op)
    {
        switch (op?.Special ?? OpSpecial.None)
        {
            case OpSpecial.Exec: return Exec(req, batch, op!);
            case OpSpecial.Discard:
                EndTransaction();
                Answer(batch, op, Replies.Ok);
                return ValueTask.CompletedTask;
            case OpSpecial.Reset:
                ReleaseTransaction();
                return Dispatch(req, batch);
            case OpSpecial.Multi:
                Answer(batch, op, Replies.Error("ERR MULTI calls can not be nested"));
                return ValueTask.CompletedTask;
            case OpSpecial.Watch:
                Answer(batch, op, Replies.Error("ERR WATCH inside MULTI is not allowed"));
                return ValueTask.CompletedTask;
            case OpSpecial.Ping:
            case OpSpecial.Echo:
                return QueueKeyless(req, batch, op!);
            case OpSpecial.None:
            case OpSpecial.Blocking: // inside MULTI the server runs them without blocking, as Redis
            case OpSpecial.StreamRead:
            case OpSpecial.SameSlot:
            case OpSpecial.MGet:
            case OpSpecial.MSet:
            case OpSpecial.Del:
            case OpSpecial.Unlink:
            case OpSpecial.Touch:
            case OpSpecial.Exists:
            case OpSpecial.Eval:
            case OpSpecial.Unwatch:
                break;
            default:
                return RefuseInMulti(batch, op, $"ERR '{op!.Name}' inside MULTI is not supported through codis-proxy: the proxy answers it itself");
        }
        if (op is { NotAllowed: true })
            return RefuseInMulti(batch, op, $"ERR handle request, command '{op.Name}' is not allowed: {op.RefusalReason}");
        if (op?.Special == OpSpecial.Unwatch)
            return txConn != null ? QueueOnBackend(req, batch, op) : QueueKeyless(req, batch, op);
        bool found = KeyPositions.Find(req, keyIndexes);
        if (!found || keyIndexes.Count == 0)
        {
            // No key (EVAL with numkeys 0, bad arity, bad numkeys): the backend, if the transaction has one,
            // runs it or says what is wrong; before that no server is chosen yet.
            if (backendMulti) return QueueOnBackend(req, batch, op);
            string name = Encoding.UTF8.GetString(req[0]).ToLowerInvariant();
            return RefuseInMulti(batch, op, op == null
                ? $"ERR unknown command '{name}' without a key: not supported inside MULTI through codis-proxy"
                : found && req.Count > 1
                    ? $"ERR '{name}' without keys inside MULTI must follow a command with a key through codis-proxy (the key picks the server)"
                    : $"ERR wrong number of arguments for '{name}' command");
        }
        int slot = SlotOf(req, keyIndexes);
        if (slot < 0 || (txSlot >= 0 && slot != txSlot)) return RefuseInMulti(batch, op, CrossSlot);
        if (txConn == null) return OpenAndQueueAsync(req, batch, op, slot);
        return QueueOnBackend(req, batch, op);
    }

    private async ValueTask OpenAndQueueAsync(RespRequest req, Batch batch, OpInfo? op, int slot)
    {
        if (await OpenTransactionAsync(slot).ConfigureAwait(false) is { } error)
        {
            await RefuseInMulti(batch, op, error).ConfigureAwait(false);
            return;
        }
        await QueueOnBackend(req, batch, op).ConfigureAwait(false);
    }

    /// <summary>Sends MULTI (and the keyless commands queued before the slot was known) once, then the command.</summary>
    private ValueTask QueueOnBackend(RespRequest req, Batch batch, OpInfo? op)
    {
        var conn = txConn!;
        if (!backendMulti)
        {
            backendMulti = true;
            SendSilently(conn, "*1\r\n$5\r\nMULTI\r\n"u8);
            foreach (var (wire, _) in txPreQueued ?? []) SendSilently(conn, wire);
            txPreQueued = null;
        }
        if (op?.IsWrite ?? true) txWrites = true;
        SendPinned(conn, req, batch, op);
        return ValueTask.CompletedTask;
    }

    /// <summary>A command the proxy queued itself: its reply is read (an error aborts EXEC on the server too), not relayed.</summary>
    private void SendSilently(PinnedConnection conn, ReadOnlySpan<byte> wire) =>
        conn.Send(new PendingRequest(null) { Continuation = r => { if (Replies.IsError(r.Reply!)) txAborted = true; } }, wire);

    /// <summary>PING/ECHO (and UNWATCH) inside MULTI before any key chose the backend: queued here, replayed there.</summary>
    private ValueTask QueueKeyless(RespRequest req, Batch batch, OpInfo op)
    {
        if (backendMulti) return QueueOnBackend(req, batch, op);
        byte[] reply;
        switch (op.Special)
        {
            case OpSpecial.Ping when req.Count <= 2: reply = req.Count == 1 ? Replies.Pong : Replies.Bulk(req[1]); break;
            case OpSpecial.Echo when req.Count == 2: reply = Replies.Bulk(req[1]); break;
            case OpSpecial.Unwatch when req.Count == 1: reply = Replies.Ok; break;
            default: return RefuseInMulti(batch, op, $"ERR wrong number of arguments for '{op.Name.ToLowerInvariant()}' command");
        }
        (txPreQueued ??= new()).Add((Encode(req).ToArray(), reply));
        Answer(batch, op, Replies.Simple("QUEUED"));
        return ValueTask.CompletedTask;
    }

    /// <summary>A queue-time error: answered now, and EXEC will answer EXECABORT (as Redis).</summary>
    private ValueTask RefuseInMulti(Batch batch, OpInfo? op, string error)
    {
        txAborted = true;
        Answer(batch, op, Replies.Error(error));
        return ValueTask.CompletedTask;
    }

    private async ValueTask Exec(RespRequest req, Batch batch, OpInfo op)
    {
        var conn = txConn;
        var local = txPreQueued;
        bool aborted = txAborted;
        if (aborted || !backendMulti)
        {
            EndTransaction();
            if (aborted) Answer(batch, op, Replies.Error(ExecAbort));
            else Answer(batch, op, LocalExec(local));
            return;
        }
        var state = proxy.Router.State(txSlot);
        int slot = txSlot;
        // Entered: a fill of this slot (a migration's first step) waits until the EXEC is answered.
        await state.EnterAsync().ConfigureAwait(false);
        var m = state.Model;
        if (m.BackendAddr != conn!.Address || m.MigrateFrom.Length > 0)
        {
            state.Leave();
            ReleaseTransaction();
            string why = m.MigrateFrom.Length > 0 ? "is migrating" : "moved to another server";
            Answer(batch, op, Replies.Error($"TRYAGAIN Transaction discarded: slot {slot} {why} since the transaction began, nothing was applied; retry it"));
            return;
        }
        var p = Track(new PendingRequest(batch) { Op = op, StartTicks = System.Diagnostics.Stopwatch.GetTimestamp() }, batch);
        // After EXEC the server holds no MULTI or WATCH state on the connection: kept for the next transaction.
        // With backend_replica_ack a WAIT follows it, and the EXEC's reply waits for its verdict.
        var options = proxy.Router.Options;
        var wait = txWrites ? ReplicaAck.WaitCommand(options) : null;
        byte[]? execReply = null;
        conn.Send(new PendingRequest(null)
        {
            Slot = state,
            Continuation = r =>
            {
                if (wait != null)
                {
                    execReply = r.Reply;
                    return;
                }
                p.Complete(r.Reply!);
                KeepSpare(conn);
            },
        }, req.IsMultibulk ? req.Raw.Span : "*1\r\n$4\r\nEXEC\r\n"u8);
        if (wait != null)
            conn.Send(new PendingRequest(null)
            {
                Continuation = w =>
                {
                    // nothing applied (an error, or *-1 when a WATCHed key changed): passed on as it is
                    bool applied = execReply is { Length: > 0 } e && e[0] != (byte)'-' && !e.AsSpan().StartsWith("*-1"u8);
                    p.Complete(applied ? ReplicaAck.Refusal(w.Reply!, options, conn.Address, 1) ?? execReply! : execReply ?? w.Reply!);
                    KeepSpare(conn);
                },
            }, wait);
        DetachTransaction();
    }

    /// <summary>EXEC of a transaction that only queued PING/ECHO: nothing touches a backend.</summary>
    private static byte[] LocalExec(List<(byte[] Wire, byte[] Reply)>? queued)
    {
        var items = queued ?? [];
        var head = Encoding.ASCII.GetBytes($"*{items.Count}\r\n");
        var all = new byte[head.Length + items.Sum(i => i.Reply.Length)];
        head.CopyTo(all, 0);
        int at = head.Length;
        foreach (var (_, reply) in items)
        {
            reply.CopyTo(all, at);
            at += reply.Length;
        }
        return all;
    }

    /// <summary>
    /// Opens the pinned connection to the master of <paramref name="slot"/>; null, or the error to answer.
    /// A slot that is migrating (or locked for it) takes no new transaction: its keys are on two servers.
    /// </summary>
    private async ValueTask<string?> OpenTransactionAsync(int slot)
    {
        var state = proxy.Router.State(slot);
        await state.EnterAsync().ConfigureAwait(false);
        var m = state.Model;
        state.Leave();
        if (m.BackendAddr.Length == 0) return "ERR handle request, slot is not ready, may be offline";
        if (m.MigrateFrom.Length > 0)
            return $"TRYAGAIN slot {slot} is migrating: transactions on it are refused until the migration ends; retry";
        var spare = Interlocked.Exchange(ref spareTxConn, null);
        if (spare is { IsOpen: true, Waiting: 0 } && spare.Address == m.BackendAddr)
        {
            spare.Select(Database);
            txConn = spare;
            txSlot = slot;
            return null;
        }
        spare?.Dispose();
        try
        {
            txConn = await PinnedConnection.OpenAsync(m.BackendAddr, Database, proxy.Router.Options, Closing.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException)
        {
            return $"ERR handle request, backend conn failure, {m.BackendAddr}: {e.Message}";
        }
        txSlot = slot;
        return null;
    }

    /// <summary>Forwards a request over a pinned connection, its reply relayed in order.</summary>
    private void SendPinned(PinnedConnection conn, RespRequest req, Batch batch, OpInfo? op)
    {
        var p = Track(new PendingRequest(batch)
        {
            Op = op,
            UnknownName = op == null ? Encoding.UTF8.GetString(req[0]).ToUpperInvariant() : null,
            StartTicks = System.Diagnostics.Stopwatch.GetTimestamp(),
        }, batch);
        conn.Send(p, req.IsMultibulk ? req.Raw.Span : Encode(req).Span);
    }

    /// <summary>Keeps a connection whose transaction ended for the session's next one (one at most; closed with the session).</summary>
    private void KeepSpare(PinnedConnection conn)
    {
        if (!conn.IsOpen || blockCancelled) conn.Dispose();
        else Interlocked.Exchange(ref spareTxConn, conn)?.Dispose();
        if (blockCancelled) Interlocked.Exchange(ref spareTxConn, null)?.Dispose(); // the session ended meanwhile
    }

    /// <summary>The slot all keys at indexes first..last hash to, or -1 when they differ.</summary>
    private static int SlotOfAll(RespRequest req, int first, int last)
    {
        int slot = SlotHash.Slot(req[first]);
        for (int i = first + 1; i <= last; i++)
            if (SlotHash.Slot(req[i]) != slot) return -1;
        return slot;
    }

    private static int SlotOf(RespRequest req, List<int> indexes)
    {
        int slot = SlotHash.Slot(req[indexes[0]]);
        foreach (int i in indexes)
            if (SlotHash.Slot(req[i]) != slot) return -1;
        return slot;
    }

    /// <summary>Forgets the transaction state; the pinned connection (if any) now belongs to whoever holds it.</summary>
    private void DetachTransaction()
    {
        txConn = null;
        txSlot = -1;
        inMulti = false;
        txWrites = false;
        backendMulti = false;
        txAborted = false;
        txPreQueued = null;
    }

    /// <summary>
    /// DISCARD, UNWATCH: the server forgets the MULTI and the watches (DISCARD, or UNWATCH when MULTI never
    /// reached it), and the connection is kept for the session's next transaction.
    /// </summary>
    private void EndTransaction()
    {
        var conn = txConn;
        bool multi = backendMulti;
        DetachTransaction();
        if (conn == null) return;
        conn.Send(new PendingRequest(null)
        {
            Continuation = r =>
            {
                if (Replies.IsError(r.Reply!)) conn.Dispose();
                else KeepSpare(conn);
            },
        }, multi ? "*1\r\n$7\r\nDISCARD\r\n"u8 : "*1\r\n$7\r\nUNWATCH\r\n"u8);
    }

    /// <summary>
    /// RESET, an EXEC refused because the slot moved: closing the pinned connection drops MULTI and WATCH on the
    /// server. Replies still due on it (queued commands of this batch) arrive first: it closes after a last PING.
    /// </summary>
    private void ReleaseTransaction()
    {
        var conn = txConn;
        DetachTransaction();
        if (conn == null) return;
        if (conn.Waiting == 0) conn.Dispose();
        else conn.Send(new PendingRequest(null) { Continuation = _ => conn.Dispose() }, "*1\r\n$4\r\nPING\r\n"u8);
    }
}
