namespace Codis.Server.Commands;

/// <summary>SWAPDB index1 index2: two databases exchange their data in one step.</summary>
internal static class SwapDbCommand
{
    /// <summary>
    /// As Redis: the data (every slot table, hence expiry and the tag index) moves, the clients stay: a client that
    /// selected db 1 sees the other data at once. WATCHed keys of both databases are touched, clients blocked on
    /// keys of either are tried against what the key holds now, and the command itself goes to the AOF and the
    /// replicas. Refused while a semi-async slot migration has a batch in flight in either database: its
    /// acknowledgements delete keys by database number, which would then be the other data.
    /// </summary>
    [Command("swapdb", 3, Flags = CommandFlags.Write | CommandFlags.Fast, Group = "server", AclCategories = "@keyspace @dangerous", Summary = "Swaps two Redis databases.")]
    public static void SwapDb(CommandContext ctx)
    {
        if (!TryIndex(ctx, 1, "ERR invalid first DB index", out int a) || !TryIndex(ctx, 2, "ERR invalid second DB index", out int b)) return;
        var keyspace = ctx.Keyspace;
        if (a < 0 || a >= keyspace.DatabaseCount || b < 0 || b >= keyspace.DatabaseCount)
        {
            ctx.Error("ERR DB index is out of range");
            return;
        }
        if (MigratingDb(ctx.Server, a, b) is int busy)
        {
            ctx.Error($"ERR SWAPDB is not allowed while a slot migration batch of DB {busy} is in flight");
            return;
        }
        if (a != b)
        {
            keyspace.SwapDatabases(a, b);
            ctx.Server.Blocking.SignalDatabase(a);
            ctx.Server.Blocking.SignalDatabase(b);
        }
        keyspace.Dirty++;
        ctx.Ok();
    }

    /// <summary>Redis's getIntFromObjectOrReply: a strict integer that fits in 32 bits.</summary>
    private static bool TryIndex(CommandContext ctx, int arg, string error, out int index)
    {
        index = 0;
        if (!CommandContext.TryParseLong(ctx.Arg(arg), out long v) || v < int.MinValue || v > int.MaxValue)
        {
            ctx.Error(error);
            return false;
        }
        index = (int)v;
        return true;
    }

    private static int? MigratingDb(CodisServer server, int a, int b)
    {
        if (!server.HasSlotsState) return null;
        var async = server.Slots.Async;
        if (async[a].Busy) return a;
        if (async[b].Busy) return b;
        return null;
    }
}
