namespace Codis.Server.Storage.Streams;

/// <summary>
/// The live entries with start ≤ ID ≤ end, ascending or descending: a struct enumerator walking the packed nodes,
/// so a range read allocates nothing. Copying it (before enumerating) gives an independent cursor, which lets a
/// reply count the entries first and write them after. Valid until the stream is next modified.
/// </summary>
internal struct StreamRange
{
    private readonly StreamValue stream;
    private readonly StreamId start, end;
    private readonly bool reverse;
    private int node, pos;
    private bool begun, done;

    public StreamRange(StreamValue stream, StreamId start, StreamId end, bool reverse)
    {
        this.stream = stream;
        this.start = start;
        this.end = end;
        this.reverse = reverse;
        done = start > end || stream.NodeCount == 0;
    }

    public static StreamRange Empty => new() { done = true };

    public StreamEntry Current { get; private set; }

    public readonly StreamRange GetEnumerator() => this;

    public bool MoveNext()
    {
        if (done) return false;
        if (!begun)
        {
            begun = true;
            node = reverse ? NodeFor(end) : Math.Max(0, NodeFor(start));
            if (node < 0) return Stop();
            pos = reverse ? stream.Node(node).Used : stream.Node(node).EntriesStart;
        }
        while (true)
        {
            var n = stream.Node(node);
            StreamEntry e;
            if (reverse ? n.PrevLive(ref pos, out e) : n.NextLive(ref pos, out e))
            {
                if (reverse)
                {
                    if (e.Id > end) continue;
                    if (e.Id < start) return Stop();
                }
                else
                {
                    if (e.Id < start) continue;
                    if (e.Id > end) return Stop();
                }
                Current = e;
                return true;
            }
            node += reverse ? -1 : 1;
            if (node < 0 || node >= stream.NodeCount) return Stop();
            pos = reverse ? stream.Node(node).Used : stream.Node(node).EntriesStart;
        }
    }

    /// <summary>How many entries are left, at most <paramref name="max"/> (0 = no cap), without moving this cursor.</summary>
    public readonly long CountAhead(long max)
    {
        var copy = this;
        long n = 0;
        while ((max <= 0 || n < max) && copy.MoveNext()) n++;
        return n;
    }

    private bool Stop()
    {
        done = true;
        return false;
    }

    private readonly int NodeFor(StreamId id) => stream.NodeFor(id);
}
