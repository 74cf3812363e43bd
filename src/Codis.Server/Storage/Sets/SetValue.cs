using System.Buffers.Binary;
using Codis.Server.Storage.Collections;

namespace Codis.Server.Storage.Sets;

/// <summary>
/// A set. While every member is a canonical 64-bit integer and there are at most set-max-intset-entries of
/// them it is an "intset": one array of ascending integers 2, 4 or 8 bytes wide (the narrowest that holds them
/// all, widened on demand, as Redis's), answered in ascending order. Otherwise it is a "hashtable" for good, as in
/// Redis 7.0; while that has at most <see cref="PackedMaxMembers"/> members of at most <see cref="PackedMaxLength"/>
/// bytes it is held as one array of members end to end (<c>[length][bytes]</c>, insertion order, searched
/// linearly like Redis 7.2's set listpack), and only past that as an <see cref="ElementTable{TValue}"/>.
/// (A table for 4 short members cost 514 bytes a key against redis-server's 330.) The packed form is internal:
/// OBJECT ENCODING, DUMP and RDB see a hashtable.
/// </summary>
internal sealed class SetValue : IKeyValue
{
    /// <summary>The packed string form's limits (Redis 7.2's set-max-listpack-entries / -value defaults).</summary>
    public const int PackedMaxMembers = 128, PackedMaxLength = 64;

    // packed: the intset's integers, or the small string set's members; null once a table
    private byte[]? packed;
    // the string form's bytes in use; for an intset, minus its integers' width
    private int used;
    private int count;
    private ElementTable<byte>? table;

    private SetValue(bool intset)
    {
        packed = [];
        used = intset ? -2 : 0;
    }

    /// <summary>An empty set in the encoding Redis picks for a first member (setTypeCreate).</summary>
    public static SetValue CreateFor(ReadOnlySpan<byte> firstMember) => new(IsInteger(firstMember, out _));

    /// <summary>An empty set that starts as an intset (the *STORE commands build their result in one).</summary>
    public static SetValue CreateIntset() => new(intset: true);

    public string TypeName => "set";
    public string EncodingName => IsIntset ? "intset" : "hashtable";
    public bool IsIntset => used < 0;
    public int Count => table?.Count ?? count;

    /// <summary>The table, once the set has one (SSCAN pages it by entry index, migration chunks snapshot it).</summary>
    public ElementTable<byte>? Table => table;

    /// <summary>Bytes of the intset's or packed members' array, 0 for a table (MEMORY USAGE).</summary>
    public int PackedBytes => packed?.Length ?? 0;

    private static bool IsInteger(ReadOnlySpan<byte> s, out long v)
    {
        v = 0;
        return s.Length <= 20 && Commands.CommandContext.TryParseLong(s, out v);
    }

    // ---- the intset ----

    private int Width => -used;

    private static int WidthFor(long v) => v >= short.MinValue && v <= short.MaxValue ? 2 : v >= int.MinValue && v <= int.MaxValue ? 4 : 8;

    private long IntAt(int i)
    {
        var b = packed.AsSpan();
        return Width switch
        {
            2 => BinaryPrimitives.ReadInt16LittleEndian(b[(i * 2)..]),
            4 => BinaryPrimitives.ReadInt32LittleEndian(b[(i * 4)..]),
            _ => BinaryPrimitives.ReadInt64LittleEndian(b[(i * 8)..]),
        };
    }

    private static void WriteInt(Span<byte> b, int width, int i, long v)
    {
        switch (width)
        {
            case 2: BinaryPrimitives.WriteInt16LittleEndian(b[(i * 2)..], (short)v); break;
            case 4: BinaryPrimitives.WriteInt32LittleEndian(b[(i * 4)..], (int)v); break;
            default: BinaryPrimitives.WriteInt64LittleEndian(b[(i * 8)..], v); break;
        }
    }

    /// <summary>The index of <paramref name="v"/>, or the complement of where it would go.</summary>
    private int IntSearch(long v)
    {
        if (WidthFor(v) > Width) return v < 0 ? ~0 : ~count;
        int lo = 0, hi = count - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            long x = IntAt(mid);
            if (x == v) return mid;
            if (x < v) lo = mid + 1;
            else hi = mid - 1;
        }
        return ~lo;
    }

    private void IntInsert(int at, long v)
    {
        int width = Math.Max(Width, WidthFor(v));
        int bytes = (count + 1) * width;
        if (width != Width || bytes > packed!.Length)
        {
            // widening rewrites every integer; growth by half keeps the copies few
            var b = new byte[width == Width ? Math.Max(bytes, Math.Max(16, packed!.Length + packed.Length / 2)) : bytes];
            for (int i = 0; i < at; i++) WriteInt(b, width, i, IntAt(i));
            for (int i = at; i < count; i++) WriteInt(b, width, i + 1, IntAt(i));
            packed = b;
            used = -width;
        }
        else packed.AsSpan(at * width, (count - at) * width).CopyTo(packed.AsSpan((at + 1) * width));
        WriteInt(packed, width, at, v);
        count++;
    }

    private void IntRemoveAt(int at)
    {
        int w = Width;
        packed.AsSpan((at + 1) * w, (count - at - 1) * w).CopyTo(packed.AsSpan(at * w));
        count--;
    }

    // ---- the packed members ----

    /// <summary>The byte offset of <paramref name="member"/> in the packed members, or -1.</summary>
    private int PackedFind(ReadOnlySpan<byte> member)
    {
        var b = packed!;
        for (int pos = 0; pos < used; pos += 1 + b[pos])
            if (b[pos] == member.Length && member.SequenceEqual(b.AsSpan(pos + 1, member.Length))) return pos;
        return -1;
    }

    private void PackedAppend(ReadOnlySpan<byte> member)
    {
        int need = used + 1 + member.Length;
        if (need > packed!.Length)
        {
            // .NET rounds an array up to 8 bytes, so multiples of 8 cost nothing extra
            var b = GC.AllocateUninitializedArray<byte>((Math.Max(need, Math.Max(16, packed.Length + packed.Length / 2)) + 7) & ~7);
            packed.AsSpan(0, used).CopyTo(b);
            packed = b;
        }
        packed[used] = (byte)member.Length;
        member.CopyTo(packed.AsSpan(used + 1));
        used = need;
        count++;
    }

    private void PackedRemoveAt(int pos)
    {
        int size = 1 + packed![pos];
        packed.AsSpan(pos + size, used - pos - size).CopyTo(packed.AsSpan(pos));
        used -= size;
        count--;
    }

    /// <summary>The byte offset of the i-th packed member.</summary>
    private int PackedOffset(int i)
    {
        int pos = 0;
        for (; i > 0; i--) pos += 1 + packed![pos];
        return pos;
    }

    private byte[] PackedAt(int pos) => packed.AsSpan(pos + 1, packed![pos]).ToArray();

    // ---- conversions ----

    private static bool FitsPacked(int count, int longest) => count <= PackedMaxMembers && longest <= PackedMaxLength;

    /// <summary>Leaves the intset for the packed members, or a table when <paramref name="capacity"/> is past them.</summary>
    private void ConvertFromIntset(int capacity)
    {
        var ints = new long[count];
        for (int i = 0; i < count; i++) ints[i] = IntAt(i);
        packed = [];
        used = count = 0;
        if (!FitsPacked(Math.Max(capacity, ints.Length), 20))
        {
            table = new ElementTable<byte>(Math.Max(capacity, ints.Length));
            packed = null;
            foreach (long v in ints) table.Add(Persistence.RdbInteger.ToText(v), 0);
            return;
        }
        Span<byte> text = stackalloc byte[20];
        foreach (long v in ints)
        {
            v.TryFormat(text, out int n, default, System.Globalization.CultureInfo.InvariantCulture);
            PackedAppend(text[..n]);
        }
    }

    private void ConvertToTable(int capacity = 0)
    {
        var t = new ElementTable<byte>(Math.Max(capacity, count));
        for (int pos = 0; pos < used; pos += 1 + packed![pos]) t.Add(PackedAt(pos), 0);
        table = t;
        packed = null;
        used = count = 0;
    }

    // ---- the set ----

    public bool Contains(ReadOnlySpan<byte> member)
    {
        if (table != null) return table.Contains(member);
        if (IsIntset) return IsInteger(member, out long v) && IntSearch(v) >= 0;
        return PackedFind(member) >= 0;
    }

    public bool Add(ReadOnlySpan<byte> member, CollectionLimits limits)
    {
        if (IsIntset)
        {
            if (IsInteger(member, out long v))
            {
                int i = IntSearch(v);
                if (i >= 0) return false;
                IntInsert(~i, v);
                if (count > limits.SetMaxIntsetEntries) ConvertFromIntset(0);
                return true;
            }
            ConvertFromIntset(0);
        }
        if (table == null)
        {
            if (PackedFind(member) >= 0) return false;
            if (FitsPacked(count + 1, member.Length))
            {
                PackedAppend(member);
                return true;
            }
            ConvertToTable(count + 1);
        }
        if (table!.Contains(member)) return false;
        table.Add(ElementBytes.Copy(member), 0);
        return true;
    }

    public bool Remove(ReadOnlySpan<byte> member)
    {
        if (table != null) return table.Remove(member);
        if (IsIntset)
        {
            if (!IsInteger(member, out long v)) return false;
            int i = IntSearch(v);
            if (i < 0) return false;
            IntRemoveAt(i);
            return true;
        }
        int pos = PackedFind(member);
        if (pos < 0) return false;
        PackedRemoveAt(pos);
        return true;
    }

    /// <summary>Members in the encoding's order (ascending for an intset; the caller may not change the set meanwhile).</summary>
    public IEnumerable<byte[]> Members()
    {
        if (table != null)
        {
            foreach (int i in table.Indexes()) yield return table.KeyAt(i);
            yield break;
        }
        if (IsIntset)
        {
            for (int i = 0; i < count; i++) yield return Persistence.RdbInteger.ToText(IntAt(i));
            yield break;
        }
        for (int pos = 0; pos < used; pos += 1 + packed![pos]) yield return PackedAt(pos);
    }

    public byte[] Random(Random random)
    {
        if (table != null) return table.KeyAt(table.RandomIndex(random));
        int i = random.Next(count);
        return IsIntset ? Persistence.RdbInteger.ToText(IntAt(i)) : PackedAt(PackedOffset(i));
    }

    /// <summary>Removes and returns a random member.</summary>
    public byte[] PopRandom(Random random)
    {
        if (table != null)
        {
            int index = table.RandomIndex(random);
            var m = table.KeyAt(index);
            table.RemoveAt(index);
            return m;
        }
        int i = random.Next(count);
        if (IsIntset)
        {
            long v = IntAt(i);
            IntRemoveAt(i);
            return Persistence.RdbInteger.ToText(v);
        }
        int pos = PackedOffset(i);
        var member = PackedAt(pos);
        PackedRemoveAt(pos);
        return member;
    }

    /// <summary>Room for <paramref name="count"/> members (a hashtable when that is past the intset's limit).</summary>
    public void Reserve(int count, CollectionLimits limits)
    {
        if (IsIntset)
        {
            if (count <= limits.SetMaxIntsetEntries) return;
            ConvertFromIntset(count);
        }
        if (table == null && count > PackedMaxMembers) ConvertToTable(count);
        table?.Reserve(count);
    }

    /// <summary>A set of loaded or computed members (distinct), encoded as Redis's loader and *STORE would.</summary>
    public static SetValue From(IReadOnlyCollection<byte[]> members, CollectionLimits limits)
    {
        bool intset = members.Count <= limits.SetMaxIntsetEntries;
        int longest = 0;
        foreach (var m in members)
        {
            if (intset && !IsInteger(m, out _)) intset = false;
            longest = Math.Max(longest, m.Length);
        }
        var s = new SetValue(intset);
        if (intset || FitsPacked(members.Count, longest))
        {
            foreach (var m in members) s.Add(m, limits);
            return s;
        }
        // A table keeps the given order (a restored payload dumps back the same).
        s.packed = null;
        s.used = 0;
        s.table = new ElementTable<byte>(members.Count);
        foreach (var m in members)
            if (!s.table.Contains(m)) s.table.Add(ElementBytes.Copy(m), 0);
        return s;
    }

    public object DeepCopy()
    {
        var copy = new SetValue(false) { used = used, count = count };
        if (table != null)
        {
            copy.packed = null;
            copy.table = new ElementTable<byte>(table.Count);
            foreach (int i in table.Indexes()) copy.table.Add(table.KeyAt(i), 0);
        }
        else copy.packed = packed.AsSpan(0, IsIntset ? count * Width : used).ToArray();
        return copy;
    }
}
