namespace Codis.Server.Persistence;

/// <summary>
/// Writes a value as its object type byte followed by its encoding, picking the encoding Redis 7.0 picks for a
/// value of that size (§2.2) so the bytes match redis-server's: strings via <see cref="RdbWriter.WriteString"/>,
/// every list as quicklist2, sets as intset or hashtable, hashes and zsets as listpack or hashtable/skiplist,
/// streams as listpack nodes. Accepts the keyspace's <c>byte[]</c> strings and the <see cref="RdbValue"/> records.
/// </summary>
internal static class RdbValueWriter
{
    private static readonly int[] ListNodeLimits = [4096, 8192, 16384, 32768, 65536];
    private const int ListSafetyLimit = 8192;

    public static void Write(RdbWriter w, object value, RdbEncodingLimits? limits = null)
    {
        limits ??= RdbEncodingLimits.Default;
        if (value is Storage.IKeyValue collection) value = KeyValueRdb.ToRdb(collection, limits, out limits);
        switch (value)
        {
            case byte[] s:
                w.WriteByte(RdbType.String);
                w.WriteString(s);
                break;
            case RdbList list:
                WriteList(w, list.Items, limits);
                break;
            case RdbSet set:
                WriteSet(w, set.Members, limits);
                break;
            case RdbHash hash:
                WriteHash(w, hash.Entries, limits);
                break;
            case RdbZSet zset:
                WriteZSet(w, zset.Entries, limits);
                break;
            case RdbStream stream:
                w.WriteByte(RdbType.StreamListpacks2);
                RdbStreamCodec.Write(w, stream, limits);
                break;
            case RdbStreamListpacks packed:
                w.WriteByte(RdbType.StreamListpacks2);
                RdbStreamCodec.Write(w, packed);
                break;
            default:
                throw new ArgumentException($"cannot serialize a {value.GetType().Name}", nameof(value));
        }
    }

    /// <summary>
    /// Type 18. Nodes are filled as RPUSH fills them: an element joins the tail node while the node's listpack
    /// plus the element plus its estimated entry overhead stays within the limit; huge elements get PLAIN nodes.
    /// </summary>
    private static void WriteList(RdbWriter w, List<byte[]> items, RdbEncodingLimits limits)
    {
        var nodes = new List<(bool Plain, byte[] Data)>();
        var lp = new ListpackBuilder();
        bool open = false; // whether lp holds the current tail node
        foreach (var item in items)
        {
            if (item.Length >= limits.ListPackedThreshold)
            {
                if (open) nodes.Add((false, lp.ToArray()));
                open = false;
                nodes.Add((true, item));
                continue;
            }
            if (open && !AllowInsert(lp, item.Length, limits.ListMaxListpackSize))
            {
                nodes.Add((false, lp.ToArray()));
                open = false;
            }
            if (!open)
            {
                lp.Clear();
                open = true;
            }
            lp.Append(item);
        }
        if (open) nodes.Add((false, lp.ToArray()));

        w.WriteByte(RdbType.ListQuicklist2);
        w.WriteLength((ulong)nodes.Count);
        foreach (var (plain, data) in nodes)
        {
            w.WriteLength(plain ? 1UL : 2UL);
            w.WriteString(data);
        }
    }

    /// <summary>
    /// 7.0.15's _quicklistNodeAllowInsert for a PACKED tail node: the node's listpack bytes + the element + an
    /// 8-byte overestimate of the entry overhead must stay within the limit (checked against the list:big vector).
    /// </summary>
    private static bool AllowInsert(ListpackBuilder node, int size, int fill)
    {
        const int SizeEstimateOverhead = 8;
        long newSize = (long)node.Bytes + size + SizeEstimateOverhead;
        if (fill < 0)
        {
            int level = ListNodeLimits[Math.Min(-fill - 1, ListNodeLimits.Length - 1)];
            return newSize <= level;
        }
        return newSize <= ListSafetyLimit && node.Count < fill;
    }

    private static void WriteSet(RdbWriter w, List<byte[]> members, RdbEncodingLimits limits)
    {
        if (members.Count <= limits.SetMaxIntsetEntries)
        {
            var ints = new List<long>(members.Count);
            foreach (var m in members)
            {
                if (!RdbInteger.TryParseCanonical(m, out long v))
                {
                    ints = null;
                    break;
                }
                ints.Add(v);
            }
            if (ints != null)
            {
                ints.Sort();
                w.WriteByte(RdbType.SetIntset);
                w.WriteString(Intset.Write(ints));
                return;
            }
        }
        w.WriteByte(RdbType.Set);
        w.WriteLength((ulong)members.Count);
        foreach (var m in members) w.WriteString(m);
    }

    private static void WriteHash(RdbWriter w, List<(byte[] Field, byte[] Value)> entries, RdbEncodingLimits limits)
    {
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
            var lp = new ListpackBuilder();
            foreach (var (f, v) in entries)
            {
                lp.Append(f);
                lp.Append(v);
            }
            w.WriteByte(RdbType.HashListpack);
            w.WriteString(lp.ToArray());
            return;
        }
        w.WriteByte(RdbType.Hash);
        w.WriteLength((ulong)entries.Count);
        foreach (var (f, v) in entries)
        {
            w.WriteString(f);
            w.WriteString(v);
        }
    }

    private static void WriteZSet(RdbWriter w, List<(byte[] Member, double Score)> entries, RdbEncodingLimits limits)
    {
        var sorted = new List<(byte[] Member, double Score)>(entries);
        sorted.Sort(static (a, b) =>
        {
            int c = a.Score.CompareTo(b.Score);
            return c != 0 ? c : a.Member.AsSpan().SequenceCompareTo(b.Member);
        });
        bool small = sorted.Count <= limits.ZSetMaxListpackEntries;
        if (small)
            foreach (var (m, _) in sorted)
                if (m.Length > limits.ZSetMaxListpackValue)
                {
                    small = false;
                    break;
                }
        if (small)
        {
            var lp = new ListpackBuilder();
            foreach (var (m, score) in sorted)
            {
                lp.Append(m);
                AppendScore(lp, score);
            }
            w.WriteByte(RdbType.ZSetListpack);
            w.WriteString(lp.ToArray());
            return;
        }
        // The skiplist is saved from its tail: highest score first, ties in reverse member order.
        w.WriteByte(RdbType.ZSet2);
        w.WriteLength((ulong)sorted.Count);
        for (int i = sorted.Count - 1; i >= 0; i--)
        {
            w.WriteString(sorted[i].Member);
            w.WriteBinaryDouble(sorted[i].Score);
        }
    }

    /// <summary>
    /// A zset score inside a listpack, as 7.0's zzlInsertAt stores it: integral values within ±2^62 as listpack
    /// integers (−0 becomes 0), everything else as text: "inf", "-inf" or %.17g.
    /// </summary>
    internal static void AppendScore(ListpackBuilder lp, double score)
    {
        const double Limit = long.MaxValue / 2; // (double) rounds to 2^62, exactly as Redis's double2ll compares
        if (score >= -Limit && score <= Limit)
        {
            long l = (long)score;
            if (l == score)
            {
                lp.Append(l);
                return;
            }
        }
        lp.Append(System.Text.Encoding.ASCII.GetBytes(ScoreText(score)));
    }

    /// <summary>Redis's d2string for non-integral scores: "inf", "-inf", or C's %.17g.</summary>
    internal static string ScoreText(double d)
    {
        if (double.IsPositiveInfinity(d)) return "inf";
        if (double.IsNegativeInfinity(d)) return "-inf";
        return d.ToString("G17", System.Globalization.CultureInfo.InvariantCulture).Replace('E', 'e');
    }
}
