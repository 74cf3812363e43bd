using System.Buffers;
using System.Net.Sockets;
using System.Text;
using Codis.Core.Logging;
using Codis.Core.Resp;
using Codis.Proxy.Sessions;

namespace Codis.Proxy.Backends;

/// <summary>
/// One pipelined connection to a backend server, bound to one database. Requests from any session are
/// appended to a write buffer and sent in batches; replies are matched to requests in FIFO order. When the
/// connection fails, exactly the requests it held get an error reply and it reconnects with back-off.
/// With event loops (proxy_event_loops) the socket is a <see cref="BackendLoopLink"/>: sends go out at once
/// from the flushing thread, replies are read on the loop thread; otherwise .NET's socket engine runs it.
/// </summary>
internal sealed class BackendConnection : IDisposable, Core.Networking.EventLoop.IRoundEndWork
{
    private enum State { Idle, Connecting, Connected, Down }

    private readonly Lock sync = new();
    private readonly Queue<PendingRequest> inflight = new();
    private ArrayBufferWriter<byte> writeBuffer = new(16 * 1024);
    private ArrayBufferWriter<byte> sendBuffer = new(16 * 1024);
    private State state = State.Idle;
    private bool sending;
    private Socket? socket;
    private BackendLoopLink? link;
    private int sentOffset;       // event loop: how much of writeBuffer is sent already
    private int flushQueued;      // event loop: a flush is due (at a loop's round end, or by the thread that set it)
    private static int nextLoop;
    private int generation;
    private int failures;
    private long retryAtTicks;
    // While a back-off step runs, requests still fail fast, but one of them may start a probe dial (one at a
    // time, at most every ProbeInterval): a backend restarted within a long step is used as soon as it answers.
    private bool probing;
    private long probedAtTicks;
    private string lastError = "";
    private bool disposed;
    // Progress clocks for the timeouts: when the oldest unanswered request last saw a reply come back,
    // and when the running send last moved bytes.
    private long waitingSinceTicks;
    private long sendingSinceTicks;
    // backend_replica_ack: the WAIT appended behind the writes of each send (null = off), the writes queued since
    // the last one, and the replies of writes already answered by the master, held until their WAIT answers.
    private readonly byte[]? waitCommand;
    private int unwaitedWrites;
    private List<(PendingRequest Request, byte[] Reply)> held = [];

    public BackendConnection(string address, int database, BackendOptions options)
    {
        Address = address;
        Database = database;
        Options = options;
        waitCommand = ReplicaAck.WaitCommand(options);
    }

    public string Address { get; }
    public int Database { get; }
    public BackendOptions Options { get; }
    public long LastUsedTicks { get; private set; } = Environment.TickCount64;
    public bool IsConnected => state == State.Connected;

    /// <summary>How often a request arriving during a back-off step may start a probe dial.</summary>
    internal static readonly TimeSpan ProbeInterval = TimeSpan.FromMilliseconds(200);

    /// <summary>Queues a request; its reply (or an error) completes <paramref name="request"/>. Call <see cref="Flush"/> after a batch.</summary>
    public void Enqueue(PendingRequest request, ReadOnlySpan<byte> wire)
    {
        string? failure = null;
        int connectGen = 0, probeGen = 0;
        lock (sync)
        {
            if (disposed) failure = "backend conn closed";
            else
            {
                if (state == State.Down && Environment.TickCount64 < retryAtTicks)
                {
                    failure = $"backend conn failure, {lastError}";
                    probeGen = StartProbeLocked();
                }
                else if (inflight.Count >= Options.MaxPipeline)
                    failure = $"backend conn is full, {inflight.Count} requests in flight (backend_max_pipeline)";
                else
                {
                    if (state is State.Idle or State.Down) connectGen = StartConnectLocked();
                    writeBuffer.Write(wire);
                    if (waitCommand != null && request.IsWrite)
                    {
                        request.AwaitsReplicas = true;
                        unwaitedWrites++;
                    }
                    EnqueueInflightLocked(request);
                    LastUsedTicks = Environment.TickCount64;
                }
            }
        }
        // Outside the lock: a connect that fails at once fails the requests queued so far, this one included.
        if (connectGen != 0) _ = ConnectAsync(connectGen);
        if (probeGen != 0) _ = ConnectAsync(probeGen, probe: true);
        if (failure != null) request.Fail("ERR handle response, " + failure);
    }

    /// <summary>
    /// Starts connecting if the link is idle (or down past its back-off): replica links are only used once
    /// connected, so nothing else would ever open them.
    /// </summary>
    public void EnsureConnecting()
    {
        int connectGen = 0, probeGen = 0;
        lock (sync)
        {
            if (disposed) return;
            if (state == State.Idle || (state == State.Down && Environment.TickCount64 >= retryAtTicks)) connectGen = StartConnectLocked();
            else if (state == State.Down) probeGen = StartProbeLocked();
        }
        if (connectGen != 0) _ = ConnectAsync(connectGen);
        if (probeGen != 0) _ = ConnectAsync(probeGen, probe: true);
    }

    /// <summary>
    /// A probe dial during a back-off step (0 = none now): it holds no requests, so requests keep failing fast
    /// meanwhile; if it connects, the link is up at once. Bounded: one in flight, one per <see cref="ProbeInterval"/>.
    /// </summary>
    private int StartProbeLocked()
    {
        long now = Environment.TickCount64;
        if (probing || now - probedAtTicks < ProbeInterval.TotalMilliseconds) return 0;
        probing = true;
        probedAtTicks = now;
        return generation;
    }

    /// <summary>Sends what was queued, unless a send is already running (it will pick it up).</summary>
    public void Flush()
    {
        if (Options.Loops.Length > 0)
        {
            // Whoever set the flag clears it before sending, so bytes queued before this call go with that send.
            if (Interlocked.Exchange(ref flushQueued, 1) == 1) return;
            if (Core.Networking.EventLoop.EventLoop.DeferToRoundEnd(this)) return;
            Interlocked.Exchange(ref flushQueued, 0);
            FlushNow();
            return;
        }
        lock (sync)
        {
            if (sending || state != State.Connected || writeBuffer.WrittenCount == 0) return;
            sending = true;
            SealLocked();
            (writeBuffer, sendBuffer) = (sendBuffer, writeBuffer);
        }
        _ = SendLoopAsync(generation);
    }

    private async Task SendLoopAsync(int gen)
    {
        try
        {
            var s = socket!;
            while (true)
            {
                // Buffers belong to one connection generation: a stale loop must never touch the next one's.
                ArrayBufferWriter<byte> buf;
                lock (sync)
                {
                    if (gen != generation) return;
                    buf = sendBuffer;
                }
                var data = buf.WrittenMemory;
                while (!data.IsEmpty)
                {
                    Volatile.Write(ref sendingSinceTicks, Environment.TickCount64);
                    int n = await s.SendAsync(data, SocketFlags.None).ConfigureAwait(false);
                    data = data[n..];
                }
                Volatile.Write(ref sendingSinceTicks, 0);
                lock (sync)
                {
                    if (gen != generation) return; // a failure reset the state; a new connection owns 'sending'
                    buf.ResetWrittenCount();
                    if (writeBuffer.WrittenCount == 0)
                    {
                        sending = false;
                        return;
                    }
                    SealLocked();
                    (writeBuffer, sendBuffer) = (sendBuffer, writeBuffer);
                }
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or IOException)
        {
            OnFailure(gen, e.Message);
        }
    }

    /// <summary>Event loop: sends what is queued until done or the socket buffer is full (then EPOLLOUT resumes).</summary>
    private void FlushNow()
    {
        string? error = null;
        int gen;
        lock (sync)
        {
            gen = generation;
            if (state != State.Connected || link == null) return;
            SealLocked();
            while (sentOffset < writeBuffer.WrittenCount)
            {
                int n = Core.Networking.EventLoop.Epoll.Write(link.Fd, writeBuffer.WrittenSpan[sentOffset..]);
                if (n > 0) sentOffset += n;
                else if (n == -Core.Networking.EventLoop.Epoll.EAGAIN)
                {
                    if (sendingSinceTicks == 0) Volatile.Write(ref sendingSinceTicks, Environment.TickCount64);
                    return;
                }
                else if (n != -Core.Networking.EventLoop.Epoll.EINTR)
                {
                    error = $"send failed: errno {-n}";
                    break;
                }
            }
            if (error == null)
            {
                writeBuffer.ResetWrittenCount();
                sentOffset = 0;
                Volatile.Write(ref sendingSinceTicks, 0);
            }
        }
        if (error != null) OnFailure(gen, error);
    }

    /// <summary>The end of the loop round that queued a flush: one send for every session of the round.</summary>
    public void OnRoundEnd()
    {
        Interlocked.Exchange(ref flushQueued, 0);
        FlushNow();
    }

    /// <summary>The loop link's socket can take bytes again.</summary>
    internal void OnWritable(int gen)
    {
        if (gen == Volatile.Read(ref generation)) FlushNow();
    }

    /// <summary>A reply read by the loop link: completes the oldest request. False once the link is stale.</summary>
    internal bool OnReply(int gen, byte[] reply)
    {
        var d = Deliver(gen, reply);
        if (d == Delivery.Unexpected) OnFailure(gen, "reply without a request");
        return d == Delivery.Done;
    }

    private enum Delivery { Done, Stale, Unexpected }

    /// <summary>
    /// Matches one reply to the oldest request (either read path). With backend_replica_ack a write the master
    /// applied is held until the WAIT behind it answers; that WAIT's reply releases every write it covered.
    /// </summary>
    private Delivery Deliver(int gen, byte[] reply)
    {
        PendingRequest? r;
        List<(PendingRequest, byte[])>? covered = null;
        lock (sync)
        {
            // After a failure the queue belongs to the next connection: stop reading this one.
            if (gen != generation) return Delivery.Stale;
            inflight.TryDequeue(out r);
            waitingSinceTicks = Environment.TickCount64;
            if (r is { AwaitsReplicas: true } && !Replies.IsError(reply) && (r.RanWrite?.Invoke(reply) ?? true))
            {
                held.Add((r, reply));
                return Delivery.Done;
            }
            if (r is ReplicaAckRequest)
            {
                covered = held;
                held = [];
            }
        }
        if (r == null) return Delivery.Unexpected;
        if (covered != null) ReleaseHeld(covered, reply);
        else r.Complete(reply);
        return Delivery.Done;
    }

    internal void OnLinkFailure(int gen, string reason) => OnFailure(gen, reason);

    /// <summary>
    /// With backend_replica_ack: one WAIT behind the writes about to be sent (one per send, not per command), so
    /// pipelining stays; the master answers it once enough replicas acknowledged everything before it.
    /// </summary>
    private void SealLocked()
    {
        if (unwaitedWrites == 0) return;
        unwaitedWrites = 0;
        writeBuffer.Write(waitCommand);
        EnqueueInflightLocked(new ReplicaAckRequest());
    }

    /// <summary>The WAIT of <see cref="SealLocked"/>: its reply releases the writes held before it.</summary>
    private sealed class ReplicaAckRequest() : PendingRequest(null);

    /// <summary>The writes a WAIT covered get their own replies if it counted enough replicas, else an error.</summary>
    private void ReleaseHeld(List<(PendingRequest Request, byte[] Reply)> writes, byte[] waitReply)
    {
        var refusal = ReplicaAck.Refusal(waitReply, Options, Address, writes.Count);
        foreach (var (r, reply) in writes) r.Complete(refusal ?? reply);
    }

    /// <summary>Resets the connection state for a new attempt; the caller starts <see cref="ConnectAsync"/> once it left the lock.</summary>
    private int StartConnectLocked()
    {
        state = State.Connecting;
        int gen = ++generation;
        // Fresh buffers: a send loop of the failed connection may still hold the old ones.
        writeBuffer = new ArrayBufferWriter<byte>(16 * 1024);
        sendBuffer = new ArrayBufferWriter<byte>(16 * 1024);
        sending = false;
        sentOffset = 0;
        unwaitedWrites = 0;
        // The handshake goes first: AUTH with the product password, then SELECT.
        if (Options.Auth.Length > 0) QueueHandshakeLocked(["AUTH"u8.ToArray(), Encoding.UTF8.GetBytes(Options.Auth)], "AUTH");
        if (Database != 0) QueueHandshakeLocked(["SELECT"u8.ToArray(), Encoding.ASCII.GetBytes(Database.ToString())], "SELECT");
        return gen;
    }

    private void QueueHandshakeLocked(byte[][] args, string what)
    {
        writeBuffer.Write(RespValue.EncodeCommand(args));
        var r = new PendingRequest(null)
        {
            Continuation = done =>
            {
                if (Replies.IsError(done.Reply!))
                    Log.Warn("backend handshake failed", ("backend", Address), ("step", what), ("reply", Replies.ErrorText(done.Reply!)));
            },
        };
        EnqueueInflightLocked(r);
    }

    private void EnqueueInflightLocked(PendingRequest r)
    {
        // The recv timeout counts from the oldest unanswered request (or the last reply, see the read loop).
        if (inflight.Count == 0) waitingSinceTicks = Environment.TickCount64;
        inflight.Enqueue(r);
    }

    private async Task ConnectAsync(int gen, bool probe = false)
    {
        // Read before the first await, on the thread of the session whose request opened the link.
        var opener = Core.Networking.EventLoop.EventLoop.Current;
        bool onLoop = Options.Loops.Length > 0;
        var s = new Socket(SocketType.Stream, ProtocolType.Tcp)
        {
            NoDelay = true,
            ReceiveBufferSize = Options.RecvBufferSize,
            SendBufferSize = Options.SendBufferSize,
        };
        if (Options.KeepAlivePeriod > TimeSpan.Zero)
        {
            s.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
            s.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime, Math.Max(1, (int)Options.KeepAlivePeriod.TotalSeconds));
        }
        try
        {
            var (host, port) = ParseAddress(Address);
            if (onLoop)
            {
                // A blocking connect on the pool: an async one would tie the socket to .NET's engine, whose epoll
                // thread would then wake for every reply the loop reads. Disposing the socket ends it at the timeout.
                var connect = Task.Run(() => s.Connect(host, port));
                try { await connect.WaitAsync(Options.DialTimeout).ConfigureAwait(false); }
                catch (TimeoutException)
                {
                    s.Dispose();
                    _ = connect.ContinueWith(t => _ = t.Exception, TaskScheduler.Default);
                    throw new OperationCanceledException();
                }
            }
            else
            {
                using var cts = new CancellationTokenSource(Options.DialTimeout);
                await s.ConnectAsync(host, port, cts.Token).ConfigureAwait(false);
            }
        }
        catch (Exception e)
        {
            s.Dispose();
            if (probe)
            {
                // The back-off step goes on as it was: a failed probe neither lengthens nor resets it.
                lock (sync) probing = false;
                return;
            }
            OnFailure(gen, e is OperationCanceledException ? "dial timeout" : e.Message);
            return;
        }
        string? connectError = null;
        lock (sync)
        {
            if (probe) probing = false;
            // A probe is adopted only if the link is still down in the same generation (no dial started since).
            if (gen != generation || disposed || (probe && state != State.Down))
            {
                s.Dispose();
                return;
            }
            if (probe)
            {
                StartConnectLocked();
                gen = generation;
                Log.Info("backend reachable again before its back-off ended: reconnected", ("backend", Address), ("db", Database));
            }
            socket = s;
            state = State.Connected;
            failures = 0;
            if (onLoop)
            {
                // The loop of the session that opened it, if any: its replies are then handled on its thread.
                var loop = opener != null && Array.IndexOf(Options.Loops, opener) >= 0 ? opener
                    : Options.Loops[(int)((uint)Interlocked.Increment(ref nextLoop) % (uint)Options.Loops.Length)];
                try { link = new BackendLoopLink(this, s, gen, loop); }
                catch (IOException e)
                {
                    socket = null;
                    s.Dispose();
                    state = State.Connecting; // OnFailure below resets it
                    connectError = e.Message;
                }
            }
        }
        if (connectError != null)
        {
            OnFailure(gen, connectError);
            return;
        }
        if (!onLoop) _ = ReadLoopAsync(s, gen);
        Flush();
    }

    private async Task ReadLoopAsync(Socket s, int gen)
    {
        string? reason = await ReplyReader.RunAsync(s, 64 * 1024, 16 * 1024, reply => Deliver(gen, reply) switch
        {
            Delivery.Stale => false,
            Delivery.Unexpected => throw new RespProtocolException("reply without a request"),
            _ => true,
        }, "backend conn reset").ConfigureAwait(false);
        if (reason != null) OnFailure(gen, reason);
    }


    private void OnFailure(int gen, string reason)
    {
        List<PendingRequest> failed;
        lock (sync)
        {
            if (gen != generation) return;
            failed = new List<PendingRequest>(inflight);
            inflight.Clear();
            TakeHeldLocked(failed);
            writeBuffer.ResetWrittenCount();
            unwaitedWrites = 0;
            sending = false;
            sentOffset = 0;
            sendingSinceTicks = 0;
            CloseSocketLocked();
            state = State.Down;
            generation++;
            failures++;
            lastError = reason;
            // The first failures retry at once; then back off 50 ms doubling to 5 s (as the original).
            long delay = failures <= 10 ? 0 : Math.Min(5000, 50L << Math.Min(failures - 11, 7));
            retryAtTicks = Environment.TickCount64 + delay;
        }
        if (failed.Count > 0)
            Log.Warn("backend connection failed", ("backend", Address), ("db", Database), ("error", reason), ("failed_requests", failed.Count));
        string error = reason.StartsWith("backend conn timeout", StringComparison.Ordinal) ? reason : "backend conn reset";
        foreach (var r in failed) r.Fail("ERR handle response, " + error);
    }

    /// <summary>
    /// Called every second: drops a connection that stopped answering (backend_recv_timeout) or taking bytes
    /// (backend_send_timeout), so its requests fail instead of hanging; PINGs an idle one (keeps NATs and the
    /// backend's own timeout happy) when <paramref name="idleTicks"/> &gt; 0.
    /// </summary>
    public void KeepAlive(long idleTicks)
    {
        if (state != State.Connected) return;
        long now = Environment.TickCount64;
        string? stuck = null;
        int gen;
        lock (sync)
        {
            gen = generation;
            if (Options.RecvTimeout > TimeSpan.Zero && inflight.Count > 0 && now - waitingSinceTicks > Options.RecvTimeout.TotalMilliseconds)
                stuck = $"backend conn timeout, no reply for {(now - waitingSinceTicks) / 1000}s";
            long sendingSince = Volatile.Read(ref sendingSinceTicks);
            if (Options.SendTimeout > TimeSpan.Zero && sendingSince > 0 && now - sendingSince > Options.SendTimeout.TotalMilliseconds)
                stuck = $"backend conn timeout, send blocked for {(now - sendingSince) / 1000}s";
        }
        if (stuck != null)
        {
            OnFailure(gen, stuck);
            return;
        }
        if (idleTicks <= 0 || now - LastUsedTicks < idleTicks) return;
        Enqueue(new PendingRequest(null), "*1\r\n$4\r\nPING\r\n"u8);
        Flush();
    }

    /// <summary>Drops the connection if it holds requests and no reply came for <paramref name="after"/>; returns the requests failed.</summary>
    public int FailIfStalled(TimeSpan after)
    {
        int gen, count;
        long silent;
        lock (sync)
        {
            gen = generation;
            count = inflight.Count;
            silent = Environment.TickCount64 - waitingSinceTicks;
            if (state != State.Connected || count == 0 || silent < after.TotalMilliseconds) return 0;
        }
        OnFailure(gen, $"backend conn timeout, master replaced while it held requests unanswered for {silent / 1000.0:0.0}s");
        return count;
    }

    private void CloseSocketLocked()
    {
        if (link != null)
        {
            link.Close(); // the socket closes on the loop thread, once no event of it is being handled
            link = null;
        }
        else
        {
            try { socket?.Dispose(); } catch { }
        }
        socket = null;
    }

    /// <summary>Writes held for a WAIT that will never answer fail with the connection (first: they were sent first).</summary>
    private void TakeHeldLocked(List<PendingRequest> failed)
    {
        if (held.Count == 0) return;
        failed.InsertRange(0, held.Select(h => h.Request));
        held = [];
    }

    public static (string Host, int Port) ParseAddress(string address)
    {
        int colon = address.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(address.AsSpan(colon + 1), out int port))
            throw new FormatException($"bad backend address '{address}' (want host:port)");
        return (address[..colon], port);
    }

    public void Dispose()
    {
        List<PendingRequest> failed;
        lock (sync)
        {
            disposed = true;
            generation++;
            failed = new List<PendingRequest>(inflight);
            inflight.Clear();
            TakeHeldLocked(failed);
            CloseSocketLocked();
            state = State.Down;
        }
        foreach (var r in failed) r.Fail("ERR handle response, backend conn closed");
    }
}
