namespace Codis.Proxy.Backends;

/// <summary>How the proxy talks to backends (the original's backend_* settings).</summary>
internal sealed record BackendOptions
{
    /// <summary>product_auth: the password of the group servers.</summary>
    public string Auth { get; init; } = "";
    public TimeSpan DialTimeout { get; init; } = TimeSpan.FromSeconds(5);
    public int PrimaryParallel { get; init; } = 1;
    public int ReplicaParallel { get; init; } = 1;
    public int Databases { get; init; } = 16;
    public TimeSpan PingPeriod { get; init; } = TimeSpan.FromSeconds(5);
}
