using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Text;
using Codis.Core.Logging;
using Codis.Core.Resp;
using Codis.Server.Commands;

namespace Codis.Server.Networking;

/// <summary>
/// One TCP client: reads with a PipeReader, parses every complete request in the buffer, runs the batch under
/// the keyspace lock (so each command is atomic while parsing and I/O use both cores), then flushes replies in
/// request order. Malformed input gets "-ERR Protocol error: ..." and closes this connection only.
/// </summary>
internal sealed class ClientConnection
{
    private const int MaxBatch = 256;

    private readonly CodisServer server;
    private readonly Socket socket;
    private readonly IClientTransport transport;
    private readonly PipeReader reader;
    private readonly PipeWriter writer;
    private readonly RespWriter resp;
    private readonly CommandContext ctx;
    private readonly List<RespRequest> batch = new();
    private readonly List<RespRequest> pool = new();
    private byte[]? linear;
    private RespRequest? partial;

    public ClientSession Session { get; }

    public ClientConnection(CodisServer server, Socket socket, Func<Socket, IClientTransport> transportFor)
    {
        this.server = server;
        this.socket = socket;
        socket.NoDelay = true;
        // Before the transport: an event-loop transport may deliver bytes as soon as it exists.
        Session = new ClientSession(socket.RemoteEndPoint, socket.LocalEndPoint, Environment.TickCount64, SafeFd(socket))
        {
            Authenticated = !server.RequiresAuth,
            User = server.Acl.Default,
        };
        transport = transportFor(socket);
        reader = transport.Input;
        writer = transport.Output;
        Session.Wake = reader.CancelPendingRead; // a pushed message ends the wait for input (see PushOutbox)
        resp = new RespWriter(writer);
        ctx = new CommandContext(server, Session, resp) { Output = writer };
    }

    private static long SafeFd(Socket socket)
    {
        try { return OperatingSystem.IsWindows() ? -1 : socket.Handle.ToInt64(); }
        catch (ObjectDisposedException) { return -1; }
    }

    public async Task RunAsync()
    {
        var token = Session.Closing.Token;
        try
        {
            long needed = 0;
            // One registration for the connection's life instead of one per read: a kill cancels the pending read.
            using var cancelRead = token.Register(static r => ((PipeReader)r!).CancelPendingRead(), reader);
            while (!token.IsCancellationRequested)
            {
                var result = await reader.ReadAsync().ConfigureAwait(false);
                var buffer = result.Buffer;
                if (result.IsCanceled)
                {
                    if (token.IsCancellationRequested) break; // killed
                    // Woken by a push (pub/sub): write what is queued, then look at the input as usual.
                    reader.AdvanceTo(buffer.Start);
                    await FlushPushedAsync(token).ConfigureAwait(false);
                    continue;
                }
                Session.InputBufferBytes = buffer.Length;
                if (buffer.Length < needed && !result.IsCompleted)
                {
                    reader.AdvanceTo(buffer.Start, buffer.End);
                    continue;
                }
                long consumed = ParseBatch(buffer, out needed, out bool protocolError);
                bool more = batch.Count == MaxBatch; // stopped at the batch cap: unparsed requests may be waiting
                if (batch.Count > 0)
                {
                    Session.LastInteraction = Environment.TickCount64;
                    // A command that waits (WAIT) or runs long (a script) must not hold an event-loop thread other clients share.
                    if (transport.SharesThread && HasLongRunningCommand()) await Task.Yield();
                    if (server.IsPaused) await server.WaitWhilePausedAsync(batch, Session, token).ConfigureAwait(false);
                    await ExecuteBatchAsync(token).ConfigureAwait(false);
                    RecycleBatch(batch);
                    batch.Clear();
                }
                var consumedPos = buffer.GetPosition(consumed);
                reader.AdvanceTo(consumedPos, more ? consumedPos : buffer.End);
                resp.Commit();
                CountTraffic(consumed);
                var flush = await writer.FlushAsync(token).ConfigureAwait(false);
                Session.Push?.Flushed();
                if (protocolError || Session.CloseAfterReply || flush.IsCompleted) break;
                if (Session.MonitorLines != null)
                {
                    await MonitorAsync(Session.MonitorLines, token).ConfigureAwait(false);
                    break;
                }
                if (Session.TakeOver is { } takeOver)
                {
                    // PSYNC/SYNC: replication owns the connection from here (RDB transfer, stream, ACKs), starting
                    // on the thread pool (the RDB transfer is long work).
                    if (transport.SharesThread) await Task.Yield();
                    await takeOver(reader, writer).ConfigureAwait(false);
                    break;
                }
                if (result.IsCompleted && !more) break;
            }
        }
        catch (OperationCanceledException) { }
        catch (IOException) { }
        catch (SocketException) { }
        catch (Exception e)
        {
            Log.Error("client connection failed", ("client", Session.Remote), ("error", e.Message));
        }
        finally
        {
            await CloseAsync().ConfigureAwait(false);
        }
    }

    private async Task FlushPushedAsync(CancellationToken token)
    {
        var push = Session.Push;
        if (push == null) return;
        push.TakeInto(resp);
        resp.Commit();
        await writer.FlushAsync(token).ConfigureAwait(false);
        push.Flushed();
    }

    /// <summary>
    /// After MONITOR the connection only streams the monitor lines (this is the only writer from then on); what
    /// the client sends is read and dropped, and closing the connection ends the monitor.
    /// </summary>
    private async Task MonitorAsync(System.Threading.Channels.Channel<byte[]> lines, CancellationToken token)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(token);
        var drain = DrainInputAsync(linked);
        try
        {
            while (await lines.Reader.WaitToReadAsync(linked.Token).ConfigureAwait(false))
            {
                long bytes = 0;
                while (lines.Reader.TryRead(out var line))
                {
                    writer.Write(line);
                    bytes += line.Length;
                }
                Interlocked.Add(ref server.Stats.NetOutputBytes, bytes);
                if ((await writer.FlushAsync(linked.Token).ConfigureAwait(false)).IsCompleted) break;
            }
        }
        catch (OperationCanceledException) { }
        finally
        {
            linked.Cancel();
            lock (server.Keyspace.Lock) server.Monitors.Remove(Session);
            try { await drain.ConfigureAwait(false); } catch (OperationCanceledException) { }
        }
    }

    private async Task DrainInputAsync(CancellationTokenSource done)
    {
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync(done.Token).ConfigureAwait(false);
                reader.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted) break;
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException) { }
        finally
        {
            try { done.Cancel(); } catch (ObjectDisposedException) { }
        }
    }

    private long lastBytesWritten;

    /// <summary>INFO stats: bytes in and out, reads and writes, the largest recent buffers.</summary>
    private void CountTraffic(long consumed)
    {
        var stats = server.Stats;
        Interlocked.Increment(ref stats.ReadsProcessed);
        if (consumed > 0) Interlocked.Add(ref stats.NetInputBytes, consumed);
        long written = resp.BytesWritten - lastBytesWritten;
        lastBytesWritten = resp.BytesWritten;
        Session.OutputBufferBytes = written;
        if (written > 0)
        {
            Interlocked.Add(ref stats.NetOutputBytes, written);
            Interlocked.Increment(ref stats.WritesProcessed);
            if (written > stats.ClientRecentMaxOutputBuffer) stats.ClientRecentMaxOutputBuffer = written;
        }
        if (Session.InputBufferBytes > stats.ClientRecentMaxInputBuffer) stats.ClientRecentMaxInputBuffer = Session.InputBufferBytes;
    }

    /// <summary>
    /// Runs the parsed batch. A command that blocks its client (BLPOP and friends: <see cref="CommandContext.Blocked"/>;
    /// semi-async migration and its fence: <see cref="CommandContext.Deferred"/>) stops the batch: the replies before
    /// it are flushed, the wait happens without the lock, its reply is written, and the rest of the batch runs.
    /// </summary>
    private async Task ExecuteBatchAsync(CancellationToken token)
    {
        int next = 0;
        while (true)
        {
            next = server.Execute(ctx, batch, next);
            Task<byte[]> pending;
            if (ctx.Blocked is { } blocked)
            {
                ctx.Blocked = null;
                pending = server.Blocking.WaitAsync(blocked, socket, token);
            }
            else if (ctx.Deferred is { } deferred)
            {
                ctx.Deferred = null;
                pending = deferred;
            }
            else return;
            if (Session.CloseAfterReply) return;
            resp.Commit();
            await writer.FlushAsync(token).ConfigureAwait(false);
            var reply = await pending.WaitAsync(token).ConfigureAwait(false);
            resp.WriteRaw(reply);
            Session.LastInteraction = Environment.TickCount64;
        }
    }

    /// <summary>Parses complete requests into <see cref="batch"/>; returns the number of bytes they used.</summary>
    private long ParseBatch(ReadOnlySequence<byte> buffer, out long needed, out bool protocolError)
    {
        needed = 0;
        protocolError = false;
        long consumed = 0;
        ReadOnlyMemory<byte> memory = buffer.First;
        int offset = 0;
        bool linearized = buffer.IsSingleSegment;
        try
        {
            while (batch.Count < MaxBatch)
            {
                if (offset >= memory.Length)
                {
                    if (consumed >= buffer.Length) break;
                    memory = Linearize(buffer.Slice(consumed));
                    offset = 0;
                    linearized = true;
                }
                // After Incomplete we only ever retry the same request (in a bigger buffer, at offset 0), so an
                // incomplete one resumes where its parse stopped instead of re-reading all its arguments.
                var request = partial ?? Rent();
                partial = null;
                request.ArmResume();
                var status = RespRequestParser.TryParse(memory[offset..], request, server.Limits,
                    Session.Authenticated, out int used, out long need);
                if (status == ParseStatus.Incomplete)
                {
                    partial = request;
                    if (!linearized && consumed + (memory.Length - offset) < buffer.Length)
                    {
                        // The request continues in the next segment: copy the rest into one block and retry.
                        memory = Linearize(buffer.Slice(consumed));
                        offset = 0;
                        linearized = true;
                        continue;
                    }
                    needed = need; // relative to the first unconsumed byte, where the next read starts
                    break;
                }
                offset += used;
                consumed += used;
                if (status == ParseStatus.Skip) Return(request);
                else batch.Add(request);
            }
        }
        catch (RespProtocolException e)
        {
            protocolError = true;
            server.Execute(ctx, batch); // requests before the bad one are still answered, as Redis does
            if (ctx.Blocked is { } blocked)
            {
                // The connection closes after the error: a command that blocked here just stops waiting.
                lock (server.Keyspace.Lock) server.Blocking.Release(blocked, null);
                ctx.Blocked = null;
            }
            batch.Clear();
            string error = "ERR Protocol error: " + e.Message;
            resp.WriteError(error);
            server.Stats.CountError(error);
            Log.Info("protocol error from client", ("client", Session.Remote), ("error", e.Message));
        }
        return consumed;
    }

    private ReadOnlyMemory<byte> Linearize(ReadOnlySequence<byte> rest)
    {
        // A fresh array each time: requests already parsed keep pointing into the previous one.
        int length = (int)Math.Min(rest.Length, int.MaxValue);
        linear = new byte[length];
        rest.Slice(0, length).CopyTo(linear);
        return linear;
    }

    private RespRequest Rent()
    {
        if (pool.Count == 0) return new RespRequest();
        var r = pool[^1];
        pool.RemoveAt(pool.Count - 1);
        return r;
    }

    private void Return(RespRequest r) => pool.Add(r);

    internal void RecycleBatch(List<RespRequest> done)
    {
        foreach (var r in done) pool.Add(r);
    }

    private bool HasLongRunningCommand()
    {
        foreach (var r in batch)
            if (CommandTable.Of(r) is { MayRunLong: true }) return true;
        return false;
    }

    private async Task CloseAsync()
    {
        server.Unregister(this);
        bool abort = Session.Closing.IsCancellationRequested;
        try { await reader.CompleteAsync().ConfigureAwait(false); } catch { }
        try { await writer.CompleteAsync().ConfigureAwait(false); } catch { }
        try { await transport.CloseAsync(abort).ConfigureAwait(false); } catch { }
        Session.Closing.Dispose();
    }

    public static string DescribeUnknown(RespRequest r)
    {
        var sb = new StringBuilder();
        sb.Append("ERR unknown command '").Append(Truncate(r.ToUtf8String(0))).Append("', with args beginning with: ");
        for (int i = 1; i < r.Count && sb.Length < 128 * 4; i++)
            sb.Append('\'').Append(Truncate(r.ToUtf8String(i))).Append("' ");
        return sb.ToString();
    }

    private static string Truncate(string s) => s.Length > 128 ? s[..128] : s;
}
