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
    /// <summary>A connection whose requests get no reply this long is dropped (its requests fail).</summary>
    public TimeSpan RecvTimeout { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>A connection whose send makes no progress this long is dropped.</summary>
    public TimeSpan SendTimeout { get; init; } = TimeSpan.FromSeconds(30);
    public int MaxPipeline { get; init; } = 20480;
    public TimeSpan KeepAlivePeriod { get; init; } = TimeSpan.FromSeconds(75);
    /// <summary>backend_replica_ack: a write is answered only once this many replicas of its master have it (0 = off).</summary>
    public int ReplicaAck { get; init; }
    /// <summary>How long the master's WAIT may wait for those replicas before the write gets an error.</summary>
    public TimeSpan ReplicaAckTimeout { get; init; } = TimeSpan.FromSeconds(1);
    public int RecvBufferSize { get; init; } = 128 * 1024;
    public int SendBufferSize { get; init; } = 128 * 1024;
    /// <summary>proxy_event_loops: backend sockets are served by these loops (none: .NET's socket engine).</summary>
    public Codis.Core.Networking.EventLoop.EventLoop[] Loops { get; init; } = [];
}
