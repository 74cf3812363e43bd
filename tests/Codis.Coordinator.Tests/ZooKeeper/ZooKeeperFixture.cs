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
