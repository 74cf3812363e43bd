using System.Buffers.Text;
using System.Text;
using Codis.Server.PubSub;
using Codis.Server.Storage.Collections;
using Codis.Server.Storage.Hashes;

namespace Codis.Server.Commands;

/// <summary>The hash commands (Redis 7.0 semantics, replies and errors).</summary>
internal static class HashCommands
{
    private static bool TryGetHash(CommandContext ctx, out HashValue? hash) => CollectionAccess.TryGet(ctx, ctx.Arg(1), out hash);

    [Command("hset", -4, Flags = CommandFlags.Write | CommandFlags.DenyOom | CommandFlags.Fast, FirstKey = 1, LastKey = 1, Step = 1, KeyFlags = "RW update", Group = "hash", Summary = "Creates or modifies the value of a field in a hash.")]
    public static void HSet(CommandContext ctx)
    {
        long added = SetPairs(ctx, "hset");
        if (added >= 0) ctx.Reply.WriteInteger(added);
    }

    [Command("hmset", -4, Flags = CommandFlags.Write | CommandFlags.DenyOom | CommandFlags.Fast, FirstKey = 1, LastKey = 1, Step = 1, KeyFlags = "RW update", Group = "hash", Summary = "Sets the values of multiple fields.")]
    public static void HMSet(CommandContext ctx)
    {
        if (SetPairs(ctx, "hmset") >= 0) ctx.Ok();
    }

    /// <returns>the number of new fields, or -1 after an error reply</returns>
    private static long SetPairs(CommandContext ctx, string name)
    {
        if (ctx.ArgCount % 2 == 1)
        {
            ctx.Error(Errors.WrongArity(name));
            return -1;
        }
        if (!CollectionAccess.TryGetOrCreate(ctx, 1, () => new HashValue(), out var hash)) return -1;
        var limits = CollectionLimits.Current;
        int longest = 0;
        for (int i = 2; i < ctx.ArgCount; i++) longest = Math.Max(longest, ctx.Args.Length(i));
        hash.PrepareFor(longest, limits);
        long added = 0;
        for (int i = 2; i < ctx.ArgCount; i += 2)
            if (hash.Set(ctx.Arg(i), ctx.Arg(i + 1), limits)) added++;
        CollectionAccess.Modified(ctx, ctx.Arg(1), NotifyType.Hash, "hset"u8);
        return added;
    }

    [Command("hsetnx", 4, Flags = CommandFlags.Write | CommandFlags.DenyOom | CommandFlags.Fast, FirstKey = 1, LastKey = 1, Step = 1, KeyFlags = "RW insert", Group = "hash", Summary = "Sets the value of a field in a hash only when the field doesn't exist.")]
    public static void HSetNx(CommandContext ctx)
    {
        if (!TryGetHash(ctx, out var existing)) return;
        if (existing != null && existing.Contains(ctx.Arg(2)))
        {
            ctx.SuppressPropagation = true;
            ctx.Reply.WriteInteger(0);
            return;
        }
        CollectionAccess.TryGetOrCreate(ctx, 1, () => new HashValue(), out var hash);
        hash.Set(ctx.Arg(2), ctx.Arg(3), CollectionLimits.Current);
        CollectionAccess.Modified(ctx, ctx.Arg(1), NotifyType.Hash, "hset"u8);
        ctx.Reply.WriteInteger(1);
    }

    [Command("hget", 3, Flags = CommandFlags.ReadOnly | CommandFlags.Fast, FirstKey = 1, LastKey = 1, Step = 1, Group = "hash", Summary = "Returns the value of a field in a hash.")]
    public static void HGet(CommandContext ctx)
    {
        if (!TryGetHash(ctx, out var hash)) return;
        if (hash != null && hash.TryGet(ctx.Arg(2), out var v)) ctx.Reply.WriteBulk(v);
        else ctx.Reply.WriteNullBulk();
    }

    [Command("hmget", -3, Flags = CommandFlags.ReadOnly | CommandFlags.Fast, FirstKey = 1, LastKey = 1, Step = 1, Group = "hash", Summary = "Returns the values of all fields in a hash.")]
    public static void HMGet(CommandContext ctx)
    {
        if (!TryGetHash(ctx, out var hash)) return;
        ctx.Reply.WriteArrayHeader(ctx.ArgCount - 2);
        for (int i = 2; i < ctx.ArgCount; i++)
        {
            if (hash != null && hash.TryGet(ctx.Arg(i), out var v)) ctx.Reply.WriteBulk(v);
            else ctx.Reply.WriteNullBulk();
        }
    }

    [Command("hdel", -3, Flags = CommandFlags.Write | CommandFlags.Fast, FirstKey = 1, LastKey = 1, Step = 1, KeyFlags = "RW delete", Group = "hash", Summary = "Deletes one or more fields and their values from a hash. Deletes the hash if no fields remain.")]
    public static void HDel(CommandContext ctx)
    {
        if (!TryGetHash(ctx, out var hash)) return;
        long n = 0;
        if (hash != null)
        {
            for (int i = 2; i < ctx.ArgCount && hash.Count > 0; i++)
                if (hash.Remove(ctx.Arg(i))) n++;
            if (n > 0) CollectionAccess.AfterRemove(ctx, ctx.Arg(1), hash.Count, NotifyType.Hash, "hdel"u8);
        }
        if (n == 0) ctx.SuppressPropagation = true;
        ctx.Reply.WriteInteger(n);
    }

    [Command("hexists", 3, Flags = CommandFlags.ReadOnly | CommandFlags.Fast, FirstKey = 1, LastKey = 1, Step = 1, KeyFlags = "RO", Group = "hash", Summary = "Determines whether a field exists in a hash.")]
    public static void HExists(CommandContext ctx)
    {
        if (!TryGetHash(ctx, out var hash)) return;
        ctx.Reply.WriteInteger(hash != null && hash.Contains(ctx.Arg(2)) ? 1 : 0);
    }

    [Command("hlen", 2, Flags = CommandFlags.ReadOnly | CommandFlags.Fast, FirstKey = 1, LastKey = 1, Step = 1, KeyFlags = "RO", Group = "hash", Summary = "Returns the number of fields in a hash.")]
    public static void HLen(CommandContext ctx)
    {
        if (!TryGetHash(ctx, out var hash)) return;
        ctx.Reply.WriteInteger(hash?.Count ?? 0);
    }

    [Command("hstrlen", 3, Flags = CommandFlags.ReadOnly | CommandFlags.Fast, FirstKey = 1, LastKey = 1, Step = 1, KeyFlags = "RO", Group = "hash", Summary = "Returns the length of the value of a field.")]
    public static void HStrLen(CommandContext ctx)
    {
        if (!TryGetHash(ctx, out var hash)) return;
        ctx.Reply.WriteInteger(hash != null && hash.TryGet(ctx.Arg(2), out var v) ? v.Length : 0);
    }

    [Command("hgetall", 2, Flags = CommandFlags.ReadOnly, FirstKey = 1, LastKey = 1, Step = 1, Group = "hash", Tips = "nondeterministic_output_order", Summary = "Returns all fields and values in a hash.")]
    public static void HGetAll(CommandContext ctx) => WriteAll(ctx, fields: true, values: true);

    [Command("hkeys", 2, Flags = CommandFlags.ReadOnly, FirstKey = 1, LastKey = 1, Step = 1, Group = "hash", Tips = "nondeterministic_output_order", Summary = "Returns all fields in a hash.")]
    public static void HKeys(CommandContext ctx) => WriteAll(ctx, fields: true, values: false);

    [Command("hvals", 2, Flags = CommandFlags.ReadOnly, FirstKey = 1, LastKey = 1, Step = 1, Group = "hash", Tips = "nondeterministic_output_order", Summary = "Returns all values in a hash.")]
    public static void HVals(CommandContext ctx) => WriteAll(ctx, fields: false, values: true);

    private static void WriteAll(CommandContext ctx, bool fields, bool values)
    {
        if (!TryGetHash(ctx, out var hash)) return;
        bool map = fields && values; // HGETALL: a map in RESP3
        if (hash == null)
        {
            if (map) ctx.Reply.WriteMapHeader(0);
            else ctx.Reply.WriteEmptyArray();
            return;
        }
        if (map) ctx.Reply.WriteMapHeader(hash.Count);
        else ctx.Reply.WriteArrayHeader(hash.Count);
        foreach (var (f, v) in hash.Entries())
        {
            if (fields) ctx.Reply.WriteBulk(f);
            if (values) ctx.Reply.WriteBulk(v);
        }
    }

    [Command("hincrby", 4, Flags = CommandFlags.Write | CommandFlags.DenyOom | CommandFlags.Fast, FirstKey = 1, LastKey = 1, Step = 1, Group = "hash", Summary = "Increments the integer value of a field in a hash by a number. Uses 0 as initial value if the field doesn't exist.")]
    public static void HIncrBy(CommandContext ctx)
    {
        if (!ctx.TryArgLong(3, out long by)) return;
        if (!TryGetHash(ctx, out var existing)) return;
        long value = 0;
        var old = existing?.Get(ctx.Arg(2));
        if (old != null && !CommandContext.TryParseLong(old, out value))
        {
            ctx.Error("ERR hash value is not an integer");
            return;
        }
        if ((by < 0 && value < 0 && by < long.MinValue - value) || (by > 0 && value > 0 && by > long.MaxValue - value))
        {
            ctx.Error(Errors.Overflow);
            return;
        }
        value += by;
        Span<byte> text = stackalloc byte[20];
        Utf8Formatter.TryFormat(value, text, out int n);
        CollectionAccess.TryGetOrCreate(ctx, 1, () => new HashValue(), out var hash);
        hash.Set(ctx.Arg(2), text[..n], CollectionLimits.Current);
        CollectionAccess.Modified(ctx, ctx.Arg(1), NotifyType.Hash, "hincrby"u8);
        ctx.Reply.WriteInteger(value);
    }

    [Command("hincrbyfloat", 4, Flags = CommandFlags.Write | CommandFlags.DenyOom | CommandFlags.Fast, FirstKey = 1, LastKey = 1, Step = 1, Group = "hash", Summary = "Increments the floating point value of a field by a number. Uses 0 as initial value if the field doesn't exist.")]
    public static void HIncrByFloat(CommandContext ctx)
    {
        if (!ExtendedFloat.TryParse(ctx.Arg(3), out var by))
        {
            ctx.Error(Errors.NotFloat);
            return;
        }
        if (by.IsInfinity)
        {
            ctx.Error("ERR value is NaN or Infinity");
            return;
        }
        if (!TryGetHash(ctx, out var existing)) return;
        ExtendedFloat value = default;
        var old = existing?.Get(ctx.Arg(2));
        if (old != null && !ExtendedFloat.TryParse(old, out value))
        {
            ctx.Error("ERR hash value is not a float");
            return;
        }
        if (!ExtendedFloat.TryAdd(value, by, out var sum))
        {
            ctx.Error("ERR increment would produce NaN or Infinity");
            return;
        }
        var bytes = Encoding.ASCII.GetBytes(sum.ToString());
        CollectionAccess.TryGetOrCreate(ctx, 1, () => new HashValue(), out var hash);
        hash.Set(ctx.Arg(2), bytes, CollectionLimits.Current);
        CollectionAccess.Modified(ctx, ctx.Arg(1), NotifyType.Hash, "hincrbyfloat"u8);
        ctx.Reply.WriteBulk(bytes);
        // Replicas store the same text rather than redo a float sum.
        ctx.Rewrite = [["HSET"u8.ToArray(), ctx.ArgBytes(1), ctx.ArgBytes(2), bytes]];
    }

    [Command("hrandfield", -2, Flags = CommandFlags.ReadOnly, FirstKey = 1, LastKey = 1, Step = 1, Group = "hash", Tips = "nondeterministic_output", Summary = "Returns one or more random fields from a hash.")]
    public static void HRandField(CommandContext ctx)
    {
        bool withValues = false;
        long count = 0;
        if (ctx.ArgCount >= 3)
        {
            // The count is parsed before the rest is checked, as in Redis.
            if (!RandomCount.TryParse(ctx, 2, withValues: false, out count)) return;
            if (ctx.ArgCount > 4 || (ctx.ArgCount == 4 && !ctx.ArgIs(3, "WITHVALUES")))
            {
                ctx.SyntaxError();
                return;
            }
            withValues = ctx.ArgCount == 4;
            if (withValues && !RandomCount.CheckWithValues(ctx, count)) return;
        }
        if (!TryGetHash(ctx, out var hash)) return;
        var random = ctx.Keyspace.Random;
        if (ctx.ArgCount == 2)
        {
            if (hash == null) ctx.Reply.WriteNullBulk();
            else ctx.Reply.WriteBulk(hash.Random(random).Field);
            return;
        }
        if (hash == null || count == 0)
        {
            ctx.Reply.WriteEmptyArray();
            return;
        }
        if (count < 0)
        {
            long n = -count;
            if (withValues) ctx.Reply.WritePairsHeader(n);
            else ctx.Reply.WriteArrayHeader(n);
            for (long i = 0; i < n; i++)
            {
                var (f, v) = hash.Random(random);
                if (withValues) ctx.Reply.WritePairHeader();
                ctx.Reply.WriteBulk(f);
                if (withValues) ctx.Reply.WriteBulk(v);
            }
            return;
        }
        List<(byte[] Field, byte[] Value)> picked;
        if (count >= hash.Count) picked = hash.Entries().ToList();
        else picked = RandomCount.Distinct(hash.Entries().ToList(), (int)count, random);
        if (withValues) ctx.Reply.WritePairsHeader(picked.Count);
        else ctx.Reply.WriteArrayHeader(picked.Count);
        foreach (var (f, v) in picked)
        {
            if (withValues) ctx.Reply.WritePairHeader();
            ctx.Reply.WriteBulk(f);
            if (withValues) ctx.Reply.WriteBulk(v);
        }
    }

    [Command("hscan", -3, Flags = CommandFlags.ReadOnly, FirstKey = 1, LastKey = 1, Step = 1, Group = "hash", Tips = "nondeterministic_output", Summary = "Iterates over fields and values of a hash.")]
    public static void HScan(CommandContext ctx)
    {
        if (!ElementScan.TryParseCursor(ctx, out ulong cursor)) return;
        if (!TryGetHash(ctx, out var hash)) return;
        if (hash == null)
        {
            ElementScan.WriteEmpty(ctx);
            return;
        }
        if (!ElementScan.TryParseOptions(ctx, out var o)) return;
        if (hash.Table is { } table)
        {
            ElementScan.WriteTable(ctx, o, table, cursor, (i, list) =>
            {
                list.Add(table.KeyAt(i));
                list.Add(table.ValueAt(i));
            });
            return;
        }
        var found = new List<byte[]>();
        foreach (var (f, v) in hash.Entries())
        {
            if (!ElementScan.Matches(ctx, o, f)) continue;
            found.Add(f);
            found.Add(v);
        }
        ElementScan.WriteResult(ctx, 0, found);
    }
}
