using Codis.Coordinator.ZooKeeper;
using Codis.Coordinator.ZooKeeper.Client;
using Codis.Testing;

namespace Codis.Coordinator.Tests.ZooKeeper;

/// <summary>One real ZooKeeper (tickTime 500 ms: sessions of 1–10 s) per test class; starting a JVM takes a while.</summary>
public class ZooKeeperFixture : IDisposable
{
    public ZooKeeperFixture() : this(500) { }

    protected ZooKeeperFixture(int tickMs) => Server = ZooKeeperServerProcess.Start(tickMs);

    public ZooKeeperServerProcess Server { get; }

    public string Address => Server.Address;

    public CoordinatorOptions Options(TimeSpan? session = null, string auth = "", TimeSpan? operation = null) => new()
    {
        Name = "zookeeper",
        Address = Server.Address,
        Auth = auth,
        SessionTimeout = session ?? TimeSpan.FromSeconds(6),
        OperationTimeout = operation ?? TimeSpan.FromSeconds(5),
    };

    public async Task<ZooKeeperCoordinator> OpenAsync(TimeSpan? session = null, string auth = "", TimeSpan? operation = null) =>
        (ZooKeeperCoordinator)await ZooKeeperCoordinator.OpenAsync(Options(session, auth, operation));

    /// <summary>
    /// A coordinator with a short operation timeout, connected without holding its first connect to that timeout
    /// (a loaded machine may need longer for the first handshake than the tests want calls to wait).
    /// </summary>
    public async Task<ZooKeeperCoordinator> OpenConnectedAsync(TimeSpan session, TimeSpan operation)
    {
        var c = new ZooKeeperCoordinator(Options(session, operation: operation));
        var sw = System.Diagnostics.Stopwatch.StartNew();
        while (c.Client.State != ZkSessionState.Connected)
        {
            if (sw.Elapsed > TimeSpan.FromSeconds(20))
            {
                await c.DisposeAsync();
                throw new TimeoutException($"no session within 20 s: {c.Client.LastError}");
            }
            await Task.Delay(20);
        }
        return c;
    }

    public async Task<ZooKeeperClient> ClientAsync(TimeSpan? session = null, string? auth = null, TimeSpan? operation = null)
    {
        var c = new ZooKeeperClient(new ZooKeeperClientOptions
        {
            Servers = Server.Address,
            SessionTimeout = session ?? TimeSpan.FromSeconds(6),
            OperationTimeout = operation ?? TimeSpan.FromSeconds(5),
            DigestAuth = auth,
        });
        await c.ConnectAsync();
        return c;
    }

    public void Dispose()
    {
        Server.Dispose();
        GC.SuppressFinalize(this);
    }
}

/// <summary>tickTime 2000 ms: sessions up to 40 s, so a session outlives a server restart on a slow machine.</summary>
public sealed class SlowTickZooKeeperFixture : ZooKeeperFixture
{
    public SlowTickZooKeeperFixture() : base(2000) { }
}
