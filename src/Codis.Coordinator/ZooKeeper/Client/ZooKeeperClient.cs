using System.Text;
using Codis.Core.Logging;
using Codis.Coordinator.ZooKeeper.Jute;
using Codis.Coordinator.ZooKeeper.Protocol;

namespace Codis.Coordinator.ZooKeeper.Client;

/// <summary>Where a session is in its life.</summary>
public enum ZkSessionState { Connecting, Connected, Expired, Closed }

/// <summary>
/// A ZooKeeper session over the wire protocol (reference/coordinators.md §1): one connection at a time to one of
/// the servers, pipelined requests, pings at a third of the negotiated timeout, reconnects that resume the same
/// session (id + password, watches re-armed with setWatches) on the same or another server, digest auth replayed
/// on every connection. When the session expires (the server says so, or no server answered for the whole
/// session timeout) every call throws <see cref="SessionExpiredException"/>: open a new client. Every call is
/// bounded by the operation timeout and throws <see cref="CoordinatorUnavailableException"/> when no server answers.
/// </summary>
public sealed class ZooKeeperClient : IAsyncDisposable, IZkConnectionEvents
{
    /// <summary>The server's default jute.maxbuffer: larger requests make it close the connection.</summary>
    public const int MaxRequestLength = 0xfffff;

    private static readonly byte[] NoPassword = new byte[ConnectRequest.PasswordLength];

    private readonly ZooKeeperClientOptions options;
    private readonly IReadOnlyList<ZkServerAddress> servers;
    private readonly ZkWatchManager watches = new();
    private readonly List<(string Scheme, byte[] Auth)> auths = [];
    private readonly CancellationTokenSource stopping = new();
    private readonly TaskCompletionSource expired = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock gate = new();
    private readonly Task sessionLoop;
    private TaskCompletionSource connectedSignal = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ZkConnection? connection;
    private ZkSessionState state = ZkSessionState.Connecting;
    private string? expiredReason;
    private string lastError = "not connected yet";
    private long sessionId;
    private byte[] password = NoPassword;
    private int negotiatedMs;
    private long lastZxid;
    private long lastHeard = Environment.TickCount64;
    private int xid;
    private volatile bool frozen;
    private volatile bool closing;

    /// <summary>Starts connecting in the background; calls wait for the connection (within the operation timeout).</summary>
    public ZooKeeperClient(ZooKeeperClientOptions options)
    {
        this.options = options;
        servers = ZkServerAddress.ParseList(options.Servers);
        Address = string.Join(",", servers);
        if (options.DigestAuth != null)
        {
            ZkAcl.DigestId(options.DigestAuth); // validates "user:password"
            auths.Add(("digest", Encoding.UTF8.GetBytes(options.DigestAuth)));
            DefaultAcl = ZkAcl.Digest(options.DigestAuth);
        }
        else
        {
            DefaultAcl = ZkAcl.OpenUnsafe;
        }
        negotiatedMs = (int)options.SessionTimeout.TotalMilliseconds;
        sessionLoop = Task.Run(RunSessionAsync);
    }

    /// <summary>The server list, normalized (for messages).</summary>
    public string Address { get; }

    /// <summary>ACL given to created nodes: only the digest user when auth is set, otherwise open.</summary>
    public IReadOnlyList<ZkAcl> DefaultAcl { get; }

    public ZkSessionState State
    {
        get { lock (gate) return state; }
    }

    public long SessionId => Interlocked.Read(ref sessionId);
    public ReadOnlyMemory<byte> SessionPassword => password;
    public TimeSpan NegotiatedTimeout => TimeSpan.FromMilliseconds(Volatile.Read(ref negotiatedMs));
    public long LastZxid => Interlocked.Read(ref lastZxid);

    /// <summary>The server currently connected to, or null.</summary>
    public string? ConnectedServer => connection is { IsClosed: false } c ? c.Server.ToString() : null;

    /// <summary>Set once <see cref="DisposeAsync"/> starts: the deletions that follow are ours, not losses.</summary>
    public bool IsClosing => closing;

    /// <summary>Completes when the session has expired (not on close).</summary>
    public Task Expired => expired.Task;

    /// <summary>Watches registered and not yet fired (for tests and diagnostics).</summary>
    public int WatchCount => watches.Count;

    /// <summary>Waits for the first connection (the session is established).</summary>
    public async Task ConnectAsync(CancellationToken ct = default)
    {
        await GetConnectionAsync(Deadline(), ZkOpCode.Ping, null, ct);
    }

    // ---- operations ---------------------------------------------------------------------------------------

    /// <summary>Creates a node; returns its real path (with the sequence suffix for sequential modes).</summary>
    public Task<string> CreateAsync(string path, ReadOnlyMemory<byte> data, ZkCreateMode mode = ZkCreateMode.Persistent,
        IReadOnlyList<ZkAcl>? acl = null, CancellationToken ct = default) =>
        CallAsync(ZkOpCode.Create, path, w => ZkRequests.WriteCreate(w, path, data.Span, acl ?? DefaultAcl, mode),
            static (_, ref r) => r.ReadString()!, ZkErrorCode.Ok, null, ct);

    /// <summary>Deletes a node whose version is <paramref name="version"/> (-1: any).</summary>
    public Task DeleteAsync(string path, int version = -1, CancellationToken ct = default) =>
        CallAsync(ZkOpCode.Delete, path, w => ZkRequests.WriteDelete(w, path, version),
            static (_, ref _) => true, ZkErrorCode.Ok, null, ct);

    /// <summary>The node's stat or null; with a watch, it fires on create/change/delete.</summary>
    public Task<ZkStat?> ExistsAsync(string path, ZkWatch? watch = null, CancellationToken ct = default) =>
        CallAsync<ZkStat?>(ZkOpCode.Exists, path, w => ZkRequests.WritePathWatch(w, path, watch != null),
            static (err, ref r) => err == ZkErrorCode.NoNode ? null : ZkStat.Read(ref r), ZkErrorCode.NoNode,
            watch == null ? null : err =>
            {
                if (err == ZkErrorCode.Ok) watches.AddData(watch);
                else if (err == ZkErrorCode.NoNode) watches.AddExist(watch);
            }, ct);

    /// <summary>Data and stat, or null when the node does not exist (no watch is set then: use exists).</summary>
    public Task<(byte[] Data, ZkStat Stat)?> GetDataAsync(string path, ZkWatch? watch = null, CancellationToken ct = default) =>
        CallAsync<(byte[], ZkStat)?>(ZkOpCode.GetData, path, w => ZkRequests.WritePathWatch(w, path, watch != null),
            static (err, ref r) => err == ZkErrorCode.NoNode ? null : (r.ReadBuffer(), ZkStat.Read(ref r)), ZkErrorCode.NoNode,
            watch == null ? null : err => { if (err == ZkErrorCode.Ok) watches.AddData(watch); }, ct);

    /// <summary>Writes data if the version matches (-1: any); returns the new stat.</summary>
    public Task<ZkStat> SetDataAsync(string path, ReadOnlyMemory<byte> data, int version = -1, CancellationToken ct = default) =>
        CallAsync(ZkOpCode.SetData, path, w => ZkRequests.WriteSetData(w, path, data.Span, version),
            static (_, ref r) => ZkStat.Read(ref r), ZkErrorCode.Ok, null, ct);

    /// <summary>Child names (unordered) and the parent's stat, or null when the node does not exist.</summary>
    public Task<(List<string> Children, ZkStat Stat)?> GetChildrenAsync(string path, ZkWatch? watch = null, CancellationToken ct = default) =>
        CallAsync<(List<string>, ZkStat)?>(ZkOpCode.GetChildren2, path, w => ZkRequests.WritePathWatch(w, path, watch != null),
            static (err, ref r) => err == ZkErrorCode.NoNode ? null : (r.ReadStringVector(), ZkStat.Read(ref r)), ZkErrorCode.NoNode,
            watch == null ? null : err => { if (err == ZkErrorCode.Ok) watches.AddChild(watch); }, ct);

    /// <summary>
    /// Runs the ops atomically. On failure nothing is applied and the exception of the failing op is thrown
    /// (NodeExistsException, VersionMismatchException, ...); its message names the op's index.
    /// </summary>
    public async Task<IReadOnlyList<ZkOpResult>> MultiAsync(IReadOnlyList<ZkOp> ops, CancellationToken ct = default)
    {
        var results = await CallAsync(ZkOpCode.Multi, null, w => ZkMulti.WriteRequest(w, ops, DefaultAcl),
            static (_, ref r) => ZkMulti.ReadResponse(ref r), ZkErrorCode.Ok, null, ct);
        // A failed multi still has header err 0: the failure is in the results.
        for (int i = 0; i < results.Count; i++)
        {
            var e = results[i].Error;
            if (e is ZkErrorCode.Ok or ZkErrorCode.RuntimeInconsistency) continue;
            var path = i < ops.Count ? ops[i].Path : null;
            throw e switch
            {
                ZkErrorCode.NodeExists or ZkErrorCode.NoNode or ZkErrorCode.NotEmpty or ZkErrorCode.BadVersion =>
                    ZkErrors.ToException(e, ZkOpCode.Multi, path, Address),
                _ => new ZooKeeperException(e, $"ZooKeeper {Address}: multi op #{i} ({path}) failed: {e} ({(int)e})"),
            };
        }
        return results;
    }

    /// <summary>Adds credentials to the session (kept and replayed on every reconnect).</summary>
    public async Task AddAuthAsync(string scheme, byte[] auth, CancellationToken ct = default)
    {
        lock (gate) auths.Add((scheme, auth));
        long deadline = Deadline();
        var conn = await GetConnectionAsync(deadline, ZkOpCode.Auth, scheme, ct);
        var packet = new ZkAuthPacket(ZkRequests.Frame(ZkXid.Auth, ZkOpCode.Auth, w => ZkRequests.WriteAuth(w, scheme, auth)), scheme);
        conn.Send(packet);
        var err = await Await(packet.Task, deadline, ZkOpCode.Auth, scheme, ct);
        if (err != ZkErrorCode.Ok)
        {
            // Replaying rejected credentials would make every reconnect fail the same way.
            lock (gate) auths.RemoveAll(a => a.Scheme == scheme && a.Auth == auth);
            throw new ZooKeeperException(err, $"ZooKeeper {Address}: auth {scheme} failed: {err}");
        }
    }

    /// <summary>Forgets a watch nobody waits for any more.</summary>
    public void RemoveWatch(ZkWatch watch) => watches.Remove(watch);

    // ---- plumbing -----------------------------------------------------------------------------------------

    private long Deadline() => Environment.TickCount64 + (long)options.OperationTimeout.TotalMilliseconds;

    private int NextXid()
    {
        int x = Interlocked.Increment(ref xid) & int.MaxValue; // reserved xids are negative
        return x == 0 ? Interlocked.Increment(ref xid) & int.MaxValue : x;
    }

    private async Task<T> CallAsync<T>(ZkOpCode op, string? path, Action<JuteWriter> body, ZkReplyParser<T> parse,
        ZkErrorCode accepted, Action<ZkErrorCode>? onReply, CancellationToken ct)
    {
        long deadline = Deadline();
        var conn = await GetConnectionAsync(deadline, op, path, ct);
        int id = NextXid();
        var frame = ZkRequests.Frame(id, op, body);
        if (frame.Length - 4 > MaxRequestLength)
        {
            int size = frame.Length;
            frame.Dispose();
            // The server would drop the whole connection ("Len error"); refuse just this request instead.
            throw new ZooKeeperException(ZkErrorCode.BadArguments,
                $"ZooKeeper {Address}: {op} {path} is {size} bytes, over the server's packet limit of {MaxRequestLength} (jute.maxbuffer)");
        }
        var packet = new ZkPacket<T>(id, op, path, frame, parse, accepted) { OnReply = onReply };
        conn.Send(packet);
        return await Await(packet.Task, deadline, op, path, ct);
    }

    private async Task<T> Await<T>(Task<T> task, long deadline, ZkOpCode op, string? path, CancellationToken ct)
    {
        try
        {
            return await task.WaitAsync(Remaining(deadline), ct);
        }
        catch (TimeoutException)
        {
            throw new CoordinatorUnavailableException(
                $"ZooKeeper {Address}: {op} {path} got no reply within {options.OperationTimeout.TotalMilliseconds:0} ms");
        }
    }

    private static TimeSpan Remaining(long deadline) => TimeSpan.FromMilliseconds(Math.Max(0, deadline - Environment.TickCount64));

    /// <summary>The live connection, waiting for one until the deadline.</summary>
    private async Task<ZkConnection> GetConnectionAsync(long deadline, ZkOpCode op, string? path, CancellationToken ct)
    {
        while (true)
        {
            Task signal;
            lock (gate)
            {
                ThrowIfEnded();
                if (connection is { IsClosed: false } c && !frozen) return c;
                signal = connectedSignal.Task;
            }
            try
            {
                await signal.WaitAsync(Remaining(deadline), ct);
            }
            catch (TimeoutException)
            {
                throw new CoordinatorUnavailableException(
                    $"ZooKeeper {Address} unavailable: {(op == ZkOpCode.Ping ? "connect" : $"{op} {path}")} found no server within " +
                    $"{options.OperationTimeout.TotalMilliseconds:0} ms (last error: {lastError})");
            }
        }
    }

    private void ThrowIfEnded()
    {
        if (state == ZkSessionState.Closed) throw new ObjectDisposedException(nameof(ZooKeeperClient), $"use of closed ZooKeeper client ({Address})");
        if (state == ZkSessionState.Expired) throw new SessionExpiredException(expiredReason!);
    }

    private async Task RunSessionAsync()
    {
        int failures = 0;
        int next = Random.Shared.Next(servers.Count);
        while (!stopping.IsCancellationRequested)
        {
            if (frozen)
            {
                await Delay(100);
                continue;
            }
            var server = servers[next++ % servers.Count];
            try
            {
                long id = SessionId;
                var request = new ConnectRequest(id == 0 ? 0 : LastZxid, (int)options.SessionTimeout.TotalMilliseconds, id, password);
                var connectTimeout = TimeSpan.FromMilliseconds(Math.Max(1000, Volatile.Read(ref negotiatedMs) / servers.Count));
                var conn = await ZkConnection.OpenAsync(server, request, connectTimeout, this, stopping.Token);
                if (conn.Session.Expired)
                {
                    Expire($"{server} no longer knows it");
                    return;
                }
                Established(conn, id);
                failures = 0;
                var reason = await MonitorAsync(conn);
                Volatile.Write(ref lastHeard, conn.LastReceive);
                lock (gate)
                {
                    if (connection == conn) connection = null;
                    if (state == ZkSessionState.Connected) state = ZkSessionState.Connecting;
                }
                if (stopping.IsCancellationRequested) return;
                lastError = $"{server}: {reason.Message}";
                Log.Warn("zookeeper connection lost", ("server", server), ("session", $"0x{SessionId:x}"), ("reason", reason.Message));
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                lastError = $"{server}: {e.Message}";
                failures++;
            }
            // No server heard from us for the whole session timeout: the server has expired the session (or will
            // before we get through), so its ephemerals are gone. Say so instead of pretending to hold them.
            if (SessionId != 0 && Environment.TickCount64 - Volatile.Read(ref lastHeard) >= Volatile.Read(ref negotiatedMs))
            {
                Expire($"no server of {Address} reachable for the session timeout ({negotiatedMs} ms); last error: {lastError}");
                return;
            }
            if (failures > 0 && failures % servers.Count == 0)
                await Delay(Math.Min(1000, 50 << Math.Min(failures / servers.Count, 5)) + Random.Shared.Next(50));
        }
    }

    private async Task Delay(int ms)
    {
        try
        {
            await Task.Delay(ms, stopping.Token);
        }
        catch (OperationCanceledException) { }
    }

    private void Established(ZkConnection conn, long previousId)
    {
        var session = conn.Session;
        Interlocked.Exchange(ref sessionId, session.SessionId);
        password = session.Password;
        Volatile.Write(ref negotiatedMs, session.TimeoutMs);
        Volatile.Write(ref lastHeard, Environment.TickCount64);

        // Credentials first, then the watches (re-armed against the last zxid we saw): both are processed
        // before any request sent after them on this connection.
        List<(string, byte[])> credentials;
        lock (gate) credentials = [.. auths];
        foreach (var (scheme, auth) in credentials)
            conn.Send(new ZkAuthPacket(ZkRequests.Frame(ZkXid.Auth, ZkOpCode.Auth, w => ZkRequests.WriteAuth(w, scheme, auth)), scheme));
        if (previousId != 0) SendSetWatches(conn);

        TaskCompletionSource signal;
        lock (gate)
        {
            if (state is ZkSessionState.Closed or ZkSessionState.Expired)
            {
                conn.Close(new ObjectDisposedException(nameof(ZooKeeperClient)));
                return;
            }
            connection = conn;
            state = ZkSessionState.Connected;
            signal = connectedSignal;
            connectedSignal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        signal.TrySetResult();
        Log.Info(previousId == session.SessionId ? "zookeeper session resumed" : "zookeeper session established",
            ("server", conn.Server), ("session", $"0x{session.SessionId:x}"), ("timeout_ms", session.TimeoutMs));
    }

    /// <summary>setWatches in chunks (the server limits a packet's size).</summary>
    private void SendSetWatches(ZkConnection conn)
    {
        var (data, exist, child) = watches.Paths();
        if (data.Count + exist.Count + child.Count == 0) return;
        const int ChunkBytes = 128 * 1024;
        int di = 0, ei = 0, ci = 0;
        while (di < data.Count || ei < exist.Count || ci < child.Count)
        {
            int budget = ChunkBytes;
            var d = Take(data, ref di, ref budget);
            var e = Take(exist, ref ei, ref budget);
            var c = Take(child, ref ci, ref budget);
            long zxid = LastZxid;
            conn.Send(new ZkControlPacket(ZkXid.SetWatches, ZkOpCode.SetWatches,
                ZkRequests.Frame(ZkXid.SetWatches, ZkOpCode.SetWatches, w => ZkRequests.WriteSetWatches(w, zxid, d, e, c))));
        }

        static List<string> Take(List<string> paths, ref int index, ref int budget)
        {
            var chunk = new List<string>();
            while (index < paths.Count && budget > 0)
            {
                budget -= paths[index].Length + 4;
                chunk.Add(paths[index++]);
            }
            return chunk;
        }
    }

    /// <summary>Pings when idle for a third of the timeout; drops a connection silent for two thirds of it.</summary>
    private async Task<Exception> MonitorAsync(ZkConnection conn)
    {
        int timeout = conn.Session.TimeoutMs;
        int readTimeout = timeout * 2 / 3;
        int pingInterval = Math.Min(readTimeout / 2, 10_000);
        while (!conn.IsClosed && !stopping.IsCancellationRequested)
        {
            if (frozen)
            {
                await Delay(50); // a frozen process notices nothing, not even its own silence
                continue;
            }
            long now = Environment.TickCount64;
            long silent = now - conn.LastReceive;
            if (silent >= readTimeout)
            {
                conn.Close(new TimeoutException($"no reply from {conn.Server} for {silent} ms"));
                break;
            }
            if (now - conn.LastSend >= pingInterval)
                conn.Send(new ZkControlPacket(ZkXid.Ping, ZkOpCode.Ping, ZkRequests.Frame(ZkXid.Ping, ZkOpCode.Ping, null)));
            long wait = Math.Min(pingInterval - (Environment.TickCount64 - conn.LastSend), readTimeout - silent);
            try
            {
                await Task.WhenAny(conn.Closed, Task.Delay(TimeSpan.FromMilliseconds(Math.Clamp(wait, 10, 10_000)), stopping.Token));
            }
            catch (OperationCanceledException) { }
        }
        return conn.IsClosed ? await conn.Closed : new ObjectDisposedException(nameof(ZooKeeperClient));
    }

    private void Expire(string reason)
    {
        ZkConnection? conn;
        TaskCompletionSource signal;
        lock (gate)
        {
            if (state is ZkSessionState.Closed or ZkSessionState.Expired) return;
            state = ZkSessionState.Expired;
            expiredReason = reason = $"ZooKeeper session 0x{SessionId:x} expired: {reason}";
            conn = connection;
            connection = null;
            signal = connectedSignal;
        }
        Log.Warn("zookeeper session expired", ("session", $"0x{SessionId:x}"), ("reason", reason));
        conn?.Close(new SessionExpiredException(reason));
        signal.TrySetResult(); // wake waiters: they see Expired
        watches.FireAll(new ZkWatchedEvent(ZkEventType.None, ZkKeeperState.Expired, null));
        expired.TrySetResult();
    }

    void IZkConnectionEvents.OnNotification(ZkWatchedEvent e) => watches.Deliver(e);

    void IZkConnectionEvents.OnZxid(long zxid)
    {
        long seen = Interlocked.Read(ref lastZxid);
        while (zxid > seen)
        {
            long was = Interlocked.CompareExchange(ref lastZxid, zxid, seen);
            if (was == seen) return;
            seen = was;
        }
    }

    // ---- test hooks ---------------------------------------------------------------------------------------

    /// <summary>Cuts the TCP connection (as a network failure would); the session reconnects by itself.</summary>
    internal void DropConnection() => connection?.Close(new IOException("connection cut (test)"));

    /// <summary>Stops all traffic without closing anything, as a frozen process: no pings, no reconnects.</summary>
    internal void Freeze()
    {
        frozen = true;
        connection?.Freeze();
    }

    /// <summary>Resumes after <see cref="Freeze"/>, as a process continued after SIGSTOP.</summary>
    internal void Thaw()
    {
        frozen = false;
        connection?.Thaw();
    }

    /// <summary>
    /// Closes the session: closeSession makes the server delete its ephemerals at once. Idempotent; calls
    /// afterwards throw ObjectDisposedException and pending watches fire with state Closed.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        ZkConnection? conn;
        closing = true;
        lock (gate)
        {
            if (state == ZkSessionState.Closed) return;
            conn = state == ZkSessionState.Connected && !frozen ? connection : null;
        }
        if (conn != null)
        {
            try
            {
                int id = NextXid();
                var packet = new ZkPacket<bool>(id, ZkOpCode.CloseSession, null, ZkRequests.Frame(id, ZkOpCode.CloseSession, null),
                    static (_, ref _) => true, ZkErrorCode.Ok);
                conn.Send(packet);
                await packet.Task.WaitAsync(TimeSpan.FromMilliseconds(Math.Min(options.OperationTimeout.TotalMilliseconds, 3000)));
            }
            catch (Exception e) when (e is TimeoutException or CoordinatorException or ObjectDisposedException) { }
        }
        TaskCompletionSource signal;
        lock (gate)
        {
            state = ZkSessionState.Closed;
            conn = connection;
            connection = null;
            signal = connectedSignal;
        }
        stopping.Cancel();
        conn?.Close(new ObjectDisposedException(nameof(ZooKeeperClient), "client closed"));
        signal.TrySetResult();
        try
        {
            await sessionLoop;
        }
        catch (OperationCanceledException) { }
        watches.FireAll(new ZkWatchedEvent(ZkEventType.None, ZkKeeperState.Closed, null));
        stopping.Dispose();
    }
}
