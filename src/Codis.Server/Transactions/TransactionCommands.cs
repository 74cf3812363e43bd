using Codis.Server.Commands;
using Codis.Server.Storage;

namespace Codis.Server.Transactions;

/// <summary>
/// MULTI EXEC DISCARD WATCH UNWATCH. Queuing happens in <see cref="CodisServer.ExecuteOne"/> (a command refused
/// there marks the transaction aborted); EXEC runs the queue inside its own call, so under the keyspace lock
/// from the first queued command to the last.
/// </summary>
internal static class TransactionCommands
{
    public const string ExecAbort = "EXECABORT Transaction discarded because of previous errors.";

    [Command("multi", 1, Flags = CommandFlags.NoScript | CommandFlags.Loading | CommandFlags.Stale | CommandFlags.Fast, Group = "transactions", Summary = "Starts a transaction.")]
    public static void Multi(CommandContext ctx)
    {
        if (ctx.Client.Multi != null)
        {
            ctx.Error("ERR MULTI calls can not be nested");
            return;
        }
        ctx.Client.Multi = new Transaction();
        ctx.Ok();
    }

    [Command("exec", 1, Flags = CommandFlags.NoScript | CommandFlags.Loading | CommandFlags.Stale | CommandFlags.SkipSlowlog, Group = "transactions", Summary = "Executes all commands in a transaction.")]
    public static void Exec(CommandContext ctx)
    {
        var client = ctx.Client;
        var tx = client.Multi;
        if (tx == null)
        {
            ctx.Error("ERR EXEC without MULTI");
            return;
        }
        var watcher = client.Watcher;
        bool changed = watcher != null && (watcher.Dirty || watcher.AnyExpiredSinceWatch());
        watcher?.UnwatchAll(); // from here on, nothing of what this transaction does can fail it
        if (tx.Aborted || changed)
        {
            client.Multi = null;
            if (tx.Aborted) ctx.Error(ExecAbort);
            else ctx.Reply.WriteNullArray();
            return;
        }
        try
        {
            ctx.Server.RunQueued(ctx, tx); // the client stays "in MULTI" (CLIENT LIST flags=x) while it runs
        }
        finally
        {
            client.Multi = null;
        }
    }

    [Command("discard", 1, Flags = CommandFlags.NoScript | CommandFlags.Loading | CommandFlags.Stale | CommandFlags.Fast, Group = "transactions", Summary = "Discards a transaction.")]
    public static void Discard(CommandContext ctx)
    {
        if (ctx.Client.Multi == null)
        {
            ctx.Error("ERR DISCARD without MULTI");
            return;
        }
        Abandon(ctx.Client);
        ctx.Ok();
    }

    /// <summary>Forgets the queue and the watched keys (DISCARD, an EXEC that was refused, RESET, disconnect).</summary>
    public static void Abandon(Networking.ClientSession client)
    {
        client.Multi = null;
        client.Watcher?.UnwatchAll();
    }

    [Command("watch", -2, Flags = CommandFlags.NoScript | CommandFlags.Loading | CommandFlags.Stale | CommandFlags.Fast, FirstKey = 1, LastKey = -1, Step = 1, Group = "transactions", Summary = "Monitors changes to keys to determine the execution of a transaction.")]
    public static void Watch(CommandContext ctx)
    {
        if (ctx.Client.Multi != null)
        {
            ctx.Error("ERR WATCH inside MULTI is not allowed");
            return;
        }
        var watcher = ctx.Client.Watcher ??= new KeyWatcher();
        var db = ctx.Db;
        for (int i = 1; i < ctx.ArgCount; i++) watcher.Watch(db, ctx.Arg(i));
        ctx.Ok();
    }

    [Command("unwatch", 1, Flags = CommandFlags.NoScript | CommandFlags.Loading | CommandFlags.Stale | CommandFlags.Fast, Group = "transactions", Summary = "Forgets about watched keys of a transaction.")]
    public static void Unwatch(CommandContext ctx)
    {
        ctx.Client.Watcher?.UnwatchAll();
        ctx.Ok();
    }
}
