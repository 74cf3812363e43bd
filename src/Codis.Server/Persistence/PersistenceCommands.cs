using Codis.Core.Logging;
using Codis.Server.Commands;

namespace Codis.Server.Persistence;

/// <summary>SAVE BGSAVE LASTSAVE BGREWRITEAOF SHUTDOWN.</summary>
internal static class PersistenceCommands
{
    [Command("save", 1, Flags = CommandFlags.Admin | CommandFlags.NoScript, Group = "server", Summary = "Synchronously saves the database(s) to disk.")]
    public static void Save(CommandContext ctx)
    {
        if (ctx.Server.Persistence.Save() is { } error) ctx.Error(error);
        else ctx.Ok();
    }

    [Command("bgsave", -1, Flags = CommandFlags.Admin | CommandFlags.NoScript, Group = "server", Summary = "Asynchronously saves the database(s) to disk.")]
    public static void BgSave(CommandContext ctx)
    {
        if (ctx.ArgCount > 2 || (ctx.ArgCount == 2 && !ctx.ArgIs(1, "SCHEDULE")))
        {
            ctx.SyntaxError();
            return;
        }
        if (ctx.Server.Persistence.StartBgSave("BGSAVE") is { } error) ctx.Error(error);
        else ctx.Reply.WriteRaw("+Background saving started\r\n"u8);
    }

    [Command("lastsave", 1, Flags = CommandFlags.Fast | CommandFlags.Stale | CommandFlags.Loading, AclCategories = "@admin @dangerous", Group = "server", Summary = "Returns the Unix timestamp of the last successful save to disk.")]
    public static void LastSave(CommandContext ctx) => ctx.Reply.WriteInteger(ctx.Server.Persistence.LastSaveUnix);

    [Command("bgrewriteaof", 1, Flags = CommandFlags.Admin | CommandFlags.NoScript, Group = "server", Summary = "Asynchronously rewrites the append-only file to disk.")]
    public static void BgRewriteAof(CommandContext ctx)
    {
        if (ctx.Server.Persistence.Aof.StartRewrite("BGREWRITEAOF") is { } error) ctx.Error(error);
        else ctx.Reply.WriteRaw("+Background append only file rewriting started\r\n"u8);
    }

    /// <summary>
    /// SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE]: unless NOW, first gives lagging replicas up to shutdown-timeout to
    /// catch up (writes paused; run without the keyspace lock so their ACKs get through), then flushes and fsyncs
    /// the AOF, saves a snapshot (SAVE, or by default when save rules exist), and stops. A failed save keeps the
    /// server up unless FORCE.
    /// </summary>
    [Command("shutdown", -1, Flags = CommandFlags.Admin | CommandFlags.NoScript | CommandFlags.Loading | CommandFlags.Stale | CommandFlags.NoLock, Group = "server", Summary = "Synchronously saves the database(s) to disk and shuts down the Redis server.")]
    public static void Shutdown(CommandContext ctx)
    {
        bool? save = null;
        bool force = false, now = false;
        for (int i = 1; i < ctx.ArgCount; i++)
        {
            if (ctx.ArgIs(i, "NOSAVE") && save != true) save = false;
            else if (ctx.ArgIs(i, "SAVE") && save != false) save = true;
            else if (ctx.ArgIs(i, "NOW")) now = true;
            else if (ctx.ArgIs(i, "FORCE")) force = true;
            else if (ctx.ArgIs(i, "ABORT"))
            {
                ctx.Error("ERR No shutdown in progress.");
                return;
            }
            else
            {
                ctx.SyntaxError();
                return;
            }
        }
        Log.Info("User requested shutdown...", ("client", ctx.Client.Remote));
        // inside MULTI or a script the lock is held: no waiting there (as WAIT)
        if (!now && !ctx.DenyBlocking) ctx.Server.Replication.WaitForReplicasBeforeShutdown();
        lock (ctx.Keyspace.Lock)
        {
            if (!ctx.Server.Persistence.PersistForShutdown(save) && !force)
            {
                ctx.Server.Unpause();
                Log.Warn("Errors trying to shut down the server. Check the logs for more information.");
                ctx.Error("ERR Errors trying to SHUTDOWN. Check logs.");
                return;
            }
            ctx.Server.Shutdown("SHUTDOWN");
        }
    }
}
