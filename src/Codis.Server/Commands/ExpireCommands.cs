using System.Globalization;
using Codis.Server.PubSub;

namespace Codis.Server.Commands;

/// <summary>EXPIRE PEXPIRE EXPIREAT PEXPIREAT (with 7.0's NX XX GT LT), TTL PTTL EXPIRETIME PEXPIRETIME, PERSIST.</summary>
internal static class ExpireCommands
{
    [Command("expire", -3, Flags = CommandFlags.Write | CommandFlags.Fast, FirstKey = 1, LastKey = 1, Step = 1, KeyFlags = "RW update", Group = "generic", Summary = "Sets the expiration time of a key in seconds.")]
    public static void Expire(CommandContext ctx) => SetExpire(ctx, seconds: true, relative: true);

    [Command("pexpire", -3, Flags = CommandFlags.Write | CommandFlags.Fast, FirstKey = 1, LastKey = 1, Step = 1, KeyFlags = "RW update", Group = "generic", Summary = "Sets the expiration time of a key in milliseconds.")]
    public static void PExpire(CommandContext ctx) => SetExpire(ctx, seconds: false, relative: true);

    [Command("expireat", -3, Flags = CommandFlags.Write | CommandFlags.Fast, FirstKey = 1, LastKey = 1, Step = 1, KeyFlags = "RW update", Group = "generic", Summary = "Sets the expiration time of a key to a Unix timestamp.")]
    public static void ExpireAt(CommandContext ctx) => SetExpire(ctx, seconds: true, relative: false);

    [Command("pexpireat", -3, Flags = CommandFlags.Write | CommandFlags.Fast, FirstKey = 1, LastKey = 1, Step = 1, KeyFlags = "RW update", Group = "generic", Summary = "Sets the expiration time of a key to a Unix milliseconds timestamp.")]
    public static void PExpireAt(CommandContext ctx) => SetExpire(ctx, seconds: false, relative: false);

    [Flags]
    private enum Condition { None = 0, Nx = 1, Xx = 2, Gt = 4, Lt = 8 }

    private static void SetExpire(CommandContext ctx, bool seconds, bool relative)
    {
        var cond = Condition.None;
        for (int i = 3; i < ctx.ArgCount; i++)
        {
            if (ctx.ArgIs(i, "NX")) cond |= Condition.Nx;
            else if (ctx.ArgIs(i, "XX")) cond |= Condition.Xx;
            else if (ctx.ArgIs(i, "GT")) cond |= Condition.Gt;
            else if (ctx.ArgIs(i, "LT")) cond |= Condition.Lt;
            else
            {
                ctx.Error("ERR Unsupported option " + ctx.ArgString(i));
                return;
            }
        }
        if ((cond & Condition.Nx) != 0 && (cond & (Condition.Xx | Condition.Gt | Condition.Lt)) != 0)
        {
            ctx.Error("ERR NX and XX, GT or LT options at the same time are not compatible");
            return;
        }
        if ((cond & Condition.Gt) != 0 && (cond & Condition.Lt) != 0)
        {
            ctx.Error("ERR GT and LT options at the same time are not compatible");
            return;
        }
        if (!ctx.TryArgLong(2, out long when)) return;
        // Negative times are allowed (they delete the key); only overflow is an error.
        string name = ctx.Command.Name;
        if (seconds)
        {
            if (when > long.MaxValue / 1000 || when < long.MinValue / 1000)
            {
                ctx.Error(string.Format(CultureInfo.InvariantCulture, Errors.InvalidExpire, name));
                return;
            }
            when *= 1000;
        }
        long basetime = relative ? ctx.Now : 0;
        if (when > long.MaxValue - basetime)
        {
            ctx.Error(string.Format(CultureInfo.InvariantCulture, Errors.InvalidExpire, name));
            return;
        }
        when += basetime;

        var db = ctx.Db;
        var key = ctx.Arg(1);
        if (!db.TryFind(key, out var table, out int index))
        {
            ctx.SuppressPropagation = true;
            ctx.Reply.WriteInteger(0);
            return;
        }
        if (cond != Condition.None)
        {
            long current = table.At(index).ExpireAt; // 0 = none, i.e. an infinite TTL
            bool refused =
                ((cond & Condition.Nx) != 0 && current != 0) ||
                ((cond & Condition.Xx) != 0 && current == 0) ||
                ((cond & Condition.Gt) != 0 && (current == 0 || when <= current)) ||
                ((cond & Condition.Lt) != 0 && current != 0 && when >= current);
            if (refused)
            {
                ctx.SuppressPropagation = true;
                ctx.Reply.WriteInteger(0);
                return;
            }
        }
        if (when <= ctx.Now && ctx.Keyspace.ExpireAllowed)
        {
            db.Remove(key);
            ctx.Notify(NotifyType.Generic, "del"u8, 1);
            ctx.Rewrite = [["DEL"u8.ToArray(), ctx.ArgBytes(1)]];
        }
        else
        {
            // A deadline of 0 means "none" in the table; a replica may still be told a time that far back.
            db.SetExpire(key, when == 0 ? -1 : when);
            ctx.Notify(NotifyType.Generic, "expire"u8, 1);
            var rewrite = new byte[ctx.ArgCount][];
            rewrite[0] = "PEXPIREAT"u8.ToArray();
            rewrite[1] = ctx.ArgBytes(1);
            rewrite[2] = StringCommands.Ascii(when);
            for (int i = 3; i < ctx.ArgCount; i++) rewrite[i] = ctx.ArgBytes(i);
            ctx.Rewrite = [rewrite];
        }
        ctx.Reply.WriteInteger(1);
    }

    [Command("ttl", 2, Flags = CommandFlags.ReadOnly | CommandFlags.Fast, FirstKey = 1, LastKey = 1, Step = 1, Group = "generic", Tips = "nondeterministic_output", Summary = "Returns the expiration time in seconds of a key.")]
    public static void Ttl(CommandContext ctx) => ReplyTtl(ctx, ms: false, absolute: false);

    [Command("pttl", 2, Flags = CommandFlags.ReadOnly | CommandFlags.Fast, FirstKey = 1, LastKey = 1, Step = 1, Group = "generic", Tips = "nondeterministic_output", Summary = "Returns the expiration time in milliseconds of a key.")]
    public static void PTtl(CommandContext ctx) => ReplyTtl(ctx, ms: true, absolute: false);

    [Command("expiretime", 2, Flags = CommandFlags.ReadOnly | CommandFlags.Fast, FirstKey = 1, LastKey = 1, Step = 1, Group = "generic", Summary = "Returns the expiration time of a key as a Unix timestamp.")]
    public static void ExpireTime(CommandContext ctx) => ReplyTtl(ctx, ms: false, absolute: true);

    [Command("pexpiretime", 2, Flags = CommandFlags.ReadOnly | CommandFlags.Fast, FirstKey = 1, LastKey = 1, Step = 1, Group = "generic", Summary = "Returns the expiration time of a key as a Unix milliseconds timestamp.")]
    public static void PExpireTime(CommandContext ctx) => ReplyTtl(ctx, ms: true, absolute: true);

    private static void ReplyTtl(CommandContext ctx, bool ms, bool absolute)
    {
        if (!ctx.Db.TryPeek(ctx.Arg(1), out var table, out int index))
        {
            ctx.Reply.WriteInteger(-2);
            return;
        }
        long expireAt = table.At(index).ExpireAt;
        if (expireAt == 0)
        {
            ctx.Reply.WriteInteger(-1);
            return;
        }
        if (expireAt == -1) expireAt = 0; // see SetExpire: a deadline at the epoch itself
        long t = absolute ? expireAt : expireAt - ctx.Now;
        if (t < 0) t = 0;
        ctx.Reply.WriteInteger(ms ? t : (t + 500) / 1000);
    }

    [Command("persist", 2, Flags = CommandFlags.Write | CommandFlags.Fast, FirstKey = 1, LastKey = 1, Step = 1, KeyFlags = "RW update", Group = "generic", Summary = "Removes the expiration time of a key.")]
    public static void Persist(CommandContext ctx)
    {
        var db = ctx.Db;
        if (!db.TryFind(ctx.Arg(1), out var table, out int index) || table.At(index).ExpireAt == 0)
        {
            ctx.SuppressPropagation = true;
            ctx.Reply.WriteInteger(0);
            return;
        }
        db.SetExpire(ctx.Arg(1), 0);
        ctx.Notify(NotifyType.Generic, "persist"u8, 1);
        ctx.Reply.WriteInteger(1);
    }
}
