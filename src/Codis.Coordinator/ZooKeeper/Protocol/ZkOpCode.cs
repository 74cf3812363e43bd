namespace Codis.Coordinator.ZooKeeper.Protocol;

/// <summary>Request types (ZooDefs.OpCode) this client speaks.</summary>
public enum ZkOpCode
{
    Error = -1,
    CloseSession = -11,
    Create = 1,
    Delete = 2,
    Exists = 3,
    GetData = 4,
    SetData = 5,
    Sync = 9,
    Ping = 11,
    GetChildren2 = 12,
    Check = 13,
    Multi = 14,
    Create2 = 15,
    Auth = 100,
    SetWatches = 101,
}

/// <summary>Reserved xids: replies and requests that are not matched against the pending queue.</summary>
internal static class ZkXid
{
    public const int Notification = -1;
    public const int Ping = -2;
    public const int Auth = -4;
    public const int SetWatches = -8;
}
