using System.Net.Sockets;
using Codis.Core.Logging;
using Codis.Core.Resp;

namespace Codis.Server.Slots;

/// <summary>
/// The connection of one database's semi-async migration to its target. Messages (SLOTSRESTORE-ASYNC... commands)
/// are appended under the keyspace lock and written by <see cref="Flush"/> on the same thread, in one non-blocking
/// send per flush (a window of messages, not one write per message, and no writer task to wake); what the socket
/// does not take at once goes out from a background write, so a slow target never holds the lock. A reader task
/// parses what the target sends back (one SLOTSRESTORE-ASYNC-ACK per message) and hands all it read at once to
/// <see cref="AsyncMigration"/>, so the keyspace lock is taken once per read rather than once per acknowledgement
/// (two per key moved).
/// </summary>
internal sealed class AsyncLink
{
    private readonly Socket socket;
    private readonly CancellationTokenSource closing = new();
    private int closed;

    // Output not yet written (guarded by sendLock); while a background write runs it owns the writing, and Flush
    // only appends.
    private readonly object sendLock = new();
    private byte[] output = new byte[OutputBlock], spare = new byte[OutputBlock];
    private int outputLength;
    private bool writing;
    private const int OutputBlock = 64 * 1024;

    private AsyncLink(string host, int port, Socket socket)
    {
        Host = host;
        Port = port;
        this.socket = socket;
        socket.Blocking = false; // Flush's sends return what the socket took instead of waiting
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
    /// Starts the reader; <paramref name="onReplies"/> and <paramref name="onClosed"/> run on it. The replies' list
    /// holds null for each plain success acknowledgement (recognised without parsing).
    /// </summary>
    public void Start(Action<AsyncLink, List<RespValue?>> onReplies, Action<AsyncLink, string> onClosed) =>
        _ = Task.Run(() => ReadLoopAsync(onReplies, onClosed));

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

    /// <summary>Appends a message to the output; it is written by the next <see cref="Flush"/>.</summary>
    public void Send(ReadOnlySpan<byte> message)
    {
        lock (sendLock)
        {
            if (outputLength + message.Length > output.Length)
                Array.Resize(ref output, Math.Max(output.Length * 2, outputLength + message.Length));
            message.CopyTo(output.AsSpan(outputLength));
            outputLength += message.Length;
        }
    }

    /// <summary>
    /// Writes the output: on the calling thread as far as the socket takes it without waiting, the rest from a
    /// background write (which then also writes whatever is appended meanwhile, in order).
    /// </summary>
    public void Flush()
    {
        bool failed = false;
        lock (sendLock)
        {
            if (writing || outputLength == 0 || IsClosed) return;
            int sent = 0;
            try
            {
                while (sent < outputLength)
                {
                    int n = socket.Send(output, sent, outputLength - sent, SocketFlags.None, out var error);
                    if (error == SocketError.WouldBlock) break;
                    if (error != SocketError.Success)
                    {
                        failed = true;
                        break;
                    }
                    sent += n;
                }
            }
            catch (ObjectDisposedException)
            {
                failed = true;
            }
            if (!failed)
            {
                outputLength -= sent;
                if (outputLength > 0)
                {
                    if (sent > 0) Buffer.BlockCopy(output, sent, output, 0, outputLength);
                    writing = true;
                    _ = Task.Run(WriteRestAsync);
                }
                else if (output.Length > 16 * OutputBlock)
                {
                    output = new byte[OutputBlock]; // a big chunk went out: do not keep its room
                }
            }
        }
        if (failed) Close();
    }

    private async Task WriteRestAsync()
    {
        try
        {
            while (true)
            {
                byte[] chunk;
                int length;
                lock (sendLock)
                {
                    if (outputLength == 0 || IsClosed)
                    {
                        writing = false;
                        return;
                    }
                    (chunk, length) = (output, outputLength);
                    (output, spare, outputLength) = (spare, chunk, 0);
                }
                for (int sent = 0; sent < length;)
                    sent += await socket.SendAsync(chunk.AsMemory(sent, length - sent), SocketFlags.None, closing.Token).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
        {
            lock (sendLock) writing = false;
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
                int n = await socket.ReceiveAsync(buffer.AsMemory(end), SocketFlags.None, closing.Token).ConfigureAwait(false);
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
            Log.Warn("slotsmgrt-async: bad data from target", ("target", $"{Host}:{Port}"), ("error", e.ToString()));
        }
        Close();
        onClosed(this, reason);
    }

    public void Close()
    {
        if (Interlocked.Exchange(ref closed, 1) != 0) return;
        try { closing.Cancel(); } catch (ObjectDisposedException) { }
        try { socket.Shutdown(SocketShutdown.Both); } catch (Exception) { }
        socket.Dispose();
    }
}
