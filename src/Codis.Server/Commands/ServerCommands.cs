using System.Globalization;
using Codis.Server.Persistence;
using Codis.Server.Storage;

namespace Codis.Server.Commands;

/// <summary>TIME, SLOWLOG, DEBUG (SLEEP, OBJECT, SET-ACTIVE-EXPIRE) and CLUSTER (answered as a non-cluster Redis).</summary>
internal static class ServerCommands
{
    [Command("time", 1, Flags = CommandFlags.Loading | CommandFlags.Stale | CommandFlags.Fast, Group = "server", Tips = "nondeterministic_output", Summary = "Returns the server time.")]
    public static void Time(CommandContext ctx)
    {
        long us = (DateTime.UtcNow - DateTime.UnixEpoch).Ticks / 10;
        ctx.Reply.WriteArrayHeader(2);
        ctx.Reply.WriteBulk((us / 1_000_000).ToString(CultureInfo.InvariantCulture));
        ctx.Reply.WriteBulk((us % 1_000_000).ToString(CultureInfo.InvariantCulture));
    }

    private static readonly string[] SlowlogHelp =
    [
        "SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "GET [<count>]",
        "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
        "    Entries are made of:",
        "    id, timestamp, time in microseconds, arguments array, client IP and port,",
        "    client name",
        "LEN",
        "    Return the length of the slowlog.",
        "RESET",
        "    Reset the slowlog.",
        "HELP",
        "    Prints this help.",
    ];

    [Command("slowlog", -2, Flags = CommandFlags.Admin | CommandFlags.Loading | CommandFlags.Stale, Group = "server", Summary = "A container for slow log commands.")]
    [Subcommand("slowlog", "get", -2, Flags = CommandFlags.Admin | CommandFlags.Loading | CommandFlags.Stale, Tips = "request_policy:all_nodes nondeterministic_output", Summary = "Returns the slow log's entries.")]
    [Subcommand("slowlog", "help", 2, Flags = CommandFlags.Loading | CommandFlags.Stale, Summary = "Show helpful text about the different subcommands")]
    [Subcommand("slowlog", "len", 2, Flags = CommandFlags.Admin | CommandFlags.Loading | CommandFlags.Stale, Tips = "request_policy:all_nodes response_policy:agg_sum nondeterministic_output", Summary = "Returns the number of entries in the slow log.")]
    [Subcommand("slowlog", "reset", 2, Flags = CommandFlags.Admin | CommandFlags.Loading | CommandFlags.Stale, Tips = "request_policy:all_nodes response_policy:all_succeeded", Summary = "Clears all entries from the slow log.")]
    public static void Slowlog(CommandContext ctx)
    {
        string sub = ctx.ArgString(1).ToLowerInvariant();
        if (!CheckSubcommand(ctx, "slowlog", sub)) return;
        var log = ctx.Server.SlowLog;
        switch (sub)
        {
            case "len": ctx.Reply.WriteInteger(log.Count); break;
            case "reset":
                log.Reset();
                ctx.Ok();
                break;
            case "help": Subcommands.WriteHelp(ctx, SlowlogHelp); break;
            case "get":
                long count = 10;
                if (ctx.ArgCount == 3 && (!CommandContext.TryParseLong(ctx.Arg(2), out count) || count < -1))
                {
                    ctx.Error("ERR count should be greater than or equal to -1");
                    return;
                }
                if (count == -1) count = log.Count;
                var entries = log.Entries.Take((int)Math.Min(count, log.Count)).ToList();
                var r = ctx.Reply;
                r.WriteArrayHeader(entries.Count);
                foreach (var e in entries)
                {
                    r.WriteArrayHeader(6);
                    r.WriteInteger(e.Id);
                    r.WriteInteger(e.UnixSeconds);
                    r.WriteInteger(e.Micros);
                    r.WriteArrayHeader(e.Args.Length);
                    foreach (var a in e.Args) r.WriteBulk(a);
                    r.WriteBulk(e.Client);
                    r.WriteBulk(e.ClientName);
                }
                break;
        }
    }

    /// <summary>Checks a container's subcommand against its declared subcommands: unknown name or wrong arity.</summary>
    internal static bool CheckSubcommand(CommandContext ctx, string container, string sub)
    {
        var spec = CommandTable.Find(container)!.Subcommands.Find(s => s.Name == container + "|" + sub);
        if (spec == null)
        {
            ctx.Error(Errors.UnknownSubcommand(ctx.ArgString(1), container));
            return false;
        }
        if (!spec.ArityOk(ctx.ArgCount))
        {
            ctx.Error(Errors.WrongArity(spec.Name));
            return false;
        }
        ctx.Client.LastCommand = spec.Name;
        return true;
    }

    private static readonly string[] DebugHelp =
    [
        "DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "OBJECT <key>",
        "    Show low level info about the <key> and associated value.",
        "SET-ACTIVE-EXPIRE <0|1>",
        "    Setting it to 0 disables expiring keys in background when they are not",
        "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
        "    default.",
        "SLEEP <seconds>",
        "    Stop the server for <seconds>. Decimals allowed.",
        "HELP",
        "    Prints this help.",
    ];

    [Command("debug", -2, Flags = CommandFlags.Admin | CommandFlags.NoScript | CommandFlags.Loading | CommandFlags.Stale, Group = "server", Summary = "A container for debugging commands.")]
    public static void Debug(CommandContext ctx)
    {
        string mode = ctx.Server.Settings["enable-debug-command"].Value;
        if (mode == "no" || (mode == "local" && !IsLocal(ctx.Client.Remote)))
        {
            ctx.Error("ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.");
            return;
        }
        string sub = ctx.ArgString(1).ToLowerInvariant();
        switch (sub)
        {
            case "help" when ctx.ArgCount == 2:
                Subcommands.WriteHelp(ctx, DebugHelp);
                break;
            case "sleep" when ctx.ArgCount == 3:
            {
                // As Redis: the whole server stops (we hold the keyspace lock); the argument is read like strtod.
                double seconds = double.TryParse(ctx.ArgString(2), NumberStyles.Float, CultureInfo.InvariantCulture, out var s) ? s : 0;
                if (seconds > 0) Thread.Sleep(TimeSpan.FromSeconds(Math.Min(seconds, int.MaxValue / 1000.0)));
                ctx.Ok();
                break;
            }
            case "set-active-expire" when ctx.ArgCount == 3:
                ctx.Server.ActiveExpireEnabled = !(long.TryParse(ctx.ArgString(2), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long on) && on == 0);
                ctx.Ok();
                break;
            case "object" when ctx.ArgCount == 3:
                DebugObject(ctx);
                break;
            case "protocol" when ctx.ArgCount == 3:
                DebugProtocol(ctx);
                break;
            default:
                ctx.Error($"ERR unknown subcommand or wrong number of arguments for '{ctx.ArgString(1)}'. Try DEBUG HELP.");
                break;
        }
    }

    /// <summary>DEBUG PROTOCOL: one sample reply of each RESP3 type, as Redis 7.0 sends it in either protocol.</summary>
    private static void DebugProtocol(CommandContext ctx)
    {
        var r = ctx.Reply;
        switch (ctx.ArgString(2).ToLowerInvariant())
        {
            case "string": r.WriteBulk("Hello World"u8); break;
            case "integer": r.WriteInteger(12345); break;
            case "double": r.WriteDouble(3.141); break;
            case "bignum": r.WriteBigNumber("1234567999999999999999999999999999999"u8); break;
            case "null": r.WriteNullBulk(); break;
            case "array":
            case "set":
            case "map":
            {
                string type = ctx.ArgString(2).ToLowerInvariant();
                if (type == "map") r.WriteMapHeader(3);
                else if (type == "set") r.WriteSetHeader(3);
                else r.WriteArrayHeader(3);
                for (int j = 0; j < 3; j++)
                {
                    r.WriteInteger(j);
                    if (type == "map") r.WriteBoolean(j == 1);
                }
                break;
            }
            case "attrib":
                r.WriteAttributeHeader(1);
                if (r.Resp3)
                {
                    r.WriteBulk("key-popularity"u8);
                    r.WriteArrayHeader(2);
                    r.WriteBulk("key:123"u8);
                    r.WriteInteger(90);
                }
                r.WriteBulk("Some real reply following the attribute"u8);
                break;
            case "push":
                if (!r.Resp3)
                {
                    ctx.Error("ERR RESP2 is not supported by this command");
                    break;
                }
                r.WritePushHeader(2);
                r.WriteBulk("server-cpu-usage"u8);
                r.WriteInteger(42);
                r.WriteBulk("Some real reply following the push reply"u8);
                break;
            case "verbatim": r.WriteVerbatim("This is a verbatim\nstring"u8); break;
            case "true": r.WriteBoolean(true); break;
            case "false": r.WriteBoolean(false); break;
            default:
                ctx.Error("ERR Wrong protocol type name. Please use one of the following: string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false");
                break;
        }
    }

    private static bool IsLocal(string remote) =>
        remote.StartsWith("127.", StringComparison.Ordinal) || remote.StartsWith("[::1]", StringComparison.Ordinal) || remote.StartsWith("::1", StringComparison.Ordinal);

    private static void DebugObject(CommandContext ctx)
    {
        if (!ctx.Db.TryPeek(ctx.Arg(2), out var table, out int index))
        {
            ctx.Error(Errors.NoSuchKey);
            return;
        }
        ref var entry = ref table.At(index);
        var value = entry.Value!;
        // The RDB payload without its type byte and 10-byte footer is the value's serialized length.
        long serialized = DumpPayload.Serialize(value).Length - 11;
        uint lru = entry.Access & ((1u << 24) - 1);
        long idle = Math.Max(0, ctx.Keyspace.AccessClock - (long)entry.Access);
        string address = "0x" + System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(value).ToString("x", CultureInfo.InvariantCulture);
        ctx.Reply.WriteSimpleString(string.Create(CultureInfo.InvariantCulture,
            $"Value at:{address} refcount:1 encoding:{ValueTypes.EncodingName(value)} serializedlength:{serialized} lru:{lru} lru_seconds_idle:{idle}"));
    }

    private static readonly string[] ClusterHelp =
    [
        "CLUSTER <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "INFO",
        "    Return information about the cluster.",
        "NODES",
        "    Return cluster configuration seen by node.",
        "SLOTS",
        "    Return information about slots range mappings.",
        "SHARDS",
        "    Return information about slot range mappings and the nodes associated with them.",
        "MYID",
        "    Return the node id.",
        "HELP",
        "    Prints this help.",
        "(codis-server runs without Redis Cluster: Codis routes slots through codis-proxy.)",
    ];

    /// <summary>Like a Redis 7 started without cluster-enabled: every cluster subcommand is refused.</summary>
    [Command("cluster", -2, Flags = CommandFlags.None, Group = "cluster", Summary = "A container for Redis Cluster commands.")]
    [Subcommand("cluster", "addslots", -3, Flags = CommandFlags.Admin | CommandFlags.Stale | CommandFlags.NoAsyncLoading, Summary = "Assigns new hash slots to a node.")]
    [Subcommand("cluster", "addslotsrange", -4, Flags = CommandFlags.Admin | CommandFlags.Stale | CommandFlags.NoAsyncLoading, Summary = "Assigns new hash slot ranges to a node.")]
    [Subcommand("cluster", "bumpepoch", 2, Flags = CommandFlags.Admin | CommandFlags.Stale | CommandFlags.NoAsyncLoading, Tips = "nondeterministic_output", Summary = "Advances the cluster config epoch.")]
    [Subcommand("cluster", "count-failure-reports", 3, Flags = CommandFlags.Admin | CommandFlags.Stale, Tips = "nondeterministic_output", Summary = "Returns the number of active failure reports active for a node.")]
    [Subcommand("cluster", "countkeysinslot", 3, Flags = CommandFlags.Stale, Summary = "Returns the number of keys in a hash slot.")]
    [Subcommand("cluster", "delslots", -3, Flags = CommandFlags.Admin | CommandFlags.Stale | CommandFlags.NoAsyncLoading, Summary = "Sets hash slots as unbound for a node.")]
    [Subcommand("cluster", "delslotsrange", -4, Flags = CommandFlags.Admin | CommandFlags.Stale | CommandFlags.NoAsyncLoading, Summary = "Sets hash slot ranges as unbound for a node.")]
    [Subcommand("cluster", "failover", -2, Flags = CommandFlags.Admin | CommandFlags.Stale | CommandFlags.NoAsyncLoading, Summary = "Forces a replica to perform a manual failover of its master.")]
    [Subcommand("cluster", "flushslots", 2, Flags = CommandFlags.Admin | CommandFlags.Stale | CommandFlags.NoAsyncLoading, Summary = "Deletes all slots information from a node.")]
    [Subcommand("cluster", "forget", 3, Flags = CommandFlags.Admin | CommandFlags.Stale | CommandFlags.NoAsyncLoading, Summary = "Removes a node from the nodes table.")]
    [Subcommand("cluster", "getkeysinslot", 4, Flags = CommandFlags.Stale, Tips = "nondeterministic_output", Summary = "Returns the key names in a hash slot.")]
    [Subcommand("cluster", "help", 2, Flags = CommandFlags.Loading | CommandFlags.Stale, Summary = "Returns helpful text about the different subcommands.")]
    [Subcommand("cluster", "info", 2, Flags = CommandFlags.Stale, Tips = "nondeterministic_output", Summary = "Returns information about the state of a node.")]
    [Subcommand("cluster", "keyslot", 3, Flags = CommandFlags.Stale, Summary = "Returns the hash slot for a key.")]
    [Subcommand("cluster", "links", 2, Flags = CommandFlags.Stale, Tips = "nondeterministic_output", Summary = "Returns a list of all TCP links to and from peer nodes.")]
    [Subcommand("cluster", "meet", -4, Flags = CommandFlags.Admin | CommandFlags.Stale | CommandFlags.NoAsyncLoading, Summary = "Forces a node to handshake with another node.")]
    [Subcommand("cluster", "myid", 2, Flags = CommandFlags.Stale, Summary = "Returns the ID of a node.")]
    [Subcommand("cluster", "nodes", 2, Flags = CommandFlags.Stale, Tips = "nondeterministic_output", Summary = "Returns the cluster configuration for a node.")]
    [Subcommand("cluster", "replicas", 3, Flags = CommandFlags.Admin | CommandFlags.Stale, Tips = "nondeterministic_output", Summary = "Lists the replica nodes of a master node.")]
    [Subcommand("cluster", "replicate", 3, Flags = CommandFlags.Admin | CommandFlags.Stale | CommandFlags.NoAsyncLoading, Summary = "Configure a node as replica of a master node.")]
    [Subcommand("cluster", "reset", -2, Flags = CommandFlags.Admin | CommandFlags.NoScript | CommandFlags.Stale, Summary = "Resets a node.")]
    [Subcommand("cluster", "saveconfig", 2, Flags = CommandFlags.Admin | CommandFlags.Stale | CommandFlags.NoAsyncLoading, Summary = "Forces a node to save the cluster configuration to disk.")]
    [Subcommand("cluster", "set-config-epoch", 3, Flags = CommandFlags.Admin | CommandFlags.Stale | CommandFlags.NoAsyncLoading, Summary = "Sets the configuration epoch for a new node.")]
    [Subcommand("cluster", "setslot", -4, Flags = CommandFlags.Admin | CommandFlags.Stale | CommandFlags.NoAsyncLoading, Summary = "Binds a hash slot to a node.")]
    [Subcommand("cluster", "shards", 2, Flags = CommandFlags.Stale, Tips = "nondeterministic_output", Summary = "Returns the mapping of cluster slots to shards.")]
    [Subcommand("cluster", "slaves", 3, Flags = CommandFlags.Admin | CommandFlags.Stale, Tips = "nondeterministic_output", Summary = "Lists the replica nodes of a master node.")]
    [Subcommand("cluster", "slots", 2, Flags = CommandFlags.Stale, Tips = "nondeterministic_output", Summary = "Returns the mapping of cluster slots to nodes.")]
    public static void Cluster(CommandContext ctx)
    {
        if (Subcommands.Checked(ctx) is not { } sub) return;
        if (sub.Name == "cluster|help") Subcommands.WriteHelp(ctx, ClusterHelp);
        else ctx.Error("ERR This instance has cluster support disabled");
    }

    /// <summary>READONLY, READWRITE, ASKING: Redis Cluster's per-connection modes, refused like CLUSTER without cluster-enabled.</summary>
    [Command("readonly", 1, Flags = CommandFlags.Loading | CommandFlags.Stale | CommandFlags.Fast, Group = "cluster", AclCategories = "@connection", Summary = "Lets a connection to a cluster replica serve reads (cluster mode only).")]
    [Command("readwrite", 1, Flags = CommandFlags.Loading | CommandFlags.Stale | CommandFlags.Fast, Group = "cluster", AclCategories = "@connection", Summary = "Ends READONLY on a connection to a cluster replica (cluster mode only).")]
    [Command("asking", 1, Flags = CommandFlags.Fast, Group = "cluster", AclCategories = "@connection", Summary = "Tells a cluster node that the client follows an -ASK redirect (cluster mode only).")]
    public static void ClusterConnectionMode(CommandContext ctx) => ctx.Error("ERR This instance has cluster support disabled");

    /// <summary>MONITOR: from now on this connection streams every command the server runs.</summary>
    [Command("monitor", 1, Flags = CommandFlags.Admin | CommandFlags.NoScript | CommandFlags.Loading | CommandFlags.Stale, Group = "server", Summary = "Listens for all requests received by the server in real-time.")]
    public static void Monitor(CommandContext ctx)
    {
        if (ctx.DenyBlocking)
        {
            // Inside EXEC: the client expects one reply per command, not a stream.
            ctx.Error("ERR MONITOR isn't allowed for DENY BLOCKING client");
            return;
        }
        if (ctx.Client.MonitorLines == null) ctx.Client.MonitorLines = ctx.Server.Monitors.Add(ctx.Client);
        ctx.Ok();
    }
}
