namespace Codis.Server.Storage.Streams;

/// <summary>
/// One entry: its ID and field/value pairs in order (flat: field, value, field, value…). Immutable once added,
/// so copies of a stream (COPY, snapshots, migration) share entries.
/// </summary>
internal sealed class StreamEntry(StreamId id, byte[][] pairs)
{
    public StreamId Id { get; } = id;
    public byte[][] Pairs { get; } = pairs;
    public int FieldCount => Pairs.Length / 2;
}
