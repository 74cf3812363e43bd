namespace Codis.Server.Replication;

/// <summary>
/// The master's replication offset sampled once a second (by the cron, under the lock) for the last minute, so
/// min-replicas-max-lag can ask what a replica must have acknowledged to count as current (see
/// <see cref="ReplicationManager.GoodReplicas"/>).
/// </summary>
internal sealed class OffsetHistory
{
    private readonly long[] ticks = new long[64];
    private readonly long[] offsets = new long[64];
    private int count, next;

    public void Record(long tick, long offset)
    {
        ticks[next] = tick;
        offsets[next] = offset;
        next = (next + 1) % ticks.Length;
        if (count < ticks.Length) count++;
    }

    /// <summary>The offset of the newest sample taken at or before <paramref name="tick"/>; -1 when the history does not reach back that far.</summary>
    public long AtOrBefore(long tick)
    {
        for (int i = 1; i <= count; i++)
        {
            int at = (next - i + ticks.Length) % ticks.Length;
            if (ticks[at] <= tick) return offsets[at];
        }
        return -1;
    }

    /// <summary>The offsets started over (a full sync loaded another history): older samples mean nothing now.</summary>
    public void Clear() => count = next = 0;
}
