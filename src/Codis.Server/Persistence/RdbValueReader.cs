namespace Codis.Server.Persistence;

/// <summary>
/// Decodes the value that follows an object type byte, for every type Redis 7.0 reads except modules (§2.1):
/// strings become <c>byte[]</c>, the rest the neutral <see cref="RdbValue"/> records. Like RESTORE in 7.0 it refuses
/// empty collections, duplicate members/fields, NaN scores and quicklist containers other than PLAIN/PACKED; it also
/// validates every listpack, ziplist, zipmap and intset it walks (it has to walk them to decode them).
/// </summary>
internal static class RdbValueReader
{
    private const int QuicklistPlain = 1;
    private const int QuicklistPacked = 2;

    public static object Read(RdbReader r, byte type) => type switch
    {
        RdbType.String => r.ReadString(),
        RdbType.List => new RdbList(NonEmpty(ReadStrings(r))),
        RdbType.Set => new RdbSet(Distinct(ReadStrings(r))),
        RdbType.ZSet => ReadZSetPlain(r, binaryScores: false),
        RdbType.ZSet2 => ReadZSetPlain(r, binaryScores: true),
        RdbType.Hash => ReadHashPlain(r),
        RdbType.HashZipmap => Hash(Zipmap.Read(r.ReadString())),
        RdbType.ListZiplist => new RdbList(NonEmpty(Ziplist.Read(r.ReadString()))),
        RdbType.SetIntset => ReadIntset(r),
        RdbType.ZSetZiplist => ZSet(Ziplist.Read(r.ReadString())),
        RdbType.HashZiplist => Hash(Pairs(Ziplist.Read(r.ReadString()))),
        RdbType.ListQuicklist => ReadQuicklist1(r),
        RdbType.HashListpack => Hash(Pairs(Texts(Listpack.Read(r.ReadString())))),
        RdbType.ZSetListpack => ZSet(Texts(Listpack.Read(r.ReadString()))),
        RdbType.ListQuicklist2 => ReadQuicklist2(r),
        RdbType.StreamListpacks => RdbStreamCodec.Read(r, version: 1),
        RdbType.StreamListpacks2 => RdbStreamCodec.Read(r, version: 2),
        RdbType.Module or RdbType.Module2 => throw new RdbFormatException("module values need their module"),
        _ => throw new RdbFormatException($"unknown object type {type}"),
    };

    private static List<byte[]> ReadStrings(RdbReader r)
    {
        int n = r.ReadCount();
        var items = new List<byte[]>(Math.Min(n, 1024));
        for (int i = 0; i < n; i++) items.Add(r.ReadString());
        return items;
    }

    private static RdbZSet ReadZSetPlain(RdbReader r, bool binaryScores)
    {
        int n = r.ReadCount();
        var entries = new List<(byte[], double)>(Math.Min(n, 1024));
        for (int i = 0; i < n; i++)
        {
            var member = r.ReadString();
            double score = binaryScores ? r.ReadBinaryDouble() : r.ReadTextDouble();
            entries.Add((member, score));
        }
        return CheckedZSet(entries);
    }

    private static RdbHash ReadHashPlain(RdbReader r)
    {
        int n = r.ReadCount();
        var entries = new List<(byte[], byte[])>(Math.Min(n, 1024));
        for (int i = 0; i < n; i++) entries.Add((r.ReadString(), r.ReadString()));
        return Hash(entries);
    }

    private static RdbSet ReadIntset(RdbReader r)
    {
        var ints = Intset.Read(r.ReadString());
        var members = new List<byte[]>(ints.Count);
        foreach (long v in ints) members.Add(RdbInteger.ToText(v));
        return new RdbSet(NonEmpty(members));
    }

    /// <summary>Type 14 (3.2–6.2): node count, then one ziplist per node.</summary>
    private static RdbList ReadQuicklist1(RdbReader r)
    {
        int nodes = r.ReadCount();
        var items = new List<byte[]>();
        for (int i = 0; i < nodes; i++) items.AddRange(Ziplist.Read(r.ReadString()));
        return new RdbList(NonEmpty(items));
    }

    /// <summary>Type 18: node count, then per node a container (1 PLAIN = one raw element, 2 PACKED = a listpack).</summary>
    private static RdbList ReadQuicklist2(RdbReader r)
    {
        int nodes = r.ReadCount();
        var items = new List<byte[]>();
        for (int i = 0; i < nodes; i++)
        {
            ulong container = r.ReadLength();
            var data = r.ReadString();
            if (container == QuicklistPlain) items.Add(data);
            else if (container == QuicklistPacked)
                foreach (var e in Listpack.Read(data)) items.Add(e.ToBytes()); // empty nodes are dropped, as 7.0 does
            else throw new RdbFormatException("bad quicklist container");
        }
        return new RdbList(NonEmpty(items));
    }

    private static List<byte[]> Texts(List<ListpackEntry> entries)
    {
        var result = new List<byte[]>(entries.Count);
        foreach (var e in entries) result.Add(e.ToBytes());
        return result;
    }

    private static List<(byte[], byte[])> Pairs(List<byte[]> flat)
    {
        if (flat.Count % 2 != 0) throw new RdbFormatException("odd number of elements in a pair encoding");
        var pairs = new List<(byte[], byte[])>(flat.Count / 2);
        for (int i = 0; i < flat.Count; i += 2) pairs.Add((flat[i], flat[i + 1]));
        return pairs;
    }

    /// <summary>member, score, member, score… with scores as integers or text (ziplist and listpack zsets).</summary>
    private static RdbZSet ZSet(List<byte[]> flat)
    {
        if (flat.Count % 2 != 0) throw new RdbFormatException("odd number of elements in a zset encoding");
        var entries = new List<(byte[], double)>(flat.Count / 2);
        for (int i = 0; i < flat.Count; i += 2)
        {
            if (!RdbReader.TryParseDouble(flat[i + 1], out double score)) throw new RdbFormatException("bad zset score");
            entries.Add((flat[i], score));
        }
        return CheckedZSet(entries);
    }

    private static RdbZSet CheckedZSet(List<(byte[] Member, double Score)> entries)
    {
        if (entries.Count == 0) throw new RdbFormatException("empty zset");
        var seen = new HashSet<byte[]>(entries.Count, ByteArrayComparer.Instance);
        foreach (var (member, score) in entries)
        {
            if (double.IsNaN(score)) throw new RdbFormatException("NaN zset score");
            if (!seen.Add(member)) throw new RdbFormatException("duplicate zset member");
        }
        return new RdbZSet(entries);
    }

    private static RdbHash Hash(List<(byte[] Field, byte[] Value)> entries)
    {
        if (entries.Count == 0) throw new RdbFormatException("empty hash");
        var seen = new HashSet<byte[]>(entries.Count, ByteArrayComparer.Instance);
        foreach (var (field, _) in entries)
            if (!seen.Add(field)) throw new RdbFormatException("duplicate hash field");
        return new RdbHash(entries);
    }

    private static List<byte[]> Distinct(List<byte[]> members)
    {
        var seen = new HashSet<byte[]>(members.Count, ByteArrayComparer.Instance);
        foreach (var m in members)
            if (!seen.Add(m)) throw new RdbFormatException("duplicate set member");
        return NonEmpty(members);
    }

    private static List<byte[]> NonEmpty(List<byte[]> items) =>
        items.Count > 0 ? items : throw new RdbFormatException("empty collection");
}
