using System.Globalization;
using Codis.Server.Commands;

namespace Codis.Server.Replication;

/// <summary>REPLICAOF SLAVEOF FAILOVER PSYNC SYNC REPLCONF ROLE WAIT.</summary>
internal static class ReplicationCommands
{
    [Command("replicaof", 3, Flags = CommandFlags.Admin | CommandFlags.NoScript | CommandFlags.Stale, Group = "server", Summary = "Configures a server as replica of another, or promotes it to a master.")]
    [Command("slaveof", 3, Flags = CommandFlags.Admin | CommandFlags.NoScript | CommandFlags.Stale, Group = "server", Summary = "Sets a Redis server as a replica of another, or promotes it to being a master.")]
    public static void ReplicaOf(CommandContext ctx)
    {
        var repl = ctx.Server.Replication;
        if (ctx.ArgIs(1, "NO") && ctx.ArgIs(2, "ONE"))
        {
            repl.PromoteToMaster();
            ctx.Ok();
            return;
        }
        if (!CommandContext.TryParseLong(ctx.Arg(2), out long port) || port is < 0 or > 65535)
        {
            ctx.Error("ERR Invalid master port");
            return;
        }
        ctx.Reply.WriteRaw(System.Text.Encoding.ASCII.GetBytes(repl.ReplicaOf(ctx.ArgString(1), (int)port) + "\r\n"));
    }

    [Command("failover", -1, Flags = CommandFlags.Admin | CommandFlags.NoScript | CommandFlags.Stale, Group = "server", Summary = "Starts a coordinated failover from a server to one of its replicas.")]
    public static void Failover(CommandContext ctx) => ctx.Server.Replication.FailoverCommand(ctx);

    [Command("psync", -3, Flags = CommandFlags.Admin | CommandFlags.NoScript | CommandFlags.NoPropagate | CommandFlags.NoMulti, Group = "server", Summary = "An internal command used in replication.")]
    public static void Psync(CommandContext ctx) => ctx.Server.Replication.HandleSync(ctx, psync: true);

    [Command("sync", 1, Flags = CommandFlags.Admin | CommandFlags.NoScript | CommandFlags.NoPropagate | CommandFlags.NoMulti, Group = "server", Summary = "An internal command used in replication.")]
    public static void Sync(CommandContext ctx) => ctx.Server.Replication.HandleSync(ctx, psync: false);

    [Command("replconf", -1, Flags = CommandFlags.Admin | CommandFlags.NoScript | CommandFlags.Loading | CommandFlags.Stale, Group = "server", Summary = "An internal command for configuring the replication stream.")]
    public static void ReplConf(CommandContext ctx)
    {
        if (ctx.ArgCount % 2 == 0)
        {
            ctx.SyntaxError();
            return;
        }
        var hs = ctx.Client.ReplicaHandshake ??= new ReplicaHandshake();
        for (int i = 1; i < ctx.ArgCount; i += 2)
        {
            if (ctx.ArgIs(i, "listening-port"))
            {
                if (!ctx.TryArgLong(i + 1, out long port)) return;
                hs.ListeningPort = (int)port;
            }
            else if (ctx.ArgIs(i, "ip-address"))
            {
                hs.IpAddress = ctx.ArgString(i + 1);
            }
            else if (ctx.ArgIs(i, "capa"))
            {
                if (ctx.ArgIs(i + 1, "eof")) hs.CapaEof = true;
                else if (ctx.ArgIs(i + 1, "psync2")) hs.CapaPsync2 = true;
            }
            else if (ctx.ArgIs(i, "ack") || ctx.ArgIs(i, "getack"))
            {
                // Only meaningful on a replication link, which reads them itself; never answered.
                return;
            }
            else if (ctx.ArgIs(i, "rdb-only"))
            {
                if (!ctx.TryArgLong(i + 1, out long v)) return;
                hs.RdbOnly = v == 1;
            }
            else if (ctx.ArgIs(i, "rdb-filter-only"))
            {
                if (ctx.Arg(i + 1).Length != 0 && !ctx.ArgIs(i + 1, "functions"))
                {
                    ctx.Error("ERR Unsupported rdb-filter-only option: " + ctx.ArgString(i + 1));
                    return;
                }
            }
            else
            {
                ctx.Error("ERR Unrecognized REPLCONF option: " + ctx.ArgString(i));
                return;
            }
        }
        ctx.Ok();
    }

    [Command("role", 1, Flags = CommandFlags.NoScript | CommandFlags.Loading | CommandFlags.Stale | CommandFlags.Fast, AclCategories = "@admin @dangerous", Group = "server", Summary = "Returns the replication role.")]
    public static void Role(CommandContext ctx)
    {
        var repl = ctx.Server.Replication;
        var r = ctx.Reply;
        if (repl.Link is { } link)
        {
            r.WriteArrayHeader(5);
            r.WriteBulk("slave"u8);
            r.WriteBulk(link.Host);
            r.WriteInteger(link.Port);
            r.WriteBulk(link.State);
            r.WriteInteger(link.State == "connected" ? repl.MasterReplOffset : -1);
            return;
        }
        r.WriteArrayHeader(3);
        r.WriteBulk("master"u8);
        r.WriteInteger(repl.MasterReplOffset);
        var online = repl.Replicas.Where(x => x.State == ReplicaState.Online).ToList();
        r.WriteArrayHeader(online.Count);
        foreach (var x in online)
        {
            r.WriteArrayHeader(3);
            r.WriteBulk(x.Ip);
            r.WriteBulk(x.Port.ToString(CultureInfo.InvariantCulture));
            r.WriteBulk(x.AckOffset.ToString(CultureInfo.InvariantCulture));
        }
    }

    [Command("wait", 3, Flags = CommandFlags.NoLock | CommandFlags.NoScript, AclCategories = "@connection", Group = "generic", Summary = "Blocks until the asynchronous replication of all preceding write commands completes.")]
    public static void Wait(CommandContext ctx)
    {
        if (!ctx.TryArgLong(1, out long wanted)) return;
        if (!CommandContext.TryParseLong(ctx.Arg(2), out long timeout))
        {
            ctx.Error("ERR timeout is not an integer or out of range");
            return;
        }
        if (timeout < 0)
        {
            ctx.Error("ERR timeout is negative");
            return;
        }
        var repl = ctx.Server.Replication;
        if (ctx.DenyBlocking)
        {
            // Inside EXEC (under the lock): no waiting, the replicas that already acknowledged everything so far.
            ctx.Reply.WriteInteger(repl.IsReplica ? 0 : repl.CountAcked(repl.MasterReplOffset));
            return;
        }
        bool replica;
        lock (ctx.Keyspace.Lock) replica = repl.IsReplica;
        if (replica)
        {
            ctx.Error("ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated.");
            return;
        }
        ctx.Reply.WriteInteger(repl.Wait((int)Math.Clamp(wanted, 0, int.MaxValue), timeout, ctx.Client.Closing.Token));
    }
}
