using System.Buffers;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Codis.Core.Logging;
using Codis.Core.Resp;
using Codis.Server.Commands;
using Codis.Server.Networking;
using Codis.Server.Persistence;

namespace Codis.Server.Replication;

/// <summary>
/// A replica's link to its master (§5.1–5.5): handshake (PING, AUTH masterauth, REPLCONF listening-port and capa,
/// PSYNC with our replid and offset+1), then either +CONTINUE or +FULLRESYNC with an RDB (disk or EOF-marked) that
/// replaces the dataset, then the command stream: each command runs as the master client with its reply discarded,
/// its exact bytes are passed on to our own backlog and replicas, and the offset advances by them. REPLCONF ACK
/// goes out every second and on GETACK. Reconnects every second while it is down.
/// </summary>
internal sealed class MasterLink
{
    private static readonly RespLimits StreamLimits = new() { MaxBulkLength = long.MaxValue, MaxInlineLength = 64 * 1024 };

    private readonly ReplicationManager manager;
    private readonly CodisServer server;
    private readonly CancellationTokenSource stop = new();
    private readonly SemaphoreSlim writeGate = new(1, 1);
    private readonly ClientSession session;
    private readonly CommandContext ctx;
    private readonly ArrayBufferWriter<byte> sink = new(1024);
    private readonly RespWriter reply;
    private Socket? socket;
    private NetworkStream? stream;

    public MasterLink(ReplicationManager manager, string host, int port, int streamDb)
    {
        this.manager = manager;
        server = manager.Server;
        Host = host;
        Port = port;
        session = new ClientSession(null, null, Environment.TickCount64)
        {
            Authenticated = true, IsInternal = true, IsReplay = true, IsMasterLink = true, Name = "master", DbIndex = streamDb,
        };
        reply = new RespWriter(sink);
        ctx = new CommandContext(server, session, reply);
        DownSinceTicks = -1;
    }

    public string Host { get; }
    public int Port { get; }

    /// <summary>ROLE's state: connect, connecting, sync, connected.</summary>
    public string State { get; private set; } = "connect";
    public long LastIoTicks { get; private set; }
    public long DownSinceTicks { get; private set; }
    public bool SyncInProgress => State == "sync";
    public long SyncTotalBytes { get; private set; } = -1;
    public long SyncReadBytes { get; private set; }
    public long ReadOffset { get; private set; }
    public int StreamDb => session.DbIndex;

    public void Start() => _ = Task.Run(RunAsync);

    public void Stop()
    {
        stop.Cancel();
        try { socket?.Dispose(); } catch (ObjectDisposedException) { }
    }

    private async Task RunAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await SessionAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException
                                          or ReplicationException or InvalidDataException)
            {
                if (!stop.IsCancellationRequested) Log.Warn("Replication link with MASTER failed", ("master", $"{Host}:{Port}"), ("error", e.Message));
            }
            catch (Exception e)
            {
                Log.Error("Replication link with MASTER crashed", ("master", $"{Host}:{Port}"), ("error", e.ToString()));
            }
            finally
            {
                bool wasUp = State == "connected";
                State = "connect";
                if (wasUp || DownSinceTicks < 0) DownSinceTicks = Environment.TickCount64;
                try { socket?.Dispose(); } catch (ObjectDisposedException) { }
                socket = null;
                stream = null;
                if (wasUp) Log.Info("Connection with master lost", ("master", $"{Host}:{Port}"));
            }
            try { await Task.Delay(1000, stop.Token).ConfigureAwait(false); }
            catch (OperationCanceledException) { return; }
        }
    }

    private sealed class ReplicationException(string message) : Exception(message);

    private async Task SessionAsync()
    {
        State = "connecting";
        var s = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        socket = s;
        using (var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(stop.Token))
        {
            connectTimeout.CancelAfter(TimeSpan.FromSeconds(server.Settings["repl-timeout"].AsInt));
            await s.ConnectAsync(Host, Port, connectTimeout.Token).ConfigureAwait(false);
        }
        stream = new NetworkStream(s, ownsSocket: false);
        var input = new LinkReader(stream, this);
        Log.Info("MASTER <-> REPLICA sync started", ("master", $"{Host}:{Port}"));

        await SendAsync(Command("PING")).ConfigureAwait(false);
        string pong = await input.ReadLineAsync().ConfigureAwait(false);
        if (pong.StartsWith('-') && !pong.StartsWith("-NOAUTH", StringComparison.Ordinal) && !pong.StartsWith("-NOPERM", StringComparison.Ordinal)
            && !pong.StartsWith("-ERR operation not permitted", StringComparison.Ordinal))
            throw new ReplicationException("Error reply to PING from master: " + pong);

        // AUTH and REPLCONF go back to back; the replies are read in order.
        string auth = server.Settings["masterauth"].Value;
        string user = server.Settings["masteruser"].Value;
        var batch = new List<byte[]>();
        if (auth.Length > 0) batch.Add(user.Length > 0 ? Command("AUTH", user, auth) : Command("AUTH", auth));
        int announcePort = server.Settings["replica-announce-port"].AsInt;
        batch.Add(Command("REPLCONF", "listening-port", (announcePort > 0 ? announcePort : server.Port).ToString(CultureInfo.InvariantCulture)));
        string announceIp = server.Settings["replica-announce-ip"].Value;
        if (announceIp.Length > 0) batch.Add(Command("REPLCONF", "ip-address", announceIp));
        batch.Add(Command("REPLCONF", "capa", "eof", "capa", "psync2"));
        await SendAsync(batch.SelectMany(b => b).ToArray()).ConfigureAwait(false);
        if (auth.Length > 0)
        {
            string r = await input.ReadLineAsync().ConfigureAwait(false);
            if (r.StartsWith('-')) throw new ReplicationException("Unable to AUTH to MASTER: " + r);
        }
        for (int i = auth.Length > 0 ? 1 : 0; i < batch.Count; i++) await input.ReadLineAsync().ConfigureAwait(false); // errors ignored (old masters)

        string id;
        long offset;
        bool failover;
        lock (server.Keyspace.Lock) (id, offset, failover) = manager.PsyncRequest();
        // A FAILOVER of ours asks the target, our caught-up replica until now, to take over before it answers.
        await SendAsync(failover ? Command("PSYNC", id, offset.ToString(CultureInfo.InvariantCulture), "FAILOVER")
            : Command("PSYNC", id, offset.ToString(CultureInfo.InvariantCulture))).ConfigureAwait(false);
        string answer = await input.ReadLineSkippingEmptyAsync().ConfigureAwait(false);
        if (failover)
        {
            lock (server.Keyspace.Lock)
            {
                if (stop.IsCancellationRequested) throw new OperationCanceledException();
                if (answer.StartsWith("+CONTINUE", StringComparison.Ordinal) || answer.StartsWith("+FULLRESYNC", StringComparison.Ordinal)) manager.FailoverDone();
                else
                {
                    manager.AbortFailover("Failover target rejected psync request");
                    throw new OperationCanceledException(); // the link is gone: AbortFailover made us a master again
                }
            }
        }
        if (answer.StartsWith("+FULLRESYNC", StringComparison.Ordinal))
        {
            var parts = answer.Split(' ');
            if (parts.Length < 3 || parts[1].Length != 40 || !long.TryParse(parts[2], CultureInfo.InvariantCulture, out long masterOffset))
                throw new ReplicationException("bad +FULLRESYNC reply: " + answer);
            Log.Info("Full resync from master", ("replid", parts[1]), ("offset", masterOffset));
            State = "sync";
            await ReceiveRdbAsync(input, parts[1], masterOffset).ConfigureAwait(false);
        }
        else if (answer.StartsWith("+CONTINUE", StringComparison.Ordinal))
        {
            string? newId = answer.Length > 10 ? answer[10..].Trim() : null;
            lock (server.Keyspace.Lock)
            {
                if (stop.IsCancellationRequested) throw new OperationCanceledException();
                manager.OnContinue(newId);
            }
            Log.Info("MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization.", ("master", $"{Host}:{Port}"));
        }
        else
        {
            throw new ReplicationException("Unexpected reply to PSYNC from master: " + answer);
        }

        State = "connected";
        DownSinceTicks = -1;
        lock (server.Keyspace.Lock) ReadOffset = manager.MasterReplOffset;
        Log.Info("MASTER <-> REPLICA sync: Finished with success", ("master", $"{Host}:{Port}"));
        await SendAckAsync().ConfigureAwait(false);
        using var linkDone = CancellationTokenSource.CreateLinkedTokenSource(stop.Token);
        var acks = AckLoopAsync(linkDone.Token);
        try
        {
            await StreamAsync(input).ConfigureAwait(false);
        }
        finally
        {
            linkDone.Cancel();
            try { await acks.ConfigureAwait(false); } catch (OperationCanceledException) { }
        }
    }

    private async Task ReceiveRdbAsync(LinkReader input, string replId, long masterOffset)
    {
        string header = await input.ReadLineSkippingEmptyAsync().ConfigureAwait(false);
        if (!header.StartsWith('$')) throw new ReplicationException("Bad protocol from MASTER, the first byte is not '$': " + header);
        string temp = Path.Combine(server.Persistence.Dir, $"temp-{Environment.ProcessId}.{Environment.TickCount64}.rdb");
        SyncReadBytes = 0;
        try
        {
            await using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
            {
                if (header.StartsWith("$EOF:", StringComparison.Ordinal))
                {
                    var mark = Encoding.ASCII.GetBytes(header[5..]);
                    if (mark.Length != 40) throw new ReplicationException("bad EOF mark: " + header);
                    SyncTotalBytes = 0;
                    await input.CopyUntilMarkAsync(file, mark, n => SyncReadBytes += n).ConfigureAwait(false);
                }
                else
                {
                    if (!long.TryParse(header.AsSpan(1), CultureInfo.InvariantCulture, out long length) || length < 0)
                        throw new ReplicationException("bad bulk length from MASTER: " + header);
                    SyncTotalBytes = length;
                    await input.CopyExactlyAsync(file, length, n => SyncReadBytes += n).ConfigureAwait(false);
                }
                await file.FlushAsync().ConfigureAwait(false);
                file.Flush(flushToDisk: true);
            }
            Log.Info("MASTER <-> REPLICA sync: received the RDB", ("bytes", SyncReadBytes));
            lock (server.Keyspace.Lock)
            {
                // REPLICAOF may have replaced this link while the RDB arrived: then it must not touch the data.
                if (stop.IsCancellationRequested) throw new OperationCanceledException();
                server.Keyspace.RefreshClock();
                server.Keyspace.FlushAll();
                RdbLoadResult result;
                try
                {
                    result = server.Persistence.LoadRdbFile(temp, keepExpired: true);
                }
                catch (InvalidDataException)
                {
                    server.Keyspace.FlushAll();
                    throw;
                }
                session.DbIndex = result.Replication?.StreamDb ?? 0;
                // A transaction cut by the lost link ends here: the new stream starts after the snapshot. (After a
                // partial resync the stream resumes where it stopped, so a queued MULTI just continues.)
                session.Multi = null;
                manager.OnFullSync(replId, masterOffset);
                // The received file is our dump.rdb now (its repl-* fields let a restart resume with PSYNC).
                DurableFile.Replace(temp, server.Persistence.RdbPath);
                server.Persistence.Aof.OnDatasetReplaced();
            }
            Log.Info("MASTER <-> REPLICA sync: Loading DB in memory done", ("keys", server.Keyspace.TotalKeys()));
        }
        finally
        {
            SyncTotalBytes = -1;
            try { if (File.Exists(temp)) File.Delete(temp); } catch (IOException) { }
        }
    }

    /// <summary>Applies the command stream until the link drops.</summary>
    private async Task StreamAsync(LinkReader input)
    {
        var request = new RespRequest();
        bool replicaAckPending = false;
        long ackOffset = 0;
        bool fill = false; // bytes that followed the RDB may already be buffered
        while (!stop.IsCancellationRequested)
        {
            var chunk = await input.ReadChunkAsync(fill).ConfigureAwait(false);
            fill = true;
            int pos = 0;
            lock (server.Keyspace.Lock)
            {
                if (stop.IsCancellationRequested) return;
                while (pos < chunk.Length)
                {
                    var status = RespRequestParser.TryParse(chunk[pos..], request, StreamLimits, true, out int used, out _);
                    if (status == ParseStatus.Incomplete) break;
                    var raw = chunk.Span.Slice(pos, used);
                    pos += used;
                    if (status == ParseStatus.Complete)
                    {
                        if (request.Count >= 2 && Ascii.EqualsIgnoreCase(request[0], "REPLCONF") && Ascii.EqualsIgnoreCase(request[1], "GETACK"))
                        {
                            // The answer carries the offset before the GETACK itself (§5.5).
                            replicaAckPending = true;
                            ackOffset = manager.MasterReplOffset;
                        }
                        else
                        {
                            server.Keyspace.RefreshClock();
                            server.ExecuteOne(ctx, request);
                            reply.Commit();
                            sink.Clear();
                        }
                    }
                    manager.FeedRaw(raw);
                }
                ReadOffset = manager.MasterReplOffset + (chunk.Length - pos);
            }
            input.Consume(pos);
            server.Persistence.Aof.Commit();
            if (replicaAckPending)
            {
                replicaAckPending = false;
                await SendAsync(Command("REPLCONF", "ACK", ackOffset.ToString(CultureInfo.InvariantCulture))).ConfigureAwait(false);
            }
        }
    }

    private async Task AckLoopAsync(CancellationToken token)
    {
        long timeoutMs = server.Settings["repl-timeout"].AsLong * 1000;
        while (!token.IsCancellationRequested)
        {
            await Task.Delay(1000, token).ConfigureAwait(false);
            if (Environment.TickCount64 - LastIoTicks > timeoutMs)
            {
                Log.Warn("MASTER timeout: no data nor PING received", ("master", $"{Host}:{Port}"));
                try { socket?.Dispose(); } catch (ObjectDisposedException) { }
                return;
            }
            try { await SendAckAsync().ConfigureAwait(false); }
            catch (Exception e) when (e is IOException or ObjectDisposedException or SocketException) { return; }
        }
    }

    private Task SendAckAsync()
    {
        long offset;
        lock (server.Keyspace.Lock) offset = manager.MasterReplOffset;
        return SendAsync(Command("REPLCONF", "ACK", offset.ToString(CultureInfo.InvariantCulture)));
    }

    private async Task SendAsync(byte[] bytes)
    {
        var st = stream ?? throw new IOException("not connected");
        await writeGate.WaitAsync(stop.Token).ConfigureAwait(false);
        try
        {
            await st.WriteAsync(bytes, stop.Token).ConfigureAwait(false);
        }
        finally
        {
            writeGate.Release();
        }
    }

    private static byte[] Command(params string[] args)
    {
        var w = new ArrayBufferWriter<byte>(64);
        CommandEncoder.Write(w, args.Select(a => Encoding.UTF8.GetBytes(a)).ToArray());
        return w.WrittenSpan.ToArray();
    }

    internal void Touch() => LastIoTicks = Environment.TickCount64;

    /// <summary>Buffered reads from the master: lines, exact byte counts, EOF-marked payloads, stream chunks.</summary>
    private sealed class LinkReader(NetworkStream stream, MasterLink link)
    {
        private byte[] buffer = new byte[64 * 1024];
        private int start, end;

        private async Task FillAsync()
        {
            if (start > 0 && start == end) start = end = 0;
            if (end == buffer.Length)
            {
                if (start > 0)
                {
                    Buffer.BlockCopy(buffer, start, buffer, 0, end - start);
                    end -= start;
                    start = 0;
                }
                else
                {
                    Array.Resize(ref buffer, buffer.Length * 2);
                }
            }
            int n = await stream.ReadAsync(buffer.AsMemory(end), link.stop.Token).ConfigureAwait(false);
            if (n <= 0) throw new IOException("connection closed by master");
            end += n;
            link.Touch();
            Interlocked.Add(ref link.server.Stats.NetReplInputBytes, n);
        }

        public async Task<string> ReadLineAsync()
        {
            while (true)
            {
                int nl = Array.IndexOf(buffer, (byte)'\n', start, end - start);
                if (nl >= 0)
                {
                    string line = Encoding.UTF8.GetString(buffer, start, nl - start).TrimEnd('\r');
                    start = nl + 1;
                    return line;
                }
                if (end - start > 64 * 1024) throw new ReplicationException("line too long from master");
                await FillAsync().ConfigureAwait(false);
            }
        }

        /// <summary>Skips the bare newlines a master sends as keep-alives before +FULLRESYNC and the RDB.</summary>
        public async Task<string> ReadLineSkippingEmptyAsync()
        {
            while (true)
            {
                string line = await ReadLineAsync().ConfigureAwait(false);
                if (line.Length > 0) return line;
            }
        }

        public async Task CopyExactlyAsync(Stream output, long length, Action<long> progress)
        {
            long left = length;
            while (left > 0)
            {
                if (start == end) await FillAsync().ConfigureAwait(false);
                int n = (int)Math.Min(left, end - start);
                await output.WriteAsync(buffer.AsMemory(start, n)).ConfigureAwait(false);
                start += n;
                left -= n;
                progress(n);
            }
        }

        /// <summary>Copies bytes until the last 40 received equal the mark; the mark itself is not copied.</summary>
        public async Task CopyUntilMarkAsync(Stream output, byte[] mark, Action<long> progress)
        {
            // Hold back the last mark.Length bytes: they may be (the start of) the mark.
            while (true)
            {
                if (end - start >= mark.Length && buffer.AsSpan(end - mark.Length, mark.Length).SequenceEqual(mark))
                {
                    int payload = end - start - mark.Length;
                    await output.WriteAsync(buffer.AsMemory(start, payload)).ConfigureAwait(false);
                    progress(payload);
                    start = end = 0;
                    return;
                }
                int safe = end - start - mark.Length;
                if (safe > 0)
                {
                    await output.WriteAsync(buffer.AsMemory(start, safe)).ConfigureAwait(false);
                    progress(safe);
                    start += safe;
                }
                if (start > 0)
                {
                    Buffer.BlockCopy(buffer, start, buffer, 0, end - start);
                    end -= start;
                    start = 0;
                }
                await FillAsync().ConfigureAwait(false);
            }
        }

        /// <summary>
        /// The unconsumed bytes, after reading more when <paramref name="fill"/> (or nothing is buffered);
        /// <see cref="Consume"/> says how many were used. Valid until the next call.
        /// </summary>
        public async Task<ReadOnlyMemory<byte>> ReadChunkAsync(bool fill)
        {
            if (start > 0)
            {
                Buffer.BlockCopy(buffer, start, buffer, 0, end - start);
                end -= start;
                start = 0;
            }
            if (fill || end == 0) await FillAsync().ConfigureAwait(false);
            return buffer.AsMemory(start, end - start);
        }

        public void Consume(int count) => start += count;
    }
}
