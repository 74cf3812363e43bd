using System.Net.Sockets;
using System.Threading.Channels;
using Codis.Core.Logging;
using Codis.Core.Resp;

namespace Codis.Server.Slots;

/// <summary>
/// The connection of one database's semi-async migration to its target. Messages (SLOTSRESTORE-ASYNC... commands)
/// are queued under the keyspace lock and written by a writer task; a reader task parses what the target sends
/// back (one SLOTSRESTORE-ASYNC-ACK per message) and hands each to <see cref="AsyncMigration"/>.
/// </summary>
internal sealed class AsyncLink
{
    private readonly TcpClient tcp;
    private readonly NetworkStream stream;
    private readonly Channel<byte[]> outgoing = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource closing = new();
    private int closed;

    private AsyncLink(string host, int port, TcpClient tcp)
    {
        Host = host;
        Port = port;
        this.tcp = tcp;
        stream = tcp.GetStream();
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
        var tcp = new TcpClient { NoDelay = true };
        try
        {
            var connect = tcp.ConnectAsync(host, port);
            if (!connect.Wait(waitMs)) throw new TimeoutException($"no connection within {waitMs} ms");
            error = null;
            return new AsyncLink(host, port, tcp);
        }
        catch (Exception e)
        {
            if (e is AggregateException { InnerException: { } inner }) e = inner;
            Log.Warn("slotsmgrt-async: connect to target failed", ("target", $"{host}:{port}"), ("error", e.Message));
            tcp.Dispose();
            error = $"ERR create client to {host}:{port} failed";
            return null;
        }
    }

    /// <summary>Starts the writer and the reader; <paramref name="onReply"/> and <paramref name="onClosed"/> run on the reader.</summary>
    public void Start(Action<AsyncLink, RespValue> onReply, Action<AsyncLink, string> onClosed)
    {
        _ = Task.Run(WriteLoopAsync);
        _ = Task.Run(() => ReadLoopAsync(onReply, onClosed));
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

    private async Task ReadLoopAsync(Action<AsyncLink, RespValue> onReply, Action<AsyncLink, string> onClosed)
    {
        var buffer = new byte[64 * 1024];
        int start = 0, end = 0;
        string reason = "interrupted: connection closed";
        try
        {
            while (true)
            {
                while (end > start && RespValue.TryParse(buffer.AsSpan(start, end - start), out var value, out int used))
                {
                    start += used;
                    onReply(this, value);
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
        try { tcp.Client.Shutdown(SocketShutdown.Both); } catch (Exception) { }
        tcp.Dispose();
    }
}
