using System.Buffers;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Codis.Core.Resp;
using Codis.Server.Commands;
using Codis.Server.Persistence;
using Codis.Server.Storage;

namespace Codis.Server.Networking.Blocking;

/// <summary>
/// The clients blocked on keys, FIFO per key (the client that has waited longest is served first, as Redis does).
/// While anyone is blocked the registry listens to <see cref="Keyspace.KeyModified"/>; a written key with waiters
/// becomes "ready", and <see cref="ServeReady"/> — run by the server after each command, in the same lock —
/// serves its waiters in order until the key has nothing left for them. Timeouts and disconnects are noticed
/// by the waiting connection (<see cref="WaitAsync"/>), which then unregisters under the lock.
/// All methods except <see cref="WaitAsync"/> run under the keyspace lock.
/// </summary>
internal sealed class BlockingRegistry(CodisServer server)
{
    internal readonly record struct WaitKey(int Db, byte[] Key);

    private sealed class WaitKeyComparer : IEqualityComparer<WaitKey>
    {
        public static readonly WaitKeyComparer Instance = new();
        public bool Equals(WaitKey x, WaitKey y) => x.Db == y.Db && x.Key.AsSpan().SequenceEqual(y.Key);
        public int GetHashCode(WaitKey k) => HashCode.Combine(k.Db, ByteArrayComparer.Instance.GetHashCode(k.Key));
    }

    private readonly Dictionary<WaitKey, LinkedList<BlockedClient>> waiting = new(WaitKeyComparer.Instance);
    private readonly List<WaitKey> ready = new();
    private readonly HashSet<WaitKey> readySet = new(WaitKeyComparer.Instance);
    private bool listening;

    /// <summary>How many clients are blocked now (INFO's blocked_clients).</summary>
    public int BlockedClients { get; private set; }

    /// <summary>Raised after a blocked command was served, with the context it ran in (replication hooks here).</summary>
    public event Action<CommandContext>? Served;

    /// <summary>
    /// Blocks the command running in <paramref name="ctx"/>: registers the client on every key and sets
    /// <see cref="CommandContext.Blocked"/>, which stops the client's batch until the wait ends.
    /// </summary>
    private static readonly byte[] Resp3Null = "_\r\n"u8.ToArray();

    public void Block(CommandContext ctx, byte[][] keys, long deadline, byte[] timeoutReply, BlockedServe serve, bool serveEach = false)
    {
        var args = new byte[ctx.ArgCount][];
        for (int i = 0; i < args.Length; i++) args[i] = ctx.ArgBytes(i);
        var b = new BlockedClient
        {
            Session = ctx.Client,
            DbIndex = ctx.Client.DbIndex,
            Keys = keys,
            Request = RespRequest.FromArgs(args),
            Command = ctx.Command,
            Serve = serve,
            Deadline = deadline,
            // A RESP3 client's null array is "_" (the blocking commands all time out with a null array).
            TimeoutReply = ctx.Client.Resp3 && timeoutReply.AsSpan().SequenceEqual("*-1\r\n"u8) ? Resp3Null : timeoutReply,
            ServeEach = serveEach,
        };
        foreach (var key in keys)
        {
            var wk = new WaitKey(b.DbIndex, key);
            if (b.Nodes.Exists(n => WaitKeyComparer.Instance.Equals(n.Key, wk))) continue; // BLPOP k k 0
            if (!waiting.TryGetValue(wk, out var queue)) waiting[wk] = queue = new LinkedList<BlockedClient>();
            b.Nodes.Add((wk, queue.AddLast(b)));
        }
        BlockedClients++;
        b.Session.Blocked = true;
        if (!listening)
        {
            server.Keyspace.KeyModified += OnKeyModified;
            listening = true;
        }
        ctx.Blocked = b;
    }

    private void OnKeyModified(Database db, ReadOnlyMemory<byte> key)
    {
        byte[] bytes = MemoryMarshal.TryGetArray(key, out var seg) && seg.Offset == 0 && seg.Count == seg.Array!.Length ? seg.Array : key.ToArray();
        var wk = new WaitKey(db.Index, bytes);
        if (waiting.ContainsKey(wk) && readySet.Add(wk)) ready.Add(wk);
    }

    /// <summary>
    /// SWAPDB: every key waited on in this database may now hold something else (or nothing), so all of them are
    /// tried after the command, as Redis rescans the blocking keys of swapped databases; each blocked command's
    /// serve decides (a pop waits on, a group reader whose stream is gone gets its error).
    /// </summary>
    public void SignalDatabase(int db)
    {
        foreach (var wk in waiting.Keys)
            if (wk.Db == db && readySet.Add(wk)) ready.Add(wk);
    }

    /// <summary>Serves the clients blocked on keys written since the last call (cheap when nobody waits).</summary>
    public void ServeReady()
    {
        while (ready.Count > 0)
        {
            var keys = ready.ToArray();
            ready.Clear();
            readySet.Clear();
            foreach (var wk in keys) ServeKey(wk);
        }
    }

    private void ServeKey(WaitKey wk)
    {
        if (!waiting.TryGetValue(wk, out var queue)) return;
        var node = queue.First;
        bool popsDone = false;
        while (node != null)
        {
            var next = node.Next;
            var b = node.Value;
            // A pop that finds nothing for the longest waiting pop has nothing for any pop; stream readers each
            // wait for entries after their own ID (or their group's), so they all still get their turn.
            if ((b.ServeEach || !popsDone) && !TryServe(b, wk.Key) && !b.ServeEach) popsDone = true;
            if (!waiting.ContainsKey(wk)) return;
            node = next;
        }
    }

    private bool TryServe(BlockedClient b, byte[] key)
    {
        var buffer = new ArrayBufferWriter<byte>(64);
        var writer = new RespWriter(buffer) { Resp3 = b.Session.Resp3 };
        var ctx = new CommandContext(server, b.Session, writer) { Args = b.Request, Command = b.Command };
        server.Keyspace.RefreshClock();
        long dirtyBefore = server.Keyspace.Dirty;
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        if (!b.Serve(ctx, key)) return false;
        server.RecordServed(b.Command, b.Request, (long)System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMicroseconds);
        writer.Commit();
        Unregister(b);
        b.Done.TrySetResult(buffer.WrittenSpan.ToArray());
        // What the served command did goes to the AOF and replicas as its non-blocking form (its Rewrite).
        server.Propagation.AfterCommand(ctx, b.Request, dirtyBefore);
        Served?.Invoke(ctx);
        return true;
    }

    private void Unregister(BlockedClient b)
    {
        if (b.Nodes.Count == 0) return;
        foreach (var (wk, node) in b.Nodes)
        {
            var queue = node.List!;
            queue.Remove(node);
            if (queue.Count == 0) waiting.Remove(wk);
        }
        b.Nodes.Clear();
        BlockedClients--;
        b.Session.Blocked = false;
        if (BlockedClients == 0 && listening)
        {
            server.Keyspace.KeyModified -= OnKeyModified;
            listening = false;
            ready.Clear();
            readySet.Clear();
        }
    }

    /// <summary>Ends a wait with a given reply (timeout, CLIENT UNBLOCK); false when it had already ended.</summary>
    public bool Release(BlockedClient b, byte[]? reply)
    {
        if (b.Done.Task.IsCompleted) return false;
        Unregister(b);
        b.Done.TrySetResult(reply ?? b.TimeoutReply);
        return true;
    }

    /// <summary>
    /// CLIENT UNBLOCK: ends the wait of a client blocked in one of these commands, with the timeout reply or
    /// (<paramref name="error"/>) "-UNBLOCKED client unblocked via CLIENT UNBLOCK". False when it is not blocked.
    /// </summary>
    public bool Unblock(long clientId, bool error)
    {
        foreach (var queue in waiting.Values)
            foreach (var b in queue)
                if (b.Session.Id == clientId)
                    return Release(b, error ? "-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n"u8.ToArray() : null);
        return false;
    }

    /// <summary>
    /// Waits (outside the lock) until the client is served, times out, disconnects or is killed; returns the
    /// reply to write. Throws <see cref="OperationCanceledException"/> when the connection is going away.
    /// </summary>
    public async Task<byte[]> WaitAsync(BlockedClient b, Socket socket, CancellationToken token)
    {
        while (true)
        {
            b.Session.LastInteraction = Environment.TickCount64; // idle timeouts do not apply to blocked clients
            long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            long wait = b.Deadline == long.MaxValue ? 250 : Math.Clamp(b.Deadline - now, 0, 250);
            if (wait > 0)
            {
                try { await b.Done.Task.WaitAsync(TimeSpan.FromMilliseconds(wait), token).ConfigureAwait(false); }
                catch (TimeoutException) { }
                catch (OperationCanceledException) { }
            }
            if (b.Done.Task.IsCompleted) return b.Done.Task.Result;
            bool gone = token.IsCancellationRequested || PeerClosed(socket);
            if (gone || DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() >= b.Deadline)
            {
                lock (server.Keyspace.Lock)
                {
                    if (!b.Done.Task.IsCompleted) Release(b, null);
                }
                if (gone) throw new OperationCanceledException("client went away while blocked");
                return b.Done.Task.Result; // the timeout reply, or a serve that won the race
            }
        }
    }

    /// <summary>A readable socket with nothing to read is one the peer has closed.</summary>
    private static bool PeerClosed(Socket socket)
    {
        try
        {
            return socket.Poll(0, SelectMode.SelectRead) && socket.Available == 0;
        }
        catch (SocketException) { return true; }
        catch (ObjectDisposedException) { return true; }
    }
}
