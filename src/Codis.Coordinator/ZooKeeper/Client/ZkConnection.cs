using System.Buffers;
using System.Buffers.Binary;
using System.Net.Sockets;
using System.Threading.Channels;
using Codis.Coordinator.ZooKeeper.Jute;
using Codis.Coordinator.ZooKeeper.Protocol;

namespace Codis.Coordinator.ZooKeeper.Client;

/// <summary>What a connection reports to the session that owns it (called on its reader loop).</summary>
internal interface IZkConnectionEvents
{
    void OnNotification(ZkWatchedEvent e);
    void OnZxid(long zxid);
}

/// <summary>
/// One TCP connection to one server after a successful handshake. Requests are pipelined: a writer loop drains a
/// channel and appends each sent packet to the pending FIFO; the reader loop matches each reply against the head
/// of that FIFO by xid (the server answers in order) and routes notifications and pings elsewhere. Any I/O or
/// protocol error closes the connection and fails everything pending; the session then reconnects.
/// </summary>
internal sealed class ZkConnection
{
    /// <summary>Larger frames mean a corrupt stream (the server's own limit on node data is 1 MiB).</summary>
    public const int MaxPacketLength = 4 * 1024 * 1024;

    private readonly NetworkStream stream;
    private readonly IZkConnectionEvents events;
    private readonly Channel<ZkPacket> outgoing = Channel.CreateUnbounded<ZkPacket>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Queue<ZkPacket> pending = new();
    private readonly Queue<ZkAuthPacket> pendingAuth = new();
    private readonly Lock gate = new();
    private readonly TaskCompletionSource<Exception> closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Exception? closeReason;
    private long lastSend, lastReceive;

    private ZkConnection(ZkServerAddress server, NetworkStream stream, ConnectResponse session, IZkConnectionEvents events)
    {
        Server = server;
        this.stream = stream;
        Session = session;
        this.events = events;
        lastSend = lastReceive = Environment.TickCount64;
    }

    public ZkServerAddress Server { get; }
    public ConnectResponse Session { get; }
    public bool IsClosed => closed.Task.IsCompleted;

    /// <summary>Completes with the reason once the connection is dead.</summary>
    public Task<Exception> Closed => closed.Task;

    public long LastSend => Volatile.Read(ref lastSend);
    public long LastReceive => Volatile.Read(ref lastReceive);

    /// <summary>TCP connect + ConnectRequest/ConnectResponse, bounded by <paramref name="timeout"/>.</summary>
    public static async Task<ZkConnection> OpenAsync(ZkServerAddress server, ConnectRequest request, TimeSpan timeout,
        IZkConnectionEvents events, CancellationToken ct)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(timeout);
        try
        {
            await socket.ConnectAsync(server.Host, server.Port, limit.Token);
            var stream = new NetworkStream(socket, ownsSocket: true);
            using (var w = new JuteWriter(64))
            {
                request.WriteFrame(w);
                await stream.WriteAsync(w.WrittenMemory, limit.Token);
            }
            var (buffer, length) = await ReadFrameAsync(stream, limit.Token);
            ConnectResponse response;
            try
            {
                var r = new JuteReader(buffer.AsSpan(0, length));
                response = ConnectResponse.Read(ref r);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
            var connection = new ZkConnection(server, stream, response, events);
            if (response.Expired)
            {
                connection.Close(new SessionExpiredException($"ZooKeeper {server}: session 0x{request.SessionId:x} has expired"));
                return connection;
            }
            _ = connection.ReadLoopAsync();
            _ = connection.WriteLoopAsync();
            return connection;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            socket.Dispose();
            throw new TimeoutException($"no handshake from {server} within {timeout.TotalMilliseconds:0} ms");
        }
        catch (EndOfStreamException)
        {
            socket.Dispose();
            // The server drops a handshake it refuses (e.g. a client that has seen a newer zxid than the server).
            throw new IOException($"{server} closed the connection during the handshake");
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Queues a packet; when the connection is already dead the packet fails at once.</summary>
    public void Send(ZkPacket packet)
    {
        Volatile.Write(ref lastSend, Environment.TickCount64);
        if (!outgoing.Writer.TryWrite(packet)) FailPacket(packet, closeReason ?? new IOException("connection closed"));
    }

    public void Close(Exception reason)
    {
        ZkPacket[] failedPending;
        ZkAuthPacket[] failedAuth;
        lock (gate)
        {
            if (closeReason != null) return;
            closeReason = reason;
            failedPending = [.. pending];
            pending.Clear();
            failedAuth = [.. pendingAuth];
            pendingAuth.Clear();
        }
        outgoing.Writer.TryComplete();
        try
        {
            stream.Socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException) { }
        stream.Dispose();
        // These were handed to the writer: their frames may be mid-write, so the writer releases them.
        foreach (var p in failedPending) FailPacket(p, reason, releaseFrame: false);
        foreach (var p in failedAuth) FailPacket(p, reason, releaseFrame: false);
        closed.TrySetResult(reason);
    }

    /// <summary>Test hook: stop reading and writing without closing the socket (a frozen client).</summary>
    internal void Freeze()
    {
        lock (gate) frozen = true;
    }

    internal void Thaw() => Volatile.Write(ref frozen, false);

    private bool frozen;

    private void FailPacket(ZkPacket p, Exception reason, bool releaseFrame = true)
    {
        if (releaseFrame) p.ReleaseFrame();
        p.Fail(reason is SessionExpiredException or ObjectDisposedException
            ? reason
            : new CoordinatorUnavailableException($"ZooKeeper {Server}: connection lost during {p.Op} {p.Path}: {reason.Message}", reason));
    }

    private async Task WriteLoopAsync()
    {
        var reader = outgoing.Reader;
        try
        {
            while (await reader.WaitToReadAsync())
            {
                while (reader.TryRead(out var p))
                {
                    bool dead;
                    lock (gate)
                    {
                        dead = closeReason != null;
                        if (!dead)
                        {
                            if (p is ZkAuthPacket auth) pendingAuth.Enqueue(auth);
                            else if (p.ExpectsReply) pending.Enqueue(p);
                        }
                    }
                    if (dead)
                    {
                        FailPacket(p, closeReason!);
                        continue;
                    }
                    while (Volatile.Read(ref frozen)) await Task.Delay(50);
                    try
                    {
                        await stream.WriteAsync(p.Frame!.WrittenMemory);
                    }
                    finally
                    {
                        p.ReleaseFrame();
                    }
                }
            }
        }
        catch (Exception e)
        {
            Close(e);
        }
        while (reader.TryRead(out var p)) FailPacket(p, closeReason ?? new IOException("connection closed"));
    }

    private async Task ReadLoopAsync()
    {
        try
        {
            while (true)
            {
                var (buffer, length) = await ReadFrameAsync(stream, CancellationToken.None);
                try
                {
                    while (Volatile.Read(ref frozen)) await Task.Delay(50);
                    Volatile.Write(ref lastReceive, Environment.TickCount64);
                    Dispatch(buffer.AsSpan(0, length));
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
            }
        }
        catch (EndOfStreamException)
        {
            Close(new IOException($"{Server} closed the connection"));
        }
        catch (Exception e)
        {
            Close(e);
        }
    }

    private void Dispatch(ReadOnlySpan<byte> packet)
    {
        var r = new JuteReader(packet);
        var header = ReplyHeader.Read(ref r);
        if (header.Zxid > 0) events.OnZxid(header.Zxid);
        switch (header.Xid)
        {
            case ZkXid.Notification:
                var type = (ZkEventType)r.ReadInt();
                var state = (ZkKeeperState)r.ReadInt();
                events.OnNotification(new ZkWatchedEvent(type, state, r.ReadString()));
                return;
            case ZkXid.Ping:
            case ZkXid.SetWatches:
                return;
            case ZkXid.Auth:
                ZkAuthPacket? auth;
                lock (gate) pendingAuth.TryDequeue(out auth);
                auth?.Complete(header, ref r, Server.ToString());
                return;
        }
        ZkPacket? next;
        lock (gate) pending.TryDequeue(out next);
        if (next == null) throw new ZkProtocolException($"reply with xid {header.Xid} but nothing is pending");
        if (next.Xid != header.Xid)
        {
            FailPacket(next, new ZkProtocolException($"reply xid {header.Xid} does not match request xid {next.Xid}"), releaseFrame: false);
            throw new ZkProtocolException($"reply xid {header.Xid} does not match request xid {next.Xid}");
        }
        next.Complete(header, ref r, Server.ToString());
    }

    /// <summary>Reads one length-prefixed frame into a pooled buffer (the caller returns it).</summary>
    private static async ValueTask<(byte[] Buffer, int Length)> ReadFrameAsync(NetworkStream stream, CancellationToken ct)
    {
        var prefix = ArrayPool<byte>.Shared.Rent(4);
        int length;
        try
        {
            await stream.ReadExactlyAsync(prefix.AsMemory(0, 4), ct);
            length = BinaryPrimitives.ReadInt32BigEndian(prefix);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(prefix);
        }
        if (length < 0 || length > MaxPacketLength) throw new ZkProtocolException($"bad packet length {length}");
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
        try
        {
            await stream.ReadExactlyAsync(buffer.AsMemory(0, length), ct);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
        return (buffer, length);
    }
}

/// <summary>An auth packet (xid -4): replies to these come back in order, apart from the normal FIFO.</summary>
internal sealed class ZkAuthPacket(JuteWriter frame, string scheme) : ZkPacket(ZkXid.Auth, ZkOpCode.Auth, scheme, frame)
{
    private readonly TaskCompletionSource<ZkErrorCode> result = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<ZkErrorCode> Task => result.Task;

    public override void Complete(in ReplyHeader header, ref JuteReader body, string address) => result.TrySetResult((ZkErrorCode)header.Err);

    public override void Fail(Exception error) => result.TrySetException(error);
}
