using System.Globalization;
using System.Text;
using Codis.Server.PubSub;
using Codis.Server.Storage;

namespace Codis.Server.Commands;

/// <summary>The string family beside GET/SET: conditional and timed sets, multi-key forms, ranges, APPEND.</summary>
internal static class StringCommands
{
    /// <summary>
    /// Looks a key up for reading as a string. Returns false (WRONGTYPE already replied) when it holds another
    /// type; <paramref name="value"/> is null when the key does not exist. <paramref name="asRead"/>: a writing
    /// command that only reads the key (GETDEL, BITOP's sources), counted and announced on a miss as
    /// <see cref="Storage.Database.GetForRead"/>.
    /// </summary>
    public static bool TryGetString(CommandContext ctx, ReadOnlySpan<byte> key, out byte[]? value, bool asRead = false)
    {
        var found = asRead ? ctx.Db.GetForRead(key) : ctx.Db.Get(key);
        value = found as byte[];
        if (found == null || value != null) return true;
        ctx.WrongType();
        return false;
    }

    /// <summary>Redis's checkStringLength: a string may not grow past proto-max-bulk-len.</summary>
    public static bool CheckLength(CommandContext ctx, long size, long append)
    {
        long total = size + append;
        if (total < size || total > ctx.Server.Limits.MaxBulkLength || total > Array.MaxLength)
        {
            ctx.Error(Errors.StringTooLong);
            return false;
        }
        return true;
    }

    public static byte[] Ascii(string s) => Encoding.ASCII.GetBytes(s);

    public static byte[] Ascii(long n) => Encoding.ASCII.GetBytes(n.ToString(CultureInfo.InvariantCulture));

    [Command("setnx", 3, Flags = CommandFlags.Write | CommandFlags.DenyOom | CommandFlags.Fast, FirstKey = 1, LastKey = 1, Step = 1, KeyFlags = "OW insert", Group = "string", Summary = "Set the string value of a key only when the key doesn't exist.")]
    public static void SetNx(CommandContext ctx)
    {
        var db = ctx.Db;
        if (db.Exists(ctx.Arg(1)))
        {
            ctx.SuppressPropagation = true;
            ctx.Reply.WriteInteger(0);
            return;
        }
        db.Add(ctx.ArgBytes(1), ctx.ArgBytes(2), 0);
        ctx.Notify(NotifyType.String, "set"u8, 1);
        ctx.Reply.WriteInteger(1);
    }

    [Command("setex", 4, Flags = CommandFlags.Write | CommandFlags.DenyOom, FirstKey = 1, LastKey = 1, Step = 1, KeyFlags = "OW update", Group = "string", Summary = "Set the string value and expiration time of a key.")]
    public static void SetEx(CommandContext ctx) => SetWithExpire(ctx, "EX", "setex");

    [Command("psetex", 4, Flags = CommandFlags.Write | CommandFlags.DenyOom, FirstKey = 1, LastKey = 1, Step = 1, KeyFlags = "OW update", Group = "string", Summary = "Set the string value and expiration time in milliseconds of a key.")]
    public static void PSetEx(CommandContext ctx) => SetWithExpire(ctx, "PX", "psetex");

    private static void SetWithExpire(CommandContext ctx, string unit, string name)
    {
        if (!ctx.TryArgLong(2, out long n)) return;
        if (!Expiry.TryResolve(unit, n, ctx.Now, out long expireAt))
        {
            ctx.Error(string.Format(CultureInfo.InvariantCulture, Errors.InvalidExpire, name));
            return;
        }
        ctx.Db.SetString(ctx.Arg(1), ctx.Arg(3), expireAt);
        ctx.Notify(NotifyType.String, "set"u8, 1);
        ctx.Notify(NotifyType.Generic, "expire"u8, 1);
        ctx.Rewrite = [["SET"u8.ToArray(), ctx.ArgBytes(1), ctx.ArgBytes(3), "PXAT"u8.ToArray(), Ascii(expireAt)]];
        ctx.Ok();
    }

    [Command("getset", 3, Flags = CommandFlags.Write | CommandFlags.DenyOom | CommandFlags.Fast, FirstKey = 1, LastKey = 1, Step = 1, Group = "string", Summary = "Returns the previous string value of a key after setting it to a new value.")]
    public static void GetSet(CommandContext ctx)
    {
        if (!TryGetString(ctx, ctx.Arg(1), out var old, asRead: true)) return;
        if (old == null) ctx.Reply.WriteNullBulk();
        else ctx.Reply.WriteBulk(old); // copied into the reply before the stored array may be overwritten
        ctx.Db.SetString(ctx.Arg(1), ctx.Arg(2));
        ctx.Notify(NotifyType.String, "set"u8, 1);
        ctx.Rewrite = [["SET"u8.ToArray(), ctx.ArgBytes(1), ctx.ArgBytes(2)]];
    }

    [Command("getdel", 2, Flags = CommandFlags.Write | CommandFlags.Fast, FirstKey = 1, LastKey = 1, Step = 1, KeyFlags = "RW access delete", Group = "string", Summary = "Returns the string value of a key after deleting the key.")]
    public static void GetDel(CommandContext ctx)
    {
        if (!TryGetString(ctx, ctx.Arg(1), out var value, asRead: true)) return;
        if (value == null)
        {
            ctx.SuppressPropagation = true;
            ctx.Reply.WriteNullBulk();
            return;
        }
        ctx.Reply.WriteBulk(value);
        ctx.Db.Remove(ctx.Arg(1));
        ctx.Notify(NotifyType.Generic, "del"u8, 1);
        ctx.Rewrite = [["DEL"u8.ToArray(), ctx.ArgBytes(1)]];
    }

    [Command("getex", -2, Flags = CommandFlags.Write | CommandFlags.Fast, FirstKey = 1, LastKey = 1, Step = 1, Group = "string", Summary = "Returns the string value of a key after setting its expiration time.")]
    public static void GetEx(CommandContext ctx)
    {
        // Options are all checked for syntax before any number is parsed, as Redis does.
        string? unit = null;
        bool persist = false;
        int numberAt = 0;
        for (int i = 2; i < ctx.ArgCount; i++)
        {
            bool hasNext = i + 1 < ctx.ArgCount;
            if (hasNext && unit == null && !persist &&
                (ctx.ArgIs(i, "EX") || ctx.ArgIs(i, "PX") || ctx.ArgIs(i, "EXAT") || ctx.ArgIs(i, "PXAT")))
            {
                unit = ctx.ArgString(i).ToUpperInvariant();
                numberAt = ++i;
            }
            else if (ctx.ArgIs(i, "PERSIST") && unit == null && !persist)
            {
                persist = true;
            }
            else
            {
                ctx.SyntaxError();
                return;
            }
        }

        if (!TryGetString(ctx, ctx.Arg(1), out var value, asRead: true)) return;
        if (value == null)
        {
            ctx.SuppressPropagation = true;
            ctx.Reply.WriteNullBulk();
            return;
        }
        long expireAt = 0;
        if (unit != null)
        {
            if (!ctx.TryArgLong(numberAt, out long n)) return;
            if (!Expiry.TryResolve(unit, n, ctx.Now, out expireAt))
            {
                ctx.Error(string.Format(CultureInfo.InvariantCulture, Errors.InvalidExpire, "getex"));
                return;
            }
        }
        ctx.Reply.WriteBulk(value);

        var db = ctx.Db;
        if (unit is "EXAT" or "PXAT" && expireAt <= ctx.Now && ctx.Keyspace.ExpireAllowed)
        {
            db.Remove(ctx.Arg(1));
            ctx.Notify(NotifyType.Generic, "del"u8, 1);
            ctx.Rewrite = [["DEL"u8.ToArray(), ctx.ArgBytes(1)]];
        }
        else if (unit != null)
        {
            db.SetExpire(ctx.Arg(1), expireAt);
            ctx.Notify(NotifyType.Generic, "expire"u8, 1);
            ctx.Rewrite = [["PEXPIREAT"u8.ToArray(), ctx.ArgBytes(1), Ascii(expireAt)]];
        }
        else if (persist && db.GetExpire(ctx.Arg(1)) != 0)
        {
            db.SetExpire(ctx.Arg(1), 0);
            ctx.Notify(NotifyType.Generic, "persist"u8, 1);
            ctx.Rewrite = [["PERSIST"u8.ToArray(), ctx.ArgBytes(1)]];
        }
        else
        {
            ctx.SuppressPropagation = true;
        }
    }

    [Command("mget", -2, Flags = CommandFlags.ReadOnly | CommandFlags.Fast, FirstKey = 1, LastKey = -1, Step = 1, Group = "string", Tips = "request_policy:multi_shard", Summary = "Atomically returns the string values of one or more keys.")]
    public static void MGet(CommandContext ctx)
    {
        var db = ctx.Db;
        ctx.Reply.WriteArrayHeader(ctx.ArgCount - 1);
        for (int i = 1; i < ctx.ArgCount; i++)
        {
            if (db.Get(ctx.Arg(i)) is byte[] value) ctx.Reply.WriteBulk(value);
            else ctx.Reply.WriteNullBulk();
        }
    }

    [Command("mset", -3, Flags = CommandFlags.Write | CommandFlags.DenyOom, FirstKey = 1, LastKey = -1, Step = 2, KeyFlags = "OW update", Group = "string", Tips = "request_policy:multi_shard response_policy:all_succeeded", Summary = "Atomically creates or modifies the string values of one or more keys.")]
    public static void MSet(CommandContext ctx)
    {
        if (ctx.ArgCount % 2 == 0)
        {
            ctx.Error(Errors.WrongArity("mset"));
            return;
        }
        SetPairs(ctx);
        ctx.Ok();
    }

    [Command("msetnx", -3, Flags = CommandFlags.Write | CommandFlags.DenyOom, FirstKey = 1, LastKey = -1, Step = 2, KeyFlags = "OW insert", Group = "string", Tips = "request_policy:multi_shard response_policy:agg_min", Summary = "Atomically modifies the string values of one or more keys only when all keys don't exist.")]
    public static void MSetNx(CommandContext ctx)
    {
        if (ctx.ArgCount % 2 == 0)
        {
            ctx.Error(Errors.WrongArity("msetnx"));
            return;
        }
        var db = ctx.Db;
        for (int i = 1; i < ctx.ArgCount; i += 2)
        {
            if (db.Exists(ctx.Arg(i)))
            {
                ctx.SuppressPropagation = true;
                ctx.Reply.WriteInteger(0);
                return;
            }
        }
        SetPairs(ctx);
        ctx.Reply.WriteInteger(1);
    }

    private static void SetPairs(CommandContext ctx)
    {
        var db = ctx.Db;
        // SetString: an overwrite of the same length reuses the stored array, so a write-heavy MSET load makes no
        // young objects that live until their key's next write (each gen1 collection would copy them all).
        for (int i = 1; i < ctx.ArgCount; i += 2)
        {
            db.SetString(ctx.Arg(i), ctx.Arg(i + 1));
            ctx.Notify(NotifyType.String, "set"u8, i);
        }
    }

    [Command("append", 3, Flags = CommandFlags.Write | CommandFlags.DenyOom | CommandFlags.Fast, FirstKey = 1, LastKey = 1, Step = 1, KeyFlags = "RW insert", Group = "string", Summary = "Appends a string to the value of a key. Creates the key if it doesn't exist.")]
    public static void Append(CommandContext ctx)
    {
        if (!TryGetString(ctx, ctx.Arg(1), out var old)) return;
        var tail = ctx.Arg(2);
        if (old == null)
        {
            ctx.Db.Add(ctx.ArgBytes(1), tail.ToArray(), 0);
            ctx.Notify(NotifyType.String, "append"u8, 1);
            ctx.Reply.WriteInteger(tail.Length);
            return;
        }
        if (!CheckLength(ctx, old.Length, tail.Length)) return;
        var value = new byte[old.Length + tail.Length];
        old.CopyTo(value, 0);
        tail.CopyTo(value.AsSpan(old.Length));
        ctx.Db.Set(ctx.Arg(1), value, Database.KeepTtl);
        ctx.Notify(NotifyType.String, "append"u8, 1);
        ctx.Reply.WriteInteger(value.Length);
    }

    [Command("strlen", 2, Flags = CommandFlags.ReadOnly | CommandFlags.Fast, FirstKey = 1, LastKey = 1, Step = 1, KeyFlags = "RO", Group = "string", Summary = "Returns the length of a string value.")]
    public static void StrLen(CommandContext ctx)
    {
        if (!TryGetString(ctx, ctx.Arg(1), out var value)) return;
        ctx.Reply.WriteInteger(value?.Length ?? 0);
    }

    [Command("getrange", 4, Flags = CommandFlags.ReadOnly, FirstKey = 1, LastKey = 1, Step = 1, Group = "string", Summary = "Returns a substring of the string stored at a key.")]
    [Command("substr", 4, Flags = CommandFlags.ReadOnly, FirstKey = 1, LastKey = 1, Step = 1, Group = "string", Summary = "Returns a substring from a string value.")]
    public static void GetRange(CommandContext ctx)
    {
        if (!ctx.TryArgLong(2, out long start) || !ctx.TryArgLong(3, out long end)) return;
        if (!TryGetString(ctx, ctx.Arg(1), out var value)) return;
        if (value == null || (start < 0 && end < 0 && start > end))
        {
            ctx.Reply.WriteBulk(ReadOnlySpan<byte>.Empty);
            return;
        }
        long len = value.Length;
        if (start < 0) start += len;
        if (end < 0) end += len;
        if (start < 0) start = 0;
        if (end < 0) end = 0;
        if (end >= len) end = len - 1;
        if (start > end || len == 0) ctx.Reply.WriteBulk(ReadOnlySpan<byte>.Empty);
        else ctx.Reply.WriteBulk(value.AsSpan((int)start, (int)(end - start + 1)));
    }

    [Command("setrange", 4, Flags = CommandFlags.Write | CommandFlags.DenyOom, FirstKey = 1, LastKey = 1, Step = 1, KeyFlags = "RW update", Group = "string", Summary = "Overwrites a part of a string value with another by an offset. Creates the key if it doesn't exist.")]
    public static void SetRange(CommandContext ctx)
    {
        if (!ctx.TryArgLong(2, out long offset)) return;
        if (offset < 0)
        {
            ctx.Error("ERR offset is out of range");
            return;
        }
        if (!TryGetString(ctx, ctx.Arg(1), out var old)) return;
        var patch = ctx.Arg(3);
        if (patch.IsEmpty)
        {
            ctx.SuppressPropagation = true;
            ctx.Reply.WriteInteger(old?.Length ?? 0);
            return;
        }
        if (!CheckLength(ctx, offset, patch.Length)) return;
        long needed = offset + patch.Length;
        var db = ctx.Db;
        if (old != null && old.Length >= needed && ctx.Keyspace.StringsMutableInPlace)
        {
            // In place: the stored array is owned by this key alone.
            patch.CopyTo(old.AsSpan((int)offset));
            ctx.Keyspace.OnModified(db, ctx.Arg(1));
            ctx.Notify(NotifyType.String, "setrange"u8, 1);
            ctx.Reply.WriteInteger(old.Length);
            return;
        }
        var value = new byte[Math.Max(needed, old?.Length ?? 0)]; // a copy-on-write patch keeps the old length
        old?.CopyTo(value, 0);
        patch.CopyTo(value.AsSpan((int)offset));
        if (old == null) db.Add(ctx.ArgBytes(1), value, 0);
        else db.Set(ctx.Arg(1), value, Database.KeepTtl);
        ctx.Notify(NotifyType.String, "setrange"u8, 1);
        ctx.Reply.WriteInteger(value.Length);
    }
}
