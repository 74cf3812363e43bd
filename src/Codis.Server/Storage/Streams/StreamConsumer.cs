namespace Codis.Server.Storage.Streams;

/// <summary>A consumer of a group: its name, when it was last seen and the entries delivered to it, not acked.</summary>
internal sealed class StreamConsumer(byte[] name, long seenTime)
{
    public byte[] Name { get; } = name;
    /// <summary>Unix ms of its last read or claim (XINFO's idle, RDB's seen-time).</summary>
    public long SeenTime { get; set; } = seenTime;
    public SortedSet<StreamPending> Pending { get; } = new(PendingOrder.Instance);
}
