namespace Codis.Coordinator.ZooKeeper.Protocol;

/// <summary>Create flags (CreateMode); container and TTL nodes are not used by Codis.</summary>
public enum ZkCreateMode
{
    Persistent = 0,
    Ephemeral = 1,
    PersistentSequential = 2,
    EphemeralSequential = 3,
}
