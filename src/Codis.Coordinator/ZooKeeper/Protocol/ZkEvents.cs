namespace Codis.Coordinator.ZooKeeper.Protocol;

/// <summary>Watch event types (Watcher.Event.EventType).</summary>
public enum ZkEventType
{
    None = -1,
    NodeCreated = 1,
    NodeDeleted = 2,
    NodeDataChanged = 3,
    NodeChildrenChanged = 4,
}

/// <summary>Session states carried by events (Watcher.Event.KeeperState).</summary>
public enum ZkKeeperState
{
    Disconnected = 0,
    SyncConnected = 3,
    AuthFailed = 4,
    ConnectedReadOnly = 5,
    Closed = 7,
    Expired = -112,
}

/// <summary>What a one-shot watch saw: a node event from the server, or a session event (type None) from the client.</summary>
public readonly record struct ZkWatchedEvent(ZkEventType Type, ZkKeeperState State, string? Path);
