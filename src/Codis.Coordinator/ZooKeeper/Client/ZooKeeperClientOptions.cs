namespace Codis.Coordinator.ZooKeeper.Client;

/// <summary>How to open a ZooKeeper session.</summary>
public sealed record ZooKeeperClientOptions
{
    /// <summary>Comma-separated host:port list; the client moves to the next one when a server is lost.</summary>
    public required string Servers { get; init; }

    /// <summary>Requested session timeout; the server clamps it to [2, 20] ticks.</summary>
    public TimeSpan SessionTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Upper bound of every call, including waiting for a connection.</summary>
    public TimeSpan OperationTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>"user:password" for digest auth (sent on every connection), or null.</summary>
    public string? DigestAuth { get; init; }

    public static ZooKeeperClientOptions From(CoordinatorOptions options) => new()
    {
        Servers = options.Address,
        SessionTimeout = options.SessionTimeout,
        OperationTimeout = options.OperationTimeout,
        DigestAuth = string.IsNullOrEmpty(options.Auth) ? null : options.Auth,
    };
}
