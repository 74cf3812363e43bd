using System.Runtime.InteropServices;
using System.Text;
using Codis.Core.Logging;
using Codis.Core.Resp;
using Codis.Server.Commands;
using Codis.Server.Persistence;
using Codis.Server.Storage;

namespace Codis.Server.Slots;

/// <summary>
/// Semi-async migration of one database (reference/codis.md §6.4): one link to the target, at most one batch.
/// <para>
/// A batch is serialized under the keyspace lock when it starts, then streamed without the lock while this server
/// keeps serving; the command that started it blocks only its own client. Keys are deleted here only once the
/// target acknowledged every message. A key that is written or deleted here while its copy travels (a client not
/// going through SLOTSMGRT-EXEC-WRAPPER, or expiry) is marked dirty: it stays here and its stale copy is deleted on
/// the target in a second phase before the batch completes — so the target never holds a copy that disagrees with
/// a live key here, and a key deleted here is never resurrected there. Keys of a batch that failed midway are
/// remembered as "orphans" whose copies are deleted on the target at the start of the next batch to it; until then
/// EXEC-WRAPPER answers "being migrated" for an orphan that no longer exists here.
/// </para>
/// All members run under the keyspace lock, except where the link's tasks call in (they take it).
/// </summary>
internal sealed class AsyncMigration(CodisServer server, int dbIndex)
{
    private readonly List<TaskCompletionSource<byte[]>> fences = new();
    private AsyncLink? link;
    private AsyncBatch? batch;
    private long linkTimeout;
    private string? orphanTarget;
    private readonly HashSet<byte[]> orphans = new(ByteArrayComparer.Instance);
    private Action<Database, ReadOnlyMemory<byte>>? watcher;

    private Database Db => server.Keyspace[dbIndex];

    public AsyncLink? Link => link;
    public AsyncBatch? Batch => batch;
    public int BlockedClients => fences.Count + (batch != null ? 1 : 0);
    public long LinkTimeout => linkTimeout;

    public bool Busy => batch != null;

    /// <summary>
    /// Whether EXEC-WRAPPER must answer "being migrated" for <paramref name="key"/>: a write to a key (or tag) in the
    /// batch, or any command on an in-batch or orphaned key that no longer exists here (its copy may still be on the
    /// target, about to be deleted there).
    /// </summary>
    public bool MustWait(byte[] key, bool write, bool existsHere)
    {
        if (batch != null && batch.Contains(key)) return write || !existsHere;
        return !existsHere && orphans.Contains(key);
    }

    /// <summary>
    /// Starts a batch to host:port: (re)uses the link, queues its messages and returns the task giving the reply of
    /// the command; null with <paramref name="error"/> set when it cannot start.
    /// </summary>
    public Task<byte[]>? Start(string host, int port, AsyncBatch b, out string? error)
    {
        if (link != null && (link.IsClosed || link.Host != host || link.Port != port))
        {
            link.Close();
            link = null;
        }
        if (link == null)
        {
            // As the original: the connect (under the lock) waits at most min(100 ms, timeout).
            var l = AsyncLink.Connect(host, port, (int)Math.Min(100, b.Timeout), out error);
            if (l == null) return null;
            link = l;
            l.Start(OnReplies, OnClosed);
            Log.Info("slotsmgrt-async: connected to target", ("target", $"{host}:{port}"), ("db", dbIndex));
        }
        string target = $"{host}:{port}";
        b.Target = target;
        var db = Db;
        long now = server.Keyspace.Now;

        // Serialize everything now (the snapshot the target will hold); keys that vanished are simply not moved.
        // A big collection is only snapshotted here (an array copy); its chunks are encoded as the link drains.
        long startedAt = System.Diagnostics.Stopwatch.GetTimestamp(), startedCpu = ThreadCpuClock.Nanoseconds();
        int gcs = GC.CollectionCount(0);
        var paused = GC.GetTotalPauseDuration();
        var messages = new List<object>(2 * b.Order.Count);
        foreach (var key in b.Order)
        {
            if (!db.TryPeek(key, out var table, out int index))
            {
                b.Keys.Remove(key);
                continue;
            }
            ref var e = ref table.At(index);
            long ttl = e.ExpireAt == 0 ? 0 : Math.Max(1, e.ExpireAt - now);
            messages.Add(RestoreMessage.Delete(key));
            if (e.Value is byte[] s)
            {
                messages.Add(RestoreMessage.String(key, ttl, s));
            }
            else if (ChunkedValue.ShouldChunk(e.Value!, b.MaxBulks))
            {
                messages.Add(ChunkedValue.Create(key, e.Value!, e.ExpireAt));
                b.Chunked.Add(key);
            }
            else
            {
                byte[] payload;
                try
                {
                    payload = DumpPayload.Serialize(e.Value!);
                }
                catch (ArgumentException)
                {
                    error = $"ERR migration of the value type of '{SlotCommands.Text(key)}' is not supported yet by this codis-server";
                    return null;
                }
                messages.Add(RestoreMessage.Object(key, ttl, payload));
            }
        }
        var orphanDeletes = new List<byte[]>();
        if (orphans.Count > 0)
        {
            if (orphanTarget == target)
            {
                foreach (var k in orphans)
                {
                    b.Cleanup.Add(k);
                    orphanDeletes.Add(RestoreMessage.Delete(k)); // before the batch's own messages
                }
            }
            else
            {
                Log.Warn("slotsmgrt-async: dropping orphaned keys of a failed batch to another target", ("target", orphanTarget), ("keys", orphans.Count));
            }
            orphans.Clear();
            orphanTarget = null;
        }
        error = null;
        linkTimeout = b.Timeout;
        link.LastUse = Environment.TickCount64;
        if (messages.Count == 0 && orphanDeletes.Count == 0)
        {
            b.Done.SetResult(Reply(b));
            return b.Done.Task;
        }
        if (!link.Used)
        {
            link.Used = true;
            string password = server.Settings["requirepass"].Value;
            if (password.Length > 0) b.Pending.Enqueue(RespValue.EncodeCommand(["SLOTSRESTORE-ASYNC-AUTH"u8.ToArray(), Encoding.UTF8.GetBytes(password)]));
            b.Pending.Enqueue(RespValue.EncodeCommand(["SLOTSRESTORE-ASYNC-SELECT"u8.ToArray(), SlotCommands.Number(dbIndex)]));
        }
        foreach (var m in orphanDeletes) b.Pending.Enqueue(m);
        foreach (var m in messages) b.Pending.Enqueue(m);
        b.NoteStep(startedAt, startedCpu, "start", gcs, paused);
        b.StartStep = System.Diagnostics.Stopwatch.GetElapsedTime(startedAt);
        batch = b;
        watcher = (d, key) =>
        {
            if (d.Index != dbIndex || batch is not { CleaningUp: false } cur) return;
            var k = MemoryMarshal.TryGetArray(key, out var segment) && segment.Offset == 0 && segment.Count == segment.Array!.Length
                ? segment.Array : key.ToArray();
            if (forwarding) touched.Add(k);
            else if (cur.Keys.Contains(k)) cur.Dirty.Add(k);
        };
        server.Keyspace.KeyModified += watcher;
        server.Keyspace.KeyChangedQuietly += watcher;
        Pump();
        link.Flush();
        return b.Done.Task;
    }

    private bool forwarding;

    /// <summary>True while <see cref="RunForwarded"/> runs a write whose propagated form goes to the target.</summary>
    public bool Forwarding => forwarding;
    private readonly HashSet<byte[]> touched = new(ByteArrayComparer.Instance);

    /// <summary>
    /// Whether SLOTSMGRT-EXEC-WRAPPER may run a write to <paramref name="key"/> here although the key is in the
    /// batch: the copy is still being sent (not cleaning up) and the key exists here. The write is then forwarded
    /// behind the key's own messages. Unlike the original, where a write to a key in flight waits until its whole
    /// batch is acknowledged, this holds for small keys too: a batch that also carries a big collection takes
    /// long, and its small keys' writers waited 100–200 ms ("being migrated", retried).
    /// </summary>
    public bool CanForward(byte[] key, bool existsHere) =>
        existsHere && batch is { CleaningUp: false } b && b.Keys.Contains(key);

    /// <summary>
    /// Runs a write of EXEC-WRAPPER on a key of the batch (<see cref="CanForward"/>) and sends its propagated form
    /// (the handler's rewrite, or the command) to the target behind everything queued for the key, so the target
    /// ends with the snapshot plus every later write — the client is answered at once instead of waiting until the
    /// key has moved. A write that also touched a key outside the batch cannot be forwarded: the touched keys of the
    /// batch are marked dirty instead (they stay here, their copies there are deleted).
    /// </summary>
    public void RunForwarded(CommandContext ctx, RespRequest inner, byte[][] innerArgs, byte[] hashKey)
    {
        var b = batch!;
        touched.Clear();
        long dirtyBefore = server.Keyspace.Dirty;
        forwarding = true;
        try
        {
            server.ExecuteOne(ctx, inner);
        }
        finally
        {
            forwarding = false;
        }
        if (batch != b || b.CleaningUp) return;
        bool forwardable = !ctx.SuppressPropagation && !ctx.Command.Has(CommandFlags.ReadOnly);
        IReadOnlyList<byte[][]> forms = ctx.Rewrite is { } rewrite ? rewrite : [innerArgs];
        // A write that changed something (Propagation's rule: the dirty counter moved, or it set a rewrite) but
        // signalled no key, as a command that forgets Keyspace.OnChangedQuietly: what it propagates names its keys.
        if (touched.Count == 0 && forwardable && (server.Keyspace.Dirty != dirtyBefore || ctx.Rewrite != null)) AddPropagatedKeys(forms);
        if (touched.Count == 0) return;
        foreach (var k in touched)
            if (!b.Keys.Contains(k)) forwardable = false;
        if (!forwardable)
        {
            foreach (var k in touched)
                if (b.Keys.Contains(k)) b.Dirty.Add(k);
            touched.Clear();
            return;
        }
        touched.Clear();
        foreach (var args in forms)
        {
            b.Pending.Enqueue(RestoreMessage.Command(hashKey, args));
            b.Forwarded++;
        }
        Pump();
        link?.Flush();
    }

    /// <summary>The keys of propagated commands, added to <see cref="touched"/> (MULTI/EXEC wrappers name none).</summary>
    private void AddPropagatedKeys(IReadOnlyList<byte[][]> forms)
    {
        foreach (var args in forms)
        {
            if (args.Length == 0 || CommandTable.Find(args[0]) is not { } spec) continue;
            var positions = spec.KeyPositions(RespRequest.FromArgs(args), 0);
            if (positions == null) continue;
            foreach (int p in positions) touched.Add(args[p]);
        }
    }

    /// <summary>
    /// At most this many messages unacknowledged (besides maxbytes) while any of them is large (a chunk of a big
    /// collection, or a key over <see cref="SmallMessage"/> bytes): the target runs the requests it has read in one
    /// hold of its lock, so a deep pipeline of chunks would stall its other clients. Measured with
    /// bench/big-migration.sh: with 32 a target's PING waited up to 180–555 ms (p99 51 ms) while a million-element
    /// sorted set arrived; with 4, 43–67 ms (p99 7–9 ms), and the slot moved as fast.
    /// </summary>
    private const int MaxInFlightMessages = 4;

    /// <summary>
    /// Small keys cost the target microseconds each, so they may fill a deeper window: with 32 the batch moved
    /// 32 keys per round trip (~25k keys/s); the target's own per-read batch cap still bounds one lock hold.
    /// </summary>
    private const int MaxInFlightSmallMessages = 1024;
    private const int SmallMessage = 1024;

    /// <summary>
    /// Hands queued messages to the link while less than maxbytes (and <see cref="MaxInFlightMessages"/>) are
    /// unacknowledged (flow control by ACKs); they go out with the link's next Flush, which every caller does once
    /// it is done, so a read of many ACKs leads to one write.
    /// Chunks of big collections are encoded here, under the lock, so each call encodes at most ~0.5 ms worth
    /// (and at least two chunks): the next acknowledgement calls again.
    /// </summary>
    private void Pump()
    {
        var b = batch!;
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        int encoded = 0;
        while (b.Pending.Count > 0 && (b.InFlight.Count == 0 || (b.InFlightBytes < b.MaxBytes && b.InFlight.Count < WindowFor(b))))
        {
            byte[] m;
            if (b.Pending.Peek() is IChunkedMessages chunks)
            {
                if (encoded >= 2 && System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMicroseconds > 500) break;
                var next = chunks.Next(b.MaxBulks, b.MaxBytes, 3 * b.Timeout, server.Keyspace.Now);
                if (next == null)
                {
                    b.Pending.Dequeue();
                    continue;
                }
                encoded++;
                m = next;
            }
            else
            {
                m = (byte[])b.Pending.Dequeue();
            }
            b.InFlight.Enqueue(m.Length);
            b.InFlightBytes += m.Length;
            if (m.Length > SmallMessage) b.InFlightLarge++;
            link!.Send(m);
        }
    }

    /// <summary>The window for the next message: deep while it and everything unacknowledged are small keys.</summary>
    private static int WindowFor(AsyncBatch b) =>
        b.InFlightLarge == 0 && b.Pending.Peek() is byte[] { Length: <= SmallMessage } ? MaxInFlightSmallMessages : MaxInFlightMessages;

    /// <summary>
    /// The replies of one read from the target, under one hold of the lock; the hold counts as one step of the batch
    /// (timed once: reading the thread's CPU clock is a system call).
    /// </summary>
    private void OnReplies(AsyncLink from, List<RespValue?> replies)
    {
        lock (server.Keyspace.Lock)
        {
            var step = new Step(System.Diagnostics.Stopwatch.GetTimestamp(), ThreadCpuClock.Nanoseconds(), GC.CollectionCount(0), GC.GetTotalPauseDuration());
            var b = batch;
            try
            {
                foreach (var reply in replies)
                    if (from != link || !OnReply(from, reply, step)) return;
            }
            finally
            {
                link?.Flush(); // everything the acknowledgements let out, in one write
            }
            if (b != null && batch == b) b.NoteStep(step.At, step.Cpu, "ack", step.Gcs, step.Paused);
        }
    }

    private readonly record struct Step(long At, long Cpu, int Gcs, TimeSpan Paused);

    /// <summary>One reply of the target (null: a plain success acknowledgement); false when it ended the batch.</summary>
    private bool OnReply(AsyncLink from, RespValue? reply, Step step)
    {
        if (reply != null)
        {
            if (!IsAck(reply, out long errno, out string message))
            {
                Fail($"interrupted: unexpected reply from target ({Describe(reply)})");
                return false;
            }
            if (errno != 0)
            {
                Log.Warn("slotsmgrt-async: target refused a message", ("target", $"{from.Host}:{from.Port}"), ("errno", errno), ("message", message));
                Fail($"interrupted: target replied errno {errno}: {message}");
                return false;
            }
        }
        var b = batch;
        if (b == null || b.InFlight.Count == 0)
        {
            Fail("interrupted: acknowledgement without a pending message");
            return false;
        }
        int acked = b.InFlight.Dequeue();
        b.InFlightBytes -= acked;
        if (acked > SmallMessage) b.InFlightLarge--;
        b.LastProgress = from.LastUse = Environment.TickCount64;
        Pump();
        if (b.Pending.Count == 0 && b.InFlight.Count == 0)
        {
            PhaseDone(b, () => b.NoteStep(step.At, step.Cpu, "completion", step.Gcs, step.Paused));
            return batch == b;
        }
        return true;
    }

    private static bool IsAck(RespValue v, out long errno, out string message)
    {
        errno = 0;
        message = "";
        if (v.Type != RespType.Array || v.Items is not { Length: 3 } items) return false;
        if (!string.Equals(items[0].Text, "SLOTSRESTORE-ASYNC-ACK", StringComparison.OrdinalIgnoreCase)) return false;
        if (!long.TryParse(items[1].Text, out errno)) return false;
        message = items[2].Text ?? "";
        return true;
    }

    private static string Describe(RespValue v)
    {
        string s = v.ToString();
        return s.Length > 120 ? s[..120] : s;
    }

    /// <summary>Every message of a phase is acknowledged.</summary>
    private void PhaseDone(AsyncBatch b, Action noteStep)
    {
        if (!b.CleaningUp)
        {
            StopWatching();
            var db = Db;
            var deleted = new List<byte[]>(b.Keys.Count);
            b.Cleanup.Clear(); // orphans: their deletes were acknowledged
            bool allSent = b.Keys.Count == b.Order.Count, anyDirty = b.Dirty.Count > 0;
            foreach (var key in b.Order)
            {
                if (!allSent && !b.Keys.Contains(key)) continue; // vanished before it was serialized
                if (!(anyDirty && b.Dirty.Contains(key)) && db.Remove(key)) deleted.Add(key);
                else b.Cleanup.Add(key); // changed or gone here: its copy there is stale
            }
            b.Moved = deleted.Count;
            b.Keys.Clear();
            b.TagCrcs.Clear();
            if (deleted.Count > 0) server.Slots.OnPropagate(dbIndex, ["DEL"u8.ToArray(), .. deleted]);
            if (b.Cleanup.Count > 0)
            {
                b.CleaningUp = true;
                foreach (var key in b.Cleanup) b.Pending.Enqueue(RestoreMessage.Delete(key));
                Pump();
                noteStep();
                return;
            }
        }
        noteStep();
        Finish(b, null);
    }

    private byte[] Reply(AsyncBatch b)
    {
        using var ms = new MemoryStream();
        if (b.Slot is int slot)
        {
            ms.Write(Encoding.ASCII.GetBytes($"*2\r\n:{b.Moved}\r\n:{Db.SlotCount(slot)}\r\n"));
        }
        else
        {
            ms.Write(Encoding.ASCII.GetBytes($":{b.Moved}\r\n"));
        }
        return ms.ToArray();
    }

    private static byte[] ErrorReply(string message) => Encoding.UTF8.GetBytes("-ERR " + message.Replace('\r', ' ').Replace('\n', ' ') + "\r\n");

    private void Finish(AsyncBatch b, string? error)
    {
        StopWatching();
        if (batch == b) batch = null;
        if (error != null)
        {
            // What may have reached the target without being confirmed moved or deleted there.
            foreach (var k in b.Keys) orphans.Add(k);
            foreach (var k in b.Cleanup) orphans.Add(k);
            if (orphans.Count > 0) orphanTarget = b.Target;
            b.Done.TrySetResult(ErrorReply(error));
        }
        else
        {
            b.Done.TrySetResult(Reply(b));
        }
        Log.Info("slotsmgrt-async: batch ended", ("target", b.Target), ("db", dbIndex), ("moved", b.Moved), ("chunked", b.Chunked.Count),
            ("forwarded", b.Forwarded), ("ms", Environment.TickCount64 - b.StartedAt), ("start_ms", Math.Round(b.StartStep.TotalMilliseconds, 2)),
            ("longest_step_ms", Math.Round(b.LongestStep.TotalMilliseconds, 2)),
            ("longest_step_cpu_ms", Math.Round(b.LongestStepCpuNanos / 1e6, 2)), ("longest_step", b.LongestStepKind), ("gen2_gcs", GC.CollectionCount(2) - b.Gen2AtStart),
            ("error", error ?? ""));
        var reply = error == null ? "+OK\r\n"u8.ToArray() : ErrorReply(error);
        foreach (var f in fences) f.TrySetResult(reply);
        fences.Clear();
    }

    private void StopWatching()
    {
        if (watcher == null) return;
        server.Keyspace.KeyModified -= watcher;
        server.Keyspace.KeyChangedQuietly -= watcher;
        watcher = null;
    }

    /// <summary>Closes the link and ends the batch (if any) with <paramref name="reason"/>.</summary>
    private void Fail(string reason)
    {
        var l = link;
        if (l != null) Log.Warn("slotsmgrt-async: link closed", ("target", $"{l.Host}:{l.Port}"), ("db", dbIndex), ("reason", reason));
        var b = batch;
        if (b != null) Finish(b, reason);
        link = null;
        l?.Close();
    }

    private void OnClosed(AsyncLink from, string reason)
    {
        lock (server.Keyspace.Lock)
        {
            if (from == link) Fail(reason);
        }
    }

    /// <summary>SLOTSMGRT-ASYNC-CANCEL: drops the link; a batch in flight ends with an error. False when there was none.</summary>
    public bool Cancel(string reason)
    {
        if (link == null) return false;
        Fail(reason);
        return true;
    }

    /// <summary>SLOTSMGRT-ASYNC-FENCE: null when no batch is in flight, else the task that ends with it.</summary>
    public Task<byte[]>? Fence()
    {
        if (batch == null) return null;
        var tcs = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        fences.Add(tcs);
        return tcs.Task;
    }

    /// <summary>Cron: a batch without progress for its timeout is aborted; a link idle for 60 s is closed.</summary>
    public void CheckTimeouts(long now)
    {
        if (link == null) return;
        if (batch != null)
        {
            if (now - batch.LastProgress > batch.Timeout) Fail("interrupted: migration timeout");
        }
        else if (now - link.LastUse > 60_000)
        {
            Fail("interrupted: idle timeout");
        }
    }
}
