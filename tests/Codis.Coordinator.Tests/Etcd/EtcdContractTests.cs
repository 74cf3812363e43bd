using Codis.Coordinator.Etcd;
using Codis.Coordinator.Tests.Contract;

namespace Codis.Coordinator.Tests.Etcd;

/// <summary>The shared contract against a real etcd 3.4 started for this class.</summary>
public sealed class EtcdContractTests(EtcdServer etcd) : CoordinatorContractTests, IClassFixture<EtcdServer>
{
    protected override async Task<ICoordinator> OpenAsync() => await EtcdCoordinator.OpenAsync(etcd.Options());

    protected override CoordinatorOptions OwnerOptions => etcd.Options();

    // The owner's lease (TTL 2 s) must run out after its keep-alives stop.
    protected override TimeSpan EphemeralExpiry => TimeSpan.FromSeconds(4);
}
