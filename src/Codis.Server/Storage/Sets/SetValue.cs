using Codis.Server.Storage.Collections;

namespace Codis.Server.Storage.Sets;

/// <summary>
/// A set. While every member is a canonical 64-bit integer and there are at most set-max-intset-entries of
/// them it is an "intset" (a sorted array, members answered in ascending order, as Redis's); otherwise a
/// "hashtable" for good.
/// </summary>
internal sealed class SetValue : IKeyValue
{
    private List<long>? ints;
    private ElementTable<byte>? table;

    private SetValue(bool intset)
    {
        if (intset) ints = new List<long>();
        else table = new ElementTable<byte>();
    }

    /// <summary>An empty set in the encoding Redis picks for a first member (setTypeCreate).</summary>
    public static SetValue CreateFor(ReadOnlySpan<byte> firstMember) => new(IsInteger(firstMember, out _));

    /// <summary>An empty set that starts as an intset (the *STORE commands build their result in one).</summary>
    public static SetValue CreateIntset() => new(intset: true);

    public string TypeName => "set";
    public string EncodingName => ints != null ? "intset" : "hashtable";
    public bool IsIntset => ints != null;
    public int Count => ints?.Count ?? table!.Count;
    public ElementTable<byte>? Table => table;

    private static bool IsInteger(ReadOnlySpan<byte> s, out long v)
    {
        v = 0;
        return s.Length <= 20 && Commands.CommandContext.TryParseLong(s, out v);
    }

    public bool Contains(ReadOnlySpan<byte> member)
    {
        if (ints != null) return IsInteger(member, out long v) && ints.BinarySearch(v) >= 0;
        return table!.Contains(member);
    }

    public bool Add(ReadOnlySpan<byte> member, CollectionLimits limits)
    {
        if (ints != null)
        {
            if (IsInteger(member, out long v))
            {
                int i = ints.BinarySearch(v);
                if (i >= 0) return false;
                ints.Insert(~i, v);
                if (ints.Count > limits.SetMaxIntsetEntries) ConvertToTable();
                return true;
            }
            ConvertToTable();
        }
        if (table!.Contains(member)) return false;
        table.Add(ElementBytes.Copy(member), 0);
        return true;
    }

    public bool Remove(ReadOnlySpan<byte> member)
    {
        if (ints != null)
        {
            if (!IsInteger(member, out long v)) return false;
            int i = ints.BinarySearch(v);
            if (i < 0) return false;
            ints.RemoveAt(i);
            return true;
        }
        return table!.Remove(member);
    }

    /// <summary>Members in the encoding's order (ascending for an intset).</summary>
    public IEnumerable<byte[]> Members()
    {
        if (ints != null)
        {
            foreach (long v in ints) yield return Persistence.RdbInteger.ToText(v);
            yield break;
        }
        foreach (int i in table!.Indexes()) yield return table.KeyAt(i);
    }

    public byte[] Random(Random random)
    {
        if (ints != null) return Persistence.RdbInteger.ToText(ints[random.Next(ints.Count)]);
        return table!.KeyAt(table.RandomIndex(random));
    }

    /// <summary>Removes and returns a random member.</summary>
    public byte[] PopRandom(Random random)
    {
        if (ints != null)
        {
            int i = random.Next(ints.Count);
            long v = ints[i];
            ints.RemoveAt(i);
            return Persistence.RdbInteger.ToText(v);
        }
        int index = table!.RandomIndex(random);
        var m = table.KeyAt(index);
        table.RemoveAt(index);
        return m;
    }

    /// <summary>Room for <paramref name="count"/> members (a hashtable when that is past the intset's limit).</summary>
    public void Reserve(int count, CollectionLimits limits)
    {
        if (ints != null && count > limits.SetMaxIntsetEntries) ConvertToTable(count);
        table?.Reserve(count);
    }

    private void ConvertToTable(int capacity = 0)
    {
        var t = new ElementTable<byte>(Math.Max(capacity, ints!.Count));
        foreach (long v in ints) t.Add(Persistence.RdbInteger.ToText(v), 0);
        table = t;
        ints = null;
    }

    /// <summary>A set of loaded or computed members (distinct), encoded as Redis's loader and *STORE would.</summary>
    public static SetValue From(IReadOnlyCollection<byte[]> members, CollectionLimits limits)
    {
        bool intset = members.Count <= limits.SetMaxIntsetEntries;
        if (intset)
            foreach (var m in members)
                if (!IsInteger(m, out _))
                {
                    intset = false;
                    break;
                }
        // A hashtable keeps the given order (a restored payload dumps back the same).
        var s = new SetValue(intset);
        foreach (var m in members) s.Add(m, limits);
        return s;
    }

    public object DeepCopy()
    {
        var copy = new SetValue(ints != null);
        if (ints != null) copy.ints!.AddRange(ints);
        else foreach (int i in table!.Indexes()) copy.table!.Add(table.KeyAt(i), 0);
        return copy;
    }
}
