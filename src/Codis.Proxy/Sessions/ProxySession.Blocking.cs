using System.Globalization;
using System.Text;
using Codis.Core.Resp;
using Codis.Proxy.Backends;
using Codis.Proxy.Routing;

namespace Codis.Proxy.Sessions;

/// <summary>
/// BLPOP BRPOP BRPOPLPUSH BLMOVE BZPOPMIN BZPOPMAX BLMPOP BZMPOP through the proxy (docs/proxy.md, "Blocking
/// commands"), and on the same path, sent once, LMPOP ZMPOP and the one-slot writes (RENAME COPY MSETNX BITOP
/// MOVE), and XREAD/XREADGROUP with BLOCK (ProxySession.Streams.cs). All keys must hash to one slot. The command runs on that slot's master over a connection pinned to the session,
/// in slices of at most <see cref="BlockSliceMs"/>: between slices the proxy looks at the slot again, so a
/// client blocked on a slot that starts migrating moves within a slice (re-blocked on the new owner once its
/// keys are there) instead of waiting on a server that no longer gets the pushes. Every slice's reply is read, so an element the server popped always
/// reaches the client. While blocked, the session watches its client: when it goes away the pinned connection
/// is closed and the server forgets the blocked client.
/// </summary>
internal sealed partial class ProxySession
{
    /// <summary>The longest one backend wait lasts before the proxy re-checks the slot and the client.</summary>
    internal const int BlockSliceMs = 1000;

    private PinnedConnection? blockConn;        // kept between blocking commands of the session
    private volatile bool blockingInBatch;
    private volatile bool blockCancelled;      // the client is gone or the session ended

    // Ordering across connections: a request that goes over a pinned connection waits for the replies of the
    // requests before it, and the requests after it wait for its reply (see NeedsBarrier).
    private enum RouteKind { Pool, Transaction, Blocking }
    private RouteKind lastKind;
    private bool barrierNext;

    /// <summary>The session waits for a blocked command (the idle timeout does not apply, as in Redis).</summary>
    public bool IsBlocked => blockingInBatch;

    /// <summary>Where a blocking command's timeout is, and in which unit (BLOCK of the stream reads is in ms).</summary>
    private readonly record struct Wait(int Arg, bool Millis);

    private ValueTask Blocking(RespRequest req, Batch batch, OpInfo op)
    {
        int arity = op.Name switch { "BRPOPLPUSH" => 4, "BLMOVE" => 6, "LMPOP" or "ZMPOP" => -4, "BLMPOP" or "BZMPOP" => -5, _ => -3 };
        if (arity > 0 ? req.Count != arity : req.Count < -arity)
        {
            Answer(batch, op, Replies.Error($"ERR wrong number of arguments for '{op.Name.ToLowerInvariant()}' command"));
            return ValueTask.CompletedTask;
        }
        // LMPOP/ZMPOP do not wait: sent once (still pinned, so a migrating slot is popped key by key as below).
        Wait? wait = op.Name switch { "LMPOP" or "ZMPOP" => null, "BLMPOP" or "BZMPOP" => new Wait(1, false), _ => new Wait(req.Count - 1, false) };
        return RunPinned(req, batch, op, wait);
    }

    /// <summary>
    /// Sends a command with all its keys in one slot over the session's pinned connection (<see cref="RunBlockingAsync"/>);
    /// keys in two slots answer CROSSSLOT; a request whose keys cannot be found (bad numkeys) goes to any master
    /// once, which answers the error.
    /// </summary>
    private ValueTask RunPinned(RespRequest req, Batch batch, OpInfo op, Wait? wait)
    {
        if (!KeyPositions.Find(req, keyIndexes) || keyIndexes.Count == 0) return ForwardKeyless(req, batch, op);
        int slot = SlotOf(req, keyIndexes);
        if (slot < 0)
        {
            Answer(batch, op, Replies.Error(CrossSlot));
            return ValueTask.CompletedTask;
        }
        var args = new byte[req.Count][];
        for (int i = 0; i < args.Length; i++) args[i] = req.ToArray(i);
        // An unparsable timeout is sent once as it is: the server's error says what is wrong with it.
        long timeoutMs = -1;
        if (wait is { } w)
        {
            if (w.Millis) timeoutMs = RespRequestParser.TryParseInteger(req[w.Arg], out long ms) && ms >= 0 ? ms : -1;
            else if (TryParseTimeout(req[w.Arg], out double seconds)) timeoutMs = (long)Math.Ceiling(seconds * 1000);
        }
        var p = Track(new PendingRequest(batch) { Op = op, StartTicks = System.Diagnostics.Stopwatch.GetTimestamp() }, batch);
        blockingInBatch = true;
        _ = RunBlockingAsync(p, args, slot, timeoutMs, wait ?? default);
        return ValueTask.CompletedTask;
    }

    private static bool TryParseTimeout(ReadOnlySpan<byte> arg, out double seconds) =>
        double.TryParse(Encoding.ASCII.GetString(arg), NumberStyles.Float, CultureInfo.InvariantCulture, out seconds)
        && double.IsFinite(seconds) && seconds >= 0 && seconds < 1e12;

    private async Task RunBlockingAsync(PendingRequest p, byte[][] args, int slot, long timeoutMs, Wait wait)
    {
        long deadline = timeoutMs == 0 ? long.MaxValue : Environment.TickCount64 + timeoutMs;
        bool retried = false;
        bool idsResolved = false;
        try
        {
            while (true)
            {
                if (blockCancelled)
                {
                    p.Fail("ERR client gone");
                    return;
                }
                var state = proxy.Router.State(slot);
                await state.EnterAsync().ConfigureAwait(false); // waits while a fill holds the slot
                var m = state.Model;
                // A command sent once (LMPOP, RENAME, ...) holds the slot until it is answered, as EXEC does: a
                // fill that starts a migration waits for it, so it runs entirely before any of its keys moves.
                bool hold = timeoutMs < 0 && !(m.MigrateFrom.Length > 0 && m.MigrateFrom != m.BackendAddr);
                if (!hold) state.Leave();
                try
                {
                    if (m.BackendAddr.Length == 0)
                    {
                        p.Fail("ERR handle request, slot is not ready, may be offline");
                        return;
                    }
                    if (m.MigrateFrom.Length > 0 && m.MigrateFrom != m.BackendAddr)
                    {
                        // Sync: move the keys to the new owner first (as any request of the slot does), then block
                        // there, where every proxy now sends the pushes. Semi-async: pop what the old owner still
                        // has through its EXEC-WRAPPER; once it has none of the keys, block on the new owner.
                        if (m.ForwardMethod == 0)
                        {
                            if (await MoveKeysAsync(m, args).ConfigureAwait(false) is { } error)
                            {
                                p.Fail(error);
                                return;
                            }
                        }
                        else if (IsStreamRead(args))
                        {
                            // A stream is read where it is: wait until the old owner has handed over every key.
                            if (await StreamsLeftOldOwnerAsync(m, args, slot).ConfigureAwait(false) is { } error)
                            {
                                p.Fail(error);
                                return;
                            }
                        }
                        else if (await PopFromOldOwnerAsync(m, args, slot).ConfigureAwait(false) is { } served)
                        {
                            p.Complete(served);
                            return;
                        }
                    }
                    var conn = blockConn;
                    bool reused = conn != null;
                    if (conn == null || !conn.IsOpen || conn.Address != m.BackendAddr)
                    {
                        conn?.Dispose();
                        blockConn = null;
                        try
                        {
                            conn = await PinnedConnection.OpenAsync(m.BackendAddr, Database, proxy.Router.Options).ConfigureAwait(false);
                        }
                        catch (IOException e)
                        {
                            p.Fail($"ERR handle request, backend conn failure, {m.BackendAddr}: {e.Message}");
                            return;
                        }
                        blockConn = conn;
                        reused = false;
                        if (blockCancelled) continue; // the watcher may have missed it: closed at the top
                    }
                    conn.Select(Database);
                    if (!idsResolved && timeoutMs >= 0 && IsStreamRead(args))
                    {
                        // XREAD's "$" means "after the last entry now": pinned before the first slice, so entries
                        // added between two slices are read by the next one instead of being skipped.
                        if (await ResolveLastIdsAsync(conn, args).ConfigureAwait(false) is { } error)
                        {
                            p.Complete(error);
                            return;
                        }
                        idsResolved = true;
                    }
                    bool last = timeoutMs < 0;
                    if (timeoutMs > 0)
                    {
                        long remaining = Math.Max(1, deadline - Environment.TickCount64);
                        last = remaining <= BlockSliceMs;
                        args[wait.Arg] = SliceTimeout(Math.Min(remaining, BlockSliceMs), wait.Millis);
                    }
                    else if (timeoutMs == 0) args[wait.Arg] = SliceTimeout(BlockSliceMs, wait.Millis);
                    var reply = await conn.RequestAsync(RespValue.EncodeCommand(args)).ConfigureAwait(false);
                    if (blockCancelled && Replies.IsError(reply)) continue;
                    // A kept connection the server closed while idle (its timeout setting): once more on a new one.
                    if (reused && !retried && !conn.IsOpen && Replies.IsError(reply))
                    {
                        retried = true;
                        continue;
                    }
                    if (!last && IsTimeoutReply(reply)) continue;
                    p.Complete(await ConfirmedAsync(conn, reply, p.IsWrite).ConfigureAwait(false));
                    return;
                }
                finally
                {
                    if (hold) state.Leave();
                }
            }
        }
        catch (Exception e)
        {
            if (!p.IsDone) p.Fail("ERR handle request, " + e.Message);
        }
    }

    private static byte[] SliceTimeout(long ms, bool millis) => Encoding.ASCII.GetBytes(millis
        ? ms.ToString(CultureInfo.InvariantCulture)
        : (ms / 1000.0).ToString("0.###", CultureInfo.InvariantCulture));

    /// <summary>A pinned connection to <paramref name="address"/> in the session's database, or the error that says why not.</summary>
    private async Task<(PinnedConnection? Connection, string? Failure)> OpenPinnedAsync(string address)
    {
        try
        {
            return (await PinnedConnection.OpenAsync(address, Database, proxy.Router.Options).ConfigureAwait(false), null);
        }
        catch (IOException e)
        {
            return (null, $"ERR handle request, backend conn failure, {address}: {e.Message}");
        }
    }

    /// <summary>The argument positions of a command's keys.</summary>
    private static List<int> KeyIndexes(byte[][] args)
    {
        var keys = new List<int>();
        KeyPositions.Find(RespRequest.FromArgs(args), keys);
        return keys;
    }

    /// <summary>SLOTSMGRTTAGONE of every key of the command on the slot's old owner; null, or the error to answer.</summary>
    private async Task<string?> MoveKeysAsync(Core.Models.SlotModel m, byte[][] args)
    {
        var (host, port) = BackendConnection.ParseAddress(m.BackendAddr);
        var (source, failure) = await OpenPinnedAsync(m.MigrateFrom).ConfigureAwait(false);
        if (source == null) return failure;
        using (source)
        {
            var moves = KeyIndexes(args).Select(i => source.RequestAsync(RespValue.EncodeCommand([
                "SLOTSMGRTTAGONE"u8.ToArray(), Encoding.UTF8.GetBytes(host), Encoding.ASCII.GetBytes(port.ToString()),
                "3000"u8.ToArray(), args[i]]))).ToList();
            foreach (var move in moves)
            {
                var reply = await move.ConfigureAwait(false);
                if (Replies.IsError(reply)) return $"ERR handle request, bad slotsmgrttagone resp: {Replies.ErrorText(reply)}";
            }
        }
        return null;
    }

    /// <summary>
    /// Semi-async migration: for each key in order, the old owner pops it through SLOTSMGRT-EXEC-WRAPPER if it
    /// still has it ("being migrated": asked again shortly). The reply to answer, or null when the old owner has
    /// none of the keys (they are all the new owner's now). BRPOPLPUSH/BLMOVE only go on when it has neither
    /// key: a move between the two servers is not done half-way.
    /// </summary>
    private async Task<byte[]?> PopFromOldOwnerAsync(Core.Models.SlotModel m, byte[][] args, int slot)
    {
        string name = Encoding.ASCII.GetString(args[0]).ToUpperInvariant();
        if (!TryPopForm(name, args, out var form)) return null; // malformed: the new owner says what is wrong
        string? pop = form.Command;
        var (source, failure) = await OpenPinnedAsync(m.MigrateFrom).ConfigureAwait(false);
        if (source == null) return Replies.Error(failure!);
        PinnedConnection? target = null;
        try
        {
            var keys = KeyIndexes(args);
            for (int k = 0; k < keys.Count; k++)
            {
                var key = args[keys[k]];
                var popArgs = PopArgs(pop ?? "EXISTS", key, form.Count);
                var probe = RespValue.EncodeCommand([.. (byte[][])["SLOTSMGRT-EXEC-WRAPPER"u8.ToArray(), key], .. popArgs]);
                for (int attempt = 0; ; attempt++)
                {
                    var reply = await source.RequestAsync(probe).ConfigureAwait(false);
                    if (!WrapperReply.TryParse(reply, out long code, out var payload))
                        return Replies.IsError(reply) ? Replies.Error("ERR handle request, bad slotsmgrt-exec-wrapper resp: " + Replies.ErrorText(reply))
                            : Replies.Error("ERR handle request, bad slotsmgrt-exec-wrapper resp: unexpected reply");
                    if (code == 0)
                    {
                        // Not there: the new owner's. A later key must not win over this one if it has elements.
                        if (pop == null || k == keys.Count - 1) break;
                        if (target == null)
                        {
                            (target, failure) = await OpenPinnedAsync(m.BackendAddr).ConfigureAwait(false);
                            if (target == null) return Replies.Error(failure!);
                        }
                        var there = await target.RequestAsync(RespValue.EncodeCommand(popArgs)).ConfigureAwait(false);
                        if (Replies.IsError(there)) return there;
                        if (PopReply(key, there, form) is { } found) return await ConfirmedAsync(target, found, true).ConfigureAwait(false);
                        break;
                    }
                    if (code == 1)
                    {
                        if (attempt >= 500) return Replies.Error($"TRYAGAIN slot {slot}: a key is being migrated for too long, nothing was popped; retry");
                        await Task.Delay(10).ConfigureAwait(false);
                        continue;
                    }
                    if (code != 2) return Replies.Error("ERR handle request, bad slotsmgrt-exec-wrapper resp: " + Encoding.UTF8.GetString(payload ?? []));
                    if (pop == null)
                        return Replies.Error($"TRYAGAIN slot {slot} is migrating (semi-async) and a key of this {name} is still on the old owner, nothing was done; retry");
                    if (Replies.IsError(payload!)) return payload;
                    if (PopReply(key, payload!, form) is { } served) return await ConfirmedAsync(source, served, true).ConfigureAwait(false);
                    break; // an empty reply: nothing there after all
                }
            }
        }
        finally
        {
            source.Dispose();
            target?.Dispose();
        }
        return null;
    }

    /// <summary>
    /// The non-blocking pop a blocking (or multi-key) pop is made of, one key at a time: BLPOP → LPOP key,
    /// BLMPOP/LMPOP … LEFT COUNT n → LPOP key n (Multi: the reply is [key, [elements]]), BZMPOP/ZMPOP … MIN →
    /// ZPOPMIN key n (ZSet: [key, [[member, score]...]]); Command null for the moves (BRPOPLPUSH, BLMOVE).
    /// False when an LMPOP-style request is malformed.
    /// </summary>
    private readonly record struct PopForm(string? Command, byte[]? Count, bool Multi, bool ZSet);

    private static bool TryPopForm(string name, byte[][] args, out PopForm form)
    {
        form = default;
        switch (name)
        {
            case "BLPOP": form = new("LPOP", null, false, false); return true;
            case "BRPOP": form = new("RPOP", null, false, false); return true;
            case "BZPOPMIN": form = new("ZPOPMIN", null, false, true); return true;
            case "BZPOPMAX": form = new("ZPOPMAX", null, false, true); return true;
            case "LMPOP" or "BLMPOP" or "ZMPOP" or "BZMPOP": break;
            default: form = new(null, null, false, false); return true;
        }
        bool zset = name.Contains('Z');
        int at = name.StartsWith('B') ? 2 : 1;
        if (!RespRequestParser.TryParseInteger(args[at], out long numKeys) || numKeys < 1 || numKeys > args.Length - at - 2) return false;
        int where = at + (int)numKeys + 1;
        string dir = Encoding.ASCII.GetString(args[where]).ToUpperInvariant();
        string? command = (zset, dir) switch
        {
            (false, "LEFT") => "LPOP", (false, "RIGHT") => "RPOP", (true, "MIN") => "ZPOPMIN", (true, "MAX") => "ZPOPMAX", _ => null,
        };
        if (command == null) return false;
        byte[] count = "1"u8.ToArray();
        if (args.Length == where + 3 && Ascii.EqualsIgnoreCase(args[where + 1], "COUNT")
            && RespRequestParser.TryParseInteger(args[where + 2], out long n) && n >= 1)
            count = args[where + 2];
        else if (args.Length != where + 1) return false;
        form = new(command, count, true, zset);
        return true;
    }

    private static byte[][] PopArgs(string command, byte[] key, byte[]? count) =>
        count == null ? [Encoding.ASCII.GetBytes(command), key] : [Encoding.ASCII.GetBytes(command), key, count];

    /// <summary>The blocking (or multi-key) form's reply from the non-blocking one's; null when nothing was popped.</summary>
    private static byte[]? PopReply(byte[] key, byte[] payload, PopForm form)
    {
        if (form.Multi)
        {
            if (SplitArray(payload) is not { Count: > 0 } items) return null;
            if (!form.ZSet) return Concat("*2\r\n"u8, key, payload); // LPOP key n: *n elements
            // ZPOPMIN key n: member score member score ... → [[member, score] ...]
            var body = new List<byte>(payload.Length + items.Count * 2 + 8);
            body.AddRange(Encoding.ASCII.GetBytes($"*{items.Count / 2}\r\n"));
            for (int i = 0; i + 1 < items.Count; i += 2)
            {
                body.AddRange("*2\r\n"u8.ToArray());
                body.AddRange(items[i]);
                body.AddRange(items[i + 1]);
            }
            return Concat("*2\r\n"u8, key, body.ToArray());
        }
        if (payload[0] == (byte)'$') // LPOP/RPOP: one bulk (or a null one)
            return payload.AsSpan().StartsWith("$-1"u8) ? null : Concat("*2\r\n"u8, key, payload);
        if (!payload.AsSpan().StartsWith("*2\r\n"u8)) return null; // ZPOPMIN/ZPOPMAX: *2 member score, or *0
        return Concat("*3\r\n"u8, key, payload.AsSpan(4));
    }

    private static byte[] Concat(ReadOnlySpan<byte> header, byte[] key, ReadOnlySpan<byte> rest)
    {
        var keyBulk = Replies.Bulk(key);
        var all = new byte[header.Length + keyBulk.Length + rest.Length];
        header.CopyTo(all);
        keyBulk.CopyTo(all.AsSpan(header.Length));
        rest.CopyTo(all.AsSpan(header.Length + keyBulk.Length));
        return all;
    }

    /// <summary>
    /// backend_replica_ack for a blocking command that popped or moved something: WAIT on the connection that ran
    /// it; the reply, or NOREPLICAS when too few replicas have the change. Timeouts and errors changed nothing.
    /// </summary>
    private async Task<byte[]> ConfirmedAsync(PinnedConnection conn, byte[] reply, bool write)
    {
        var options = proxy.Router.Options;
        if (!write || ReplicaAck.WaitCommand(options) is not { } wait || Replies.IsError(reply) || IsTimeoutReply(reply)) return reply;
        var waited = await conn.RequestAsync(wait).ConfigureAwait(false);
        return ReplicaAck.Refusal(waited, options, conn.Address, 1) ?? reply;
    }

    /// <summary>A blocking pop that timed out answers a null array (or a null bulk): nothing was popped.</summary>
    private static bool IsTimeoutReply(byte[] reply) =>
        reply.AsSpan().SequenceEqual("*-1\r\n"u8) || reply.AsSpan().SequenceEqual("$-1\r\n"u8);

    /// <summary>Waits for a batch with a blocked command, closing it when the client disconnects or the session is killed.</summary>
    private async Task WaitBlockedAsync(Task done)
    {
        while (!done.IsCompleted)
        {
            await Task.WhenAny(done, Task.Delay(50)).ConfigureAwait(false);
            if (done.IsCompleted || blockCancelled) continue;
            if (Closing.IsCancellationRequested || ClientLiveness.IsGone(socket))
            {
                blockCancelled = true;
                quit = true;
                blockConn?.Dispose(); // the server unblocks (and forgets) the client
            }
        }
    }

    /// <summary>Whether the batch must be answered before <paramref name="req"/> is dispatched (see <see cref="RouteKind"/>).</summary>
    private bool NeedsBarrier(RespRequest req, OpInfo? op)
    {
        var kind = inMulti ? RouteKind.Transaction : (op?.Special ?? OpSpecial.None) switch
        {
            OpSpecial.Multi or OpSpecial.Exec or OpSpecial.Discard or OpSpecial.Watch or OpSpecial.Unwatch => RouteKind.Transaction,
            OpSpecial.Blocking or OpSpecial.SameSlot => RouteKind.Blocking,
            OpSpecial.StreamRead when KeyPositions.StreamsIndex(req) is > 0 and var streams && BlockIndex(req, streams) > 0 => RouteKind.Blocking,
            _ => RouteKind.Pool,
        };
        bool need = barrierNext || kind != lastKind || kind == RouteKind.Blocking;
        // After the transaction ends (or a blocking command), later requests wait for its reply.
        barrierNext = kind == RouteKind.Blocking || op?.Special is OpSpecial.Exec or OpSpecial.Discard
                      || (!inMulti && op?.Special == OpSpecial.Unwatch);
        lastKind = kind;
        return need;
    }

    /// <summary>The session switched databases: so do its pinned connections (a WATCH stays on the old one's keys, as Redis).</summary>
    private void OnDatabaseChanged() => txConn?.Select(Database);

    /// <summary>The session ends: pinned connections close, so the server drops their MULTI, WATCH and blocks.</summary>
    private void ReleasePinned()
    {
        blockCancelled = true;
        var tx = txConn;
        DetachTransaction();
        tx?.Dispose();
        Interlocked.Exchange(ref spareTxConn, null)?.Dispose();
        blockConn?.Dispose();
        blockConn = null;
    }
}
