using System.Net;
using System.Net.Sockets;

namespace Codis.Server.Tests.Infrastructure;

/// <summary>
/// A TCP relay in front of a server, so a test can cut a replication link for a moment (<see cref="Cut"/>) the way
/// a network blip would, without touching either process.
/// </summary>
public sealed class TcpRelay : IDisposable
{
    private readonly TcpListener listener;
    private readonly int targetPort;
    private readonly List<(Socket A, Socket B)> links = new();
    private readonly CancellationTokenSource stop = new();

    public TcpRelay(int targetPort)
    {
        this.targetPort = targetPort;
        listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        Port = ((IPEndPoint)listener.LocalEndpoint).Port;
        _ = AcceptLoopAsync();
    }

    public int Port { get; }

    /// <summary>While blocked, new connections are closed at once (the master looks unreachable).</summary>
    public bool Blocked { get; set; }

    public int Connections { get; private set; }

    /// <summary>
    /// Bytes the relay passes from clients to the server before it goes silent: what follows is read and dropped,
    /// and no reply comes back for it, as from a target that hangs (a migration source then times out).
    /// </summary>
    public long FreezeAfter { get; set; } = long.MaxValue;

    private long forwarded;

    private async Task AcceptLoopAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            Socket client;
            try { client = await listener.AcceptSocketAsync(stop.Token); }
            catch (Exception) { return; }
            if (Blocked)
            {
                client.Dispose();
                continue;
            }
            var server = new Socket(SocketType.Stream, ProtocolType.Tcp);
            try { await server.ConnectAsync(IPAddress.Loopback, targetPort); }
            catch (SocketException)
            {
                client.Dispose();
                server.Dispose();
                continue;
            }
            lock (links) links.Add((client, server));
            Connections++;
            _ = PumpAsync(client, server, upstream: true);
            _ = PumpAsync(server, client, upstream: false);
        }
    }

    private async Task PumpAsync(Socket from, Socket to, bool upstream)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                int n = await from.ReceiveAsync(buffer, SocketFlags.None);
                if (n <= 0) break;
                if (upstream)
                {
                    long room = Math.Max(0, FreezeAfter - forwarded);
                    n = (int)Math.Min(n, room);
                    forwarded += n;
                    if (n == 0) continue;
                }
                await to.SendAsync(buffer.AsMemory(0, n), SocketFlags.None);
            }
        }
        catch (Exception) { }
        try { to.Shutdown(SocketShutdown.Both); } catch (Exception) { }
        try { from.Shutdown(SocketShutdown.Both); } catch (Exception) { }
    }

    /// <summary>Closes every relayed connection now.</summary>
    public void Cut()
    {
        lock (links)
        {
            foreach (var (a, b) in links)
            {
                a.Dispose();
                b.Dispose();
            }
            links.Clear();
        }
    }

    public void Dispose()
    {
        stop.Cancel();
        listener.Stop();
        Cut();
    }
}
