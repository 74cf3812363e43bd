namespace Codis.Dashboard.Topology;

/// <summary>
/// One promotion, planned (an operator's promote) or a failover's, as logged and listed at /api/topom/promotions/X:
/// the offsets the switch was judged on and how long each part took.
/// </summary>
internal sealed record PromotionRecord
{
    public DateTimeOffset At { get; init; }
    public int Group { get; init; }
    public string OldMaster { get; init; } = "";
    public string NewMaster { get; init; } = "";
    /// <summary>"operator", or the failover's reason.</summary>
    public string Why { get; init; } = "";
    /// <summary>Promoted although the replica had not caught up (or the master's offset could not be read).</summary>
    public bool Forced { get; init; }
    /// <summary>The old master's master_repl_offset read with its slots held in every proxy (-1: not read, a failover).</summary>
    public long MasterOffset { get; init; } = -1;
    /// <summary>The replica's replication offset when it was judged (-1: not read, a failover).</summary>
    public long ReplicaOffset { get; init; } = -1;
    /// <summary>How long the replica took to reach <see cref="MasterOffset"/>.</summary>
    public double CatchupMs { get; init; }
    /// <summary>The old master's writes from clients that bypass the proxies were paused (CLIENT PAUSE WRITE) during the switch.</summary>
    public bool WritesPaused { get; init; }
    /// <summary>
    /// From the push that locked the group's slots to the push that unlocked them, confirmed: the longest any proxy held
    /// the group's requests (0 in a failover, which locks nothing).
    /// </summary>
    public double HeldMs { get; init; }
    /// <summary>From the start to the new routing confirmed by every proxy (or the wait for one given up).</summary>
    public double SwitchMs { get; init; }
    /// <summary>Proxies that did not confirm the new routing in time: the health monitor refills them once they answer.</summary>
    public string[] Unconfirmed { get; init; } = [];
    /// <summary>Servers that were not repointed at the new master: the health monitor repoints them once they answer.</summary>
    public string[] NotRepointed { get; init; } = [];
    /// <summary>Why the promotion was refused or rolled back (null: it happened).</summary>
    public string? Error { get; init; }
}
