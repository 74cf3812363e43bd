using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using Codis.Core.Logging;
using Codis.Core.Resp;
using Codis.Server.Commands;
using Codis.Server.Networking;

namespace Codis.Server.Replication;

/// <summary>What a replica announced with REPLCONF before PSYNC/SYNC (§5.7).</summary>
internal sealed class ReplicaHandshake
{
    public int ListeningPort { get; set; }
    public string? IpAddress { get; set; }
    public bool CapaEof { get; set; }
    public bool CapaPsync2 { get; set; }
    public bool RdbOnly { get; set; }
}

/// <summary>INFO's slaveN state.</summary>
internal enum ReplicaState { WaitBgsave, SendBulk, Online }

/// <summary>
/// One replica attached to this server, on the connection it sent PSYNC/SYNC on. The stream bytes fed while it is
/// attached queue up in its own buffer (so a long RDB transfer loses nothing) and a writer task drains them; a
/// reader task takes its REPLCONF ACKs. After a diskless transfer nothing is streamed until the first ACK, because
/// a Redis replica finds the end of an EOF-marked RDB by looking at the last bytes it received.
/// </summary>
internal sealed class ReplicaConnection
{
    /// <summary>Redis's client-output-buffer-limit for replicas (hard limit): a replica this far behind is dropped.</summary>
    private const long OutputLimit = 256L * 1024 * 1024;

    private readonly ReplicationManager manager;
    private readonly object gate = new();
    private readonly SemaphoreSlim signal = new(0);
    private readonly TaskCompletionSource firstAck = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ArrayBufferWriter<byte> pending = new(16 * 1024);
    private ArrayBufferWriter<byte> sending = new(16 * 1024);
    private bool signalled;

    public ReplicaConnection(ReplicationManager manager, ClientSession session, ReplicaHandshake handshake, ReplicaState state)
    {
        this.manager = manager;
        Session = session;
        Handshake = handshake;
        State = state;
        string remote = session.Remote;
        int colon = remote.LastIndexOf(':');
        Ip = handshake.IpAddress ?? (colon > 0 ? remote[..colon].Trim('[', ']') : remote);
        if (Ip.StartsWith("::ffff:", StringComparison.Ordinal)) Ip = Ip[7..];
        LastAckTicks = Environment.TickCount64;
    }

    public ClientSession Session { get; }
    public ReplicaHandshake Handshake { get; }
    public ReplicaState State { get; set; }
    public string Ip { get; }
    public int Port => Handshake.ListeningPort;
    public long AckOffset { get; private set; }
    public long LastAckTicks { get; private set; }
    public bool Closed { get; private set; }

    public string StateName => State switch
    {
        ReplicaState.WaitBgsave => "wait_bgsave",
        ReplicaState.SendBulk => "send_bulk",
        _ => "online",
    };

    /// <summary>Queues stream bytes (under the keyspace lock).</summary>
    public void Enqueue(ReadOnlySpan<byte> bytes)
    {
        if (Closed) return;
        bool wake;
        lock (gate)
        {
            pending.Write(bytes);
            if (pending.WrittenCount > OutputLimit)
            {
                Log.Warn("Client scheduled to be closed ASAP for overcoming of output buffer limits", ("replica", Session.Remote));
                Close();
                return;
            }
            wake = !signalled;
            signalled = true;
        }
        if (wake) signal.Release();
    }

    public void Close()
    {
        Closed = true;
        Session.Kill();
        signal.Release();
    }

    /// <summary>Owns the connection from PSYNC on: optional RDB transfer, then the stream until it closes.</summary>
    public async Task RunAsync(PipeReader reader, PipeWriter writer, Func<PipeWriter, Task<bool>>? transfer, bool diskless)
    {
        var token = Session.Closing.Token;
        var acks = ReadAcksAsync(reader, token);
        try
        {
            if (transfer != null)
            {
                lock (manager.Server.Keyspace.Lock) State = ReplicaState.SendBulk;
                bool keepStreaming = await transfer(writer).ConfigureAwait(false);
                if (!keepStreaming) return;
                if (diskless)
                {
                    // No stream bytes may follow the EOF mark until the replica says it has loaded the RDB.
                    var timeout = Task.Delay(TimeSpan.FromSeconds(manager.Server.Settings["repl-timeout"].AsInt), token);
                    if (await Task.WhenAny(firstAck.Task, timeout, acks).ConfigureAwait(false) != firstAck.Task) return;
                }
                lock (manager.Server.Keyspace.Lock)
                {
                    State = ReplicaState.Online;
                    LastAckTicks = Environment.TickCount64;
                }
                Log.Info("Synchronization with replica succeeded", ("replica", $"{Ip}:{Port}"));
            }
            while (!token.IsCancellationRequested && !Closed)
            {
                await signal.WaitAsync(token).ConfigureAwait(false);
                lock (gate)
                {
                    (pending, sending) = (sending, pending);
                    signalled = false;
                }
                if (sending.WrittenCount == 0) continue;
                writer.Write(sending.WrittenSpan);
                Interlocked.Add(ref manager.Server.Stats.NetReplOutputBytes, sending.WrittenCount);
                sending.ResetWrittenCount();
                var flush = await writer.FlushAsync(token).ConfigureAwait(false);
                if (flush.IsCompleted || flush.IsCanceled) break;
            }
        }
        catch (OperationCanceledException) { }
        catch (IOException) { }
        catch (System.Net.Sockets.SocketException) { }
        catch (Exception e)
        {
            Log.Warn("replica link failed", ("replica", Session.Remote), ("error", e.Message));
        }
        finally
        {
            Closed = true;
            Session.Kill();
            manager.Detach(this);
            Log.Info("Connection with replica lost", ("replica", $"{Ip}:{Port}"));
        }
    }

    /// <summary>Reads what the replica sends: REPLCONF ACK &lt;offset&gt; (and keep-alive newlines).</summary>
    private async Task ReadAcksAsync(PipeReader reader, CancellationToken token)
    {
        var request = new RespRequest();
        try
        {
            while (!token.IsCancellationRequested)
            {
                var result = await reader.ReadAsync(token).ConfigureAwait(false);
                var buffer = result.Buffer;
                var memory = buffer.IsSingleSegment ? buffer.First : buffer.ToArray();
                int offset = 0;
                while (offset < memory.Length)
                {
                    var status = RespRequestParser.TryParse(memory[offset..], request, RespLimits.Default, true, out int used, out _);
                    if (status == ParseStatus.Incomplete) break;
                    offset += used;
                    if (status == ParseStatus.Complete) OnRequest(request);
                }
                reader.AdvanceTo(buffer.GetPosition(offset), buffer.End);
                if (result.IsCompleted) break;
            }
        }
        catch (OperationCanceledException) { }
        catch (IOException) { }
        catch (RespProtocolException) { }
        finally
        {
            Close();
        }
    }

    private void OnRequest(RespRequest r)
    {
        if (r.Count >= 3 && Ascii.EqualsIgnoreCase(r[0], "REPLCONF") && Ascii.EqualsIgnoreCase(r[1], "ACK")
            && CommandContext.TryParseLong(r[2], out long offset))
        {
            lock (manager.Server.Keyspace.Lock)
            {
                if (offset > AckOffset) AckOffset = offset;
                LastAckTicks = Environment.TickCount64;
            }
            firstAck.TrySetResult();
            manager.OnAck();
        }
    }
}
