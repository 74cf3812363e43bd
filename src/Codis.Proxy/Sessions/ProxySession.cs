using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using Codis.Core.Logging;
using Codis.Core.Networking.EventLoop;
using Codis.Core.Resp;
using Codis.Proxy.Backends;

namespace Codis.Proxy.Sessions;

/// <summary>
/// One client of the proxy. Reads as many requests as are buffered (up to session_max_pipeline), dispatches
/// them all (to any number of backends, or answered here), waits for the batch, then writes the replies in
/// request order and reads on. Malformed input closes this session only. Served by an event loop
/// (proxy_event_loops &gt; 0): the session's code runs on that loop's thread, from the read to the reply's send.
/// </summary>
internal sealed partial class ProxySession
{
    private readonly ProxyServer proxy;
    private readonly Socket socket;
    private readonly NetworkStream? stream;
    private readonly LoopSocket? transport;
    private readonly PipeReader reader;
    private readonly PipeWriter writer;
    private readonly List<RespRequest> parsed = new();
    private readonly List<RespRequest> pool = new();
    private readonly List<PendingRequest> pending = new();
    private readonly HashSet<BackendConnection> touched = new();
    private readonly Batch batch = new();
    private readonly Stack<PendingRequest> spare = new();
    private uint seed = (uint)Random.Shared.Next();

    public ProxySession(ProxyServer proxy, Socket socket, EventLoop? loop)
    {
        this.proxy = proxy;
        this.socket = socket;
        if (socket.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6)
        {
            socket.NoDelay = true;
            var keepAlive = proxy.Settings["session_keepalive_period"].AsDuration;
            if (keepAlive > TimeSpan.Zero)
            {
                socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
                socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime, Math.Max(1, (int)keepAlive.TotalSeconds));
            }
            Remote = socket.RemoteEndPoint?.ToString() ?? "?";
        }
        else Remote = proxy.ProxyAddr + ":0"; // a unix client has no address: Redis shows its socket path and port 0
        if (loop != null)
        {
            transport = new LoopSocket(loop, socket);
            reader = transport.Input;
            writer = transport.Output;
        }
        else
        {
            stream = new NetworkStream(socket, ownsSocket: true);
            reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 16 * 1024, minimumReadSize: 4 * 1024, leaveOpen: true));
            writer = PipeWriter.Create(stream, new StreamPipeWriterOptions(minimumBufferSize: 16 * 1024, leaveOpen: true));
        }
        Id = Interlocked.Increment(ref nextId);
        Authenticated = proxy.SessionAuth.Length == 0;
        CreatedTicks = Environment.TickCount64;
        LastActiveTicks = CreatedTicks;
    }

    private static long nextId;

    public long Id { get; }
    public string Remote { get; }
    public int Database { get; private set; }
    public bool Authenticated { get; private set; }
    public string? Name { get; private set; }
    public long CreatedTicks { get; }
    public long LastActiveTicks { get; private set; }
    public long Ops { get; private set; }
    /// <summary>When the running reply flush started (0 = none): the cron closes sessions stuck past session_send_timeout.</summary>
    public long FlushingSinceTicks => Volatile.Read(ref flushingSince);
    private long flushingSince;
    private bool quit;

    public CancellationTokenSource Closing { get; } = new();

    /// <summary>The event loop serving this session's socket, or null (.NET's socket engine).</summary>
    public EventLoop? Loop => transport?.Loop;

    public async Task RunAsync()
    {
        var token = Closing.Token;
        // Read without a token (a cancellable read registers with it every time): a kill cancels the pending read.
        using var onKill = token.UnsafeRegister(static r => ((PipeReader)r!).CancelPendingRead(), reader);
        try
        {
            long needed = 0;
            while (!token.IsCancellationRequested)
            {
                var result = await reader.ReadAsync().ConfigureAwait(false);
                if (result.IsCanceled) break;
                var buffer = result.Buffer;
                if (buffer.Length < needed && !result.IsCompleted)
                {
                    reader.AdvanceTo(buffer.Start, buffer.End);
                    continue;
                }
                string? protocolError = null;
                long consumed = 0;
                try
                {
                    consumed = Parse(buffer, out needed);
                }
                catch (RespProtocolException e)
                {
                    protocolError = e.Message;
                }
                bool more = parsed.Count >= proxy.MaxPipeline;
                await EnterWriteAsync().ConfigureAwait(false);
                if (parsed.Count > 0)
                {
                    LastActiveTicks = Environment.TickCount64;
                    var execute = ExecuteBatch();
                    if (!execute.IsCompletedSuccessfully) await execute.ConfigureAwait(false);
                }
                if (protocolError != null)
                {
                    writer.Write(Replies.Error("ERR Protocol error: " + protocolError));
                    Log.Info("protocol error from client", ("client", Remote), ("error", protocolError));
                }
                var pos = buffer.GetPosition(consumed);
                reader.AdvanceTo(pos, more ? pos : buffer.End);
                Volatile.Write(ref flushingSince, Environment.TickCount64);
                var flush = await writer.FlushAsync(token).ConfigureAwait(false);
                Volatile.Write(ref flushingSince, 0);
                ExitWrite();
                if (protocolError != null || quit || flush.IsCompleted) break;
                if (result.IsCompleted && !more) break;
            }
        }
        catch (OperationCanceledException) { }
        catch (IOException) { }
        catch (SocketException) { }
        catch (Exception e)
        {
            Log.Error("session failed", ("client", Remote), ("error", e.ToString()));
        }
        finally
        {
            ExitWrite();
            DisposePubSub();
            ReleasePinned();
            proxy.Unregister(this);
            try { await reader.CompleteAsync().ConfigureAwait(false); } catch { }
            try { await writer.CompleteAsync().ConfigureAwait(false); } catch { }
            // A killed session (idle, stuck send, shutdown) drops what its client did not take.
            if (transport != null) await transport.CloseAsync(abort: Closing.IsCancellationRequested).ConfigureAwait(false);
            stream?.Dispose();
            Closing.Dispose();
        }
    }

    private long Parse(ReadOnlySequence<byte> buffer, out long needed)
    {
        needed = 0;
        long consumed = 0;
        ReadOnlyMemory<byte> memory = buffer.First;
        int offset = 0;
        bool linear = buffer.IsSingleSegment;
        while (parsed.Count < proxy.MaxPipeline)
        {
            if (offset >= memory.Length)
            {
                if (consumed >= buffer.Length) break;
                memory = buffer.Slice(consumed).ToArray();
                offset = 0;
                linear = true;
            }
            var request = pool.Count > 0 ? Pop() : new RespRequest();
            var status = RespRequestParser.TryParse(memory[offset..], request, proxy.Limits, true, out int used, out long need);
            if (status == ParseStatus.Incomplete)
            {
                pool.Add(request);
                if (!linear && consumed + (memory.Length - offset) < buffer.Length)
                {
                    memory = buffer.Slice(consumed).ToArray();
                    offset = 0;
                    linear = true;
                    continue;
                }
                needed = need; // relative to the first unconsumed byte, where the next read starts
                break;
            }
            offset += used;
            consumed += used;
            if (status == ParseStatus.Skip) pool.Add(request);
            else parsed.Add(request);
        }
        return consumed;
    }

    private RespRequest Pop()
    {
        var r = pool[^1];
        pool.RemoveAt(pool.Count - 1);
        return r;
    }

    /// <summary>
    /// Dispatches what was read and writes the replies. The common batch (requests that each go to one backend or
    /// are answered here) runs without an async frame of its own: dispatched synchronously, it awaits only the
    /// batch's last reply; a request whose dispatch waits (a slot being filled, a pinned connection) or that must
    /// be answered after what came before it (a barrier) continues on <see cref="ExecuteRestAsync"/>.
    /// </summary>
    private ValueTask ExecuteBatch()
    {
        dispatchTicks = System.Diagnostics.Stopwatch.GetTimestamp();
        for (int i = 0; i < parsed.Count; i++)
        {
            if (quit) break;
            var request = parsed[i];
            seed = seed * 1103515245 + 12345;
            // A request over a pinned connection is ordered with the others by answering what came before it.
            var op = FindOp(request[0]); // once: the barrier check and the dispatch both need it
            if (NeedsBarrier(request, op) && pending.Count > 0) return ExecuteRestAsync(i, op, default, barrier: true);
            var p = Dispatch(request, batch, op);
            if (!p.IsCompletedSuccessfully) return ExecuteRestAsync(i, op, p, barrier: false);
        }
        return FinishBatch(last: true);
    }

    /// <summary>The rest of a batch from request <paramref name="i"/> on, whose dispatch is running or is behind a barrier.</summary>
    // Pooled: the state machine of a batch that waits is reused, not allocated.
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask ExecuteRestAsync(int i, Routing.OpInfo? op, ValueTask dispatching, bool barrier)
    {
        if (barrier)
        {
            await FinishBatch(last: false).ConfigureAwait(false);
            dispatchTicks = System.Diagnostics.Stopwatch.GetTimestamp();
            dispatching = Dispatch(parsed[i], batch, op);
        }
        if (!dispatching.IsCompletedSuccessfully) await dispatching.ConfigureAwait(false);
        for (i++; i < parsed.Count; i++)
        {
            if (quit) break;
            var request = parsed[i];
            seed = seed * 1103515245 + 12345;
            op = FindOp(request[0]);
            if (NeedsBarrier(request, op) && pending.Count > 0)
            {
                await FinishBatch(last: false).ConfigureAwait(false);
                dispatchTicks = System.Diagnostics.Stopwatch.GetTimestamp();
            }
            var p = Dispatch(request, batch, op);
            if (!p.IsCompletedSuccessfully) await p.ConfigureAwait(false);
        }
        await FinishBatch(last: true).ConfigureAwait(false);
    }

    // The command of the session's previous request: clients mostly repeat one, spelled the same way.
    private readonly byte[] lastName = new byte[64]; // the table's names are shorter
    private int lastNameLength;
    private Routing.OpInfo? lastOp;

    private Routing.OpInfo? FindOp(ReadOnlySpan<byte> name)
    {
        if (lastOp != null && name.SequenceEqual(lastName.AsSpan(0, lastNameLength))) return lastOp;
        var op = Routing.OpTable.Find(name);
        if (op != null && name.Length <= lastName.Length)
        {
            name.CopyTo(lastName);
            lastNameLength = name.Length;
            lastOp = op;
        }
        return op;
    }

    private void EndBatch()
    {
        pool.AddRange(parsed);
        parsed.Clear();
    }

    /// <summary>
    /// Sends what the batch queued, waits for every reply and writes them in request order; <paramref name="last"/>:
    /// the read's requests are done with (their buffers go back to the parser's pool).
    /// </summary>
    private ValueTask FinishBatch(bool last)
    {
        foreach (var conn in touched) conn.Flush();
        touched.Clear();
        batch.Seal();
        if (!batch.IsDone) return FinishBatchAsync(last);
        WriteReplies();
        if (last) EndBatch();
        return default;
    }

    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask FinishBatchAsync(bool last)
    {
        if (blockingInBatch) await WaitBlockedAsync(batch.WaitAsync().AsTask()).ConfigureAwait(false);
        else await batch.WaitAsync().ConfigureAwait(false);
        WriteReplies();
        if (last) EndBatch();
    }

    /// <summary>The replies of the done batch, in request order; then the next batch starts.</summary>
    private void WriteReplies()
    {
        blockingInBatch = false;
        StampWrites();
        // session_break_on_failure: a request the proxy failed closes the session after this batch's replies.
        if (proxy.Stats.Record(pending, System.Diagnostics.Stopwatch.GetTimestamp()) && proxy.BreakOnFailure) quit = true;
        var span = writer.GetSpan();
        int used = 0;
        foreach (var p in pending)
        {
            var reply = p.Reply!;
            if (p.Recyclable && spare.Count < MaxSpare) spare.Push(p);
            if (reply.Length <= span.Length - used)
            {
                reply.CopyTo(span[used..]);
                used += reply.Length;
                continue;
            }
            writer.Advance(used);
            used = 0;
            if (reply.Length > BlockPool.BlockSize) writer.Write(reply); // a big one block by block, never one huge buffer
            else
            {
                span = writer.GetSpan(reply.Length);
                reply.CopyTo(span);
                used = reply.Length;
                continue;
            }
            span = writer.GetSpan();
        }
        writer.Advance(used);
        Ops += pending.Count;
        pending.Clear();
        batch.Next();
    }

    private const int MaxSpare = 256;

    // When the running batch's dispatch started: the latency stats of its forwarded requests count from here (they
    // arrived together), one clock read per batch instead of one per request.
    private long dispatchTicks;

    /// <summary>A plain forwarded request of the running batch: a written one reused, or a new one.</summary>
    private PendingRequest Forwarded(Routing.OpInfo? op, string? unknownName, long startTicks)
    {
        if (!spare.TryPop(out var p)) return PendingRequest.Forwarded(batch, op, unknownName, startTicks);
        p.Reuse(batch, op, unknownName, startTicks);
        return p;
    }

    /// <summary>Registers a request of the batch; its reply is written in this order.</summary>
    private PendingRequest Track(PendingRequest p, Batch batch)
    {
        batch.Add();
        pending.Add(p);
        return p;
    }

    /// <summary>A reply the proxy makes itself, in order with forwarded ones.</summary>
    private void Answer(Batch batch, Routing.OpInfo? op, byte[] reply)
    {
        var p = Track(new PendingRequest(batch) { Op = op, StartTicks = System.Diagnostics.Stopwatch.GetTimestamp() }, batch);
        p.Complete(reply);
    }

    public void Kill()
    {
        try { Closing.Cancel(); } catch (ObjectDisposedException) { }
    }
}
