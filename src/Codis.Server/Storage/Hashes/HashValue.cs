using System.Buffers.Binary;
using Codis.Server.Storage.Collections;

namespace Codis.Server.Storage.Hashes;

/// <summary>
/// A hash. Small hashes are a "listpack": field/value pairs packed in insertion order, searched linearly, as Redis keeps
/// them (so HGETALL answers in the same order as Redis). Past hash-max-listpack-entries fields, or on a field or
/// value longer than hash-max-listpack-value, it becomes a "hashtable" for good, as in Redis.
/// </summary>
internal sealed class HashValue : IKeyValue
{
    // The listpack: pairs end to end in one array, each [length][field][length][value] (a length below 254 is one
    // byte; 254 + 2 bytes, 255 + 4 bytes above), searched linearly. An array per field and value, as before, cost
    // 5 times redis-server's memory for a 5-field hash.
    private byte[]? packed = [];
    private int packedUsed;
    private int packedCount;
    private ElementTable<byte[]>? table;

    public string TypeName => "hash";
    public string EncodingName => packed != null ? "listpack" : "hashtable";
    public bool IsListpack => packed != null;
    public int Count => packed != null ? packedCount : table!.Count;

    /// <summary>The hashtable, when the hash is in that encoding (HSCAN walks it by entry index).</summary>
    public ElementTable<byte[]>? Table => table;

    /// <summary>Bytes of the listpack's array, 0 for a hashtable (MEMORY USAGE).</summary>
    public int PackedBytes => packed?.Length ?? 0;

    /// <summary>Converts ahead of a write whose arguments would not fit the listpack (Redis's hashTypeTryConversion).</summary>
    public void PrepareFor(int newLength, CollectionLimits limits)
    {
        if (packed != null && newLength > limits.HashMaxListpackValue) ConvertToTable();
    }

    // ---- the packed pairs ----

    private static int LengthSize(int len) => len < 254 ? 1 : len <= 0xFFFF ? 3 : 5;

    private static int WriteLength(Span<byte> d, int len)
    {
        if (len < 254)
        {
            d[0] = (byte)len;
            return 1;
        }
        if (len <= 0xFFFF)
        {
            d[0] = 254;
            BinaryPrimitives.WriteUInt16LittleEndian(d[1..], (ushort)len);
            return 3;
        }
        d[0] = 255;
        BinaryPrimitives.WriteInt32LittleEndian(d[1..], len);
        return 5;
    }

    private static int ReadLength(byte[] b, ref int pos)
    {
        byte h = b[pos];
        if (h < 254)
        {
            pos++;
            return h;
        }
        if (h == 254)
        {
            int v = BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(pos + 1));
            pos += 3;
            return v;
        }
        int w = BinaryPrimitives.ReadInt32LittleEndian(b.AsSpan(pos + 1));
        pos += 5;
        return w;
    }

    /// <summary>The pair at byte offset <paramref name="pos"/>: where its field and value are; returns the next pair's offset.</summary>
    private int ReadPair(int pos, out int field, out int fieldLen, out int value, out int valueLen)
    {
        var b = packed!;
        fieldLen = ReadLength(b, ref pos);
        field = pos;
        pos += fieldLen;
        valueLen = ReadLength(b, ref pos);
        value = pos;
        return pos + valueLen;
    }

    /// <summary>The byte offset of the pair holding <paramref name="field"/>, or -1.</summary>
    private int Find(ReadOnlySpan<byte> field, out int value, out int valueLen)
    {
        for (int pos = 0; pos < packedUsed;)
        {
            int start = pos;
            pos = ReadPair(pos, out int f, out int fLen, out value, out valueLen);
            if (fLen == field.Length && field.SequenceEqual(packed.AsSpan(f, fLen))) return start;
        }
        value = valueLen = 0;
        return -1;
    }

    /// <summary>Replaces <paramref name="oldSize"/> bytes at <paramref name="pos"/> by a gap of <paramref name="newSize"/>.</summary>
    private void Splice(int pos, int oldSize, int newSize)
    {
        int tail = packedUsed - (pos + oldSize);
        int used = packedUsed - oldSize + newSize;
        if (used > packed!.Length)
        {
            var bigger = GC.AllocateUninitializedArray<byte>(Math.Max(used, Math.Max(16, packed.Length * 2)));
            packed.AsSpan(0, pos).CopyTo(bigger);
            packed.AsSpan(pos + oldSize, tail).CopyTo(bigger.AsSpan(pos + newSize));
            packed = bigger;
        }
        else packed.AsSpan(pos + oldSize, tail).CopyTo(packed.AsSpan(pos + newSize));
        packedUsed = used;
    }

    private void Append(ReadOnlySpan<byte> field, ReadOnlySpan<byte> value)
    {
        int size = LengthSize(field.Length) + field.Length + LengthSize(value.Length) + value.Length;
        int pos = packedUsed;
        Splice(pos, 0, size);
        var d = packed.AsSpan(pos);
        int n = WriteLength(d, field.Length);
        field.CopyTo(d[n..]);
        n += field.Length;
        n += WriteLength(d[n..], value.Length);
        value.CopyTo(d[n..]);
        packedCount++;
    }

    private (byte[] Field, byte[] Value) PairAt(int pos)
    {
        ReadPair(pos, out int f, out int fLen, out int v, out int vLen);
        return (packed.AsSpan(f, fLen).ToArray(), packed.AsSpan(v, vLen).ToArray());
    }

    // ---- the hash ----

    /// <summary>The value of a field, as a span valid until the hash changes.</summary>
    public bool TryGet(ReadOnlySpan<byte> field, out ReadOnlySpan<byte> value)
    {
        if (packed != null)
        {
            bool found = Find(field, out int v, out int vLen) >= 0;
            value = found ? packed.AsSpan(v, vLen) : default;
            return found;
        }
        bool ok = table!.TryGetValue(field, out var array);
        value = array;
        return ok;
    }

    public byte[]? Get(ReadOnlySpan<byte> field) => TryGet(field, out var value) ? value.ToArray() : null;

    public bool Contains(ReadOnlySpan<byte> field) => packed != null ? Find(field, out _, out _) >= 0 : table!.Contains(field);

    /// <summary>Sets a field; returns true when it was new.</summary>
    public bool Set(ReadOnlySpan<byte> field, ReadOnlySpan<byte> value, CollectionLimits limits)
    {
        if (packed != null)
        {
            if (field.Length > limits.HashMaxListpackValue || value.Length > limits.HashMaxListpackValue) ConvertToTable();
            else
            {
                int at = Find(field, out int v, out int vLen);
                if (at >= 0)
                {
                    int oldSize = LengthSize(vLen) + vLen, newSize = LengthSize(value.Length) + value.Length;
                    int pos = v - LengthSize(vLen);
                    Splice(pos, oldSize, newSize);
                    int n = WriteLength(packed.AsSpan(pos), value.Length);
                    value.CopyTo(packed.AsSpan(pos + n));
                    return false;
                }
                Append(field, value);
                if (packedCount > limits.HashMaxListpackEntries) ConvertToTable();
                return true;
            }
        }
        return table!.Set(field, ElementBytes.Copy(value));
    }

    public bool Remove(ReadOnlySpan<byte> field)
    {
        if (packed != null)
        {
            int at = Find(field, out int v, out int vLen);
            if (at < 0) return false;
            Splice(at, v + vLen - at, 0);
            packedCount--;
            return true;
        }
        return table!.Remove(field);
    }

    /// <summary>Every field and value, in the encoding's order (insertion order for a listpack).</summary>
    public IEnumerable<(byte[] Field, byte[] Value)> Entries()
    {
        if (packed != null)
        {
            for (int pos = 0; pos < packedUsed;)
            {
                int start = pos;
                pos = ReadPair(pos, out _, out _, out _, out _);
                yield return PairAt(start);
            }
            yield break;
        }
        foreach (int i in table!.Indexes()) yield return (table.KeyAt(i), table.ValueAt(i));
    }

    /// <summary>The pair at a position in listpack order.</summary>
    public (byte[] Field, byte[] Value) At(int listpackIndex)
    {
        int pos = 0;
        for (int i = 0; i < listpackIndex; i++) pos = ReadPair(pos, out _, out _, out _, out _);
        return PairAt(pos);
    }

    public (byte[] Field, byte[] Value) Random(Random random)
    {
        if (packed != null) return At(random.Next(packedCount));
        int i = table!.RandomIndex(random);
        return (table.KeyAt(i), table.ValueAt(i));
    }

    /// <summary>Room for <paramref name="count"/> fields (a hashtable when that is past the listpack's limit).</summary>
    public void Reserve(int count, CollectionLimits limits)
    {
        if (packed != null && count > limits.HashMaxListpackEntries) ConvertToTable(count);
        table?.Reserve(count);
    }

    private void ConvertToTable(int capacity = 0)
    {
        var t = new ElementTable<byte[]>(Math.Max(capacity, packedCount));
        foreach (var (f, v) in Entries()) t.Add(f, v);
        table = t;
        packed = null;
        packedUsed = packedCount = 0;
    }

    /// <summary>Builds a hash from loaded or computed entries, choosing the encoding by size as Redis's loader does.</summary>
    public static HashValue From(IReadOnlyCollection<(byte[] Field, byte[] Value)> entries, CollectionLimits limits)
    {
        var h = new HashValue();
        bool small = entries.Count <= limits.HashMaxListpackEntries;
        if (small)
            foreach (var (f, v) in entries)
                if (f.Length > limits.HashMaxListpackValue || v.Length > limits.HashMaxListpackValue)
                {
                    small = false;
                    break;
                }
        if (small)
        {
            foreach (var (f, v) in entries) h.Append(f, v);
        }
        else
        {
            h.packed = null;
            h.table = new ElementTable<byte[]>(entries.Count);
            foreach (var (f, v) in entries) h.table.Set(f, ElementBytes.Copy(v)); // pinned when restoring (ElementBytes)
        }
        return h;
    }

    public object DeepCopy()
    {
        var copy = new HashValue();
        if (packed != null)
        {
            copy.packed = packed.AsSpan(0, packedUsed).ToArray();
            copy.packedUsed = packedUsed;
            copy.packedCount = packedCount;
        }
        else
        {
            copy.packed = null;
            copy.table = new ElementTable<byte[]>(table!.Count);
            foreach (int i in table.Indexes()) copy.table.Add(table.KeyAt(i), table.ValueAt(i));
        }
        return copy;
    }
}
