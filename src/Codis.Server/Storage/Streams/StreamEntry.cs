namespace Codis.Server.Storage.Streams;

/// <summary>
/// A live entry where it sits: its node and offset in the node's buffer, and its decoded ID. A view, valid until the
/// stream is next modified; its fields and values are read straight from the packed bytes.
/// </summary>
internal readonly struct StreamEntry(StreamNode node, int offset, StreamId id)
{
    public StreamNode Node { get; } = node;
    public int Offset { get; } = offset;
    public StreamId Id { get; } = id;

    public PairReader Pairs() => new(Node, Offset);
}

/// <summary>Walks an entry's field/value pairs in the node buffer (fields of "same fields" entries come from the master).</summary>
internal ref struct PairReader
{
    private readonly ReadOnlySpan<byte> buf;
    private readonly bool same;
    private int p, mp, left;

    internal PairReader(StreamNode node, int offset)
    {
        buf = node.Buffer;
        byte flags = node.ReadHeader(offset, out _, out left, out p);
        FieldCount = left;
        same = (flags & StreamNode.FlagSameFields) != 0;
        mp = 0;
        if (same) StreamNode.ReadVar(buf, ref mp);
    }

    public int FieldCount { get; }
    public ReadOnlySpan<byte> Field { get; private set; }
    public ReadOnlySpan<byte> Value { get; private set; }

    public bool MoveNext()
    {
        if (left == 0) return false;
        left--;
        if (same)
        {
            int fl = (int)StreamNode.ReadVar(buf, ref mp);
            Field = buf.Slice(mp, fl);
            mp += fl;
        }
        else
        {
            int fl = (int)StreamNode.ReadVar(buf, ref p);
            Field = buf.Slice(p, fl);
            p += fl;
        }
        int vl = (int)StreamNode.ReadVar(buf, ref p);
        Value = buf.Slice(p, vl);
        p += vl;
        return true;
    }
}
