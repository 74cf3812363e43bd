using Codis.Core.Slots;
using Codis.Server.PubSub;
using Codis.Server.Storage;

namespace Codis.Server.Commands;

/// <summary>The generic key commands that work whatever the value's type.</summary>
internal static class KeyCommands
{
    [Command("del", -2, Flags = CommandFlags.Write, FirstKey = 1, LastKey = -1, Step = 1, KeyFlags = "RM delete", Group = "generic", Tips = "request_policy:multi_shard response_policy:agg_sum", Summary = "Deletes one or more keys.")]
    [Command("unlink", -2, Flags = CommandFlags.Write | CommandFlags.Fast, FirstKey = 1, LastKey = -1, Step = 1, KeyFlags = "RM delete", Group = "generic", Tips = "request_policy:multi_shard response_policy:agg_sum", Summary = "Asynchronously deletes one or more keys.")]
    public static void Del(CommandContext ctx)
    {
        var db = ctx.Db;
        long n = 0;
        for (int i = 1; i < ctx.ArgCount; i++)
            if (db.Remove(ctx.Arg(i)))
            {
                ctx.Notify(NotifyType.Generic, "del"u8, i);
                n++;
            }
        if (n == 0) ctx.SuppressPropagation = true;
        ctx.Reply.WriteInteger(n);
    }

    [Command("exists", -2, Flags = CommandFlags.ReadOnly | CommandFlags.Fast, FirstKey = 1, LastKey = -1, Step = 1, KeyFlags = "RO", Group = "generic", Tips = "request_policy:multi_shard response_policy:agg_sum", Summary = "Determines whether one or more keys exist.")]
    public static void Exists(CommandContext ctx)
    {
        var db = ctx.Db;
        long n = 0;
        for (int i = 1; i < ctx.ArgCount; i++)
            if (db.TryPeek(ctx.Arg(i), out _, out _)) n++;
        ctx.Reply.WriteInteger(n);
    }

    [Command("touch", -2, Flags = CommandFlags.ReadOnly | CommandFlags.Fast, FirstKey = 1, LastKey = -1, Step = 1, KeyFlags = "RO", Group = "generic", Tips = "request_policy:multi_shard response_policy:agg_sum", Summary = "Returns the number of existing keys out of those specified after updating the time they were last accessed.")]
    public static void Touch(CommandContext ctx)
    {
        var db = ctx.Db;
        long n = 0;
        for (int i = 1; i < ctx.ArgCount; i++)
            if (db.TryFind(ctx.Arg(i), out _, out _)) n++;
        ctx.Reply.WriteInteger(n);
    }

    [Command("type", 2, Flags = CommandFlags.ReadOnly | CommandFlags.Fast, FirstKey = 1, LastKey = 1, Step = 1, KeyFlags = "RO", Group = "generic", Summary = "Determines the type of value stored at a key.")]
    public static void Type(CommandContext ctx)
    {
        object? value = ctx.Db.TryPeek(ctx.Arg(1), out var t, out int i) ? t.At(i).Value : null;
        ctx.Reply.WriteSimpleString(ValueTypes.TypeName(value));
    }

    [Command("dbsize", 1, Flags = CommandFlags.ReadOnly | CommandFlags.Fast, Group = "server", Tips = "request_policy:all_shards response_policy:agg_sum", AclCategories = "@keyspace", Summary = "Returns the number of keys in the database.")]
    public static void DbSize(CommandContext ctx) => ctx.Reply.WriteInteger(ctx.Db.Count);

    [Command("randomkey", 1, Flags = CommandFlags.ReadOnly, Group = "generic", Tips = "request_policy:all_shards nondeterministic_output", Summary = "Returns a random key name from the database.")]
    public static void RandomKey(CommandContext ctx)
    {
        var key = PickRandomKey(ctx.Db, ctx.Keyspace);
        if (key == null) ctx.Reply.WriteNullBulk();
        else ctx.Reply.WriteBulk(key);
    }

    /// <summary>A uniformly random live key (expired ones met on the way are deleted), or null when empty.</summary>
    internal static byte[]? PickRandomKey(Database db, Keyspace keyspace)
    {
        // A replica does not delete expired keys, so when they are all it has, it answers one after a bounded search.
        byte[]? fallback = null;
        for (int tries = 0; db.Count > 0; tries++)
        {
            long r = keyspace.Random.NextInt64(db.Count);
            KeyTable? table = null;
            for (int s = 0; s < SlotHash.SlotCount; s++)
            {
                var t = db.Table(s);
                if (t == null || t.Count == 0) continue;
                if (r < t.Count)
                {
                    table = t;
                    break;
                }
                r -= t.Count;
            }
            if (table == null) return null;
            int index = table.RandomIndex(keyspace.Random);
            if (index < 0) return null;
            ref var e = ref table.At(index);
            long exp = e.ExpireAt;
            if (exp == 0 || exp > keyspace.Now) return e.Key;
            fallback = e.Key;
            if (!keyspace.ExpireAllowed)
            {
                if (tries >= 100) return fallback;
                continue;
            }
            db.Exists(e.Key); // deletes it (lazy expiry) and tells replicas
        }
        return null;
    }

    [Command("rename", 3, Flags = CommandFlags.Write, FirstKey = 1, LastKey = 2, Step = 1, KeyFlagsByKey = "RW access delete|OW update", Group = "generic", Summary = "Renames a key and overwrites the destination.")]
    public static void Rename(CommandContext ctx) => Rename(ctx, nx: false);

    [Command("renamenx", 3, Flags = CommandFlags.Write | CommandFlags.Fast, FirstKey = 1, LastKey = 2, Step = 1, KeyFlagsByKey = "RW access delete|OW insert", Group = "generic", Summary = "Renames a key only when the target key name doesn't exist.")]
    public static void RenameNx(CommandContext ctx) => Rename(ctx, nx: true);

    private static void Rename(CommandContext ctx, bool nx)
    {
        var db = ctx.Db;
        var from = ctx.Arg(1);
        var to = ctx.Arg(2);
        if (!db.TryFind(from, out var table, out int index))
        {
            ctx.Error(Errors.NoSuchKey);
            return;
        }
        if (from.SequenceEqual(to))
        {
            ctx.SuppressPropagation = true;
            if (nx) ctx.Reply.WriteInteger(0);
            else ctx.Ok();
            return;
        }
        ref var e = ref table.At(index);
        var value = e.Value!;
        long expireAt = e.ExpireAt;
        if (db.Exists(to))
        {
            if (nx)
            {
                ctx.SuppressPropagation = true;
                ctx.Reply.WriteInteger(0);
                return;
            }
            db.Remove(to);
        }
        db.Remove(from);
        db.Add(ctx.ArgBytes(2), value, expireAt);
        ctx.Notify(NotifyType.Generic, "rename_from"u8, 1);
        ctx.Notify(NotifyType.Generic, "rename_to"u8, 2);
        if (nx) ctx.Reply.WriteInteger(1);
        else ctx.Ok();
    }

    [Command("move", 3, Flags = CommandFlags.Write | CommandFlags.Fast, FirstKey = 1, LastKey = 1, Step = 1, Group = "generic", Summary = "Moves a key to another database.")]
    public static void Move(CommandContext ctx)
    {
        if (!ctx.TryArgInt(2, out int dbIndex)) return;
        if (dbIndex < 0 || dbIndex >= ctx.Keyspace.DatabaseCount)
        {
            ctx.Error(Errors.DbIndexOutOfRange);
            return;
        }
        var src = ctx.Db;
        var dst = ctx.Keyspace[dbIndex];
        if (src == dst)
        {
            ctx.Error(Errors.SameObject);
            return;
        }
        var key = ctx.Arg(1);
        if (!src.TryFind(key, out var table, out int index) || dst.Exists(key))
        {
            ctx.SuppressPropagation = true;
            ctx.Reply.WriteInteger(0);
            return;
        }
        ref var e = ref table.At(index);
        var value = e.Value!;
        long expireAt = e.ExpireAt;
        var keyBytes = e.Key!;
        // The key is added to the target before it leaves the source (the target's "new" comes first, as in Redis).
        dst.Add(keyBytes, value, expireAt);
        src.Remove(key);
        ctx.Keyspace.Notify(NotifyType.Generic, "move_from"u8, src, keyBytes);
        ctx.Keyspace.Notify(NotifyType.Generic, "move_to"u8, dst, keyBytes);
        ctx.Reply.WriteInteger(1);
    }

    [Command("copy", -3, Flags = CommandFlags.Write | CommandFlags.DenyOom, FirstKey = 1, LastKey = 2, Step = 1, KeyFlagsByKey = "RO access|OW update", Group = "generic", Summary = "Copies the value of a key to a new key.")]
    public static void Copy(CommandContext ctx)
    {
        var src = ctx.Db;
        var dst = src;
        bool replace = false;
        for (int i = 3; i < ctx.ArgCount; i++)
        {
            if (ctx.ArgIs(i, "REPLACE"))
            {
                replace = true;
            }
            else if (ctx.ArgIs(i, "DB") && i + 1 < ctx.ArgCount)
            {
                if (!ctx.TryArgInt(i + 1, out int dbIndex)) return;
                if (dbIndex < 0 || dbIndex >= ctx.Keyspace.DatabaseCount)
                {
                    ctx.Error(Errors.DbIndexOutOfRange);
                    return;
                }
                dst = ctx.Keyspace[dbIndex];
                i++;
            }
            else
            {
                ctx.SyntaxError();
                return;
            }
        }
        var from = ctx.Arg(1);
        var to = ctx.Arg(2);
        if (src == dst && from.SequenceEqual(to))
        {
            ctx.Error(Errors.SameObject);
            return;
        }
        if (!src.TryFindForRead(from, out var table, out int index))
        {
            ctx.SuppressPropagation = true;
            ctx.Reply.WriteInteger(0);
            return;
        }
        ref var e = ref table.At(index);
        var value = e.Value!;
        long expireAt = e.ExpireAt;
        if (dst.Exists(to))
        {
            if (!replace)
            {
                ctx.SuppressPropagation = true;
                ctx.Reply.WriteInteger(0);
                return;
            }
            dst.Remove(to);
        }
        dst.Add(ctx.ArgBytes(2), ValueTypes.DeepCopy(value), expireAt);
        ctx.Keyspace.Notify(NotifyType.Generic, "copy_to"u8, dst, to);
        ctx.Reply.WriteInteger(1);
    }

    [Command("flushdb", -1, Flags = CommandFlags.Write, Group = "server", Tips = "request_policy:all_shards response_policy:all_succeeded", AclCategories = "@keyspace @dangerous", Summary = "Remove all keys from the current database.")]
    public static void FlushDb(CommandContext ctx)
    {
        if (!FlushModeOk(ctx)) return;
        ctx.Db.Clear();
        ctx.Keyspace.Tracking?.InvalidateAll(); // client-side caches forget everything, as Redis sends on any flush
        ctx.Keyspace.Dirty++;
        ctx.Ok();
    }

    [Command("flushall", -1, Flags = CommandFlags.Write, Group = "server", Tips = "request_policy:all_shards response_policy:all_succeeded", AclCategories = "@keyspace @dangerous", Summary = "Removes all keys from all databases.")]
    public static void FlushAll(CommandContext ctx)
    {
        if (!FlushModeOk(ctx)) return;
        ctx.Keyspace.FlushAll();
        ctx.Ok();
    }

    /// <summary>[ASYNC|SYNC]: both flush at once (freeing is the GC's work either way).</summary>
    private static bool FlushModeOk(CommandContext ctx)
    {
        if (ctx.ArgCount == 1 || (ctx.ArgCount == 2 && (ctx.ArgIs(1, "ASYNC") || ctx.ArgIs(1, "SYNC")))) return true;
        ctx.SyntaxError();
        return false;
    }
}
