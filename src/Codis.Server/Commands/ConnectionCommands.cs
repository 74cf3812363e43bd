namespace Codis.Server.Commands;

/// <summary>PING ECHO QUIT SELECT AUTH HELLO RESET.</summary>
internal static class ConnectionCommands
{
    [Command("ping", -1, Flags = CommandFlags.Fast | CommandFlags.Stale, Group = "connection", Tips = "request_policy:all_shards response_policy:all_succeeded", Summary = "Returns the server's liveliness response.")]
    public static void Ping(CommandContext ctx)
    {
        if (ctx.ArgCount > 2) { ctx.Error(Errors.WrongArity("ping")); return; }
        if (ctx.Client.InPubSubMode && !ctx.Client.Resp3)
        {
            // Subscribed (RESP2): the pub/sub form, so it can't be mistaken for a message. RESP3 tells pushes apart.
            ctx.Reply.WriteArrayHeader(2);
            ctx.Reply.WriteBulk("pong"u8);
            ctx.Reply.WriteBulk(ctx.ArgCount == 2 ? ctx.Arg(1) : default);
            return;
        }
        if (ctx.ArgCount == 2) ctx.Reply.WriteBulk(ctx.Arg(1));
        else ctx.Reply.WriteRaw("+PONG\r\n"u8);
    }

    [Command("echo", 2, Flags = CommandFlags.Fast | CommandFlags.Loading | CommandFlags.Stale, Group = "connection", Summary = "Returns the given string.")]
    public static void Echo(CommandContext ctx) => ctx.Reply.WriteBulk(ctx.Arg(1));

    [Command("quit", -1, Flags = CommandFlags.NoScript | CommandFlags.NoAuth | CommandFlags.Fast | CommandFlags.Stale | CommandFlags.Loading, Group = "connection", Summary = "Closes the connection.")]
    public static void Quit(CommandContext ctx)
    {
        ctx.Ok();
        ctx.Client.CloseAfterReply = true;
    }

    /// <summary>
    /// RESET: the connection as new — no transaction or watched keys, no subscriptions, database 0, replies on,
    /// NO-TOUCH off, and not authenticated when a password is set. (A MONITOR connection reads no commands.)
    /// </summary>
    [Command("reset", 1, Flags = CommandFlags.NoScript | CommandFlags.Loading | CommandFlags.Stale | CommandFlags.Fast | CommandFlags.NoAuth, Group = "connection", Summary = "Resets the connection.")]
    public static void Reset(CommandContext ctx)
    {
        var c = ctx.Client;
        ctx.Server.ForgetClientState(c);
        c.DbIndex = 0;
        c.RepliesOff = false;
        c.SkipNextReply = false;
        c.NoTouch = false;
        c.Resp3 = false; // RESET goes back to RESP2, as Redis
        ctx.Reply.Resp3 = false;
        c.User = ctx.Server.Acl.Default;
        c.Authenticated = !ctx.Server.RequiresAuth;
        ctx.Unmute(); // its own reply is sent even after CLIENT REPLY OFF
        ctx.Reply.WriteSimpleString("RESET"u8);
    }

    [Command("select", 2, Flags = CommandFlags.Fast | CommandFlags.Stale | CommandFlags.Loading, Group = "connection", Summary = "Changes the selected database.")]
    public static void Select(CommandContext ctx)
    {
        if (!ctx.TryArgInt(1, out int db, "ERR value is not an integer or out of range")) return;
        if (db < 0 || db >= ctx.Keyspace.DatabaseCount) { ctx.Error(Errors.DbIndexOutOfRange); return; }
        ctx.Client.DbIndex = db;
        ctx.Ok();
    }

    [Command("auth", -2, Flags = CommandFlags.NoScript | CommandFlags.NoAuth | CommandFlags.Fast | CommandFlags.Stale | CommandFlags.Loading, Group = "connection", Summary = "Authenticates the connection.")]
    public static void Auth(CommandContext ctx)
    {
        if (ctx.ArgCount > 3) { ctx.SyntaxError(); return; }
        if (ctx.ArgCount == 2 && ctx.Server.Acl.Default.NoPass)
        {
            ctx.Error("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?");
            return;
        }
        // AUTH password is AUTH default password.
        string user = ctx.ArgCount == 2 ? "default" : ctx.ArgString(1);
        if (Authenticate(ctx, user, ctx.Arg(ctx.ArgCount - 1))) ctx.Ok();
        else ctx.Error(WrongPass);
    }

    private const string WrongPass = "WRONGPASS invalid username-password pair or user is disabled.";

    /// <summary>The connection becomes the user when the name and password open it; a failure is logged (ACL LOG) and counted.</summary>
    private static bool Authenticate(CommandContext ctx, string username, ReadOnlySpan<byte> password)
    {
        if (ctx.Server.Acl.Authenticate(username, password) is { } user)
        {
            ctx.Client.User = user;
            ctx.Client.Authenticated = true;
            return true;
        }
        ctx.Server.AclAuthFailed(ctx.Client, ctx.ArgString(0), username);
        return false;
    }

    [Command("hello", -1, Flags = CommandFlags.NoScript | CommandFlags.NoAuth | CommandFlags.Fast | CommandFlags.Stale | CommandFlags.Loading, Group = "connection", Summary = "Handshakes with the Redis server.")]
    public static void Hello(CommandContext ctx)
    {
        int i = 1;
        long ver = ctx.Client.Resp3 ? 3 : 2; // HELLO alone keeps the protocol
        if (ctx.ArgCount >= 2)
        {
            if (!CommandContext.TryParseLong(ctx.Arg(1), out ver))
            {
                ctx.Error("ERR Protocol version is not an integer or out of range");
                return;
            }
            if (ver is < 2 or > 3)
            {
                ctx.Error("NOPROTO unsupported protocol version");
                return;
            }
            i = 2;
        }
        int proto = (int)ver;
        string? name = null;
        int auth = 0; // where AUTH's user name is, 0 = no AUTH
        for (; i < ctx.ArgCount; i++)
        {
            bool more = i + 1 < ctx.ArgCount;
            if (ctx.ArgIs(i, "AUTH") && i + 2 < ctx.ArgCount)
            {
                auth = i + 1;
                i += 2;
            }
            else if (ctx.ArgIs(i, "SETNAME") && more)
            {
                name = ctx.ArgString(i + 1);
                if (name.Any(c => c <= ' ' || c > '~')) { ctx.Error("ERR Client names cannot contain spaces, newlines or special characters."); return; }
                i++;
            }
            else
            {
                ctx.Error($"ERR Syntax error in HELLO option '{ctx.ArgString(i)}'");
                return;
            }
        }
        // Authenticated once every option is known to be valid, as Redis does.
        if (auth > 0 && !Authenticate(ctx, ctx.ArgString(auth), ctx.Arg(auth + 1)))
        {
            ctx.Error(WrongPass);
            return;
        }
        if (!ctx.Client.Authenticated && ctx.Server.RequiresAuth)
        {
            ctx.Error("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time");
            return;
        }
        if (name != null) ctx.Client.Name = name.Length == 0 ? null : name;
        // The switch takes effect for HELLO's own reply already, as in Redis.
        ctx.Client.Resp3 = proto == 3;
        ctx.Reply.Resp3 = proto == 3;
        var r = ctx.Reply;
        r.WriteMapHeader(7);
        r.WriteBulk("server"u8); r.WriteBulk("redis"u8);
        r.WriteBulk("version"u8); r.WriteBulk(Info.RedisVersion);
        r.WriteBulk("proto"u8); r.WriteInteger(proto);
        r.WriteBulk("id"u8); r.WriteInteger(ctx.Client.Id);
        r.WriteBulk("mode"u8); r.WriteBulk("standalone"u8);
        r.WriteBulk("role"u8); r.WriteBulk(ctx.Server.Role);
        r.WriteBulk("modules"u8); r.WriteEmptyArray();
    }
}
