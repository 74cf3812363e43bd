using System.Net;
using System.Net.Sockets;

namespace Codis.Fault.Tests.Support;

/// <summary>What a <see cref="TcpFaultProxy"/> does to the traffic, switchable at any moment (existing connections included).</summary>
public enum FaultMode
{
    /// <summary>Forward both ways untouched.</summary>
    Pass,
    /// <summary>Accept connections and take the requests, never answer (a hung backend).</summary>
    Silent,
    /// <summary>Forward, but hold every chunk of replies for <see cref="TcpFaultProxy.Delay"/> first.</summary>
    Slow,
    /// <summary>Forward requests; send only part of the next reply chunk, then close both sides.</summary>
    CloseMidReply,
}

/// <summary>
/// A loopback TCP relay placed between codis-proxy and one codis-server, that injects backend faults on demand:
/// silence, slowness, a connection closed in the middle of a reply.
/// </summary>
public sealed class TcpFaultProxy : IDisposable
{
    private readonly TcpListener listener = new(IPAddress.Loopback, 0);
    private readonly int targetPort;
    private readonly CancellationTokenSource stop = new();
    private readonly List<Socket> open = [];
    private volatile FaultMode mode = FaultMode.Pass;
    private int cuts;

    public TcpFaultProxy(int targetPort)
    {
        this.targetPort = targetPort;
        listener.Start();
        Port = ((IPEndPoint)listener.LocalEndpoint).Port;
        _ = AcceptLoopAsync();
    }

    public int Port { get; }
    public string Address => $"127.0.0.1:{Port}";
    public TimeSpan Delay { get; set; } = TimeSpan.FromMilliseconds(300);

    public FaultMode Mode
    {
        get => mode;
        set => mode = value;
    }

    /// <summary>Replies cut short so far (CloseMidReply).</summary>
    public int Cuts => Volatile.Read(ref cuts);

    private async Task AcceptLoopAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            Socket client;
            try { client = await listener.AcceptSocketAsync(stop.Token); }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException) { return; }
            _ = RelayAsync(client);
        }
    }

    private async Task RelayAsync(Socket client)
    {
        var server = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        client.NoDelay = true;
        lock (open) { open.Add(client); open.Add(server); }
        try
        {
            await server.ConnectAsync(IPAddress.Loopback, targetPort, stop.Token);
            await Task.WhenAny(PumpRequestsAsync(client, server), PumpRepliesAsync(server, client));
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException) { }
        finally
        {
            Close(client);
            Close(server);
            lock (open) { open.Remove(client); open.Remove(server); }
        }
    }

    private async Task PumpRequestsAsync(Socket from, Socket to)
    {
        var buf = new byte[64 * 1024];
        try
        {
            while (true)
            {
                int n = await from.ReceiveAsync(buf, SocketFlags.None, stop.Token);
                if (n == 0) return;
                if (mode == FaultMode.Silent) continue; // swallowed: the backend never sees it, nothing comes back
                await SendAllAsync(to, buf.AsMemory(0, n));
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException) { }
    }

    private async Task PumpRepliesAsync(Socket from, Socket to)
    {
        var buf = new byte[64 * 1024];
        try
        {
            while (true)
            {
                int n = await from.ReceiveAsync(buf, SocketFlags.None, stop.Token);
                if (n == 0) return;
                switch (mode)
                {
                    case FaultMode.Silent:
                        continue;
                    case FaultMode.Slow:
                        await Task.Delay(Delay, stop.Token);
                        break;
                    case FaultMode.CloseMidReply:
                        // Half the chunk (a reply of one byte is withheld whole), then both sides close.
                        await SendAllAsync(to, buf.AsMemory(0, n / 2));
                        Interlocked.Increment(ref cuts);
                        return;
                }
                await SendAllAsync(to, buf.AsMemory(0, n));
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException) { }
    }

    private async Task SendAllAsync(Socket s, ReadOnlyMemory<byte> data)
    {
        while (!data.IsEmpty) data = data[await s.SendAsync(data, SocketFlags.None, stop.Token)..];
    }

    private static void Close(Socket s)
    {
        try { s.Shutdown(SocketShutdown.Both); } catch (Exception e) when (e is SocketException or ObjectDisposedException) { }
        s.Dispose();
    }

    /// <summary>Closes every relayed connection now (the next ones start in the current mode).</summary>
    public void DropAll()
    {
        Socket[] all;
        lock (open) all = [.. open];
        foreach (var s in all) Close(s);
    }

    public void Dispose()
    {
        stop.Cancel();
        listener.Stop();
        DropAll();
        stop.Dispose();
    }
}
