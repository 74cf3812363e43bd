using Codis.Server.Persistence;
using Codis.Server.PubSub;
using Codis.Server.Storage.Collections;
using Codis.Server.Storage.Sets;

namespace Codis.Server.Commands;

/// <summary>The set commands (Redis 7.0 semantics, replies and errors).</summary>
internal static class SetCommands
{
    private static bool TryGetSet(CommandContext ctx, int arg, out SetValue? set) => CollectionAccess.TryGet(ctx, ctx.Arg(arg), out set);

    [Command("sadd", -3, Flags = CommandFlags.Write | CommandFlags.DenyOom | CommandFlags.Fast, FirstKey = 1, LastKey = 1, Step = 1, KeyFlags = "RW insert", Group = "set", Summary = "Adds one or more members to a set. Creates the key if it doesn't exist.")]
    public static void SAdd(CommandContext ctx)
    {
        if (!CollectionAccess.TryGetOrCreate(ctx, 1, () => SetValue.CreateFor(ctx.Arg(2)), out var set)) return;
        var limits = CollectionLimits.Current;
        long added = 0;
        for (int i = 2; i < ctx.ArgCount; i++)
            if (set.Add(ctx.Arg(i), limits)) added++;
        if (added > 0) CollectionAccess.Modified(ctx, ctx.Arg(1), NotifyType.Set, "sadd"u8);
        else ctx.SuppressPropagation = true;
        ctx.Reply.WriteInteger(added);
    }

    [Command("srem", -3, Flags = CommandFlags.Write | CommandFlags.Fast, FirstKey = 1, LastKey = 1, Step = 1, KeyFlags = "RW delete", Group = "set", Summary = "Removes one or more members from a set. Deletes the set if the last member was removed.")]
    public static void SRem(CommandContext ctx)
    {
        if (!TryGetSet(ctx, 1, out var set)) return;
        long n = 0;
        if (set != null)
        {
            for (int i = 2; i < ctx.ArgCount && set.Count > 0; i++)
                if (set.Remove(ctx.Arg(i))) n++;
            if (n > 0) CollectionAccess.AfterRemove(ctx, ctx.Arg(1), set.Count, NotifyType.Set, "srem"u8);
        }
        if (n == 0) ctx.SuppressPropagation = true;
        ctx.Reply.WriteInteger(n);
    }

    [Command("smembers", 2, Flags = CommandFlags.ReadOnly, FirstKey = 1, LastKey = 1, Step = 1, Group = "set", Tips = "nondeterministic_output_order", Summary = "Returns all members of a set.")]
    public static void SMembers(CommandContext ctx)
    {
        if (!TryGetSet(ctx, 1, out var set)) return;
        WriteMembers(ctx, set);
    }

    private static void WriteMembers(CommandContext ctx, SetValue? set)
    {
        if (set == null)
        {
            ctx.Reply.WriteSetHeader(0);
            return;
        }
        ctx.Reply.WriteSetHeader(set.Count);
        foreach (var m in set.Members()) ctx.Reply.WriteBulk(m);
    }

    [Command("sismember", 3, Flags = CommandFlags.ReadOnly | CommandFlags.Fast, FirstKey = 1, LastKey = 1, Step = 1, KeyFlags = "RO", Group = "set", Summary = "Determines whether a member belongs to a set.")]
    public static void SIsMember(CommandContext ctx)
    {
        if (!TryGetSet(ctx, 1, out var set)) return;
        ctx.Reply.WriteInteger(set != null && set.Contains(ctx.Arg(2)) ? 1 : 0);
    }

    [Command("smismember", -3, Flags = CommandFlags.ReadOnly | CommandFlags.Fast, FirstKey = 1, LastKey = 1, Step = 1, Group = "set", Summary = "Determines whether multiple members belong to a set.")]
    public static void SMIsMember(CommandContext ctx)
    {
        if (!TryGetSet(ctx, 1, out var set)) return;
        ctx.Reply.WriteArrayHeader(ctx.ArgCount - 2);
        for (int i = 2; i < ctx.ArgCount; i++) ctx.Reply.WriteInteger(set != null && set.Contains(ctx.Arg(i)) ? 1 : 0);
    }

    [Command("scard", 2, Flags = CommandFlags.ReadOnly | CommandFlags.Fast, FirstKey = 1, LastKey = 1, Step = 1, KeyFlags = "RO", Group = "set", Summary = "Returns the number of members in a set.")]
    public static void SCard(CommandContext ctx)
    {
        if (!TryGetSet(ctx, 1, out var set)) return;
        ctx.Reply.WriteInteger(set?.Count ?? 0);
    }

    [Command("spop", -2, Flags = CommandFlags.Write | CommandFlags.Fast, FirstKey = 1, LastKey = 1, Step = 1, KeyFlags = "RW access delete", Group = "set", Tips = "nondeterministic_output", Summary = "Returns one or more random members from a set after removing them. Deletes the set if the last member was popped.")]
    public static void SPop(CommandContext ctx)
    {
        if (ctx.ArgCount > 3)
        {
            ctx.SyntaxError();
            return;
        }
        long count = 1;
        bool withCount = ctx.ArgCount == 3;
        if (withCount)
        {
            if (!ctx.TryArgLong(2, out count, "ERR value is out of range, must be positive")) return;
            if (count < 0)
            {
                ctx.Error("ERR value is out of range, must be positive");
                return;
            }
        }
        if (!TryGetSet(ctx, 1, out var set)) return;
        if (set == null || (withCount && count == 0))
        {
            ctx.SuppressPropagation = true;
            if (withCount) ctx.Reply.WriteSetHeader(0);
            else ctx.Reply.WriteNullBulk();
            return;
        }
        var random = ctx.Keyspace.Random;
        // Replicas must remove the same members: the pop propagates as SREM of what was popped.
        var rewrite = new List<byte[]> { "SREM"u8.ToArray(), ctx.ArgBytes(1) };
        if (!withCount)
        {
            var m = set.PopRandom(random);
            rewrite.Add(m);
            ctx.Reply.WriteBulk(m);
        }
        else
        {
            int n = (int)Math.Min(count, set.Count);
            ctx.Reply.WriteSetHeader(n);
            for (int i = 0; i < n; i++)
            {
                var m = set.PopRandom(random);
                rewrite.Add(m);
                ctx.Reply.WriteBulk(m);
            }
        }
        ctx.Rewrite = [rewrite.ToArray()];
        CollectionAccess.AfterRemove(ctx, ctx.Arg(1), set.Count, NotifyType.Set, "spop"u8);
    }

    [Command("srandmember", -2, Flags = CommandFlags.ReadOnly, FirstKey = 1, LastKey = 1, Step = 1, Group = "set", Tips = "nondeterministic_output", Summary = "Get one or multiple random members from a set")]
    public static void SRandMember(CommandContext ctx)
    {
        if (ctx.ArgCount > 3)
        {
            ctx.SyntaxError();
            return;
        }
        long count = 0;
        if (ctx.ArgCount == 3 && !RandomCount.TryParse(ctx, 2, withValues: false, out count)) return;
        if (!TryGetSet(ctx, 1, out var set)) return;
        var random = ctx.Keyspace.Random;
        if (ctx.ArgCount == 2)
        {
            if (set == null) ctx.Reply.WriteNullBulk();
            else ctx.Reply.WriteBulk(set.Random(random));
            return;
        }
        if (set == null || count == 0)
        {
            ctx.Reply.WriteEmptyArray();
            return;
        }
        if (count < 0)
        {
            ctx.Reply.WriteArrayHeader(-count);
            for (long i = 0; i < -count; i++) ctx.Reply.WriteBulk(set.Random(random));
            return;
        }
        var all = set.Members().ToList();
        var picked = count >= all.Count ? all : RandomCount.Distinct(all, (int)count, random);
        ctx.Reply.WriteArrayHeader(picked.Count);
        foreach (var m in picked) ctx.Reply.WriteBulk(m);
    }

    [Command("smove", 4, Flags = CommandFlags.Write | CommandFlags.Fast, FirstKey = 1, LastKey = 2, Step = 1, KeyFlagsByKey = "RW access delete|RW insert", Group = "set", Summary = "Moves a member from one set to another.")]
    public static void SMove(CommandContext ctx)
    {
        // A missing source answers 0 before the destination's type is checked, as in Redis.
        if (!TryGetSet(ctx, 1, out var src)) return;
        var member = ctx.Arg(3);
        if (src == null)
        {
            ctx.SuppressPropagation = true;
            ctx.Reply.WriteInteger(0);
            return;
        }
        if (!TryGetSet(ctx, 2, out var dst)) return;
        if (src == dst)
        {
            ctx.SuppressPropagation = true;
            ctx.Reply.WriteInteger(src.Contains(member) ? 1 : 0);
            return;
        }
        if (!src.Remove(member))
        {
            ctx.SuppressPropagation = true;
            ctx.Reply.WriteInteger(0);
            return;
        }
        CollectionAccess.AfterRemove(ctx, ctx.Arg(1), src.Count, NotifyType.Set, "srem"u8);
        if (dst == null)
        {
            dst = SetValue.CreateFor(member);
            ctx.Db.Add(ctx.ArgBytes(2), dst, 0);
        }
        if (dst.Add(member, CollectionLimits.Current)) CollectionAccess.Modified(ctx, ctx.Arg(2), NotifyType.Set, "sadd"u8);
        else CollectionAccess.Modified(ctx, ctx.Arg(2));
        ctx.Reply.WriteInteger(1);
    }

    /// <summary>Looks up the source sets; false after a WRONGTYPE reply. Missing keys are null.</summary>
    private static bool TryGetSets(CommandContext ctx, int first, int count, out SetValue?[] sets)
    {
        sets = new SetValue?[count];
        for (int i = 0; i < count; i++)
            if (!CollectionAccess.TryGetForRead(ctx, ctx.Arg(first + i), out sets[i])) return false; // counted in the *STORE forms too
        return true;
    }

    private static List<byte[]> Intersect(SetValue?[] sets, long limit = 0)
    {
        var result = new List<byte[]>();
        foreach (var s in sets)
            if (s == null) return result;
        var ordered = sets.Select(s => s!).OrderBy(s => s.Count).ToArray();
        foreach (var m in ordered[0].Members())
        {
            bool all = true;
            for (int j = 1; j < ordered.Length && all; j++)
                if (ordered[j] != ordered[0]) all = ordered[j].Contains(m);
            if (!all) continue;
            result.Add(m);
            if (limit > 0 && result.Count >= limit) break;
        }
        return result;
    }

    private static SetValue Union(SetValue?[] sets)
    {
        var result = SetValue.CreateIntset();
        var limits = CollectionLimits.Current;
        foreach (var s in sets)
            if (s != null)
                foreach (var m in s.Members()) result.Add(m, limits);
        return result;
    }

    private static SetValue Difference(SetValue?[] sets)
    {
        var result = SetValue.CreateIntset();
        if (sets[0] == null) return result;
        var limits = CollectionLimits.Current;
        foreach (var m in sets[0]!.Members())
        {
            bool keep = true;
            for (int j = 1; j < sets.Length && keep; j++)
                if (sets[j] != null) keep = sets[j] == sets[0] ? false : !sets[j]!.Contains(m);
            if (keep) result.Add(m, limits);
        }
        return result;
    }

    [Command("sinter", -2, Flags = CommandFlags.ReadOnly, FirstKey = 1, LastKey = -1, Step = 1, Group = "set", Tips = "nondeterministic_output_order", Summary = "Returns the intersect of multiple sets.")]
    public static void SInter(CommandContext ctx)
    {
        if (!TryGetSets(ctx, 1, ctx.ArgCount - 1, out var sets)) return;
        var members = Intersect(sets);
        // Redis answers from a set built of the result, so an all-integer result comes sorted like an intset.
        WriteMembers(ctx, SetValue.From(members, CollectionLimits.Current));
    }

    [Command("sintercard", -3, Flags = CommandFlags.ReadOnly, FirstKey = 0, KeyNumIndex = 1, Group = "set", Summary = "Returns the number of members of the intersect of multiple sets.")]
    public static void SInterCard(CommandContext ctx)
    {
        if (!ctx.TryArgLong(1, out long numKeys, "ERR numkeys should be greater than 0")) return;
        if (numKeys <= 0)
        {
            ctx.Error("ERR numkeys should be greater than 0");
            return;
        }
        if (numKeys > ctx.ArgCount - 2)
        {
            ctx.Error("ERR Number of keys can't be greater than number of args");
            return;
        }
        long limit = 0;
        for (int i = 2 + (int)numKeys; i < ctx.ArgCount; i++)
        {
            if (ctx.ArgIs(i, "LIMIT") && i + 1 < ctx.ArgCount)
            {
                if (!ctx.TryArgLong(i + 1, out limit, "ERR LIMIT can't be negative")) return;
                if (limit < 0)
                {
                    ctx.Error("ERR LIMIT can't be negative");
                    return;
                }
                i++;
            }
            else
            {
                ctx.SyntaxError();
                return;
            }
        }
        if (!TryGetSets(ctx, 2, (int)numKeys, out var sets)) return;
        ctx.Reply.WriteInteger(Intersect(sets, limit).Count);
    }

    [Command("sinterstore", -3, Flags = CommandFlags.Write | CommandFlags.DenyOom, FirstKey = 1, LastKey = -1, Step = 1, KeyFlagsByKey = "RW update|RO access", Group = "set", Summary = "Stores the intersect of multiple sets in a key.")]
    public static void SInterStore(CommandContext ctx)
    {
        if (!TryGetSets(ctx, 2, ctx.ArgCount - 2, out var sets)) return;
        var result = SetValue.From(Intersect(sets), CollectionLimits.Current);
        CollectionAccess.Store(ctx, ctx.Db, 1, result, result.Count == 0, NotifyType.Set, "sinterstore"u8);
        ctx.Reply.WriteInteger(result.Count);
    }

    [Command("sunion", -2, Flags = CommandFlags.ReadOnly, FirstKey = 1, LastKey = -1, Step = 1, Group = "set", Tips = "nondeterministic_output_order", Summary = "Returns the union of multiple sets.")]
    public static void SUnion(CommandContext ctx)
    {
        if (!TryGetSets(ctx, 1, ctx.ArgCount - 1, out var sets)) return;
        WriteMembers(ctx, Union(sets));
    }

    [Command("sunionstore", -3, Flags = CommandFlags.Write | CommandFlags.DenyOom, FirstKey = 1, LastKey = -1, Step = 1, KeyFlagsByKey = "OW update|RO access", Group = "set", Summary = "Stores the union of multiple sets in a key.")]
    public static void SUnionStore(CommandContext ctx)
    {
        if (!TryGetSets(ctx, 2, ctx.ArgCount - 2, out var sets)) return;
        var result = Union(sets);
        CollectionAccess.Store(ctx, ctx.Db, 1, result, result.Count == 0, NotifyType.Set, "sunionstore"u8);
        ctx.Reply.WriteInteger(result.Count);
    }

    [Command("sdiff", -2, Flags = CommandFlags.ReadOnly, FirstKey = 1, LastKey = -1, Step = 1, Group = "set", Tips = "nondeterministic_output_order", Summary = "Returns the difference of multiple sets.")]
    public static void SDiff(CommandContext ctx)
    {
        if (!TryGetSets(ctx, 1, ctx.ArgCount - 1, out var sets)) return;
        WriteMembers(ctx, Difference(sets));
    }

    [Command("sdiffstore", -3, Flags = CommandFlags.Write | CommandFlags.DenyOom, FirstKey = 1, LastKey = -1, Step = 1, KeyFlagsByKey = "OW update|RO access", Group = "set", Summary = "Stores the difference of multiple sets in a key.")]
    public static void SDiffStore(CommandContext ctx)
    {
        if (!TryGetSets(ctx, 2, ctx.ArgCount - 2, out var sets)) return;
        var result = Difference(sets);
        CollectionAccess.Store(ctx, ctx.Db, 1, result, result.Count == 0, NotifyType.Set, "sdiffstore"u8);
        ctx.Reply.WriteInteger(result.Count);
    }

    [Command("sscan", -3, Flags = CommandFlags.ReadOnly, FirstKey = 1, LastKey = 1, Step = 1, Group = "set", Tips = "nondeterministic_output", Summary = "Iterates over members of a set.")]
    public static void SScan(CommandContext ctx)
    {
        if (!ElementScan.TryParseCursor(ctx, out ulong cursor)) return;
        if (!TryGetSet(ctx, 1, out var set)) return;
        if (set == null)
        {
            ElementScan.WriteEmpty(ctx);
            return;
        }
        if (!ElementScan.TryParseOptions(ctx, out var o)) return;
        if (set.Table is { } table)
        {
            ElementScan.WriteTable(ctx, o, table, cursor, (i, list) => list.Add(table.KeyAt(i)));
            return;
        }
        var found = new List<byte[]>();
        foreach (var m in set.Members())
            if (ElementScan.Matches(ctx, o, m)) found.Add(m);
        ElementScan.WriteResult(ctx, 0, found);
    }
}
