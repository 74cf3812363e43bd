using System.Buffers;
using System.Net.Sockets;
using System.Text;
using Codis.Core.Resp;
using Codis.Proxy.Sessions;

namespace Codis.Proxy.Backends;

/// <summary>
/// A backend connection owned by one session for as long as the session needs server-side state on it
/// (WATCH/MULTI, a blocking pop, a subscription). Unlike the pooled <see cref="BackendConnection"/> it is never
/// shared, never reconnected (the state it carries would be lost silently) and has no reply timeout (a blocked
/// command may wait forever). Replies complete the waiting requests in FIFO order; a reply that arrives when
/// none waits (a pub/sub push) goes to <see cref="Unsolicited"/>. When the connection fails or is disposed,
/// every waiting request gets an error and <see cref="Closed"/> completes.
/// </summary>
internal sealed class PinnedConnection : IDisposable
{
    private readonly Lock sync = new();
    private readonly Queue<PendingRequest> waiting = new();
    private readonly Socket socket;
    private readonly TaskCompletionSource closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ArrayBufferWriter<byte> writeBuffer = new(4 * 1024);
    private ArrayBufferWriter<byte> sendBuffer = new(4 * 1024);
    private bool sending;
    private string? failure;

    private PinnedConnection(Socket socket, string address, int database)
    {
        this.socket = socket;
        Address = address;
        Database = database;
    }

    public string Address { get; }
    public int Database { get; private set; }

    /// <summary>Completes once the connection is unusable (<see cref="Failure"/> says why).</summary>
    public Task Closed => closed.Task;

    public string? Failure
    {
        get { lock (sync) return failure; }
    }

    public bool IsOpen
    {
        get { lock (sync) return failure == null; }
    }

    /// <summary>Replies nobody waits for (pushes of a subscribed connection). Called on the read loop.</summary>
    public Action<byte[]>? Unsolicited { get; set; }

    /// <summary>Requests sent and not answered yet.</summary>
    public int Waiting
    {
        get { lock (sync) return waiting.Count; }
    }

    /// <summary>
    /// Connects to <paramref name="address"/>, authenticates with product_auth and selects
    /// <paramref name="database"/>; throws <see cref="IOException"/> with the reason when any step fails.
    /// </summary>
    public static async Task<PinnedConnection> OpenAsync(string address, int database, BackendOptions options, CancellationToken ct = default)
    {
        var s = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        if (options.KeepAlivePeriod > TimeSpan.Zero)
        {
            s.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
            s.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime, Math.Max(1, (int)options.KeepAlivePeriod.TotalSeconds));
        }
        try
        {
            var (host, port) = BackendConnection.ParseAddress(address);
            using var dial = CancellationTokenSource.CreateLinkedTokenSource(ct);
            dial.CancelAfter(options.DialTimeout);
            await s.ConnectAsync(host, port, dial.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or FormatException)
        {
            s.Dispose();
            throw new IOException(e is OperationCanceledException ? "dial timeout" : e.Message, e);
        }
        var conn = new PinnedConnection(s, address, database);
        _ = conn.ReadLoopAsync();
        var steps = new List<(string, Task<byte[]>)>();
        if (options.Auth.Length > 0)
            steps.Add(("AUTH", conn.RequestAsync(RespValue.EncodeCommand(["AUTH"u8.ToArray(), Encoding.UTF8.GetBytes(options.Auth)]))));
        if (database != 0)
            steps.Add(("SELECT", conn.RequestAsync(RespValue.EncodeCommand(["SELECT"u8.ToArray(), Encoding.ASCII.GetBytes(database.ToString())]))));
        foreach (var (what, step) in steps)
        {
            var reply = await step.ConfigureAwait(false);
            if (Replies.IsError(reply))
            {
                conn.Dispose();
                throw new IOException($"{what} failed: {Replies.ErrorText(reply)}");
            }
        }
        return conn;
    }

    /// <summary>Sends one request; its reply (or an error when the connection fails) completes <paramref name="request"/>.</summary>
    public void Send(PendingRequest request, ReadOnlySpan<byte> wire)
    {
        string? failed;
        lock (sync)
        {
            failed = failure;
            if (failed == null)
            {
                writeBuffer.Write(wire);
                waiting.Enqueue(request);
                StartSendLocked();
            }
        }
        if (failed != null) request.Fail("ERR handle response, backend conn closed: " + failed);
    }

    /// <summary>Sends bytes whose replies nobody waits for (they go to <see cref="Unsolicited"/>).</summary>
    public bool SendRaw(ReadOnlySpan<byte> wire)
    {
        lock (sync)
        {
            if (failure != null) return false;
            writeBuffer.Write(wire);
            StartSendLocked();
            return true;
        }
    }

    /// <summary>One request and its raw reply (an error reply when the connection fails).</summary>
    public Task<byte[]> RequestAsync(ReadOnlySpan<byte> wire)
    {
        var done = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        Send(new PendingRequest(null) { Continuation = r => done.TrySetResult(r.Reply!) }, wire);
        return done.Task;
    }

    /// <summary>The session switched databases: so does this connection (its reply is checked, not relayed).</summary>
    public void Select(int database)
    {
        if (database == Database) return;
        Database = database;
        Send(new PendingRequest(null)
        {
            Continuation = r => { if (Replies.IsError(r.Reply!)) Fail("SELECT failed: " + Replies.ErrorText(r.Reply!)); },
        }, RespValue.EncodeCommand(["SELECT"u8.ToArray(), Encoding.ASCII.GetBytes(database.ToString())]));
    }

    private void StartSendLocked()
    {
        if (sending) return;
        sending = true;
        (writeBuffer, sendBuffer) = (sendBuffer, writeBuffer);
        _ = SendLoopAsync();
    }

    private async Task SendLoopAsync()
    {
        try
        {
            while (true)
            {
                var data = sendBuffer.WrittenMemory;
                while (!data.IsEmpty)
                {
                    int n = await socket.SendAsync(data, SocketFlags.None).ConfigureAwait(false);
                    data = data[n..];
                }
                lock (sync)
                {
                    sendBuffer.ResetWrittenCount();
                    if (failure != null || writeBuffer.WrittenCount == 0)
                    {
                        sending = false;
                        return;
                    }
                    (writeBuffer, sendBuffer) = (sendBuffer, writeBuffer);
                }
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or IOException)
        {
            Fail(e.Message);
        }
    }

    private async Task ReadLoopAsync()
    {
        string? reason = await ReplyReader.RunAsync(socket, 16 * 1024, 4 * 1024, reply =>
        {
            PendingRequest? r;
            lock (sync) waiting.TryDequeue(out r);
            if (r != null) r.Complete(reply);
            else Unsolicited?.Invoke(reply);
            return true;
        }, "backend closed the connection").ConfigureAwait(false);
        Fail(reason!);
    }


    /// <summary>Marks the connection dead, closes the socket (the server drops its state: watches, blocks) and fails what waits.</summary>
    private void Fail(string reason)
    {
        List<PendingRequest> failed;
        lock (sync)
        {
            if (failure != null) return;
            failure = reason;
            failed = new List<PendingRequest>(waiting);
            waiting.Clear();
        }
        try { socket.Dispose(); } catch { }
        closed.TrySetResult();
        foreach (var r in failed) r.Fail("ERR handle response, backend conn closed: " + reason);
    }

    public void Dispose() => Fail("released by the session");
}
