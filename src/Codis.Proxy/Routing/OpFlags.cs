namespace Codis.Proxy.Routing;

/// <summary>How the proxy treats a command (the original's mapper flags, reference/codis.md §4.2).</summary>
[Flags]
internal enum OpFlags
{
    /// <summary>A read that may go to a replica.</summary>
    Read = 0,
    /// <summary>Changes data: master only.</summary>
    Write = 1,
    /// <summary>A read that must see the master (scans).</summary>
    MasterOnly = 2,
    /// <summary>Refused by the proxy.</summary>
    NotAllowed = 4,
}

/// <summary>Commands the proxy handles itself or splits instead of forwarding as they are.</summary>
internal enum OpSpecial
{
    None,
    Quit,
    Auth,
    Select,
    Ping,
    Echo,
    Info,
    Config,
    Hello,
    Client,
    Command,
    Cluster,
    MGet,
    MSet,
    Del,
    Exists,
    Touch,
    Unlink,
    SlotsInfo,
    SlotsScan,
    SlotsMapping,
    SlotsHashKey,
    Eval,
    /// <summary>SCRIPT LOAD/EXISTS/FLUSH/KILL over every master (Sessions/ProxySession.Scripts.cs).</summary>
    Script,
    /// <summary>FUNCTION: changes to every master, questions to one (Sessions/ProxySession.Scripts.cs).</summary>
    Function,
    Reset,
    Role,
    // Over a connection pinned to the session (ProxySession.Transactions.cs, ProxySession.Blocking.cs).
    Multi,
    Exec,
    Discard,
    Watch,
    Unwatch,
    Blocking,
    /// <summary>RENAME RENAMENX COPY MOVE MSETNX BITOP: every key in one slot, over the pinned connection.</summary>
    SameSlot,
    /// <summary>XREAD XREADGROUP: with BLOCK over the pinned connection, else routed or split by their keys.</summary>
    StreamRead,
    // Pub/sub (Sessions/ProxySession.PubSub.cs).
    Subscribe,
    Unsubscribe,
    PSubscribe,
    PUnsubscribe,
    Publish,
    PubSub,
    // The whole keyspace (Sessions/ProxySession.Keyspace.cs).
    Scan,
    Keys,
    DbSize,
    Flush,
    RandomKey,
}
