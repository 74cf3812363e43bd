namespace Codis.Server.Replication;

/// <summary>
/// The replication backlog (redis-formats.md §5.6): a ring holding the last <see cref="Size"/> bytes of the stream,
/// so a replica that comes back asking for offset N gets the bytes from N on instead of a full resync. Offsets are
/// stream offsets: the byte at offset <see cref="FirstByteOffset"/> is the oldest one held. Used under the keyspace lock.
/// </summary>
internal sealed class ReplicationBacklog
{
    private byte[] ring;
    private int head; // where the next byte goes

    public ReplicationBacklog(long size, long masterOffset)
    {
        ring = new byte[size];
        FirstByteOffset = masterOffset + 1;
    }

    public int Size => ring.Length;
    public long FirstByteOffset { get; private set; }
    public long HistLen { get; private set; }

    public void Feed(ReadOnlySpan<byte> data)
    {
        if (data.Length >= ring.Length)
        {
            // Only the newest Size bytes survive.
            long dropped = data.Length - ring.Length;
            data[(int)dropped..].CopyTo(ring);
            head = 0;
            FirstByteOffset += HistLen + dropped;
            HistLen = ring.Length;
            return;
        }
        int first = Math.Min(data.Length, ring.Length - head);
        data[..first].CopyTo(ring.AsSpan(head));
        data[first..].CopyTo(ring);
        head = (head + data.Length) % ring.Length;
        HistLen += data.Length;
        if (HistLen > ring.Length)
        {
            FirstByteOffset += HistLen - ring.Length;
            HistLen = ring.Length;
        }
    }

    /// <summary>Whether the bytes from <paramref name="offset"/> to the end are all held (offset = end + 1 means none missing).</summary>
    public bool Covers(long offset) => offset >= FirstByteOffset && offset <= FirstByteOffset + HistLen;

    /// <summary>The bytes from <paramref name="offset"/> to the newest; <see cref="Covers"/> must hold.</summary>
    public byte[] CopyFrom(long offset)
    {
        long skip = offset - FirstByteOffset;
        int count = (int)(HistLen - skip);
        var result = new byte[count];
        int oldest = (int)(((head - HistLen) % ring.Length + ring.Length) % ring.Length);
        int start = (int)((oldest + skip) % ring.Length);
        int first = Math.Min(count, ring.Length - start);
        ring.AsSpan(start, first).CopyTo(result);
        ring.AsSpan(0, count - first).CopyTo(result.AsSpan(first));
        return result;
    }

    /// <summary>repl-backlog-size changed: keep the newest bytes that fit.</summary>
    public void Resize(long size)
    {
        if (size == ring.Length) return;
        long end = FirstByteOffset + HistLen;
        var keep = CopyFrom(FirstByteOffset);
        ring = new byte[size];
        head = 0;
        HistLen = 0;
        FirstByteOffset = end - keep.Length;
        Feed(keep);
    }
}
