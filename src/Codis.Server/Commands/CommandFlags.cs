namespace Codis.Server.Commands;

/// <summary>Command properties, named as Redis's COMMAND INFO flags.</summary>
[Flags]
internal enum CommandFlags
{
    None = 0,
    Write = 1 << 0,
    ReadOnly = 1 << 1,
    Admin = 1 << 2,
    Fast = 1 << 3,
    /// <summary>Allowed before AUTH (AUTH, HELLO, QUIT).</summary>
    NoAuth = 1 << 4,
    Loading = 1 << 5,
    Stale = 1 << 6,
    NoScript = 1 << 7,
    PubSub = 1 << 8,
    DenyOom = 1 << 9,
    Blocking = 1 << 10,
    /// <summary>Runs without the keyspace lock (it takes what it needs itself, e.g. a migration that waits on the network).</summary>
    NoLock = 1 << 11,
    /// <summary>Never propagated to replicas or the AOF (even when it writes, e.g. it propagates its own rewrite).</summary>
    NoPropagate = 1 << 12,
    /// <summary>Not logged in the slow log itself (EXEC: the commands it runs are).</summary>
    SkipSlowlog = 1 << 13,
    /// <summary>Refused inside MULTI ("Command not allowed inside a transaction").</summary>
    NoMulti = 1 << 14,
    /// <summary>Not a write itself but may cause writes (EVAL): held back by CLIENT PAUSE WRITE like a write (not shown by COMMAND, as in Redis 7.0).</summary>
    MayReplicate = 1 << 15,
    /// <summary>MONITOR does not show it after it ran (EVAL shows itself before the commands its script runs).</summary>
    SkipMonitor = 1 << 16,
    /// <summary>Its keys may be none (EVAL ... 0): COMMAND's no_mandatory_keys.</summary>
    NoMandatoryKeys = 1 << 17,
    /// <summary>Served while a script runs past busy-reply-threshold (FUNCTION KILL, FUNCTION STATS): COMMAND's allow_busy.</summary>
    AllowBusy = 1 << 18,
    /// <summary>Shown by COMMAND only (Redis refuses it while loading a replica's data asynchronously; we have no such state).</summary>
    NoAsyncLoading = 1 << 19,
}
