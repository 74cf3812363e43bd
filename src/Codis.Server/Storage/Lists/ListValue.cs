namespace Codis.Server.Storage.Lists;

/// <summary>
/// A list: a growable ring buffer of elements, so pushes and pops at both ends are O(1) and LINDEX/LSET are
/// O(1) too; inserts and removals in the middle shift the shorter side. Redis 7.0 reports every list as a
/// "quicklist" (the listpack encoding for small lists came with 7.2).
/// </summary>
internal sealed class ListValue : IKeyValue
{
    private byte[][] items;
    private int head;

    public ListValue(int capacity = 4) => items = new byte[Math.Max(4, capacity)][];

    public string TypeName => "list";
    public string EncodingName => "quicklist";
    public int Count { get; private set; }

    private int Slot(int index)
    {
        int i = head + index;
        return i >= items.Length ? i - items.Length : i;
    }

    public byte[] this[int index]
    {
        get => items[Slot(index)];
        set => items[Slot(index)] = value;
    }

    private void EnsureRoom()
    {
        if (Count < items.Length) return;
        var bigger = new byte[items.Length * 2][];
        for (int i = 0; i < Count; i++) bigger[i] = items[Slot(i)];
        items = bigger;
        head = 0;
    }

    public void PushHead(byte[] value)
    {
        EnsureRoom();
        head = head == 0 ? items.Length - 1 : head - 1;
        items[head] = value;
        Count++;
    }

    public void PushTail(byte[] value)
    {
        EnsureRoom();
        items[Slot(Count)] = value;
        Count++;
    }

    public byte[] PopHead()
    {
        var v = items[head];
        items[head] = null!;
        head = head + 1 == items.Length ? 0 : head + 1;
        Count--;
        Shrink();
        return v;
    }

    public byte[] PopTail()
    {
        int s = Slot(Count - 1);
        var v = items[s];
        items[s] = null!;
        Count--;
        Shrink();
        return v;
    }

    /// <summary>Gives memory back when a big list has emptied to a quarter.</summary>
    private void Shrink()
    {
        if (items.Length <= 64 || Count > items.Length / 4) return;
        var smaller = new byte[items.Length / 2][];
        for (int i = 0; i < Count; i++) smaller[i] = items[Slot(i)];
        items = smaller;
        head = 0;
    }

    /// <summary>Inserts before position <paramref name="index"/> (0..Count).</summary>
    public void Insert(int index, byte[] value)
    {
        if (index == 0)
        {
            PushHead(value);
            return;
        }
        if (index == Count)
        {
            PushTail(value);
            return;
        }
        PushTail(value);
        for (int i = Count - 1; i > index; i--) this[i] = this[i - 1];
        this[index] = value;
    }

    public void RemoveAt(int index)
    {
        if (index < Count / 2)
        {
            for (int i = index; i > 0; i--) this[i] = this[i - 1];
            PopHead();
        }
        else
        {
            for (int i = index; i < Count - 1; i++) this[i] = this[i + 1];
            PopTail();
        }
    }

    /// <summary>Keeps only elements start..end (inclusive, already clamped to the list).</summary>
    public void Trim(int start, int end)
    {
        int keep = end - start + 1;
        var kept = new byte[Math.Max(4, keep)][];
        for (int i = 0; i < keep; i++) kept[i] = this[start + i];
        items = kept;
        head = 0;
        Count = keep;
    }

    /// <summary>Removes every element for which <paramref name="remove"/> says so, keeping the order of the rest.</summary>
    public int RemoveWhere(Func<int, byte[], bool> remove)
    {
        int w = 0, removed = 0;
        for (int r = 0; r < Count; r++)
        {
            var v = this[r];
            if (remove(r, v))
            {
                removed++;
                continue;
            }
            this[w++] = v;
        }
        for (int i = w; i < Count; i++) this[i] = null!;
        Count = w;
        Shrink();
        return removed;
    }

    public IEnumerable<byte[]> Items()
    {
        for (int i = 0; i < Count; i++) yield return this[i];
    }

    public static ListValue From(IReadOnlyCollection<byte[]> elements)
    {
        var l = new ListValue(elements.Count);
        foreach (var e in elements) l.PushTail(e);
        return l;
    }

    public object DeepCopy() => From(Items().ToList());
}
