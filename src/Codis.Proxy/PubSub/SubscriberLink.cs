using System.Net.Sockets;
using System.Text;
using Codis.Core.Resp;
using Codis.Proxy.Backends;

namespace Codis.Proxy.PubSub;

/// <summary>
/// One backend connection in subscribed mode, owned by one client session: it carries that session's channels
/// whose slot the backend serves, and its patterns. The proxy sends (P)(UN)SUBSCRIBE for exactly the names it
/// lists, so every command gets one confirmation per name; pushes (message, pmessage) are handed to the owner.
/// </summary>
internal sealed class SubscriberLink : IDisposable
{
    private readonly Lock sync = new();
    private readonly Lock sendLock = new();
    private readonly Queue<Confirm> confirms = new();
    private readonly BackendOptions options;
    private readonly Action<SubscriberLink, RespValue, byte[]> onPush;
    private readonly Action<SubscriberLink, string> onLost;
    private Socket? socket;
    private bool closed;

    public SubscriberLink(string address, BackendOptions options, Action<SubscriberLink, RespValue, byte[]> onPush, Action<SubscriberLink, string> onLost)
    {
        Address = address;
        this.options = options;
        this.onPush = onPush;
        this.onLost = onLost;
    }

    public string Address { get; }

    /// <summary>The channels and patterns this link was told to carry (Latin-1 strings: one char per byte).</summary>
    public HashSet<string> Channels { get; } = new(StringComparer.Ordinal);
    public HashSet<string> Patterns { get; } = new(StringComparer.Ordinal);

    public bool IsClosed => Volatile.Read(ref closed);

    /// <summary>Connects and authenticates (product_auth); throws with the reason on failure.</summary>
    public async Task ConnectAsync()
    {
        var s = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        if (options.KeepAlivePeriod > TimeSpan.Zero)
        {
            s.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
            s.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime, Math.Max(1, (int)options.KeepAlivePeriod.TotalSeconds));
        }
        try
        {
            var (host, port) = BackendConnection.ParseAddress(Address);
            using var cts = new CancellationTokenSource(options.DialTimeout);
            await s.ConnectAsync(host, port, cts.Token).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            s.Dispose();
            throw new IOException(e is OperationCanceledException ? "dial timeout" : e.Message, e);
        }
        lock (sync)
        {
            if (closed)
            {
                s.Dispose();
                throw new IOException("link closed");
            }
            socket = s;
        }
        var authed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _ = ReadLoopAsync(s, options.Auth.Length > 0 ? authed : null);
        if (options.Auth.Length > 0)
        {
            Send(RespValue.EncodeCommand(["AUTH"u8.ToArray(), Encoding.UTF8.GetBytes(options.Auth)]));
            using var cts = new CancellationTokenSource(options.DialTimeout);
            await authed.Task.WaitAsync(cts.Token).ConfigureAwait(false);
        }
    }

    /// <summary>Sends VERB name... and completes once the backend confirmed every name (or the link died).</summary>
    public Task Command(string verb, IReadOnlyCollection<string> names)
    {
        if (names.Count == 0) return Task.CompletedTask;
        var args = new List<byte[]>(names.Count + 1) { Encoding.ASCII.GetBytes(verb) };
        foreach (var n in names) args.Add(Encoding.Latin1.GetBytes(n));
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var wire = RespValue.EncodeCommand(args);
        lock (sendLock)
        {
            lock (sync)
            {
                if (closed) return Task.FromException(new IOException("link closed"));
                confirms.Enqueue(new Confirm { Remaining = names.Count, Done = done });
            }
            Send(wire);
        }
        return done.Task;
    }

    private void Send(byte[] wire)
    {
        try
        {
            Socket? s;
            lock (sync) s = socket;
            lock (sendLock) s?.Send(wire);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            Fail(e.Message);
        }
    }

    private async Task ReadLoopAsync(Socket s, TaskCompletionSource? authed)
    {
        string? reason = await ReplyReader.RunAsync(s, 16 * 1024, 1024, raw =>
        {
            RespValue.TryParse(raw, out var frame, out _);
            if (authed != null)
            {
                // The first reply answers AUTH.
                if (frame.IsError) throw new IOException("AUTH failed: " + frame.Text);
                authed.TrySetResult();
                authed = null;
                return true;
            }
            Handle(frame, raw);
            return true;
        }, "backend closed the connection").ConfigureAwait(false);
        authed?.TrySetException(new IOException(reason));
        Fail(reason!);
    }

    private void Handle(RespValue frame, byte[] raw)
    {
        if (frame.IsError) throw new IOException("backend error: " + frame.Text);
        if (frame.Items is not { Length: >= 3 } items || items[0].Bytes is not { } kindBytes) return;
        var kind = Encoding.ASCII.GetString(kindBytes);
        switch (kind)
        {
            case "message" or "pmessage":
                onPush(this, frame, raw);
                break;
            case "subscribe" or "unsubscribe" or "psubscribe" or "punsubscribe":
                TaskCompletionSource? done = null;
                lock (sync)
                {
                    if (!confirms.TryPeek(out var head)) return;
                    if (--head.Remaining == 0)
                    {
                        confirms.Dequeue();
                        done = head.Done;
                    }
                }
                done?.TrySetResult();
                break;
        }
    }

    private sealed class Confirm
    {
        public int Remaining;
        public required TaskCompletionSource Done;
    }

    private void Fail(string reason) => Close(reason, tellOwner: true);

    /// <summary>Closes the link on purpose: the owner is not told.</summary>
    public void Dispose() => Close("link closed", tellOwner: false);

    /// <summary>Closes once: pending subscription confirmations fail with <paramref name="reason"/>.</summary>
    private void Close(string reason, bool tellOwner)
    {
        List<TaskCompletionSource> waiting;
        lock (sync)
        {
            if (closed) return;
            closed = true;
            waiting = confirms.Select(c => c.Done).ToList();
            confirms.Clear();
            try { socket?.Dispose(); } catch { }
            socket = null;
        }
        foreach (var w in waiting) w.TrySetException(new IOException(reason));
        if (tellOwner) onLost(this, reason);
    }
}
