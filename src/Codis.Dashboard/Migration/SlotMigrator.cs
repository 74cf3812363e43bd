using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Codis.Core.Logging;
using Codis.Core.Resp;
using Codis.Dashboard.Servers;
using Codis.Dashboard.Topology;

namespace Codis.Dashboard.Migration;

/// <summary>Progress of one slot's migration, readable through the API.</summary>
internal sealed class SlotProgress
{
    public int Slot { get; init; }
    public int From { get; init; }
    public int To { get; init; }
    public string State { get; set; } = "";
    public int Db { get; set; }
    public long Moved { get; set; }
    public long Remaining { get; set; }
    public double KeysPerSecond { get; set; }
    public string? Error { get; set; }
    public DateTimeOffset Started { get; } = DateTimeOffset.UtcNow;
}

/// <summary>
/// The executor (reference/codis.md §5.2): takes batches of actions (started ones first), runs the two-phase
/// proxy update for the whole batch at once, then empties every slot of the batch on its source master with
/// SLOTSMGRTTAGSLOT(-ASYNC) — slots of different source groups in parallel, one at a time per source (the
/// semi-async commands allow one batch per source database) — and finally hands the slots to the targets.
/// Errors are retried after 5 s; pausing (actions disabled) stops between calls. The latency guard
/// (<see cref="MigrationPacer"/>) sets the pause after each call while clients are there.
/// </summary>
internal sealed class SlotMigrator(Topom topom)
{
    private readonly ConcurrentDictionary<int, SlotProgress> progress = new();
    private readonly bool async = topom.Settings["migration_method"].Value == "semi-async";
    private readonly TimeSpan timeout = topom.Settings["migration_timeout"].AsDuration;
    private readonly int parallel = topom.Settings["migration_parallel_slots"].AsInt;
    private long totalMoved;

    public MigrationPacer Pacer { get; } = new(topom);

    public string Status { get; private set; } = "idle";
    public long TotalMoved => Interlocked.Read(ref totalMoved);
    public IReadOnlyList<SlotProgress> Progress => progress.Values.OrderBy(p => p.Slot).ToList();

    public async Task RunAsync(CancellationToken ct)
    {
        List<int>? ahead = null; // the batch prepared while the previous one moved its keys
        var completing = Completion.None; // the batch whose completion runs while the next one moves
        while (!ct.IsCancellationRequested)
        {
            var batch = ahead ?? topom.NextBatch(parallel, besides: completing.Slots);
            ahead = null;
            if (batch.Count == 0)
            {
                if (!await FinishAsync(completing).ConfigureAwait(false)) await Sleep(TimeSpan.FromSeconds(5), ct).ConfigureAwait(false);
                await Pacer.EndAsync().ConfigureAwait(false);
                completing = Completion.None;
                Status = topom.ActionsDisabled ? "paused" : "idle";
                await Sleep(TimeSpan.FromMilliseconds(200), ct).ConfigureAwait(false);
                continue;
            }
            Pacer.Begin(ct); // a migration starts: its baseline is measured while the first batch is prepared
            try
            {
                (ahead, completing) = await RunBatchAsync(batch, completing, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { return; }
            catch (Exception e) when (e is TopomException or IOException or InvalidOperationException or TimeoutException)
            {
                Status = "[ERROR] " + e.Message;
                Log.Error("migration step failed; retrying in 5s", ("slots", Topom.Ranges(batch)), ("error", e.Message));
                await FinishAsync(completing).ConfigureAwait(false);
                completing = Completion.None;
                await Sleep(TimeSpan.FromSeconds(5), ct).ConfigureAwait(false);
            }
        }
    }

    /// <summary>A batch's completion running in the background, and its slots (kept out of the next batch).</summary>
    private sealed record Completion(List<int> Slots, Task Task)
    {
        public static readonly Completion None = new([], Task.CompletedTask);
    }

    /// <summary>Waits for a background completion; false (logged) when it failed: its slots are retried as started actions.</summary>
    private static async Task<bool> FinishAsync(Completion c)
    {
        try
        {
            await c.Task.ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) { return true; }
        catch (Exception e) when (e is TopomException or IOException or InvalidOperationException or TimeoutException)
        {
            Log.Warn("completing a migration batch failed; it is retried", ("slots", Topom.Ranges(c.Slots)), ("error", e.Message));
            return false;
        }
    }

    /// <summary>
    /// Moves one batch while the batches around it do their coordinator writes and proxy pushes: the next batch is
    /// prepared, and the previous one completed, while this one's keys move (each coordinator write costs a sync; on
    /// the filesystem coordinator those were most of a migration's time). Returns the next batch (prepared) and this
    /// batch's completion, still running. So up to three batches of migration_parallel_slots are in an action at once
    /// (the proxies route them through the source), and one batch at a time is emptied.
    /// </summary>
    private async Task<(List<int>? Next, Completion Completing)> RunBatchAsync(List<int> batch, Completion previous, CancellationToken ct)
    {
        var slots = topom.SlotsSnapshot();
        foreach (var id in batch)
            progress.GetOrAdd(id, _ => new SlotProgress { Slot = id, From = slots[id].GroupId, To = slots[id].Action.TargetId });
        Status = $"preparing slots {Topom.Ranges(batch)}";
        var sw = Stopwatch.StartNew();
        long movedBefore = TotalMoved;
        await topom.PrepareAsync(batch, ct).ConfigureAwait(false); // a batch prepared ahead finds nothing left to do
        var prepared = sw.Elapsed;
        foreach (var id in batch) progress[id].State = topom.SlotsSnapshot()[id].Action.State ?? "";

        var next = topom.NextBatch(parallel, besides: [.. batch, .. previous.Slots]);
        var prepareNext = next.Count > 0 ? Task.Run(() => topom.PrepareAsync(next, ct), ct) : Task.CompletedTask;

        Status = $"migrating slots {Topom.Ranges(batch)}";
        var migrating = batch.Where(id => topom.SlotsSnapshot()[id].Action.State == Core.Models.SlotActionState.Migrating).ToList();
        var bySource = migrating.GroupBy(id => topom.SlotsSnapshot()[id].GroupId);
        await Task.WhenAll(bySource.Select(g => Task.Run(async () =>
        {
            foreach (var id in g) await EmptySlotAsync(id, ct).ConfigureAwait(false);
        }, ct))).ConfigureAwait(false);
        var moved = sw.Elapsed;

        // completions stay in order: the previous batch's first
        if (!await FinishAsync(previous).ConfigureAwait(false)) throw new TopomException("completing the previous batch failed");
        Status = $"completing slots {Topom.Ranges(batch)}";
        long keys = TotalMoved - movedBefore;
        var complete = Task.Run(async () =>
        {
            var started = sw.Elapsed;
            await topom.CompleteAsync(batch, ct).ConfigureAwait(false);
            foreach (var id in batch) progress.TryRemove(id, out _);
            // Where a batch's time goes: the two-phase coordinator + proxy updates versus moving keys.
            Log.Info("migration batch done", ("slots", Topom.Ranges(batch)), ("keys", keys),
                ("prepare_ms", (long)prepared.TotalMilliseconds), ("move_ms", (long)(moved - prepared).TotalMilliseconds),
                ("complete_ms", (long)(sw.Elapsed - started).TotalMilliseconds));
        }, ct);
        try
        {
            await prepareNext.ConfigureAwait(false);
        }
        catch (Exception e) when (e is TopomException or IOException or InvalidOperationException or TimeoutException)
        {
            // the next round starts it again (its slots are started actions, which come first)
            Log.Warn("preparing the next migration batch failed; it is retried", ("slots", Topom.Ranges(next)), ("error", e.Message));
            return (null, new Completion(batch, complete));
        }
        return (next.Count > 0 ? next : null, new Completion(batch, complete));
    }

    /// <summary>Calls the migration command on the source master until the slot has no key left in any database.</summary>
    private async Task EmptySlotAsync(int sid, CancellationToken ct)
    {
        var p = progress[sid];
        var sw = Stopwatch.StartNew();
        int db = 0;
        while (true)
        {
            while (topom.ActionsDisabled || topom.GroupPromoting(sid))
            {
                p.State = topom.ActionsDisabled ? "paused" : "waiting for promotion";
                await Sleep(TimeSpan.FromSeconds(1), ct).ConfigureAwait(false);
            }
            p.State = "migrating";
            var (source, target) = topom.Endpoints(sid);
            if (source == null) return; // an offline slot, or a group without servers: nothing to move
            if (target == null) throw new TopomException($"slot {sid}: target group has no master");
            try
            {
                int? next = await Task.Run(() => MoveDatabase(sid, source, target, db, p, sw, ct), ct).ConfigureAwait(false);
                p.Error = null;
                if (next == null) return;
                db = next.Value;
            }
            catch (Exception e) when (e is IOException or InvalidOperationException or TimeoutException)
            {
                p.Error = e.Message;
                Log.Warn("slot migration call failed; retrying", ("slot", sid), ("db", db), ("source", source), ("error", e.Message));
                await Sleep(TimeSpan.FromSeconds(1), ct).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Empties the slot in one database; returns the next database that holds keys, or null when none.</summary>
    private int? MoveDatabase(int sid, string source, string target, int db, SlotProgress p, Stopwatch sw, CancellationToken ct)
    {
        var (host, port) = RedisOps.Split(target);
        using var c = topom.Redis.Open(source, timeout + TimeSpan.FromSeconds(5));
        // A dropped connection is the source's failure (the target's come back as error replies): the status says which server.
        RespValue Call(params string[] args)
        {
            try { return c.Call(args); }
            catch (IOException e) { throw new IOException($"{source}: {args[0]}: connection to the source lost: {e.Message}", e); }
        }
        Expect(Call("SELECT", db.ToString(CultureInfo.InvariantCulture)), source, "SELECT");
        p.Db = db;
        long ms = (long)timeout.TotalMilliseconds;
        string[] cmd = async
            ? ["SLOTSMGRTTAGSLOT-ASYNC", host, port.ToString(CultureInfo.InvariantCulture), Math.Min(5000, ms).ToString(CultureInfo.InvariantCulture),
               topom.Settings["migration_async_maxbulks"].Value, topom.Settings["migration_async_maxbytes"].Value,
               sid.ToString(CultureInfo.InvariantCulture), topom.Settings["migration_async_numkeys"].Value]
            : ["SLOTSMGRTTAGSLOT", host, port.ToString(CultureInfo.InvariantCulture), ms.ToString(CultureInfo.InvariantCulture), sid.ToString(CultureInfo.InvariantCulture)];
        var pause = TimeSpan.Zero;
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            if (topom.ActionsDisabled || topom.GroupPromoting(sid)) return db; // back to the caller, which waits
            Pacer.BeforeCall(ct);
            long start = Stopwatch.GetTimestamp();
            RespValue r;
            try { r = Expect(Call(cmd), source, cmd[0]); }
            finally { pause = Pacer.AfterCall(Stopwatch.GetElapsedTime(start), TimeSpan.FromMicroseconds(topom.ActionIntervalMicros)); }
            if (r.Items is not { Length: 2 } items || items[0].Type != RespType.Integer || items[1].Type != RespType.Integer)
                throw new InvalidOperationException($"{source}: {cmd[0]}: unexpected reply {r}");
            p.Moved += items[0].Integer;
            p.Remaining = items[1].Integer;
            Interlocked.Add(ref totalMoved, items[0].Integer);
            p.KeysPerSecond = p.Moved / Math.Max(sw.Elapsed.TotalSeconds, 0.001);
            // the action interval, or longer while the guard paces: after every call, the slot's last one too (the
            // source's next call is the next slot's), else slots of fewer keys than one call takes are never paced
            if (pause > TimeSpan.Zero) Thread.Sleep(pause);
            if (items[1].Integer == 0) break;
        }
        var info = RedisOps.ParseInfo(Expect(Call("INFO", "keyspace"), source, "INFO").Text ?? "");
        var later = RedisOps.KeyspaceDatabases(info).Where(d => d > db).ToList();
        return later.Count == 0 ? null : later[0];
    }

    private static RespValue Expect(RespValue r, string addr, string what) =>
        r.IsError ? throw new InvalidOperationException($"{addr}: {what}: {r.Text}") : r;

    private static async Task Sleep(TimeSpan d, CancellationToken ct)
    {
        try { await Task.Delay(d, ct).ConfigureAwait(false); }
        catch (OperationCanceledException) { }
    }
}
