using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Codis.Proxy.Tests;

/// <summary>A statsd stand-in: every datagram received on 127.0.0.1:port, as text.</summary>
public sealed class UdpSink : IDisposable
{
    private readonly UdpClient udp;
    private readonly CancellationTokenSource stop = new();
    public ConcurrentQueue<string> Datagrams { get; } = new();
    public int Port { get; }

    public UdpSink(int port = 0)
    {
        udp = new UdpClient(new IPEndPoint(IPAddress.Loopback, port));
        Port = ((IPEndPoint)udp.Client.LocalEndPoint!).Port;
        _ = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                try { Datagrams.Enqueue(Encoding.UTF8.GetString((await udp.ReceiveAsync(stop.Token)).Buffer)); }
                catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException) { return; }
            }
        });
    }

    /// <summary>A port no one listens on (UDP), for a target that is down.</summary>
    public static int FreePort()
    {
        using var u = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)u.Client.LocalEndPoint!).Port;
    }

    public void Dispose()
    {
        stop.Cancel();
        udp.Dispose();
    }
}

/// <summary>One HTTP request as the sink read it.</summary>
public sealed record SinkRequest(string Method, string Target, Dictionary<string, string> Headers, string Body);

/// <summary>
/// An HTTP target on 127.0.0.1:port over a raw TcpListener: reads requests (Content-Length bodies, keep-alive) and
/// answers 204, or never answers (<paramref name="hang"/>: a target that accepts and stalls).
/// </summary>
public sealed class HttpSink : IDisposable
{
    private readonly TcpListener listener;
    private readonly CancellationTokenSource stop = new();
    private readonly bool hang;
    public ConcurrentQueue<SinkRequest> Requests { get; } = new();
    public int Connections;
    public int Port { get; }

    public HttpSink(int port = 0, bool hang = false)
    {
        this.hang = hang;
        listener = new TcpListener(IPAddress.Loopback, port);
        listener.Start();
        Port = ((IPEndPoint)listener.LocalEndpoint).Port;
        _ = Task.Run(AcceptAsync);
    }

    private async Task AcceptAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            TcpClient c;
            try { c = await listener.AcceptTcpClientAsync(stop.Token); }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException) { return; }
            Interlocked.Increment(ref Connections);
            _ = Task.Run(() => ServeAsync(c));
        }
    }

    private async Task ServeAsync(TcpClient c)
    {
        using var _ = c;
        var s = c.GetStream();
        var buf = new List<byte>();
        var chunk = new byte[8192];
        try
        {
            while (!stop.IsCancellationRequested)
            {
                int headerEnd;
                while ((headerEnd = IndexOf(buf, "\r\n\r\n"u8.ToArray())) < 0)
                {
                    int n = await s.ReadAsync(chunk, stop.Token);
                    if (n == 0) return;
                    buf.AddRange(chunk.AsSpan(0, n).ToArray());
                }
                var lines = Encoding.ASCII.GetString(buf.GetRange(0, headerEnd).ToArray()).Split("\r\n");
                var first = lines[0].Split(' ');
                var headers = lines.Skip(1).Select(l => l.Split(':', 2)).ToDictionary(p => p[0].Trim().ToLowerInvariant(), p => p[1].Trim());
                int len = headers.TryGetValue("content-length", out var cl) ? int.Parse(cl) : 0;
                while (buf.Count < headerEnd + 4 + len)
                {
                    int n = await s.ReadAsync(chunk, stop.Token);
                    if (n == 0) return;
                    buf.AddRange(chunk.AsSpan(0, n).ToArray());
                }
                string body = Encoding.UTF8.GetString(buf.GetRange(headerEnd + 4, len).ToArray());
                buf.RemoveRange(0, headerEnd + 4 + len);
                Requests.Enqueue(new SinkRequest(first[0], first[1], headers, body));
                if (hang)
                {
                    await Task.Delay(Timeout.Infinite, stop.Token);
                    return;
                }
                await s.WriteAsync("HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n"u8.ToArray(), stop.Token);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException or SocketException) { }
    }

    private static int IndexOf(List<byte> buf, byte[] pattern)
    {
        for (int i = 0; i + pattern.Length <= buf.Count; i++)
        {
            int j = 0;
            while (j < pattern.Length && buf[i + j] == pattern[j]) j++;
            if (j == pattern.Length) return i;
        }
        return -1;
    }

    public void Dispose()
    {
        stop.Cancel();
        listener.Stop();
    }
}

public static class Eventually
{
    /// <summary>Polls until <paramref name="probe"/> gives a value, or fails the test after <paramref name="timeout"/>.</summary>
    public static T Get<T>(Func<T?> probe, TimeSpan timeout, string what) where T : class
    {
        var sw = Stopwatch.StartNew();
        while (true)
        {
            if (probe() is { } v) return v;
            if (sw.Elapsed > timeout) throw new Xunit.Sdk.XunitException($"timed out after {timeout.TotalSeconds}s waiting for {what}");
            Thread.Sleep(50);
        }
    }
}
