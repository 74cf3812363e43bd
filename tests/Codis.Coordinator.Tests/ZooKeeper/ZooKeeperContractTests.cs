using Codis.Coordinator.Tests.Contract;

namespace Codis.Coordinator.Tests.ZooKeeper;

/// <summary>The shared coordinator contract against a real ZooKeeper 3.8.</summary>
public sealed class ZooKeeperContractTests(ZooKeeperFixture zk) : CoordinatorContractTests, IClassFixture<ZooKeeperFixture>
{
    private static readonly TimeSpan OwnerSession = TimeSpan.FromSeconds(3); // short, yet safe from missed pings on a loaded machine

    protected override async Task<ICoordinator> OpenAsync() => await zk.OpenAsync();

    protected override CoordinatorOptions OwnerOptions => zk.Options(OwnerSession);

    /// <summary>The server expires sessions on tick buckets: timeout + a tick, plus slack for a loaded machine.</summary>
    protected override TimeSpan EphemeralExpiry => OwnerSession + TimeSpan.FromMilliseconds(zk.Server.TickMs) + TimeSpan.FromSeconds(3);
}
