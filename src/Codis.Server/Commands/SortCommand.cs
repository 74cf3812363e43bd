using Codis.Server.Storage.Collections;
using Codis.Server.Storage.Hashes;
using Codis.Server.Storage.Lists;
using Codis.Server.Storage.Sets;
using Codis.Server.Storage.SortedSets;

namespace Codis.Server.Commands;

/// <summary>
/// SORT and SORT_RO over lists, sets and sorted sets, as Redis 7.0 does them: numeric or ALPHA (byte order, as
/// Redis in the C locale), BY a pattern or nosort, LIMIT, GET patterns (<c>*</c>, <c>-&gt;field</c>, <c>#</c>),
/// STORE into a list. Orders that Redis leaves to its sort routine are reproduced: a full sort is stable (glibc's
/// merge sort), a BY sort of part of the range is Redis's partial quicksort (<see cref="PartialQuickSort"/>).
/// </summary>
internal static class SortCommand
{
    private const string ScoreError = "ERR One or more scores can't be converted into double";

    /// <summary>RPUSH commands a STORE's effect is split into for replicas and the AOF.</summary>
    private const int ItemsPerPush = 1024;

    [Command("sort", -2, Flags = CommandFlags.Write | CommandFlags.DenyOom, FirstKey = 1, LastKey = 1, Step = 1, SortKeys = true, KeyFlags = "RO access", Group = "generic", AclCategories = "@set @sortedset @list @dangerous", Summary = "Sort the elements in a list, set or sorted set")]
    public static void Sort(CommandContext ctx) => Run(ctx, readOnly: false);

    [Command("sort_ro", -2, Flags = CommandFlags.ReadOnly, FirstKey = 1, LastKey = 1, Step = 1, SortKeys = true, KeyFlags = "RO access", Group = "generic", AclCategories = "@set @sortedset @list @dangerous", Summary = "Sort the elements in a list, set or sorted set. Read-only variant of SORT.")]
    public static void SortRo(CommandContext ctx) => Run(ctx, readOnly: true);

    /// <summary>One element to sort: the element, its numeric weight, and for ALPHA BY the value it sorts by (null: none).</summary>
    private struct Item
    {
        public byte[] Element;
        public double Score;
        public byte[]? By;
        /// <summary>The place in the input: equal items keep their input order, as a stable sort leaves them.</summary>
        public int Index;
        /// <summary>For ALPHA: how many bytes of the text compare (all with STORE, else up to a NUL).</summary>
        public int Length;
    }

    private sealed class Options
    {
        public bool Desc, Alpha, DontSort;
        public long LimitStart, LimitCount = -1;
        public int ByArg = -1, StoreArg = -1;
        public readonly List<int> Gets = new();
    }

    private static void Run(CommandContext ctx, bool readOnly)
    {
        var o = new Options();
        if (!TryParse(ctx, readOnly, o)) return;
        var value = ctx.Db.GetForRead(ctx.Arg(1)); // SORT is a write command; its key (and BY/GET keys) are reads
        if (value != null && value is not ListValue && value is not SetValue && value is not SortedSetValue)
        {
            ctx.WrongType();
            return;
        }
        bool store = o.StoreArg > 0;
        // A set has no order of its own: unsorted, what a replica or a script's caller sees could differ, so Redis sorts it.
        if (o.DontSort && value is SetValue && (store || ctx.Client.IsScript))
        {
            o.DontSort = false;
            o.Alpha = true;
            o.ByArg = -1;
        }
        int total = value switch { ListValue l => l.Count, SetValue s => s.Count, SortedSetValue z => z.Count, _ => 0 };

        // LIMIT as Redis clamps it (7.0.x): the start within the elements, a count of -1 (all) up to their number.
        long start = Math.Min(Math.Max(o.LimitStart, 0), total);
        long count = Math.Min(Math.Max(o.LimitCount, -1), total);
        long end = count < 0 ? total - 1 : start + count - 1;
        if (start >= total)
        {
            start = total - 1;
            end = total - 2;
        }
        if (end >= total) end = total - 1;

        var items = Load(value, o, ref start, ref end, total);
        bool scoreError = false;
        if (!o.DontSort)
        {
            scoreError = Weigh(ctx, items, o);
            if (!scoreError && end >= start) Order(items, o, store, (int)start, (int)end);
        }
        if (scoreError)
        {
            ctx.Error(ScoreError);
            return;
        }
        long range = end - start + 1;
        long outputLen = o.Gets.Count > 0 ? o.Gets.Count * range : range;
        if (!store)
        {
            ctx.Reply.WriteArrayHeader(outputLen);
            for (long j = start; j <= end; j++)
            {
                var element = items[j].Element;
                if (o.Gets.Count == 0) ctx.Reply.WriteBulk(element);
                foreach (int g in o.Gets)
                {
                    var v = Lookup(ctx, ctx.Arg(g), element);
                    if (v == null) ctx.Reply.WriteNullBulk();
                    else ctx.Reply.WriteBulk(v);
                }
            }
            return;
        }
        var result = new List<byte[]>((int)Math.Min(outputLen, 1 << 20));
        for (long j = start; j <= end; j++)
        {
            var element = items[j].Element;
            // Elements of a list, set or sorted set are never changed in place: the new list may share them. A
            // string's bytes may be (SETRANGE, INCR...), so what GET reads is copied.
            if (o.Gets.Count == 0) result.Add(element);
            foreach (int g in o.Gets)
                result.Add(Lookup(ctx, ctx.Arg(g), element) is { } v ? ElementBytes.Copy(v) : []);
        }
        Store(ctx, ctx.ArgBytes(o.StoreArg), result);
        ctx.Reply.WriteInteger(result.Count);
    }

    /// <summary>The options, in Redis's order of checks; false when an error was replied.</summary>
    private static bool TryParse(CommandContext ctx, bool readOnly, Options o)
    {
        for (int j = 2; j < ctx.ArgCount; j++)
        {
            int left = ctx.ArgCount - j - 1;
            if (ctx.ArgIs(j, "ASC")) o.Desc = false;
            else if (ctx.ArgIs(j, "DESC")) o.Desc = true;
            else if (ctx.ArgIs(j, "ALPHA")) o.Alpha = true;
            else if (ctx.ArgIs(j, "LIMIT") && left >= 2)
            {
                if (!ctx.TryArgLong(j + 1, out o.LimitStart) || !ctx.TryArgLong(j + 2, out o.LimitCount)) return false;
                j += 2;
            }
            else if (!readOnly && ctx.ArgIs(j, "STORE") && left >= 1) o.StoreArg = ++j;
            else if (ctx.ArgIs(j, "BY") && left >= 1)
            {
                o.ByArg = ++j;
                // A pattern without '*' names no key per element: the elements keep their order (BY nosort).
                if (StarIndex(ctx.Arg(j)) < 0) o.DontSort = true;
            }
            else if (ctx.ArgIs(j, "GET") && left >= 1) o.Gets.Add(++j);
            else
            {
                ctx.SyntaxError();
                return false;
            }
        }
        return true;
    }

    /// <summary>
    /// The elements to sort. Unsorted lists and sorted sets are read in their order (reversed by DESC), and only
    /// the LIMIT range: <paramref name="start"/>/<paramref name="end"/> then index the returned items.
    /// </summary>
    private static Item[] Load(object? value, Options o, ref long start, ref long end, int total)
    {
        bool partial = start != 0 || end != total - 1;
        switch (value)
        {
            case ListValue list when o.DontSort:
            {
                if (end < start) return [];
                int n = (int)(end - start + 1);
                var items = new Item[n];
                int j = 0;
                // one walk over the packed nodes, not a lookup per element
                if (o.Desc)
                    foreach (var e in list.RangeBackwards((int)(total - start - 1), n)) items[j++].Element = e.ToArray();
                else
                    foreach (var e in list.Range((int)start, n)) items[j++].Element = e.ToArray();
                end -= start;
                start = 0;
                return items;
            }
            case SortedSetValue zset when o.DontSort:
            {
                int n = partial ? (int)(end - start + 1) : total;
                var items = new Item[Math.Max(n, 0)];
                if (n > 0)
                {
                    int node = zset.ByRank(o.Desc ? total - 1 - start : start);
                    for (int j = 0; j < n; j++)
                    {
                        items[j].Element = zset.MemberOf(node);
                        node = o.Desc ? zset.Prev(node) : zset.Next(node);
                    }
                }
                end -= start;
                start = 0;
                return items;
            }
            case ListValue list:
            {
                var items = new Item[total];
                int j = 0;
                foreach (var e in list.Items()) items[j++].Element = e;
                return items;
            }
            case SetValue set:
                return set.Members().Select(m => new Item { Element = m }).ToArray();
            case SortedSetValue zset:
                return zset.Entries().Select(e => new Item { Element = e.Member }).ToArray();
            default:
                return [];
        }
    }

    /// <summary>Fills the weights (BY's values, or the elements); true when one is not a number (numeric sort).</summary>
    private static bool Weigh(CommandContext ctx, Item[] items, Options o)
    {
        bool error = false;
        for (int j = 0; j < items.Length; j++)
        {
            byte[]? by = items[j].Element;
            if (o.ByArg > 0)
            {
                by = Lookup(ctx, ctx.Arg(o.ByArg), items[j].Element);
                if (by == null) continue; // no weight: 0, or first for ALPHA
            }
            if (o.Alpha)
            {
                if (o.ByArg > 0) items[j].By = by;
            }
            else if (!TryScore(by, out items[j].Score)) error = true;
        }
        return error;
    }

    /// <summary>
    /// A weight as SORT reads it: C's strtod over the text up to its first NUL (leading space allowed, the empty
    /// text is 0), refusing trailing characters, NaN, overflow and underflow (ERANGE).
    /// </summary>
    private static bool TryScore(ReadOnlySpan<byte> text, out double score)
    {
        int nul = text.IndexOf((byte)0);
        if (nul >= 0) text = text[..nul];
        score = 0;
        if (text.IsEmpty || CommandContext.TryParsePlainDecimal(text, out score)) return true;
        if (!Strtod.TryParse(text, leadingSpace: true, rangeIsError: true, out score)) return false;
        // glibc reports a rounded subnormal as ERANGE too; hexadecimal text can name one exactly.
        if (score != 0 && Math.Abs(score) < SmallestNormal && !IsHex(text)) return false;
        return true;
    }

    private const double SmallestNormal = 2.2250738585072014E-308;

    private static bool IsHex(ReadOnlySpan<byte> text)
    {
        text = text.TrimStart(" \t\n\v\f\r"u8);
        if (text.Length > 0 && text[0] is (byte)'+' or (byte)'-') text = text[1..];
        return text.Length > 1 && text[0] == (byte)'0' && (text[1] | 0x20) == (byte)'x';
    }

    private static void Order(Item[] items, Options o, bool store, int start, int end)
    {
        bool byPattern = o.ByArg > 0;
        if (o.Alpha)
        {
            // The bytes that compare: all of them with STORE; else strcoll's in the C locale (strcmp), up to a NUL.
            for (int i = 0; i < items.Length; i++)
            {
                items[i].Index = i;
                var text = byPattern ? items[i].By : items[i].Element;
                items[i].Length = text == null ? 0 : store ? text.Length : CLength(text);
            }
        }
        if (byPattern && (start != 0 || end != items.Length - 1))
        {
            PartialQuickSort.Sort(items.AsSpan(), new ItemComparer(o.Alpha, byPattern, o.Desc), start, end);
            return;
        }
        // As glibc's qsort (a merge sort, stable): equal elements stay in their input order.
        if (!o.Alpha) SortByScore(items, o.Desc);
        else items.AsSpan().Sort(new StableComparer(new ItemComparer(o.Alpha, byPattern, o.Desc)));
    }

    /// <summary>A numeric sort on 16-byte keys (the score and the place), the common case made cheap.</summary>
    private static void SortByScore(Item[] items, bool desc)
    {
        var keys = new ScoreKey[items.Length];
        for (int i = 0; i < keys.Length; i++) keys[i] = new ScoreKey(items[i].Score, i);
        keys.AsSpan().Sort(new ScoreKeyComparer(items, desc));
        var sorted = new Item[items.Length];
        for (int i = 0; i < keys.Length; i++) sorted[i] = items[keys[i].Index];
        sorted.CopyTo(items, 0);
    }

    private readonly record struct ScoreKey(double Score, int Index);

    /// <summary>By score, then (equal numbers) the elements' bytes, then the place: what sortCompare and a stable sort give.</summary>
    private readonly struct ScoreKeyComparer(Item[] items, bool desc) : IComparer<ScoreKey>
    {
        public int Compare(ScoreKey a, ScoreKey b)
        {
            int c = a.Score > b.Score ? 1 : a.Score < b.Score ? -1 : Binary(items[a.Index].Element, items[b.Index].Element);
            if (desc) c = -c;
            return c != 0 ? c : a.Index.CompareTo(b.Index);
        }
    }

    /// <summary>Redis's sortCompare for the chosen options (a struct, so that the sort calls it directly).</summary>
    private readonly struct ItemComparer(bool alpha, bool byPattern, bool desc) : IComparer<Item>
    {
        public int Compare(Item a, Item b)
        {
            int c = Unordered(a, b);
            return desc ? -c : c;
        }

        private int Unordered(in Item a, in Item b)
        {
            // Equal numbers fall back to the elements' bytes, so the result does not depend on the input order.
            if (!alpha) return a.Score > b.Score ? 1 : a.Score < b.Score ? -1 : Binary(a.Element, b.Element);
            if (!byPattern) return a.Element.AsSpan(0, a.Length).SequenceCompareTo(b.Element.AsSpan(0, b.Length));
            if (a.By == null || b.By == null) return a.By == b.By ? 0 : a.By == null ? -1 : 1;
            return a.By.AsSpan(0, a.Length).SequenceCompareTo(b.By.AsSpan(0, b.Length));
        }
    }

    /// <summary>Ties by input order: the order a stable sort gives, from any sort.</summary>
    private readonly struct StableComparer(ItemComparer inner) : IComparer<Item>
    {
        public int Compare(Item a, Item b)
        {
            int c = inner.Compare(a, b);
            return c != 0 ? c : a.Index.CompareTo(b.Index);
        }
    }

    /// <summary>memcmp, then the shorter first (compareStringObjects).</summary>
    private static int Binary(byte[] a, byte[] b) => a.AsSpan().SequenceCompareTo(b);

    /// <summary>A C string's length: up to the first NUL.</summary>
    private static int CLength(byte[] text)
    {
        int nul = text.AsSpan().IndexOf((byte)0);
        return nul < 0 ? text.Length : nul;
    }

    /// <summary>Where the first '*' is, in the pattern as a C string (up to its first NUL); -1 when none.</summary>
    private static int StarIndex(ReadOnlySpan<byte> pattern)
    {
        int nul = pattern.IndexOf((byte)0);
        return (nul < 0 ? pattern : pattern[..nul]).IndexOf((byte)'*');
    }

    /// <summary>
    /// A BY/GET pattern's value for an element (Redis's lookupKeyByPattern): "#" is the element itself; the first
    /// '*' takes the element, and a "-&gt;field" after it (followed by something) reads that hash field. Null when the
    /// pattern has no '*', the key is missing, or it holds another type (a string, or a hash for a field).
    /// </summary>
    private static byte[]? Lookup(CommandContext ctx, ReadOnlySpan<byte> pattern, byte[] element)
    {
        if (pattern.Length > 0 && pattern[0] == (byte)'#' && (pattern.Length == 1 || pattern[1] == 0)) return element;
        int star = StarIndex(pattern);
        if (star < 0) return null;
        int nul = pattern.IndexOf((byte)0);
        int cEnd = nul < 0 ? pattern.Length : nul;
        int arrow = pattern[(star + 1)..cEnd].IndexOf("->"u8);
        int fieldAt = -1;
        if (arrow >= 0 && star + 1 + arrow + 2 < cEnd) fieldAt = star + 1 + arrow + 2;
        var suffix = fieldAt < 0 ? pattern[(star + 1)..] : pattern[(star + 1)..(fieldAt - 2)];
        int keyLength = star + element.Length + suffix.Length;
        Span<byte> key = keyLength <= 256 ? stackalloc byte[keyLength] : new byte[keyLength];
        pattern[..star].CopyTo(key);
        element.CopyTo(key[star..]);
        suffix.CopyTo(key[(star + element.Length)..]);
        var found = ctx.Db.GetForRead(key);
        if (fieldAt >= 0) return found is HashValue h ? h.Get(pattern[fieldAt..]) : null;
        return found as byte[];
    }

    /// <summary>
    /// Replaces the destination with the list (an empty result deletes it). Replicas and the AOF get the list
    /// itself (DEL + RPUSH, one MULTI/EXEC), not the SORT: what a sort reads through its patterns, and the order
    /// of equal elements of a set, need not be the same there.
    /// </summary>
    private static void Store(CommandContext ctx, byte[] dest, List<byte[]> result)
    {
        bool existed = ctx.Db.Exists(dest);
        if (result.Count == 0)
        {
            if (ctx.Db.Remove(dest))
            {
                ctx.Notify(PubSub.NotifyType.Generic, "del"u8, dest);
                ctx.Rewrite = [["DEL"u8.ToArray(), dest]];
            }
            return;
        }
        ctx.Db.Set(dest, ListValue.From(result), 0);
        ctx.Notify(PubSub.NotifyType.List, "sortstore"u8, dest);
        if (!ctx.EffectsWanted) return;
        var effects = new List<byte[][]>();
        if (existed) effects.Add(["DEL"u8.ToArray(), dest]);
        for (int i = 0; i < result.Count; i += ItemsPerPush)
        {
            int n = Math.Min(ItemsPerPush, result.Count - i);
            var args = new byte[n + 2][];
            args[0] = "RPUSH"u8.ToArray();
            args[1] = dest;
            result.CopyTo(i, args, 2, n);
            effects.Add(args);
        }
        ctx.Rewrite = effects;
    }
}
