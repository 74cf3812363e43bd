using System.Buffers.Binary;
using Codis.Server.Storage.Collections;

namespace Codis.Server.Storage.Lists;

/// <summary>Decides, for <see cref="ListValue.RemoveWhere"/>, whether the element at a position goes.</summary>
internal delegate bool ListElementPredicate(int index, ReadOnlySpan<byte> element);

/// <summary>
/// A list: a deque of nodes, each one byte array packing many elements end to end, as Redis's quicklist packs them
/// into listpacks. An element costs its bytes plus 2 (6 above 253 bytes, 10 above 64 KiB), where an array per
/// element cost 40 more; pushes and pops at both ends stay O(1), an index is found by walking node counts from the
/// nearer end, then entries within the node. Each entry is [length][bytes][length] so a node reads in both
/// directions. Nodes hold up to list-max-listpack-size (8 KiB by default; a positive setting counts entries); a
/// bigger element gets a node of its own. Redis 7.0 reports every list as a "quicklist".
/// </summary>
internal sealed class ListValue : IKeyValue
{
    private sealed class Node
    {
        public byte[] Buf = [];
        public int Start, End;   // the entries are Buf[Start..End)
        public int Count;

        public int Used => End - Start;
    }

    private const int SmallMax = 253;        // up to this length: one length byte before and after
    private const byte Medium = 0xFE, Large = 0xFF;
    private const int MinBuffer = 16;

    private Node[] nodes = new Node[1];
    private int first;                       // ring index of the head node
    private int nodeCount;

    /// <param name="capacity">ignored: nodes are sized by their bytes; kept for the callers that know a count</param>
    public ListValue(int capacity = 0) => _ = capacity;

    public string TypeName => "list";
    public string EncodingName => "quicklist";
    public int Count { get; private set; }

    /// <summary>Bytes held by the nodes' arrays and objects (MEMORY USAGE).</summary>
    public long AllocatedBytes
    {
        get
        {
            long total = 24 + 8L * nodes.Length;
            for (int k = 0; k < nodeCount; k++) total += 40 + 24 + NodeAt(k).Buf.Length;
            return total;
        }
    }

    /// <summary>
    /// A node's array. Not on the pinned heap even while restoring (as ElementBytes puts elements): nodes are few
    /// and large, so young collections copy little, and their growth would leave holes there.
    /// </summary>
    private static byte[] NewBuffer(int size) => GC.AllocateUninitializedArray<byte>(size);

    // ---- entries ----

    private static int EntrySize(int len) => len <= SmallMax ? len + 2 : len <= 0xFFFF ? len + 6 : len + 10;

    private static void WriteEntry(Span<byte> d, ReadOnlySpan<byte> data)
    {
        int len = data.Length;
        if (len <= SmallMax)
        {
            d[0] = (byte)len;
            data.CopyTo(d[1..]);
            d[1 + len] = (byte)len;
        }
        else if (len <= 0xFFFF)
        {
            d[0] = Medium;
            BinaryPrimitives.WriteUInt16LittleEndian(d[1..], (ushort)len);
            data.CopyTo(d[3..]);
            BinaryPrimitives.WriteUInt16LittleEndian(d[(3 + len)..], (ushort)len);
            d[5 + len] = Medium;
        }
        else
        {
            d[0] = Large;
            BinaryPrimitives.WriteInt32LittleEndian(d[1..], len);
            data.CopyTo(d[5..]);
            BinaryPrimitives.WriteInt32LittleEndian(d[(5 + len)..], len);
            d[9 + len] = Large;
        }
    }

    /// <summary>The entry starting at <paramref name="pos"/>: where its bytes are, and where the next entry starts.</summary>
    private static int Next(byte[] b, int pos, out int data, out int len)
    {
        byte h = b[pos];
        if (h <= SmallMax)
        {
            len = h;
            data = pos + 1;
            return pos + len + 2;
        }
        if (h == Medium)
        {
            len = BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(pos + 1));
            data = pos + 3;
            return pos + len + 6;
        }
        len = BinaryPrimitives.ReadInt32LittleEndian(b.AsSpan(pos + 1));
        data = pos + 5;
        return pos + len + 10;
    }

    /// <summary>The entry ending at <paramref name="end"/>: where its bytes are, and where it starts.</summary>
    private static int Prev(byte[] b, int end, out int data, out int len)
    {
        byte t = b[end - 1];
        if (t <= SmallMax)
        {
            len = t;
            data = end - 1 - len;
            return end - len - 2;
        }
        if (t == Medium)
        {
            len = BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(end - 3));
            data = end - 3 - len;
            return end - len - 6;
        }
        len = BinaryPrimitives.ReadInt32LittleEndian(b.AsSpan(end - 5));
        data = end - 5 - len;
        return end - len - 10;
    }

    // ---- nodes ----

    private Node NodeAt(int k)
    {
        int i = first + k;
        return nodes[i >= nodes.Length ? i - nodes.Length : i];
    }

    private void InsertNode(int k, Node node)
    {
        if (nodeCount == nodes.Length)
        {
            var bigger = new Node[nodes.Length * 2];
            for (int i = 0; i < nodeCount; i++) bigger[i] = NodeAt(i);
            nodes = bigger;
            first = 0;
        }
        if (k == 0)
        {
            first = first == 0 ? nodes.Length - 1 : first - 1;
            nodes[first] = node;
        }
        else
        {
            for (int i = nodeCount; i > k; i--) SetNode(i, NodeAt(i - 1));
            SetNode(k, node);
        }
        nodeCount++;
    }

    private void SetNode(int k, Node node)
    {
        int i = first + k;
        nodes[i >= nodes.Length ? i - nodes.Length : i] = node;
    }

    private void RemoveNode(int k)
    {
        if (k == 0)
        {
            nodes[first] = null!;
            first = first + 1 == nodes.Length ? 0 : first + 1;
        }
        else
        {
            for (int i = k; i < nodeCount - 1; i++) SetNode(i, NodeAt(i + 1));
            SetNode(nodeCount - 1, null!);
        }
        nodeCount--;
        if (nodeCount == 0) first = 0;
        if (nodes.Length > 64 && nodeCount < nodes.Length / 4)
        {
            var smaller = new Node[nodes.Length / 2];
            for (int i = 0; i < nodeCount; i++) smaller[i] = NodeAt(i);
            nodes = smaller;
            first = 0;
        }
    }

    /// <summary>Whether a node may take one more entry of <paramref name="size"/> bytes (list-max-listpack-size).</summary>
    private static bool Fits(Node node, int size)
    {
        if (node.Count == 0) return true;
        int limit = CollectionLimits.Current.ListMaxListpackSize;
        if (limit > 0) return node.Count < limit && node.Used + size <= 8192;
        return node.Used + size <= MaxNodeBytes(limit);
    }

    private static int MaxNodeBytes(int limit) => limit switch { -1 => 4096, -3 => 16384, -4 => 32768, <= -5 => 65536, _ => 8192 };

    private static int NodeCapacityLimit()
    {
        int limit = CollectionLimits.Current.ListMaxListpackSize;
        return limit > 0 ? 8192 : MaxNodeBytes(limit);
    }

    /// <summary>Makes <paramref name="need"/> free bytes at the front or the back of a node's array.</summary>
    private static void Reserve(Node n, int need, bool atFront)
    {
        if (atFront ? n.Start >= need : n.Buf.Length - n.End >= need) return;
        int used = n.Used;
        int size = n.Buf.Length;
        if (size - used < need)
            size = Math.Max(used + need, Math.Min(Math.Max(size * 2, MinBuffer), Math.Max(NodeCapacityLimit(), used + need)));
        var buf = size == n.Buf.Length ? n.Buf : NewBuffer(size);
        int start = atFront ? size - used : 0;
        n.Buf.AsSpan(n.Start, used).CopyTo(buf.AsSpan(start));
        n.Buf = buf;
        n.Start = start;
        n.End = start + used;
    }

    /// <summary>Gives a mostly empty node's array back.</summary>
    private static void MaybeShrink(Node n)
    {
        if (n.Buf.Length <= 256 || n.Used > n.Buf.Length / 4) return;
        var buf = NewBuffer(Math.Max(MinBuffer, n.Used * 2));
        int start = (buf.Length - n.Used) / 2;
        n.Buf.AsSpan(n.Start, n.Used).CopyTo(buf.AsSpan(start));
        n.Buf = buf;
        n.End = start + n.Used;
        n.Start = start;
    }

    /// <summary>Replaces <paramref name="oldSize"/> bytes at <paramref name="pos"/> by a gap of <paramref name="newSize"/>; returns where the gap starts.</summary>
    private static int Splice(Node n, int pos, int oldSize, int newSize)
    {
        int delta = newSize - oldSize;
        if (delta == 0) return pos;
        int tail = n.End - (pos + oldSize);
        if (delta < 0)
        {
            n.Buf.AsSpan(pos + oldSize, tail).CopyTo(n.Buf.AsSpan(pos + newSize));
            n.End += delta;
            return pos;
        }
        if (n.Buf.Length - n.End >= delta)
        {
            n.Buf.AsSpan(pos + oldSize, tail).CopyTo(n.Buf.AsSpan(pos + newSize));
            n.End += delta;
            return pos;
        }
        if (n.Start >= delta)
        {
            n.Buf.AsSpan(n.Start, pos - n.Start).CopyTo(n.Buf.AsSpan(n.Start - delta));
            n.Start -= delta;
            return pos - delta;
        }
        int used = n.Used + delta;
        var buf = NewBuffer(Math.Max(used, Math.Min(n.Buf.Length * 2, Math.Max(NodeCapacityLimit(), used))));
        int head = pos - n.Start;
        n.Buf.AsSpan(n.Start, head).CopyTo(buf);
        n.Buf.AsSpan(pos + oldSize, tail).CopyTo(buf.AsSpan(head + newSize));
        n.Buf = buf;
        n.Start = 0;
        n.End = used;
        return head;
    }

    /// <summary>The node (by position) and the byte offset of the entry at <paramref name="index"/>; also its index in the node.</summary>
    private (int Node, int Pos, int InNode) Locate(int index)
    {
        int k;
        if (index < Count / 2)
        {
            k = 0;
            while (index >= NodeAt(k).Count) index -= NodeAt(k++).Count;
        }
        else
        {
            int fromEnd = Count - 1 - index;
            k = nodeCount - 1;
            while (fromEnd >= NodeAt(k).Count) fromEnd -= NodeAt(k--).Count;
            index = NodeAt(k).Count - 1 - fromEnd;
        }
        var n = NodeAt(k);
        int pos;
        if (index < n.Count / 2)
        {
            pos = n.Start;
            for (int i = 0; i < index; i++) pos = Next(n.Buf, pos, out _, out _);
        }
        else
        {
            int end = n.End;
            for (int i = n.Count - 1; i > index; i--) end = Prev(n.Buf, end, out _, out _);
            pos = Prev(n.Buf, end, out _, out _);
        }
        return (k, pos, index);
    }

    private Node NewNode(int size, bool atFront)
    {
        var n = new Node { Buf = NewBuffer(Math.Max(MinBuffer, size)) };
        n.Start = n.End = atFront ? n.Buf.Length : 0;
        return n;
    }

    // ---- the list ----

    public ReadOnlySpan<byte> At(int index)
    {
        var (k, pos, _) = Locate(index);
        var n = NodeAt(k);
        Next(n.Buf, pos, out int data, out int len);
        return n.Buf.AsSpan(data, len);
    }

    /// <summary>The element at <paramref name="index"/> as a new array; setting replaces it.</summary>
    public byte[] this[int index]
    {
        get => At(index).ToArray();
        set => Set(index, value);
    }

    public void Set(int index, ReadOnlySpan<byte> value)
    {
        var (k, pos, _) = Locate(index);
        var n = NodeAt(k);
        int oldSize = Next(n.Buf, pos, out _, out _) - pos;
        int size = EntrySize(value.Length);
        pos = Splice(n, pos, oldSize, size);
        WriteEntry(n.Buf.AsSpan(pos, size), value);
    }

    public void PushHead(ReadOnlySpan<byte> value)
    {
        int size = EntrySize(value.Length);
        Node? n = nodeCount > 0 ? NodeAt(0) : null;
        if (n == null || !Fits(n, size))
        {
            n = NewNode(size, atFront: true);
            InsertNode(0, n);
        }
        Reserve(n, size, atFront: true);
        n.Start -= size;
        WriteEntry(n.Buf.AsSpan(n.Start, size), value);
        n.Count++;
        Count++;
    }

    public void PushTail(ReadOnlySpan<byte> value)
    {
        int size = EntrySize(value.Length);
        Node? n = nodeCount > 0 ? NodeAt(nodeCount - 1) : null;
        if (n == null || !Fits(n, size))
        {
            n = NewNode(size, atFront: false);
            InsertNode(nodeCount, n);
        }
        Reserve(n, size, atFront: false);
        WriteEntry(n.Buf.AsSpan(n.End, size), value);
        n.End += size;
        n.Count++;
        Count++;
    }

    public byte[] PopHead()
    {
        var n = NodeAt(0);
        int next = Next(n.Buf, n.Start, out int data, out int len);
        var value = n.Buf.AsSpan(data, len).ToArray();
        n.Start = next;
        AfterPop(n, 0);
        return value;
    }

    public byte[] PopTail()
    {
        var n = NodeAt(nodeCount - 1);
        int start = Prev(n.Buf, n.End, out int data, out int len);
        var value = n.Buf.AsSpan(data, len).ToArray();
        n.End = start;
        AfterPop(n, nodeCount - 1);
        return value;
    }

    private void AfterPop(Node n, int k)
    {
        n.Count--;
        Count--;
        if (n.Count == 0) RemoveNode(k);
        else MaybeShrink(n);
    }

    /// <summary>Inserts before position <paramref name="index"/> (0..Count).</summary>
    public void Insert(int index, ReadOnlySpan<byte> value)
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
        int size = EntrySize(value.Length);
        var (k, pos, inNode) = Locate(index);
        var n = NodeAt(k);
        if (!Fits(n, size))
        {
            // Split the node where the new element goes: the entries from there on move to a node of their own.
            var right = NewNode(n.End - pos, atFront: false);
            n.Buf.AsSpan(pos, n.End - pos).CopyTo(right.Buf);
            right.End = n.End - pos;
            right.Count = n.Count - inNode;
            n.End = pos;
            n.Count = inNode;
            InsertNode(k + 1, right);
            if (!Fits(n, size))
            {
                if (Fits(right, size))
                {
                    n = right;
                    pos = right.Start;
                }
                else
                {
                    n = NewNode(size, atFront: false);
                    InsertNode(k + 1, n);
                    pos = 0;
                }
            }
            else pos = n.End;
        }
        pos = Splice(n, pos, 0, size);
        WriteEntry(n.Buf.AsSpan(pos, size), value);
        n.Count++;
        Count++;
    }

    public void RemoveAt(int index)
    {
        var (k, pos, _) = Locate(index);
        var n = NodeAt(k);
        int oldSize = Next(n.Buf, pos, out _, out _) - pos;
        Splice(n, pos, oldSize, 0);
        AfterPop(n, k);
    }

    /// <summary>Keeps only elements start..end (inclusive, already clamped to the list).</summary>
    public void Trim(int start, int end)
    {
        DropTail(Count - 1 - end);
        DropHead(start);
    }

    private void DropHead(int n)
    {
        while (n > 0)
        {
            var node = NodeAt(0);
            if (node.Count <= n)
            {
                n -= node.Count;
                Count -= node.Count;
                RemoveNode(0);
                continue;
            }
            int pos = node.Start;
            for (int i = 0; i < n; i++) pos = Next(node.Buf, pos, out _, out _);
            node.Start = pos;
            node.Count -= n;
            Count -= n;
            MaybeShrink(node);
            return;
        }
    }

    private void DropTail(int n)
    {
        while (n > 0)
        {
            var node = NodeAt(nodeCount - 1);
            if (node.Count <= n)
            {
                n -= node.Count;
                Count -= node.Count;
                RemoveNode(nodeCount - 1);
                continue;
            }
            int end = node.End;
            for (int i = 0; i < n; i++) end = Prev(node.Buf, end, out _, out _);
            node.End = end;
            node.Count -= n;
            Count -= n;
            MaybeShrink(node);
            return;
        }
    }

    /// <summary>Removes every element for which <paramref name="remove"/> says so, keeping the order of the rest.</summary>
    public int RemoveWhere(ListElementPredicate remove)
    {
        int removed = 0, index = 0;
        for (int k = 0; k < nodeCount; k++)
        {
            var n = NodeAt(k);
            int read = n.Start, write = n.Start, kept = 0;
            while (read < n.End)
            {
                int next = Next(n.Buf, read, out int data, out int len);
                if (remove(index++, n.Buf.AsSpan(data, len)))
                {
                    removed++;
                }
                else
                {
                    if (write != read) n.Buf.AsSpan(read, next - read).CopyTo(n.Buf.AsSpan(write));
                    write += next - read;
                    kept++;
                }
                read = next;
            }
            n.End = write;
            Count -= n.Count - kept;
            n.Count = kept;
            if (kept == 0) RemoveNode(k--);
            else MaybeShrink(n);
        }
        return removed;
    }

    /// <summary>Every element as a new array, head to tail (persistence, migration, copies).</summary>
    public IEnumerable<byte[]> Items()
    {
        for (int k = 0; k < nodeCount; k++)
        {
            var n = NodeAt(k);
            for (int pos = n.Start; pos < n.End;)
            {
                pos = Next(n.Buf, pos, out int data, out int len);
                yield return n.Buf.AsSpan(data, len).ToArray();
            }
        }
    }

    /// <summary>Elements start, start + 1, ... (<paramref name="count"/> of them), as spans valid until the list changes.</summary>
    public Enumerator Range(int start, int count) => new(this, start, count);

    /// <summary>Elements from, from − 1, ... (<paramref name="count"/> of them), as spans valid until the list changes.</summary>
    public ReverseEnumerator RangeBackwards(int from, int count) => new(this, from, count);

    public ref struct Enumerator
    {
        private readonly ListValue list;
        private int k, pos, remaining;
        private Node node;

        internal Enumerator(ListValue list, int start, int count)
        {
            this.list = list;
            remaining = count;
            node = null!;
            k = pos = 0;
            if (count <= 0) return;
            (k, pos, _) = list.Locate(start);
            node = list.NodeAt(k);
        }

        public ReadOnlySpan<byte> Current { get; private set; }

        public readonly Enumerator GetEnumerator() => this;

        public bool MoveNext()
        {
            if (remaining <= 0) return false;
            if (pos >= node.End)
            {
                node = list.NodeAt(++k);
                pos = node.Start;
            }
            pos = Next(node.Buf, pos, out int data, out int len);
            Current = node.Buf.AsSpan(data, len);
            remaining--;
            return true;
        }
    }

    public ref struct ReverseEnumerator
    {
        private readonly ListValue list;
        private int k, end, remaining;
        private Node node;

        internal ReverseEnumerator(ListValue list, int from, int count)
        {
            this.list = list;
            remaining = count;
            node = null!;
            k = end = 0;
            if (count <= 0) return;
            (k, int pos, _) = list.Locate(from);
            node = list.NodeAt(k);
            end = Next(node.Buf, pos, out _, out _);
        }

        public ReadOnlySpan<byte> Current { get; private set; }

        public readonly ReverseEnumerator GetEnumerator() => this;

        public bool MoveNext()
        {
            if (remaining <= 0) return false;
            if (end <= node.Start)
            {
                node = list.NodeAt(--k);
                end = node.End;
            }
            end = Prev(node.Buf, end, out int data, out int len);
            Current = node.Buf.AsSpan(data, len);
            remaining--;
            return true;
        }
    }

    public static ListValue From(IEnumerable<byte[]> elements)
    {
        var l = new ListValue();
        foreach (var e in elements) l.PushTail(e);
        return l;
    }

    /// <summary>A copy whose nodes are tight copies of these (COPY, snapshots).</summary>
    public object DeepCopy()
    {
        var copy = new ListValue { nodes = new Node[Math.Max(1, nodeCount)], nodeCount = nodeCount, Count = Count };
        for (int k = 0; k < nodeCount; k++)
        {
            var n = NodeAt(k);
            var buf = NewBuffer(Math.Max(MinBuffer, n.Used));
            n.Buf.AsSpan(n.Start, n.Used).CopyTo(buf);
            copy.nodes[k] = new Node { Buf = buf, Start = 0, End = n.Used, Count = n.Count };
        }
        return copy;
    }
}
