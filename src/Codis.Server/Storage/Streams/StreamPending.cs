namespace Codis.Server.Storage.Streams;

/// <summary>
/// A pending entry (Redis's NACK): delivered to a consumer of a group and not acknowledged yet. The same object
/// sits in the group's PEL and in its consumer's PEL.
/// </summary>
internal sealed class StreamPending(StreamId id)
{
    public StreamId Id { get; } = id;
    /// <summary>Unix ms of the last delivery.</summary>
    public long DeliveryTime { get; set; }
    public ulong DeliveryCount { get; set; }
    public StreamConsumer? Consumer { get; set; }

    /// <summary>A key-only instance to look pending entries up by ID in the sorted PELs.</summary>
    public static StreamPending Probe(StreamId id) => new(id);
}

/// <summary>Orders pending entries by ID (PELs are sorted, as Redis's radix trees).</summary>
internal sealed class PendingOrder : IComparer<StreamPending>
{
    public static readonly PendingOrder Instance = new();
    public int Compare(StreamPending? x, StreamPending? y) => x!.Id.CompareTo(y!.Id);
}

/// <summary>Byte-wise name order (memcmp, shorter first on a tie), the order of Redis's rax of groups and consumers.</summary>
internal sealed class NameOrder : IComparer<byte[]>
{
    public static readonly NameOrder Instance = new();
    public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
}
