using System.Net;
using System.Net.Sockets;

namespace Codis.Coordinator.Tests.ZooKeeper;

/// <summary>
/// A loopback TCP forwarder in front of a real server, so a test can cut a client's connection or make one
/// "server" of a list unreachable while the real server keeps running (and other clients keep using it).
/// </summary>
public sealed class TcpRelay : IDisposable
{
    private readonly TcpListener listener = new(IPAddress.Loopback, 0);
    private readonly int targetPort;
    private readonly Lock gate = new();
    private readonly List<Socket> sockets = [];
    private volatile bool refusing;

    public TcpRelay(int targetPort)
    {
        this.targetPort = targetPort;
        listener.Start();
        Port = ((IPEndPoint)listener.LocalEndpoint).Port;
        _ = AcceptLoopAsync();
    }

    public int Port { get; }
    public string Address => $"127.0.0.1:{Port}";

    /// <summary>Cuts every relayed connection and drops new ones until <see cref="Accept"/>.</summary>
    public void Refuse()
    {
        refusing = true;
        CloseAll();
    }

    public void Accept() => refusing = false;

    private void CloseAll()
    {
        Socket[] all;
        lock (gate)
        {
            all = [.. sockets];
            sockets.Clear();
        }
        foreach (var s in all) s.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (true)
        {
            Socket client;
            try
            {
                client = await listener.AcceptSocketAsync();
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return;
            }
            if (refusing)
            {
                client.Dispose();
                continue;
            }
            var server = new Socket(SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await server.ConnectAsync(IPAddress.Loopback, targetPort);
            }
            catch (SocketException)
            {
                client.Dispose();
                server.Dispose();
                continue;
            }
            lock (gate) sockets.AddRange([client, server]);
            _ = PumpAsync(client, server);
            _ = PumpAsync(server, client);
        }
    }

    private static async Task PumpAsync(Socket from, Socket to)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                int n = await from.ReceiveAsync(buffer);
                if (n == 0) break;
                await to.SendAsync(buffer.AsMemory(0, n));
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException) { }
        from.Dispose();
        to.Dispose();
    }

    public void Dispose()
    {
        listener.Stop();
        CloseAll();
    }
}
