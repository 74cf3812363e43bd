using Codis.Coordinator.ZooKeeper.Protocol;

namespace Codis.Coordinator.ZooKeeper.Client;

/// <summary>A ZooKeeper error without a dedicated coordinator exception (NoAuth, BadArguments, ...); carries the code.</summary>
public sealed class ZooKeeperException(ZkErrorCode code, string message) : CoordinatorException(message)
{
    public ZkErrorCode Code { get; } = code;
}

/// <summary>Maps reply codes to the coordinator's exception types, so callers tell "exists" from "down".</summary>
internal static class ZkErrors
{
    public static Exception ToException(ZkErrorCode code, ZkOpCode op, string? path, string address) => code switch
    {
        ZkErrorCode.NodeExists => new NodeExistsException(path ?? "?"),
        ZkErrorCode.NoNode => new NoNodeException(path ?? "?"),
        ZkErrorCode.NotEmpty => new NotEmptyException(path ?? "?"),
        // The expected version is not in the reply; callers that know it (compare-and-set) rethrow with it.
        ZkErrorCode.BadVersion => new VersionMismatchException(path ?? "?", -1, -1),
        ZkErrorCode.SessionExpired => new SessionExpiredException($"ZooKeeper session expired ({address}) during {op} {path}"),
        ZkErrorCode.ConnectionLoss or ZkErrorCode.OperationTimeout or ZkErrorCode.RequestTimeout =>
            new CoordinatorUnavailableException($"ZooKeeper {address}: {op} {path} failed: {code}"),
        ZkErrorCode.NoAuth => new ZooKeeperException(code,
            $"ZooKeeper {address}: {op} {path} not authorized (NoAuth): check coordinator_auth"),
        _ => new ZooKeeperException(code, $"ZooKeeper {address}: {op} {path} failed: {code} ({(int)code})"),
    };
}
