namespace Codis.Server.Persistence;

/// <summary>A stream entry ID: milliseconds and sequence, ordered as Redis orders them.</summary>
internal readonly record struct RdbStreamId(ulong Ms, ulong Seq) : IComparable<RdbStreamId>
{
    public int CompareTo(RdbStreamId other) => Ms != other.Ms ? Ms.CompareTo(other.Ms) : Seq.CompareTo(other.Seq);

    public bool IsZero => Ms == 0 && Seq == 0;

    public override string ToString() => $"{Ms}-{Seq}";
}

/// <summary>One live stream entry with its field/value pairs in order.</summary>
internal sealed record RdbStreamEntry(RdbStreamId Id, List<(byte[] Field, byte[] Value)> Fields);

/// <summary>A pending (delivered, not acknowledged) entry of a consumer group.</summary>
internal sealed record RdbStreamPending(RdbStreamId Id, long DeliveryTimeMs, ulong DeliveryCount);

/// <summary>A consumer: its name, last-seen time and the IDs it holds pending (each also in the group's PEL).</summary>
internal sealed record RdbStreamConsumer(byte[] Name, long SeenTimeMs, List<RdbStreamId> Pending);

/// <summary>A consumer group. <see cref="EntriesRead"/> is −1 when unknown.</summary>
internal sealed record RdbStreamGroup(byte[] Name, RdbStreamId LastDelivered, long EntriesRead,
    List<RdbStreamPending> Pending, List<RdbStreamConsumer> Consumers);

/// <summary>
/// Where a listpack node of the stream starts: its master ID and fields, how many live entries of
/// <see cref="RdbStream.Entries"/> it holds (in order) and how many deleted ones it carried.
/// </summary>
internal sealed record RdbStreamNode(RdbStreamId MasterId, byte[][] MasterFields, int LiveCount, int Deleted)
{
    /// <summary>The node's listpack as read (deleted entries included), when it came from a payload.</summary>
    public byte[]? Listpack { get; init; }
}

/// <summary>
/// A stream as the keyspace holds it, ready to write: each node's listpack as Redis holds it (built on demand, one
/// node at a time, deleted entries flagged in place), then the metadata and the groups.
/// </summary>
internal sealed record RdbStreamListpacks(int NodeCount, IEnumerable<(RdbStreamId Master, byte[] Listpack)> Nodes, ulong Length,
    RdbStreamId LastId, RdbStreamId FirstId, RdbStreamId MaxDeletedId, ulong EntriesAdded, List<RdbStreamGroup> Groups) : RdbValue
{
    public override string TypeName => "stream";
}

/// <summary>
/// A stream: its live entries in ID order and the metadata XINFO shows. Deleted entries that a listpack still
/// carried are dropped; <see cref="MaxDeletedId"/> and <see cref="EntriesAdded"/> keep their trace.
/// </summary>
internal sealed record RdbStream(List<RdbStreamEntry> Entries, RdbStreamId LastId, RdbStreamId FirstId,
    RdbStreamId MaxDeletedId, ulong EntriesAdded, List<RdbStreamGroup> Groups) : RdbValue
{
    public override string TypeName => "stream";

    /// <summary>
    /// The node layout as read or as held in memory (null = cut the nodes as XADD would). Keeping it keeps
    /// approximate trimming, which works node by node, the same after a reload, a RESTORE or a migration.
    /// </summary>
    public List<RdbStreamNode>? Nodes { get; init; }
}
