using System.Text;
using Codis.Core.Logging;
using Codis.Core.Models;
using Codis.Core.Resp;
using Codis.Core.Slots;
using Codis.Proxy.Backends;
using Codis.Proxy.Sessions;

namespace Codis.Proxy.Routing;

/// <summary>
/// The slot table and the forwarding rules: a request goes to its slot's master (or a replica for reads when
/// allowed); a key of a migrating slot is first moved by the source (sync: SLOTSMGRTTAGONE; semi-async:
/// SLOTSMGRT-EXEC-WRAPPER), then served by the target, so no client ever reads a stale or missing value.
/// </summary>
internal sealed class Router : IDisposable
{
    private readonly SlotState[] slots = new SlotState[SlotHash.SlotCount];
    private readonly BackendPool primaries;
    private readonly BackendPool replicas;
    private readonly Lock fillLock = new();
    // One fill at a time: two overlapping fills of a slot could apply their entries out of order.
    private readonly SemaphoreSlim fillTurn = new(1, 1);

    public Router(BackendOptions options, bool primaryOnly)
    {
        for (int i = 0; i < slots.Length; i++) slots[i] = new SlotState(i);
        primaries = new BackendPool(options, options.PrimaryParallel);
        replicas = new BackendPool(options, options.ReplicaParallel);
        PrimaryOnly = primaryOnly;
        Options = options;
    }

    /// <summary>How backend connections are made (pinned session connections use the same settings).</summary>
    public BackendOptions Options { get; }

    /// <summary>The live state of a slot (sessions with pinned connections check and hold it themselves).</summary>
    public SlotState State(int id) => slots[id];

    public bool PrimaryOnly { get; set; }
    public TimeSpan MigrationTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a fill waits for a slot's in-flight requests before it switches anyway.</summary>
    public TimeSpan FillDrainTimeout { get; init; } = TimeSpan.FromSeconds(30);

    public SlotModel Slot(int id) => slots[id].Model;

    /// <summary>The first slot from <paramref name="start"/> on that has a backend (or <paramref name="start"/> when none has).</summary>
    public int AnyServedSlot(int start)
    {
        for (int i = 0; i < slots.Length; i++)
        {
            int id = (start + i) % slots.Length;
            if (slots[id].Model.BackendAddr.Length > 0) return id;
        }
        return start;
    }
    public IEnumerable<SlotModel> Slots => slots.Select(s => s.Model);

    /// <summary>Applies routing entries in order, each once its in-flight requests have drained.</summary>
    public async Task FillAsync(IEnumerable<SlotModel> models)
    {
        var list = models.ToList();
        foreach (var m in list)
            if (m.Id < 0 || m.Id >= slots.Length) throw new ArgumentException($"invalid slot id {m.Id}");
        await fillTurn.WaitAsync().ConfigureAwait(false);
        try
        {
            var abandoned = AbandonedMasters(list);
            // Each slot publishes its gate before its FillAsync returns, so once they are all started no new request
            // reaches an abandoned master. A live one answers what it holds and the fill waits for that (the barrier);
            // a stalled one's requests fail instead of being waited for.
            var fills = Task.WhenAll(list.Select(m => slots[m.Id].FillAsync(m, FillDrainTimeout)).ToArray());
            if (abandoned.Count > 0)
            {
                FailStalled(abandoned);
                while (await Task.WhenAny(fills, Task.Delay(100)).ConfigureAwait(false) != fills) FailStalled(abandoned);
            }
            await fills.ConfigureAwait(false);
        }
        finally
        {
            fillTurn.Release();
        }
        lock (fillLock)
        {
            var used = new HashSet<string>();
            foreach (var s in slots)
            {
                var m = s.Model;
                if (m.BackendAddr.Length > 0) used.Add(m.BackendAddr);
                if (m.MigrateFrom.Length > 0) used.Add(m.MigrateFrom);
                foreach (var g in m.ReplicaGroups ?? []) foreach (var a in g) used.Add(a);
            }
            primaries.Retain(used);
            replicas.Retain(used);
        }
        Filled?.Invoke();
    }

    /// <summary>Raised after every fill (pub/sub links move to the slots' new owners).</summary>
    public event Action? Filled;

    /// <summary>How long an abandoned master may leave its oldest request unanswered before the fill stops waiting for it.</summary>
    internal static readonly TimeSpan StalledAfter = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Masters a fill takes slots away from without a migration (a failover or a promotion) and that no slot uses
    /// afterwards. Such a master may be stopped rather than dead: requests it holds would be answered when it
    /// wakes, after the new master took over, and those acknowledged writes vanish when it is demoted.
    /// </summary>
    private HashSet<string> AbandonedMasters(List<SlotModel> fill)
    {
        var gone = new HashSet<string>();
        foreach (var m in fill)
        {
            var cur = slots[m.Id].Model;
            if (cur.BackendAddr.Length > 0 && cur.BackendAddr != m.BackendAddr && cur.MigrateFrom.Length == 0 && m.MigrateFrom.Length == 0)
                gone.Add(cur.BackendAddr);
        }
        if (gone.Count == 0) return gone;
        var next = slots.Select(s => s.Model).ToArray();
        foreach (var m in fill) next[m.Id] = m;
        foreach (var m in next)
        {
            gone.Remove(m.BackendAddr);
            gone.Remove(m.MigrateFrom);
        }
        return gone;
    }

    private void FailStalled(HashSet<string> abandoned)
    {
        foreach (var addr in abandoned)
            if (primaries.FailStalled(addr, StalledAfter) is > 0 and var n)
                Log.Warn("master replaced while stalled: its unanswered requests fail now rather than wait for it", ("backend", addr), ("requests", n));
    }

    /// <summary>
    /// Sends a request to its slot. The caller keeps <paramref name="wire"/> valid until the request completes
    /// and flushes <paramref name="touched"/> after its batch.
    /// </summary>
    public ValueTask ForwardAsync(PendingRequest r, int slotId, ReadOnlyMemory<byte> wire, ReadOnlyMemory<byte> hashKey,
        int db, bool masterOnly, uint seed, HashSet<BackendConnection> touched)
    {
        var slot = slots[slotId];
        var enter = slot.EnterAsync();
        if (!enter.IsCompletedSuccessfully) return ForwardAfterWaitAsync(enter, r, slot, wire, hashKey, db, masterOnly, seed, touched);
        ForwardEntered(r, slot, wire, hashKey, db, masterOnly, seed, touched);
        return ValueTask.CompletedTask;
    }

    private async ValueTask ForwardAfterWaitAsync(ValueTask enter, PendingRequest r, SlotState slot, ReadOnlyMemory<byte> wire,
        ReadOnlyMemory<byte> hashKey, int db, bool masterOnly, uint seed, HashSet<BackendConnection> touched)
    {
        await enter.ConfigureAwait(false);
        ForwardEntered(r, slot, wire, hashKey, db, masterOnly, seed, touched);
    }

    /// <summary>Enters a slot only if no fill holds it (multi-key commands merge their parts only then).</summary>
    public SlotState? TryEnter(int slotId) => slots[slotId].TryEnter() ? slots[slotId] : null;

    /// <summary>
    /// The backend a slot entered by the caller is served by when its keys may share a command with other
    /// slots' keys: null when the slot is offline, migrating or read from replicas (those parts go alone).
    /// </summary>
    public string? MergeableBackend(SlotState entered, bool masterOnly)
    {
        var m = entered.Model;
        if (m.BackendAddr.Length == 0 || m.MigrateFrom.Length > 0) return null;
        if (!masterOnly && !PrimaryOnly && m.ReplicaGroups is { Length: > 0 }) return null;
        return m.BackendAddr;
    }

    /// <summary>Sends a request whose slots the caller entered (they are released when it completes).</summary>
    public void ForwardHeld(PendingRequest r, SlotState[] held, ReadOnlyMemory<byte> wire, ReadOnlyMemory<byte> hashKey,
        int db, bool masterOnly, uint seed, HashSet<BackendConnection> touched)
    {
        r.HeldSlots = held;
        ForwardEntered(r, held[0], wire, hashKey, db, masterOnly, seed, touched, setSlot: false);
    }

    private void ForwardEntered(PendingRequest r, SlotState slot, ReadOnlyMemory<byte> wire, ReadOnlyMemory<byte> hashKey,
        int db, bool masterOnly, uint seed, HashSet<BackendConnection> touched, bool setSlot = true)
    {
        if (setSlot) r.Slot = slot;
        var m = slot.Model;
        if (m.BackendAddr.Length == 0)
        {
            r.Fail("ERR handle request, slot is not ready, may be offline");
            return;
        }
        if (m.MigrateFrom.Length > 0 && m.MigrateFrom != m.BackendAddr && !hashKey.IsEmpty)
        {
            if (m.ForwardMethod == 1) ForwardSemiAsync(r, m, wire, hashKey, db, attempt: 0);
            else ForwardSync(r, m, wire, hashKey, db);
            return;
        }
        BackendConnection conn;
        if (!masterOnly && !PrimaryOnly && m.MigrateFrom.Length == 0 && m.ReplicaGroups is { Length: > 0 } groups
            && PickReplica(groups, db, seed) is { } replica)
            conn = replica;
        else
            conn = primaries.Get(slot, m, db, seed);
        conn.Enqueue(r, wire.Span);
        touched.Add(conn);
    }

    private BackendConnection? PickReplica(string[][] groups, int db, uint seed)
    {
        foreach (var group in groups)
        {
            if (group.Length == 0) continue;
            for (int i = 0; i < group.Length; i++)
            {
                var addr = group[(int)((seed + 1 + (uint)i) % (uint)group.Length)];
                var c = replicas.Get(addr, db, seed);
                if (c.IsConnected) return c;
                c.EnsureConnecting();
            }
        }
        return null;
    }

    /// <summary>Sync migration: the source moves the key (and its tag group) to the target, then the target serves it.</summary>
    private void ForwardSync(PendingRequest r, SlotModel m, ReadOnlyMemory<byte> wire, ReadOnlyMemory<byte> hashKey, int db)
    {
        var (host, port) = BackendConnection.ParseAddress(m.BackendAddr);
        var cmd = RespValue.EncodeCommand([
            "SLOTSMGRTTAGONE"u8.ToArray(), Encoding.UTF8.GetBytes(host), Encoding.ASCII.GetBytes(port.ToString()),
            "3000"u8.ToArray(), hashKey.ToArray()]);
        var pre = new PendingRequest(null)
        {
            Continuation = done =>
            {
                if (Replies.IsError(done.Reply!))
                {
                    r.Fail(MigrationFailure(m, "SLOTSMGRTTAGONE", Replies.ErrorText(done.Reply!)));
                    return;
                }
                var target = primaries.Get(m.BackendAddr, db, 0);
                target.Enqueue(r, wire.Span);
                target.Flush();
            },
        };
        var source = primaries.Get(m.MigrateFrom, db, 0);
        source.Enqueue(pre, cmd);
        source.Flush();
    }

    /// <summary>
    /// Semi-async migration: the source runs the command itself if it still has the key, answers "absent"
    /// (then the target serves it) or "being migrated" (retry shortly).
    /// </summary>
    private void ForwardSemiAsync(PendingRequest r, SlotModel m, ReadOnlyMemory<byte> wire, ReadOnlyMemory<byte> hashKey, int db, int attempt) =>
        ForwardSemiAsync(r, m, wire, hashKey, db, attempt, WrapperCommand(wire.Span, hashKey.Span));

    /// <summary>
    /// SLOTSMGRT-EXEC-WRAPPER hashkey + the request's own arguments. A multibulk request's argument bytes are reused
    /// as they came (every request of a migrating slot goes this way, so no parse and re-encode of its arguments).
    /// </summary>
    internal static byte[] WrapperCommand(ReadOnlySpan<byte> wire, ReadOnlySpan<byte> hashKey)
    {
        int eol = wire.IndexOf("\r\n"u8);
        if (wire.Length > 0 && wire[0] == (byte)'*' && eol > 1 && System.Buffers.Text.Utf8Parser.TryParse(wire[1..eol], out int n, out int used) && used == eol - 1)
        {
            var args = wire[(eol + 2)..];
            var header = Encoding.ASCII.GetBytes($"*{n + 2}\r\n$22\r\nSLOTSMGRT-EXEC-WRAPPER\r\n${hashKey.Length}\r\n");
            var cmd = new byte[header.Length + hashKey.Length + 2 + args.Length];
            header.CopyTo(cmd, 0);
            hashKey.CopyTo(cmd.AsSpan(header.Length));
            "\r\n"u8.CopyTo(cmd.AsSpan(header.Length + hashKey.Length));
            args.CopyTo(cmd.AsSpan(header.Length + hashKey.Length + 2));
            return cmd;
        }
        var list = new List<byte[]> { "SLOTSMGRT-EXEC-WRAPPER"u8.ToArray(), hashKey.ToArray() };
        var parsed = new RespRequest();
        RespRequestParser.TryParse(wire.ToArray(), parsed, RespLimits.Default, true, out _, out _);
        for (int i = 0; i < parsed.Count; i++) list.Add(parsed.ToArray(i));
        return RespValue.EncodeCommand(list);
    }

    private void ForwardSemiAsync(PendingRequest r, SlotModel m, ReadOnlyMemory<byte> wire, ReadOnlyMemory<byte> hashKey, int db, int attempt, byte[] cmd)
    {
        var pre = new PendingRequest(null)
        {
            // the source may run the write itself (code 2): with backend_replica_ack its reply waits for the source's replicas
            RunsWrite = r.IsWrite,
            RanWrite = reply => WrapperReply.TryParse(reply, out long ran, out _) && ran == 2,
            Continuation = done =>
            {
                var reply = done.Reply!;
                if (!WrapperReply.TryParse(reply, out long code, out var payload))
                {
                    r.Fail(Replies.IsError(reply) ? MigrationFailure(m, "SLOTSMGRT-EXEC-WRAPPER", Replies.ErrorText(reply))
                        : "ERR handle request, bad slotsmgrt-exec-wrapper resp: unexpected reply");
                    return;
                }
                switch (code)
                {
                    case 0:
                        var target = primaries.Get(m.BackendAddr, db, 0);
                        target.Enqueue(r, wire.Span);
                        target.Flush();
                        break;
                    case 1:
                        int delay = attempt < 5 ? 0 : Math.Min(attempt, 20);
                        if (attempt > 2000) { r.Fail("ERR handle request, key is being migrated for too long"); return; }
                        _ = Task.Delay(delay).ContinueWith(_ => ForwardSemiAsync(r, m, wire, hashKey, db, attempt + 1, cmd), TaskScheduler.Default);
                        break;
                    case 2:
                        r.Complete(payload!);
                        break;
                    default:
                        r.Fail("ERR handle request, bad slotsmgrt-exec-wrapper resp: " + Encoding.UTF8.GetString(payload ?? []));
                        break;
                }
            },
        };
        var source = primaries.Get(m.MigrateFrom, db, 0);
        source.Enqueue(pre, cmd);
        source.Flush();
    }

    /// <summary>
    /// The error for a failed migration pre-step. A stock Redis source does not know the SLOTSMGRT* commands:
    /// say plainly that migration needs codis-server instead of relaying "unknown command".
    /// </summary>
    private static string MigrationFailure(SlotModel m, string command, string error)
    {
        if (error.Contains("unknown command", StringComparison.OrdinalIgnoreCase))
            return $"ERR handle request, slot {m.Id} is migrating from {m.MigrateFrom}, which does not support {command}: " +
                   "slot migration needs codis-server backends (a stock redis-server can only serve slots that do not move)";
        return $"ERR handle request, bad {command.ToLowerInvariant()} resp: {error}";
    }

    /// <summary>Sends a request to one backend address directly (SLOTSINFO addr, INFO addr).</summary>
    public bool SendTo(string address, PendingRequest r, ReadOnlySpan<byte> wire, int db, HashSet<BackendConnection> touched)
    {
        bool known = slots.Any(s => s.Model.BackendAddr == address || s.Model.MigrateFrom == address
                                    || (s.Model.ReplicaGroups?.Any(g => g.Contains(address)) ?? false));
        if (!known) return false;
        var conn = primaries.Get(address, db, 0);
        conn.Enqueue(r, wire);
        touched.Add(conn);
        return true;
    }

    public int ConnectedBackends => primaries.ConnectedCount + replicas.ConnectedCount;

    public void KeepAlive()
    {
        primaries.KeepAlive();
        replicas.KeepAlive();
    }

    public void Dispose()
    {
        primaries.Dispose();
        replicas.Dispose();
        fillTurn.Dispose();
    }
}
