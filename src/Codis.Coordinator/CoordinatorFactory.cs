namespace Codis.Coordinator;

/// <summary>Opens the backend named by <see cref="CoordinatorOptions.Name"/> (the original's coordinator_name).</summary>
public static class CoordinatorFactory
{
    public static async Task<ICoordinator> OpenAsync(CoordinatorOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Normalize(options.Name) switch
        {
            "filesystem" => await FileSystem.FileSystemCoordinator.OpenAsync(options, ct),
            "etcd" => await Etcd.EtcdCoordinator.OpenAsync(options, ct),
            "zookeeper" => await ZooKeeper.ZooKeeperCoordinator.OpenAsync(options with { Name = "zookeeper" }, ct),
            _ => throw new NotSupportedException($"unknown coordinator '{options.Name}': use filesystem, etcd or zookeeper"),
        };
    }

    /// <summary>"fs" → "filesystem", "zk" → "zookeeper"; case-insensitive.</summary>
    public static string Normalize(string name) => name.Trim().ToLowerInvariant() switch
    {
        "filesystem" or "fs" => "filesystem",
        "etcd" => "etcd",
        "zookeeper" or "zk" => "zookeeper",
        var other => other,
    };
}
