using System.Globalization;
using System.Text;
using Codis.Server.Networking;

namespace Codis.Server.Commands;

/// <summary>
/// CLIENT ID | INFO | LIST | SETNAME | GETNAME | SETINFO | KILL | REPLY | PAUSE | UNPAUSE | UNBLOCK | NO-TOUCH |
/// NO-EVICT | GETREDIR | TRACKING | CACHING | TRACKINGINFO | HELP (client-side caching: Tracking/).
/// </summary>
internal static class ClientCommand
{
    private static readonly string[] Help =
    [
        "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CACHING (YES|NO)",
        "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
        "GETREDIR",
        "    Return the client ID we are redirecting to when tracking is enabled.",
        "GETNAME",
        "    Return the name of the current connection.",
        "ID",
        "    Return the ID of the current connection.",
        "INFO",
        "    Return information about the current client connection.",
        "KILL <ip:port>",
        "    Kill connection made from <ip:port>.",
        "KILL <option> <value> [<option> <value> [...]]",
        "    Kill connections. Options are:",
        "    * ADDR (<ip:port>|<unixsocket>:0)",
        "      Kill connections made from the specified address",
        "    * LADDR (<ip:port>|<unixsocket>:0)",
        "      Kill connections made to specified local address",
        "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
        "      Kill connections by type.",
        "    * USER <username>",
        "      Kill connections authenticated by <username>.",
        "    * SKIPME (YES|NO)",
        "      Skip killing current connection (default: yes).",
        "    * ID <client-id>",
        "      Kill connections by client id.",
        "LIST [options ...]",
        "    Return information about client connections. Options:",
        "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
        "      Return clients of specified type.",
        "    * ID <client-id> [<client-id> ...]",
        "      Return clients with the given ids.",
        "UNPAUSE",
        "    Stop the current client pause, resuming traffic.",
        "PAUSE <timeout> [WRITE|ALL]",
        "    Suspend all, or just write, clients for <timeout> milliseconds.",
        "REPLY (ON|OFF|SKIP)",
        "    Control the replies sent to the current connection.",
        "SETNAME <name>",
        "    Assign the name <name> to the current connection.",
        "SETINFO <LIB-NAME|LIB-VER> <value>",
        "    Set client meta attr. Options are:",
        "    * LIB-NAME: the client lib name.",
        "    * LIB-VER: the client lib version.",
        "UNBLOCK <clientid> [TIMEOUT|ERROR]",
        "    Unblock the specified blocked client.",
        "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
        "         [OPTIN] [OPTOUT] [NOLOOP]",
        "    Control server assisted client side caching.",
        "TRACKINGINFO",
        "    Report tracking status for the current connection.",
        "NO-EVICT (ON|OFF)",
        "    Protect current client connection from eviction (codis-server never evicts clients).",
        "NO-TOUCH (ON|OFF)",
        "    Will not touch LRU/LFU stats when this mode is on.",
        "HELP",
        "    Prints this help.",
    ];

    [Command("client", -2, Flags = CommandFlags.Admin | CommandFlags.NoScript | CommandFlags.Loading | CommandFlags.Stale, Group = "connection", Summary = "A container for client connection commands.")]
    [Subcommand("client", "caching", 3, Flags = CommandFlags.NoScript | CommandFlags.Loading | CommandFlags.Stale, Summary = "Instructs the server whether to track the keys in the next request.")]
    [Subcommand("client", "tracking", -3, Flags = CommandFlags.NoScript | CommandFlags.Loading | CommandFlags.Stale, Summary = "Controls server-assisted client-side caching for the connection.")]
    [Subcommand("client", "trackinginfo", 2, Flags = CommandFlags.NoScript | CommandFlags.Loading | CommandFlags.Stale, Summary = "Returns information about server-assisted client-side caching for the connection.")]
    [Subcommand("client", "getname", 2, Flags = CommandFlags.NoScript | CommandFlags.Loading | CommandFlags.Stale, Summary = "Returns the name of the connection.")]
    [Subcommand("client", "getredir", 2, Flags = CommandFlags.NoScript | CommandFlags.Loading | CommandFlags.Stale, Summary = "Returns the client ID to which the connection's tracking notifications are redirected.")]
    [Subcommand("client", "help", 2, Flags = CommandFlags.Loading | CommandFlags.Stale, Summary = "Returns helpful text about the different subcommands.")]
    [Subcommand("client", "id", 2, Flags = CommandFlags.NoScript | CommandFlags.Loading | CommandFlags.Stale, Summary = "Returns the unique client ID of the connection.")]
    [Subcommand("client", "info", 2, Flags = CommandFlags.NoScript | CommandFlags.Loading | CommandFlags.Stale, Tips = "nondeterministic_output", Summary = "Returns information about the connection.")]
    [Subcommand("client", "kill", -3, Flags = CommandFlags.Admin | CommandFlags.NoScript | CommandFlags.Loading | CommandFlags.Stale, Summary = "Terminates open connections.")]
    [Subcommand("client", "list", -2, Flags = CommandFlags.Admin | CommandFlags.NoScript | CommandFlags.Loading | CommandFlags.Stale, Tips = "nondeterministic_output", Summary = "Lists open connections.")]
    [Subcommand("client", "no-evict", 3, Flags = CommandFlags.Admin | CommandFlags.NoScript | CommandFlags.Loading | CommandFlags.Stale, Summary = "Sets the client eviction mode of the connection.")]
    [Subcommand("client", "no-touch", 3, Flags = CommandFlags.NoScript | CommandFlags.Loading | CommandFlags.Stale, Summary = "Controls whether commands sent by the client affect the LRU/LFU of accessed keys.")]
    [Subcommand("client", "pause", -3, Flags = CommandFlags.Admin | CommandFlags.NoScript | CommandFlags.Loading | CommandFlags.Stale, Summary = "Suspends commands processing.")]
    [Subcommand("client", "reply", 3, Flags = CommandFlags.NoScript | CommandFlags.Loading | CommandFlags.Stale, Summary = "Instructs the server whether to reply to commands.")]
    [Subcommand("client", "setinfo", 4, Flags = CommandFlags.NoScript | CommandFlags.Loading | CommandFlags.Stale, Summary = "Sets information specific to the client or connection.")]
    [Subcommand("client", "setname", 3, Flags = CommandFlags.NoScript | CommandFlags.Loading | CommandFlags.Stale, Summary = "Sets the connection name.")]
    [Subcommand("client", "unblock", -3, Flags = CommandFlags.Admin | CommandFlags.NoScript | CommandFlags.Loading | CommandFlags.Stale, Summary = "Unblocks a client blocked by a blocking command from a different connection.")]
    [Subcommand("client", "unpause", 2, Flags = CommandFlags.Admin | CommandFlags.NoScript | CommandFlags.Loading | CommandFlags.Stale, Summary = "Resumes processing commands from paused clients.")]
    public static void Client(CommandContext ctx)
    {
        string sub = ctx.ArgString(1).ToLowerInvariant();
        int n = ctx.ArgCount;
        bool arityOk = sub switch
        {
            "id" or "info" or "getname" or "unpause" or "help" or "getredir" or "trackinginfo" => n == 2,
            "setname" or "reply" or "no-touch" or "no-evict" or "caching" => n == 3,
            "tracking" => n >= 3,
            "unblock" => n >= 3,
            "setinfo" => n == 4,
            "list" => n >= 2,
            "kill" or "pause" => n >= 3,
            _ => true,
        };
        if (!arityOk)
        {
            ctx.Error(Errors.WrongArity("client|" + sub));
            return;
        }
        ctx.Client.LastCommand = "client|" + sub;
        switch (sub)
        {
            case "id": ctx.Reply.WriteInteger(ctx.Client.Id); break;
            case "info": ctx.Reply.WriteVerbatim(Describe(ctx.Server, ctx.Client) + "\n"); break;
            case "list": List(ctx); break;
            case "getname":
                if (ctx.Client.Name == null) ctx.Reply.WriteNullBulk();
                else ctx.Reply.WriteBulk(ctx.Client.Name);
                break;
            case "setname": SetName(ctx); break;
            case "setinfo": SetInfo(ctx); break;
            case "kill": Kill(ctx); break;
            case "reply": Reply(ctx); break;
            case "pause": Pause(ctx); break;
            case "unpause":
                ctx.Server.Unpause();
                ctx.Ok();
                break;
            case "no-touch":
                if (!TryOnOff(ctx, 2, out bool on)) return;
                ctx.Client.NoTouch = on;
                ctx.Ok();
                break;
            case "no-evict":
                // Recorded and shown (flag 'e'); codis-server has no client eviction, so every client is safe anyway.
                if (!TryOnOff(ctx, 2, out bool noEvict)) return;
                ctx.Client.NoEvict = noEvict;
                ctx.Ok();
                break;
            case "unblock": Unblock(ctx); break;
            case "getredir": Tracking.TrackingCommands.GetRedir(ctx); break;
            case "tracking": Tracking.TrackingCommands.Tracking(ctx); break;
            case "caching": Tracking.TrackingCommands.Caching(ctx); break;
            case "trackinginfo": Tracking.TrackingCommands.TrackingInfo(ctx); break;
            case "help": Subcommands.WriteHelp(ctx, Help); break;
            default: ctx.Error(Errors.UnknownSubcommand(ctx.ArgString(1), "client")); break;
        }
    }

    /// <summary>
    /// CLIENT UNBLOCK id [TIMEOUT|ERROR]: ends the wait of a client blocked in BLPOP and friends with its timeout
    /// reply, or with the UNBLOCKED error; 1 if it was blocked, else 0.
    /// </summary>
    private static void Unblock(CommandContext ctx)
    {
        if (ctx.ArgCount > 4)
        {
            ctx.Error($"ERR unknown subcommand or wrong number of arguments for '{ctx.ArgString(1)}'. Try CLIENT HELP.");
            return;
        }
        if (!ctx.TryArgLong(2, out long id)) return;
        bool error = false;
        if (ctx.ArgCount == 4)
        {
            error = ctx.ArgIs(3, "error");
            if (!error && !ctx.ArgIs(3, "timeout"))
            {
                ctx.Error("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
                return;
            }
        }
        ctx.Reply.WriteInteger(ctx.Server.Blocking.Unblock(id, error) ? 1 : 0);
    }

    private static bool TryOnOff(CommandContext ctx, int i, out bool on)
    {
        on = ctx.ArgIs(i, "on");
        if (on || ctx.ArgIs(i, "off")) return true;
        ctx.SyntaxError();
        return false;
    }

    /// <summary>Redis allows names of printable ASCII without spaces ('!' to '~').</summary>
    private static bool ValidName(ReadOnlySpan<byte> name)
    {
        foreach (byte b in name)
            if (b < '!' || b > '~') return false;
        return true;
    }

    private static void SetName(CommandContext ctx)
    {
        if (!ValidName(ctx.Arg(2)))
        {
            ctx.Error("ERR Client names cannot contain spaces, newlines or special characters.");
            return;
        }
        ctx.Client.Name = ctx.Arg(2).IsEmpty ? null : ctx.ArgString(2);
        ctx.Ok();
    }

    /// <summary>CLIENT SETINFO LIB-NAME|LIB-VER value (Redis 7.2; clients send it on connect).</summary>
    private static void SetInfo(CommandContext ctx)
    {
        bool libName = ctx.ArgIs(2, "lib-name");
        if (!libName && !ctx.ArgIs(2, "lib-ver"))
        {
            ctx.Error($"ERR Unrecognized option '{ctx.ArgString(2)}'");
            return;
        }
        if (!ValidName(ctx.Arg(3)))
        {
            ctx.Error($"ERR {(libName ? "lib-name" : "lib-ver")} cannot contain spaces, newlines or special characters.");
            return;
        }
        string? value = ctx.Arg(3).IsEmpty ? null : ctx.ArgString(3);
        if (libName) ctx.Client.LibName = value;
        else ctx.Client.LibVersion = value;
        ctx.Ok();
    }

    private static void Reply(CommandContext ctx)
    {
        if (ctx.ArgIs(2, "on"))
        {
            ctx.Client.RepliesOff = false;
            ctx.Unmute();
            ctx.Ok();
        }
        else if (ctx.ArgIs(2, "off")) ctx.Client.RepliesOff = true;
        else if (ctx.ArgIs(2, "skip"))
        {
            if (!ctx.Client.RepliesOff) ctx.Client.SkipNextReply = true;
        }
        else ctx.SyntaxError();
    }

    private static void Pause(CommandContext ctx)
    {
        if (!CommandContext.TryParseLong(ctx.Arg(2), out long ms))
        {
            ctx.Error("ERR timeout is not an integer or out of range");
            return;
        }
        if (ms < 0)
        {
            ctx.Error("ERR timeout is negative");
            return;
        }
        bool all = true;
        if (ctx.ArgCount == 4)
        {
            if (ctx.ArgIs(3, "write")) all = false;
            else if (!ctx.ArgIs(3, "all"))
            {
                ctx.Error("ERR CLIENT PAUSE mode must be WRITE or ALL");
                return;
            }
        }
        else if (ctx.ArgCount > 4)
        {
            ctx.SyntaxError();
            return;
        }
        ctx.Server.Pause(ms, all);
        ctx.Ok();
    }

    /// <summary>CLIENT LIST/KILL TYPE pubsub: a subscribed client that is not a replication link (as Redis's getClientType).</summary>
    private static bool IsPubSubType(ClientSession s) => s.Kind == ClientKind.Normal && s.InPubSubMode;

    private static bool TryType(string text, out ClientKind? kind, out bool pubsub)
    {
        pubsub = false;
        kind = text.ToLowerInvariant() switch
        {
            "normal" => ClientKind.Normal,
            "master" => ClientKind.Master,
            "replica" or "slave" => ClientKind.Replica,
            _ => null,
        };
        if (kind != null) return true;
        pubsub = text.Equals("pubsub", StringComparison.OrdinalIgnoreCase);
        return pubsub;
    }

    private static void List(CommandContext ctx)
    {
        ClientKind? kind = null;
        bool pubsubOnly = false;
        HashSet<long>? ids = null;
        int i = 2;
        while (i < ctx.ArgCount)
        {
            if (ctx.ArgIs(i, "type") && i + 1 < ctx.ArgCount)
            {
                if (!TryType(ctx.ArgString(i + 1), out kind, out pubsubOnly))
                {
                    ctx.Error($"ERR Unknown client type '{ctx.ArgString(i + 1)}'");
                    return;
                }
                i += 2;
            }
            else if (ctx.ArgIs(i, "id") && i + 1 < ctx.ArgCount)
            {
                ids ??= new HashSet<long>();
                for (i++; i < ctx.ArgCount; i++)
                {
                    if (!CommandContext.TryParseLong(ctx.Arg(i), out long id) || id <= 0)
                    {
                        ctx.Error("ERR Invalid client ID");
                        return;
                    }
                    ids.Add(id);
                }
            }
            else
            {
                ctx.SyntaxError();
                return;
            }
        }
        var sb = new StringBuilder();
        foreach (var c in ctx.Server.Clients.OrderBy(c => c.Session.Id))
        {
            var s = c.Session;
            if (pubsubOnly != IsPubSubType(s) && (pubsubOnly || kind == ClientKind.Normal)) continue;
            if (kind != null && s.Kind != kind) continue;
            if (ids != null && !ids.Contains(s.Id)) continue;
            sb.Append(Describe(ctx.Server, s)).Append('\n');
        }
        ctx.Reply.WriteVerbatim(sb.ToString());
    }

    /// <summary>One CLIENT LIST line with Redis 7's field names (and 7.2's lib-name/lib-ver).</summary>
    internal static string Describe(CodisServer server, ClientSession s)
    {
        long now = Environment.TickCount64;
        var flags = new StringBuilder();
        if (s.Kind == ClientKind.Replica) flags.Append('S');
        if (s.Kind == ClientKind.Master) flags.Append('M');
        if (s.InPubSubMode) flags.Append('P');
        if (s.Multi != null) flags.Append('x');
        if (s.Blocked) flags.Append('b');
        Tracking.TrackingCommands.AppendFlags(flags, s);
        if (s.Watcher is { Dirty: true }) flags.Append('d');
        if (s.CloseAfterReply) flags.Append('c');
        if (s.NoEvict) flags.Append('e');
        if (s.NoTouch) flags.Append('T');
        if (flags.Length == 0) flags.Append('N');
        long qbuf = s.InputBufferBytes;
        long omem = s.OutputBufferBytes;
        long pushed = s.Push?.Bytes ?? 0;
        int sub = s.Subscriber?.Channels.Count ?? 0, psub = s.Subscriber?.Patterns.Count ?? 0, ssub = s.Subscriber?.ShardChannels.Count ?? 0;
        int multi = s.Multi?.Queue.Count ?? -1;
        long multiMem = s.Multi?.Bytes ?? 0;
        return string.Create(CultureInfo.InvariantCulture,
            $"id={s.Id} addr={s.Remote} laddr={s.Local} fd={s.Fd} name={s.Name} age={(now - s.CreatedAt) / 1000} idle={(now - s.LastInteraction) / 1000} " +
            $"flags={flags} db={s.DbIndex} sub={sub} psub={psub} ssub={ssub} multi={multi} qbuf={qbuf} qbuf-free=0 argv-mem=0 multi-mem={multiMem} " +
            $"rbs={16 * 1024} rbp={omem} obl=0 oll=0 omem={pushed} tot-mem={32 * 1024 + qbuf + pushed + multiMem} events=r cmd={s.LastCommand} user={s.User.Name} redir={s.Tracking?.Redirect ?? -1} resp={(s.Resp3 ? 3 : 2)} " +
            $"lib-name={s.LibName} lib-ver={s.LibVersion}");
    }

    /// <summary>CLIENT KILL addr (old form: +OK or an error) or filters (new form: how many were killed).</summary>
    private static void Kill(CommandContext ctx)
    {
        var server = ctx.Server;
        if (ctx.ArgCount == 3)
        {
            string addr = ctx.ArgString(2);
            var victim = server.Clients.FirstOrDefault(c => c.Session.Remote == addr);
            if (victim == null)
            {
                ctx.Error("ERR No such client");
                return;
            }
            KillOne(ctx, victim.Session);
            ctx.Ok();
            return;
        }
        long? id = null;
        string? addrFilter = null, laddrFilter = null;
        ClientKind? kind = null;
        bool pubsub = false, skipMe = true;
        Acl.AclUser? user = null;
        for (int i = 2; i < ctx.ArgCount; i += 2)
        {
            if (i + 1 >= ctx.ArgCount) { ctx.SyntaxError(); return; }
            string value = ctx.ArgString(i + 1);
            if (ctx.ArgIs(i, "id"))
            {
                if (!CommandContext.TryParseLong(ctx.Arg(i + 1), out long v) || v <= 0)
                {
                    ctx.Error("ERR client-id should be greater than 0");
                    return;
                }
                id = v;
            }
            else if (ctx.ArgIs(i, "addr")) addrFilter = value;
            else if (ctx.ArgIs(i, "laddr")) laddrFilter = value;
            else if (ctx.ArgIs(i, "type"))
            {
                if (!TryType(value, out kind, out pubsub))
                {
                    ctx.Error($"ERR Unknown client type '{value}'");
                    return;
                }
            }
            else if (ctx.ArgIs(i, "user"))
            {
                user = server.Acl.Find(value);
                if (user == null)
                {
                    ctx.Error($"ERR No such user '{value}'");
                    return;
                }
            }
            else if (ctx.ArgIs(i, "skipme"))
            {
                if (ctx.ArgIs(i + 1, "yes")) skipMe = true;
                else if (ctx.ArgIs(i + 1, "no")) skipMe = false;
                else { ctx.SyntaxError(); return; }
            }
            else
            {
                ctx.SyntaxError();
                return;
            }
        }
        long killed = 0;
        foreach (var c in server.Clients.ToArray())
        {
            var s = c.Session;
            if (id != null && s.Id != id) continue;
            if (addrFilter != null && s.Remote != addrFilter) continue;
            if (laddrFilter != null && s.Local != laddrFilter) continue;
            if (pubsub != IsPubSubType(s) && (pubsub || kind == ClientKind.Normal)) continue;
            if (kind != null && s.Kind != kind) continue;
            if (user != null && s.User != user) continue;
            if (skipMe && s == ctx.Client) continue;
            KillOne(ctx, s);
            killed++;
        }
        ctx.Reply.WriteInteger(killed);
    }

    /// <summary>Another client closes now; the caller itself closes after this reply (as Redis).</summary>
    private static void KillOne(CommandContext ctx, ClientSession victim)
    {
        if (victim == ctx.Client) ctx.Client.CloseAfterReply = true;
        else victim.Kill();
    }
}
