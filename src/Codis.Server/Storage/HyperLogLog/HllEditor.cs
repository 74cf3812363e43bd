namespace Codis.Server.Storage.HyperLogLog;

/// <summary>
/// Applies register updates to one HLL string (PFADD's elements, PFMERGE's maxima), keeping Redis's encoding
/// decisions: sparse while the string stays within hll-sparse-max-bytes and every value fits a VAL opcode, dense
/// from then on. Sparse edits work in a buffer with spare room; <see cref="Result"/> gives the final string.
/// </summary>
internal sealed class HllEditor
{
    private byte[] buffer;
    private int length;
    private readonly long maxSparseBytes;

    /// <param name="value">A valid HLL string (<see cref="Hll.IsValid"/>).</param>
    /// <param name="inPlace">Whether a dense value may be changed in its own array (no snapshot shares it).</param>
    public HllEditor(byte[] value, bool inPlace, long maxSparseBytes)
    {
        this.maxSparseBytes = maxSparseBytes;
        length = value.Length;
        if (Hll.IsDense(value))
        {
            buffer = inPlace ? value : value.AsSpan().ToArray();
        }
        else
        {
            buffer = new byte[length + 8];
            value.CopyTo(buffer, 0);
        }
    }

    public bool IsDense => buffer[4] == Hll.Dense;

    /// <summary>
    /// Raises register <paramref name="index"/> to <paramref name="count"/> if it is lower: 1 changed, 0 not,
    /// -1 the sparse form is corrupted.
    /// </summary>
    public int Set(int index, int count)
    {
        if (IsDense) return SetDense(index, count);
        var r = HllSparse.Set(buffer, ref length, index, count, maxSparseBytes);
        switch (r)
        {
            case HllSparse.SetResult.Unchanged:
                return 0;
            case HllSparse.SetResult.Updated:
                Hll.InvalidateCache(buffer);
                if (buffer.Length - length < 3) Array.Resize(ref buffer, Math.Max(buffer.Length * 2, length + 8));
                return 1;
            case HllSparse.SetResult.Promote:
                if (!ToDense()) return -1;
                return SetDense(index, count);
            default:
                return -1;
        }
    }

    /// <summary>Adds an element (PFADD): 1 when a register changed.</summary>
    public int Add(ReadOnlySpan<byte> element)
    {
        int count = Hll.PatternLength(element, out int index);
        return Set(index, count);
    }

    /// <summary>Converts to dense (PFMERGE when an input is dense; PFDEBUG TODENSE); false when corrupted.</summary>
    public bool ToDense()
    {
        if (IsDense) return true;
        var dense = HllSparse.ToDense(buffer.AsSpan(0, length));
        if (dense == null) return false;
        buffer = dense;
        length = dense.Length;
        return true;
    }

    private int SetDense(int index, int count)
    {
        var regs = buffer.AsSpan(Hll.HeaderSize);
        if (Hll.GetRegister(regs, index) >= count) return 0;
        Hll.SetRegister(regs, index, count);
        return 1;
    }

    public void InvalidateCache() => Hll.InvalidateCache(buffer);

    /// <summary>The edited string: the dense array itself, or an exact-length copy of the sparse buffer.</summary>
    public byte[] Result() => length == buffer.Length ? buffer : buffer.AsSpan(0, length).ToArray();
}
