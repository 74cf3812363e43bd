using Codis.Core.Logging;
using Codis.Server.Commands;

namespace Codis.Server.Replication;

/// <summary>INFO replication's master_failover_state.</summary>
internal enum FailoverState { None, WaitingForSync, InProgress }

/// <summary>
/// FAILOVER (Redis 6.2+): a master hands its role to a replica without losing a write. It pauses client writes,
/// waits until the target (or, without TO, any replica) has acknowledged the whole stream, then becomes a replica
/// of it and sends PSYNC with FAILOVER: the target, still replicating this history, promotes itself and answers
/// +CONTINUE, so neither side resyncs. A timeout aborts the wait (or, with FORCE, fails over anyway); an error on
/// the way makes this server a master again. All members run under the keyspace lock.
/// </summary>
internal sealed partial class ReplicationManager
{
    public FailoverState Failover { get; private set; }
    private string? failoverHost; // the TO target, or the caught-up replica once one is chosen
    private int failoverPort;
    private bool failoverForce;
    private long failoverDeadline; // Environment.TickCount64; 0 = no timeout
    private long failoverStartedTicks;

    public string FailoverStateName => Failover switch
    {
        FailoverState.WaitingForSync => "waiting-for-sync",
        FailoverState.InProgress => "failover-in-progress",
        _ => "no-failover",
    };

    /// <summary>FAILOVER [TO host port [FORCE]] [ABORT] [TIMEOUT ms], with redis-server 7.0's checks in its order.</summary>
    public void FailoverCommand(CommandContext ctx)
    {
        string? host = null;
        long port = 0, timeout = 0;
        bool force = false, abort = false;
        for (int j = 1; j < ctx.ArgCount; j++)
        {
            if (ctx.ArgIs(j, "TO") && j + 2 < ctx.ArgCount && host == null)
            {
                if (!ctx.TryArgLong(j + 2, out port)) return;
                host = ctx.ArgString(j + 1);
                j += 2;
            }
            else if (ctx.ArgIs(j, "TIMEOUT") && j + 1 < ctx.ArgCount && timeout <= 0)
            {
                if (!ctx.TryArgLong(j + 1, out timeout)) return;
                if (timeout <= 0)
                {
                    ctx.Error("ERR FAILOVER timeout must be greater than 0");
                    return;
                }
                j++;
            }
            else if (ctx.ArgIs(j, "FORCE") && !force) force = true;
            else if (ctx.ArgIs(j, "ABORT") && !abort) abort = true;
            else
            {
                ctx.SyntaxError();
                return;
            }
        }
        if (abort)
        {
            if (force || timeout > 0 || host != null) ctx.SyntaxError();
            else if (Failover == FailoverState.None) ctx.Error("ERR No failover in progress.");
            else
            {
                AbortFailover("Failover manually aborted");
                ctx.Ok();
            }
            return;
        }
        if (IsReplica)
        {
            ctx.Error("ERR FAILOVER is not valid when server is a replica.");
            return;
        }
        if (replicas.Count == 0)
        {
            ctx.Error("ERR FAILOVER requires connected replicas.");
            return;
        }
        if (force && (timeout <= 0 || host == null))
        {
            ctx.Error("ERR FAILOVER with force option requires both a timeout and target HOST and IP.");
            return;
        }
        if (Failover != FailoverState.None)
        {
            ctx.Error("ERR FAILOVER already in progress.");
            return;
        }
        if (host != null)
        {
            var target = FindReplica(host, (int)port);
            if (target == null)
            {
                ctx.Error("ERR FAILOVER target HOST and PORT is not a replica.");
                return;
            }
            if (target.State != ReplicaState.Online)
            {
                ctx.Error("ERR FAILOVER target replica is not online.");
                return;
            }
        }
        Failover = FailoverState.WaitingForSync;
        failoverHost = host;
        failoverPort = (int)port;
        failoverForce = force;
        failoverStartedTicks = Environment.TickCount64;
        failoverDeadline = timeout > 0 ? failoverStartedTicks + timeout : 0;
        Log.Info(host != null ? "FAILOVER requested" : "FAILOVER requested to any replica", ("target", host != null ? $"{host}:{port}" : "any"));
        Server.Pause(long.MaxValue / 4, all: false); // client writes wait until it is over
        FeedRaw(GetAckCommand); // the replicas' answers say when one has everything
        ctx.Ok();
    }

    private ReplicaConnection? FindReplica(string host, int port)
    {
        foreach (var r in replicas)
            if (r.Port == port && r.Ip.Equals(host, StringComparison.OrdinalIgnoreCase)) return r;
        return null;
    }

    /// <summary>The cron's step of a FAILOVER: the timeout, a caught-up target, a handshake that never ends.</summary>
    private void FailoverCron(long now)
    {
        if (Failover == FailoverState.InProgress)
        {
            // The target never answered our PSYNC (down, or not ours any more): back to being a master.
            long limit = Math.Max(failoverDeadline - failoverStartedTicks, 0) + 10_000;
            if (now - failoverStartedTicks > limit) AbortFailover("Failover target did not answer the PSYNC request");
            return;
        }
        if (failoverDeadline != 0 && now >= failoverDeadline)
        {
            if (failoverForce)
            {
                Log.Info("FAILOVER time out exceeded, failing over", ("target", $"{failoverHost}:{failoverPort}"));
                BecomeReplicaOfTarget(failoverHost!, failoverPort);
            }
            else AbortFailover("Replica never caught up before timeout");
            return;
        }
        ReplicaConnection? caughtUp = null;
        foreach (var r in replicas)
        {
            if (r.State != ReplicaState.Online || r.AckOffset != MasterReplOffset) continue;
            if (failoverHost == null || (r.Port == failoverPort && r.Ip.Equals(failoverHost, StringComparison.OrdinalIgnoreCase)))
            {
                caughtUp = r;
                break;
            }
        }
        if (caughtUp == null) return;
        Log.Info("Failover target is synced, failing over", ("target", $"{caughtUp.Ip}:{caughtUp.Port}"));
        BecomeReplicaOfTarget(caughtUp.Ip, caughtUp.Port);
    }

    private void BecomeReplicaOfTarget(string host, int port)
    {
        failoverHost = host;
        failoverPort = port;
        Failover = FailoverState.InProgress;
        failoverStartedTicks = Environment.TickCount64;
        ReplicaOf(host, port, streamDb: Math.Max(streamDb, 0));
    }

    /// <summary>The target answered our PSYNC FAILOVER: it is the master, we its replica; writes go on (on it).</summary>
    internal void FailoverDone()
    {
        Log.Info("FAILOVER finished", ("new_master", $"{failoverHost}:{failoverPort}"));
        ClearFailover();
    }

    /// <summary>Ends a FAILOVER that did not happen; a server already turned replica becomes a master again.</summary>
    internal void AbortFailover(string reason)
    {
        if (Failover == FailoverState.None) return;
        Log.Warn("FAILOVER aborted", ("target", failoverHost != null ? $"{failoverHost}:{failoverPort}" : "any replica"), ("reason", reason));
        if (Failover == FailoverState.InProgress) PromoteToMaster();
        ClearFailover();
    }

    private void ClearFailover()
    {
        Failover = FailoverState.None;
        failoverHost = null;
        failoverForce = false;
        failoverDeadline = 0;
        Server.Unpause();
    }

    /// <summary>
    /// PSYNC replid offset FAILOVER on this side: our master hands over. We take over only for our master's own
    /// history (the replid we replicate), as Redis checks; then the PSYNC goes on as a partial resync of a new master.
    /// </summary>
    private bool AcceptFailoverRequest(CommandContext ctx)
    {
        if (!IsReplica)
        {
            ctx.Error("ERR PSYNC FAILOVER can't be sent to a master.");
            return false;
        }
        if (ctx.ArgString(1) != ReplId)
        {
            ctx.Error("ERR PSYNC FAILOVER replid must match my replid.");
            return false;
        }
        Log.Info("MASTER MODE enabled (failover request)", ("from", ctx.Client.Remote));
        PromoteToMaster();
        return true;
    }
}
