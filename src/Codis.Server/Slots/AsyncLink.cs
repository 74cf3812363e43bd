using System.Net.Sockets;
using System.Threading.Channels;
using Codis.Core.Logging;
using Codis.Core.Resp;

namespace Codis.Server.Slots;

/// <summary>
/// The connection of one database's semi-async migration to its target. Messages (SLOTSRESTORE-ASYNC... commands)
/// are queued under the keyspace lock and written by a writer task; a reader task parses what the target sends
/// back (one SLOTSRESTORE-ASYNC-ACK per message) and hands all it read at once to <see cref="AsyncMigration"/>, so
/// the keyspace lock is taken once per read rather than once per acknowledgement (two per key moved).
/// </summary>
internal sealed class AsyncLink
{
    private readonly Socket socket;
    private readonly NetworkStream stream;
    private readonly Channel<byte[]> outgoing = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource closing = new();
    private int closed;

    private AsyncLink(string host, int port, Socket socket)
    {
        Host = host;
        Port = port;
        this.socket = socket;
        stream = new NetworkStream(socket, ownsSocket: true);
    }

    public string Host { get; }
    public int Port { get; }

    /// <summary>Whether AUTH/SELECT were already sent on this link.</summary>
    public bool Used { get; set; }

    public long LastUse { get; set; } = Environment.TickCount64;

    public bool IsClosed => Volatile.Read(ref closed) != 0;

    /// <summary>Connects, waiting at most <paramref name="waitMs"/>.</summary>
    public static AsyncLink? Connect(string host, int port, int waitMs, out string? error)
    {
        try
        {
            var socket = BlockingConnect.Connect(host, port, waitMs);
            error = null;
            return new AsyncLink(host, port, socket);
        }
        catch (Exception e) when (e is SocketException or TimeoutException or ArgumentException)
        {
            Log.Warn("slotsmgrt-async: connect to target failed", ("target", $"{host}:{port}"), ("error", e.Message));
            error = $"ERR create client to {host}:{port} failed";
            return null;
        }
    }

    /// <summary>
    /// Starts the writer and the reader; <paramref name="onReplies"/> and <paramref name="onClosed"/> run on the
    /// reader. The replies' list holds null for each plain success acknowledgement (recognised without parsing).
    /// </summary>
    public void Start(Action<AsyncLink, List<RespValue?>> onReplies, Action<AsyncLink, string> onClosed)
    {
        _ = Task.Run(WriteLoopAsync);
        _ = Task.Run(() => ReadLoopAsync(onReplies, onClosed));
    }

    /// <summary>"SLOTSRESTORE-ASYNC-ACK 0 &lt;message&gt;" up to the message's length: what nearly every reply starts with.</summary>
    private static ReadOnlySpan<byte> OkAckPrefix => "*3\r\n$22\r\nSLOTSRESTORE-ASYNC-ACK\r\n$1\r\n0\r\n$"u8;

    /// <summary>The length of a success acknowledgement at the start of <paramref name="data"/>, or 0.</summary>
    private static int OkAckLength(ReadOnlySpan<byte> data)
    {
        if (!data.StartsWith(OkAckPrefix)) return 0;
        int i = OkAckPrefix.Length, len = 0, digits = 0;
        for (; i < data.Length && data[i] >= (byte)'0' && data[i] <= (byte)'9' && digits < 4; i++, digits++) len = len * 10 + data[i] - '0';
        if (digits == 0 || i + 2 + len + 2 > data.Length || data[i] != '\r' || data[i + 1] != '\n') return 0;
        i += 2 + len;
        return data[i] == '\r' && data[i + 1] == '\n' ? i + 2 : 0;
    }

    public void Send(byte[] message) => outgoing.Writer.TryWrite(message);

    private async Task WriteLoopAsync()
    {
        var buffer = new MemoryStream();
        try
        {
            var reader = outgoing.Reader;
            while (await reader.WaitToReadAsync(closing.Token).ConfigureAwait(false))
            {
                buffer.SetLength(0);
                while (buffer.Length < 256 * 1024 && reader.TryRead(out var m)) buffer.Write(m);
                await stream.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), closing.Token).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException or SocketException)
        {
            Close();
        }
    }

    private async Task ReadLoopAsync(Action<AsyncLink, List<RespValue?>> onReplies, Action<AsyncLink, string> onClosed)
    {
        var buffer = new byte[64 * 1024];
        var replies = new List<RespValue?>();
        int start = 0, end = 0;
        string reason = "interrupted: connection closed";
        try
        {
            while (true)
            {
                while (end > start)
                {
                    int ok = OkAckLength(buffer.AsSpan(start, end - start));
                    if (ok > 0)
                    {
                        start += ok;
                        replies.Add(null);
                        continue;
                    }
                    if (!RespValue.TryParse(buffer.AsSpan(start, end - start), out var value, out int used)) break;
                    start += used;
                    replies.Add(value);
                }
                if (replies.Count > 0)
                {
                    onReplies(this, replies);
                    replies.Clear();
                }
                if (start > 0)
                {
                    Buffer.BlockCopy(buffer, start, buffer, 0, end - start);
                    end -= start;
                    start = 0;
                }
                if (end == buffer.Length) Array.Resize(ref buffer, buffer.Length * 2);
                int n = await stream.ReadAsync(buffer.AsMemory(end), closing.Token).ConfigureAwait(false);
                if (n == 0) break;
                end += n;
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException or SocketException)
        {
        }
        catch (Exception e)
        {
            reason = "interrupted: bad reply from target";
            Log.Warn("slotsmgrt-async: bad data from target", ("target", $"{Host}:{Port}"), ("error", e.Message));
        }
        Close();
        onClosed(this, reason);
    }

    public void Close()
    {
        if (Interlocked.Exchange(ref closed, 1) != 0) return;
        try { closing.Cancel(); } catch (ObjectDisposedException) { }
        outgoing.Writer.TryComplete();
        try { socket.Shutdown(SocketShutdown.Both); } catch (Exception) { }
        stream.Dispose();
    }
}
