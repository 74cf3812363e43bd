using System.IO.Pipelines;
using System.Net;

namespace Codis.Server.Networking;

/// <summary>The state of one client connection that commands read and change (CLIENT LIST shows it).</summary>
internal sealed class ClientSession
{
    private static long nextId;

    public ClientSession(EndPoint? remote, EndPoint? local, long now, long fd = -1)
    {
        Fd = fd;
        Id = Interlocked.Increment(ref nextId);
        Remote = remote?.ToString() ?? "?";
        Local = local?.ToString() ?? "?";
        CreatedAt = now;
        LastInteraction = now;
    }

    public long Id { get; }
    public string Remote { get; }
    public string Local { get; }
    public long CreatedAt { get; }
    public long LastInteraction { get; set; }
    public string? Name { get; set; }
    public string? LibName { get; set; }
    public string? LibVersion { get; set; }
    public int DbIndex { get; set; }
    public bool Authenticated { get; set; }

    /// <summary>CLIENT TRACKING ON: this client's client-side caching settings; null while off.</summary>
    public Tracking.ClientTracking? Tracking { get; set; }

    /// <summary>HELLO 3: the connection speaks RESP3 (its writer follows; CLIENT LIST resp=3).</summary>
    public bool Resp3 { get; set; }

    /// <summary>The ACL user this connection runs as; internal sessions (replication, AOF, scripts) run unchecked.</summary>
    public Acl.AclUser User { get; set; } = Acl.AclUser.Superuser;
    public string LastCommand { get; set; } = "NULL";

    /// <summary>Close after the current reply is written (QUIT, CLIENT KILL of itself).</summary>
    public bool CloseAfterReply { get; set; }

    /// <summary>Internal links (replication, migration) are not subject to idle timeouts.</summary>
    public bool IsInternal { get; set; }

    /// <summary>Commands replayed from the AOF or a master link: exempt from read-only/MISCONF refusals.</summary>
    public bool IsReplay { get; set; }

    /// <summary>The session Lua scripts run their redis.call commands in.</summary>
    public bool IsScript { get; init; }

    /// <summary>The script client while a function flagged allow-oom runs: its writes pass the maxmemory check.</summary>
    public bool AllowOom { get; set; }

    /// <summary>This session applies its master's replication stream (what it runs goes to the AOF only).</summary>
    public bool IsMasterLink { get; set; }

    /// <summary>
    /// Set by PSYNC/SYNC: once the replies so far are flushed, the connection hands its pipes to replication,
    /// which owns them from then on (the RDB transfer, the command stream, the replica's ACKs).
    /// </summary>
    public Func<PipeReader, PipeWriter, Task>? TakeOver { get; set; }

    /// <summary>What a replica told us with REPLCONF before PSYNC.</summary>
    public Replication.ReplicaHandshake? ReplicaHandshake { get; set; }

    /// <summary>Set by CLIENT KILL and shutdown: the connection closes as soon as it can.</summary>
    public CancellationTokenSource Closing { get; } = new();

    public void Kill()
    {
        try { Closing.Cancel(); } catch (ObjectDisposedException) { }
    }

    public long InputBufferBytes { get; set; }
    public long OutputBufferBytes { get; set; }

    /// <summary>The socket's file descriptor (CLIENT LIST fd=), -1 when unknown.</summary>
    public long Fd { get; }

    /// <summary>What the connection is for (CLIENT LIST TYPE, CLIENT KILL TYPE); replication marks its links.</summary>
    public ClientKind Kind { get; set; } = ClientKind.Normal;

    /// <summary>CLIENT NO-TOUCH: this client's commands do not change keys' last-access time.</summary>
    public bool NoTouch { get; set; }

    /// <summary>Waiting in a blocking command on keys (CLIENT LIST flag 'b'); set and cleared by the blocking registry.</summary>
    public bool Blocked { get; set; }

    /// <summary>CLIENT NO-EVICT: shown as flag 'e' (codis-server never evicts clients).</summary>
    public bool NoEvict { get; set; }

    /// <summary>CLIENT REPLY OFF: replies are dropped until CLIENT REPLY ON.</summary>
    public bool RepliesOff { get; set; }

    /// <summary>CLIENT REPLY SKIP: the reply of the next command is dropped.</summary>
    public bool SkipNextReply { get; set; }

    /// <summary>Set by MONITOR: the lines this connection streams from then on.</summary>
    public System.Threading.Channels.Channel<byte[]>? MonitorLines { get; set; }

    /// <summary>MULTI: the commands queued until EXEC or DISCARD; null outside a transaction.</summary>
    public Transactions.Transaction? Multi { get; set; }

    /// <summary>WATCH: the keys this client watches; null until its first WATCH.</summary>
    public Storage.KeyWatcher? Watcher { get; set; }

    /// <summary>Pub/sub: this client's channels and patterns; null until its first (P)SUBSCRIBE.</summary>
    public PubSub.Subscriber? Subscriber { get; set; }

    /// <summary>Subscribed to at least one channel or pattern: only the pub/sub commands, PING, QUIT, RESET run.</summary>
    public bool InPubSubMode => Subscriber is { Any: true };

    /// <summary>
    /// Set by the connection: wakes its read loop so it writes what was pushed to it (<see cref="Push"/>) even
    /// while the client sends nothing. Null for internal sessions, which nothing is pushed to.
    /// </summary>
    public Action? Wake { get; set; }

    /// <summary>Frames pushed to this client outside request/response (pub/sub messages); created on first use.</summary>
    public PushOutbox? Push { get; set; }

    /// <summary>Milliseconds since the connection was accepted (CLIENT LIST age= is seconds).</summary>
    public long AgeMs => Environment.TickCount64 - CreatedAt;
}

internal enum ClientKind { Normal, Replica, Master }
