using Codis.Testing;

namespace Codis.Coordinator.Tests.Etcd;

/// <summary>A real etcd for the coordinator tests, with the client options that reach it.</summary>
public sealed class EtcdServer : EtcdServerProcess
{
    public CoordinatorOptions Options(string auth = "") => new()
    {
        Name = "etcd",
        Address = Address,
        Auth = auth,
        SessionTimeout = TimeSpan.FromSeconds(2),
        OperationTimeout = TimeSpan.FromSeconds(5),
    };
}
