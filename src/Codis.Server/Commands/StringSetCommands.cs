namespace Codis.Server.Commands;

/// <summary>GET and SET with all of SET's options; the rest of the string family lives beside it.</summary>
internal static class StringSetCommands
{
    [Command("get", 2, Flags = CommandFlags.ReadOnly | CommandFlags.Fast, FirstKey = 1, LastKey = 1, Step = 1, Group = "string", Summary = "Returns the string value of a key.")]
    public static void Get(CommandContext ctx)
    {
        var value = ctx.Db.Get(ctx.Arg(1));
        if (value == null) ctx.Reply.WriteNullBulk();
        else if (value is byte[] bytes) ctx.Reply.WriteBulk(bytes);
        else ctx.WrongType();
    }

    [Command("set", -3, Flags = CommandFlags.Write | CommandFlags.DenyOom, FirstKey = 1, LastKey = 1, Step = 1, KeyFlags = "RW access update variable_flags", Group = "string", Summary = "Sets the string value of a key, ignoring its type. The key is created if it doesn't exist.")]
    public static void Set(CommandContext ctx)
    {
        bool nx = false, xx = false, get = false, keepTtl = false;
        long expireAt = 0;
        string? expireKind = null;
        int expireArg = 0;
        for (int i = 3; i < ctx.ArgCount; i++)
        {
            bool hasNext = i + 1 < ctx.ArgCount;
            if (ctx.ArgIs(i, "NX") && !xx) nx = true;
            else if (ctx.ArgIs(i, "XX") && !nx) xx = true;
            else if (ctx.ArgIs(i, "GET")) get = true;
            else if (ctx.ArgIs(i, "KEEPTTL") && expireKind == null) keepTtl = true;
            else if (hasNext && expireKind == null && !keepTtl &&
                     (ctx.ArgIs(i, "EX") || ctx.ArgIs(i, "PX") || ctx.ArgIs(i, "EXAT") || ctx.ArgIs(i, "PXAT")))
            {
                expireKind = ctx.ArgString(i).ToUpperInvariant();
                expireArg = ++i;
            }
            else
            {
                ctx.SyntaxError();
                return;
            }
        }
        // Like Redis, the whole option syntax is checked before the expire number is.
        if (expireKind != null)
        {
            if (!ctx.TryArgLong(expireArg, out long n)) return;
            if (!Expiry.TryResolve(expireKind, n, ctx.Now, out expireAt))
            {
                ctx.Error(string.Format(System.Globalization.CultureInfo.InvariantCulture, Errors.InvalidExpire, "set"));
                return;
            }
        }

        var db = ctx.Db;
        var key = ctx.Arg(1);
        if (!nx && !xx && !get)
        {
            // The common case needs no look at the old value: one lookup instead of two.
            db.SetString(key, ctx.Arg(2), keepTtl ? Storage.Database.KeepTtl : expireAt);
            NotifySet(ctx, expireAt);
            if (expireAt != 0) ctx.Rewrite = [[.. Expiry.SetPxatRewrite(ctx, expireAt)]];
            ctx.Ok();
            return;
        }
        var old = get ? db.GetForRead(key) : db.Get(key); // SET ... GET reads as GET does
        if (get && old != null && old is not byte[])
        {
            ctx.WrongType();
            return;
        }
        bool exists = old != null;
        if ((nx && exists) || (xx && !exists))
        {
            if (get) WriteOld(ctx, old);
            else ctx.Reply.WriteNullBulk();
            return;
        }
        db.Set(key, ctx.ArgBytes(2), keepTtl ? Storage.Database.KeepTtl : expireAt);
        NotifySet(ctx, expireAt);
        if (expireAt != 0) ctx.Rewrite = [[.. Expiry.SetPxatRewrite(ctx, expireAt)]];
        if (get) WriteOld(ctx, old);
        else ctx.Ok();
    }

    /// <summary>SET's events: "set", then "expire" when it gave the key a deadline.</summary>
    private static void NotifySet(CommandContext ctx, long expireAt)
    {
        ctx.Notify(PubSub.NotifyType.String, "set"u8, 1);
        if (expireAt != 0) ctx.Notify(PubSub.NotifyType.Generic, "expire"u8, 1);
    }

    private static void WriteOld(CommandContext ctx, object? old)
    {
        if (old is byte[] b) ctx.Reply.WriteBulk(b);
        else ctx.Reply.WriteNullBulk();
    }
}
