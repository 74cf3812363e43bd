using Codis.Server.Storage.Collections;

namespace Codis.Server.Storage.Hashes;

/// <summary>
/// A hash. Small hashes are a "listpack": field/value pairs in insertion order, searched linearly, as Redis keeps
/// them (so HGETALL answers in the same order as Redis). Past hash-max-listpack-entries fields, or on a field or
/// value longer than hash-max-listpack-value, it becomes a "hashtable" for good, as in Redis.
/// </summary>
internal sealed class HashValue : IKeyValue
{
    private List<(byte[] Field, byte[] Value)>? pairs = new();
    private ElementTable<byte[]>? table;

    public string TypeName => "hash";
    public string EncodingName => pairs != null ? "listpack" : "hashtable";
    public bool IsListpack => pairs != null;
    public int Count => pairs?.Count ?? table!.Count;

    /// <summary>The hashtable, when the hash is in that encoding (HSCAN walks it by entry index).</summary>
    public ElementTable<byte[]>? Table => table;

    /// <summary>Converts ahead of a write whose arguments would not fit the listpack (Redis's hashTypeTryConversion).</summary>
    public void PrepareFor(int newLength, CollectionLimits limits)
    {
        if (pairs != null && newLength > limits.HashMaxListpackValue) ConvertToTable();
    }

    private int IndexOf(ReadOnlySpan<byte> field)
    {
        var p = pairs!;
        for (int i = 0; i < p.Count; i++)
            if (field.SequenceEqual(p[i].Field)) return i;
        return -1;
    }

    public byte[]? Get(ReadOnlySpan<byte> field)
    {
        if (pairs != null)
        {
            int i = IndexOf(field);
            return i < 0 ? null : pairs[i].Value;
        }
        return table!.TryGetValue(field, out var v) ? v : null;
    }

    public bool Contains(ReadOnlySpan<byte> field) => pairs != null ? IndexOf(field) >= 0 : table!.Contains(field);

    /// <summary>Sets a field; returns true when it was new.</summary>
    public bool Set(ReadOnlySpan<byte> field, ReadOnlySpan<byte> value, CollectionLimits limits)
    {
        if (pairs != null)
        {
            if (field.Length > limits.HashMaxListpackValue || value.Length > limits.HashMaxListpackValue) ConvertToTable();
            else
            {
                int i = IndexOf(field);
                if (i >= 0)
                {
                    pairs[i] = (pairs[i].Field, value.ToArray());
                    return false;
                }
                pairs.Add((field.ToArray(), value.ToArray()));
                if (pairs.Count > limits.HashMaxListpackEntries) ConvertToTable();
                return true;
            }
        }
        return table!.Set(field, ElementBytes.Copy(value));
    }

    public bool Remove(ReadOnlySpan<byte> field)
    {
        if (pairs != null)
        {
            int i = IndexOf(field);
            if (i < 0) return false;
            pairs.RemoveAt(i);
            return true;
        }
        return table!.Remove(field);
    }

    /// <summary>Every field and value, in the encoding's order (insertion order for a listpack).</summary>
    public IEnumerable<(byte[] Field, byte[] Value)> Entries()
    {
        if (pairs != null)
        {
            foreach (var p in pairs) yield return p;
            yield break;
        }
        foreach (int i in table!.Indexes()) yield return (table.KeyAt(i), table.ValueAt(i));
    }

    /// <summary>The pair at a position in listpack order, or a random live entry of the table.</summary>
    public (byte[] Field, byte[] Value) At(int listpackIndex) => pairs![listpackIndex];

    public (byte[] Field, byte[] Value) Random(Random random)
    {
        if (pairs != null) return pairs[random.Next(pairs.Count)];
        int i = table!.RandomIndex(random);
        return (table.KeyAt(i), table.ValueAt(i));
    }

    /// <summary>Room for <paramref name="count"/> fields (a hashtable when that is past the listpack's limit).</summary>
    public void Reserve(int count, CollectionLimits limits)
    {
        if (pairs != null && count > limits.HashMaxListpackEntries) ConvertToTable(count);
        table?.Reserve(count);
    }

    private void ConvertToTable(int capacity = 0)
    {
        var t = new ElementTable<byte[]>(Math.Max(capacity, pairs!.Count));
        foreach (var (f, v) in pairs) t.Add(f, v);
        table = t;
        pairs = null;
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
        if (small) h.pairs!.AddRange(entries);
        else
        {
            h.pairs = null;
            h.table = new ElementTable<byte[]>(entries.Count);
            foreach (var (f, v) in entries) h.table.Set(f, ElementBytes.Copy(v)); // pinned when restoring (ElementBytes)
        }
        return h;
    }

    public object DeepCopy()
    {
        var copy = new HashValue();
        if (pairs != null) copy.pairs!.AddRange(pairs);
        else
        {
            copy.pairs = null;
            copy.table = new ElementTable<byte[]>(table!.Count);
            foreach (int i in table.Indexes()) copy.table.Add(table.KeyAt(i), table.ValueAt(i));
        }
        return copy;
    }
}
