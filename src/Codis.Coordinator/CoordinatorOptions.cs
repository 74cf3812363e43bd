namespace Codis.Coordinator;

/// <summary>How to open a coordinator: the original's coordinator_name / coordinator_addr / coordinator_auth.</summary>
public sealed record CoordinatorOptions
{
    /// <summary>"filesystem"/"fs", "etcd", "zookeeper"/"zk".</summary>
    public string Name { get; init; } = "filesystem";

    /// <summary>Root folder (filesystem) or comma-separated host:port list (etcd, ZooKeeper).</summary>
    public string Address { get; init; } = "/tmp/codis";

    /// <summary>"user:password" (ZooKeeper digest, etcd basic auth); empty for none.</summary>
    public string Auth { get; init; } = "";

    /// <summary>Session timeout (ZooKeeper) / lease TTL (etcd) / ephemeral liveness window (filesystem).</summary>
    public TimeSpan SessionTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long one operation may take before it fails with <see cref="CoordinatorUnavailableException"/>.</summary>
    public TimeSpan OperationTimeout { get; init; } = TimeSpan.FromSeconds(10);
}
