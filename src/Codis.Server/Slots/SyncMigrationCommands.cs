using System.Text;
using Codis.Core.Logging;
using Codis.Core.Resp;
using Codis.Core.Slots;
using Codis.Server.Commands;
using Codis.Server.Persistence;
using Codis.Server.Storage;

namespace Codis.Server.Slots;

/// <summary>
/// Sync migration: SLOTSMGRTONE SLOTSMGRTTAGONE SLOTSMGRTSLOT SLOTSMGRTTAGSLOT (reference/codis.md §6.2).
/// <para>
/// Design choice: like the original, a sync migration step holds the server (here: the keyspace lock) while it
/// sends SLOTSRESTORE to the target and waits for the answer, bounded by the command's timeout. Holding the lock
/// is what makes the step atomic without any further machinery: no client can read or write a key between the
/// moment it is serialized and the moment it is deleted here after the target's +OK, so a key is never lost,
/// never duplicated and never seen half-moved. A step moves one key (or one tag group), so the pause is one
/// round trip to the target — the same pause Redis-based codis-server imposes. Semi-async migration is the mode
/// that does not pause the server (<see cref="AsyncMigration"/>).
/// </para>
/// </summary>
internal static class SyncMigrationCommands
{
    [Command("slotsmgrtone", 5, Flags = CommandFlags.Write | CommandFlags.Admin | CommandFlags.NoScript, Group = "codis", Summary = "Moves one key to another server.")]
    public static void MgrtOne(CommandContext ctx)
    {
        if (!SlotArgs.TryTimeout(ctx, 3, out int timeout)) return;
        int moved = Migrate(ctx, timeout, ctx.Arg(4), withTag: false);
        if (moved >= 0) ctx.Reply.WriteInteger(moved);
    }

    [Command("slotsmgrttagone", 5, Flags = CommandFlags.Write | CommandFlags.Admin | CommandFlags.NoScript, Group = "codis", Summary = "Moves one key and every key sharing its hash tag to another server.")]
    public static void MgrtTagOne(CommandContext ctx)
    {
        if (!SlotArgs.TryTimeout(ctx, 3, out int timeout)) return;
        int moved = Migrate(ctx, timeout, ctx.Arg(4), withTag: true);
        if (moved >= 0) ctx.Reply.WriteInteger(moved);
    }

    [Command("slotsmgrtslot", 5, Flags = CommandFlags.Write | CommandFlags.Admin | CommandFlags.NoScript, Group = "codis", Summary = "Moves a random key of a slot to another server.")]
    public static void MgrtSlot(CommandContext ctx) => MigrateFromSlot(ctx, withTag: false);

    [Command("slotsmgrttagslot", 5, Flags = CommandFlags.Write | CommandFlags.Admin | CommandFlags.NoScript, Group = "codis", Summary = "Moves a random key of a slot and its tag group to another server.")]
    public static void MgrtTagSlot(CommandContext ctx) => MigrateFromSlot(ctx, withTag: true);

    private static void MigrateFromSlot(CommandContext ctx, bool withTag)
    {
        if (!SlotArgs.TryTimeout(ctx, 3, out int timeout)) return;
        if (!SlotArgs.TrySlot(ctx, 4, out int slot)) return;
        var db = ctx.Db;
        int moved = 0;
        var key = RandomLiveKey(db, slot);
        if (key != null)
        {
            moved = Migrate(ctx, timeout, key, withTag);
            if (moved < 0) return;
        }
        ctx.Reply.WriteArrayHeader(2);
        ctx.Reply.WriteInteger(moved);
        ctx.Reply.WriteInteger(db.SlotCount(slot));
    }

    /// <summary>A random live key of the slot; expired keys met on the way are deleted (lazy expiry).</summary>
    private static byte[]? RandomLiveKey(Database db, int slot)
    {
        for (int tries = 0; tries < 100; tries++)
        {
            var table = db.Table(slot);
            int i = table?.RandomIndex(db.Keyspace.Random) ?? -1;
            if (i < 0) return null;
            var key = table!.At(i).Key!;
            if (db.TryPeek(key, out _, out _)) return key;
        }
        return null;
    }

    /// <summary>
    /// Moves <paramref name="key"/> (and with <paramref name="withTag"/> every key of its tag group) to the target
    /// named by arguments 1 and 2. Returns the number moved, or -1 after replying an error.
    /// </summary>
    private static int Migrate(CommandContext ctx, int timeout, ReadOnlySpan<byte> key, bool withTag)
    {
        var db = ctx.Db;
        string host = ctx.ArgString(1), port = ctx.ArgString(2);
        string password = ctx.Server.Settings["requirepass"].Value;
        var target = ctx.Server.Slots.SyncTargets.Get(host, port, timeout, password.Length > 0, out string? error);
        if (target == null)
        {
            ctx.Error(error!);
            return -1;
        }
        var keys = new List<byte[]>();
        if (withTag && TagIndex.TryGetTagCrc(key, out uint crc))
        {
            foreach (var k in db.Tags.Group(crc).ToList())
                if (db.TryPeek(k, out _, out _)) keys.Add(k);
        }
        else if (db.TryPeek(key, out _, out _))
        {
            keys.Add(key.ToArray());
        }
        if (keys.Count == 0) return 0;

        if (!Send(ctx, target, db, keys, password, timeout, out error))
        {
            ctx.Server.Slots.SyncTargets.Close(target);
            ctx.Error(error!);
            return -1;
        }
        target.LastUse = Environment.TickCount64;
        // The target has every key: delete them here, propagated as one DEL.
        var del = new byte[keys.Count + 1][];
        del[0] = "DEL"u8.ToArray();
        for (int i = 0; i < keys.Count; i++)
        {
            db.Remove(keys[i]);
            del[i + 1] = keys[i];
        }
        ctx.Rewrite = [del];
        return keys.Count;
    }

    /// <summary>Writes [AUTH] [SELECT] SLOTSRESTORE k ttl payload ... to the target and checks each reply.</summary>
    private static bool Send(CommandContext ctx, SyncTarget target, Database db, List<byte[]> keys, string password, int timeout, out string? error)
    {
        var args = new List<byte[]>(1 + 3 * keys.Count) { "SLOTSRESTORE"u8.ToArray() };
        foreach (var k in keys)
        {
            db.TryPeek(k, out var table, out int index);
            ref var e = ref table.At(index);
            long ttl = 0;
            if (e.ExpireAt != 0) ttl = Math.Max(1, e.ExpireAt - ctx.Now);
            args.Add(k);
            args.Add(SlotCommands.Number(ttl));
            byte[] payload;
            try
            {
                payload = DumpPayload.Serialize(e.Value!);
            }
            catch (ArgumentException)
            {
                error = $"ERR migration of the value type of '{SlotCommands.Text(k)}' is not supported yet by this codis-server";
                return false;
            }
            args.Add(payload);
        }
        bool auth = !target.Authorized, select = target.Db != db.Index;
        using var request = new MemoryStream();
        if (auth) RespValue.WriteCommand(request, ["AUTH"u8.ToArray(), Encoding.UTF8.GetBytes(password)]);
        if (select) RespValue.WriteCommand(request, ["SELECT"u8.ToArray(), SlotCommands.Number(db.Index)]);
        RespValue.WriteCommand(request, args);

        var client = target.Client;
        client.TimeoutMs = timeout;
        try
        {
            // 64 KiB pieces, each bounded by the timeout (a whole big value is not one timeout).
            var bytes = request.GetBuffer().AsSpan(0, (int)request.Length);
            for (int off = 0; off < bytes.Length; off += 64 * 1024)
                client.Send(bytes.Slice(off, Math.Min(64 * 1024, bytes.Length - off)));
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or System.Net.Sockets.SocketException)
        {
            Log.Warn("slotsmgrt: writing to target failed", ("target", target.Name), ("keys", keys.Count), ("error", e.Message));
            error = "IOERR error or timeout writing to target";
            return false;
        }
        try
        {
            if (auth)
            {
                if (!Expect(client, target, "auth", out error)) return false;
                target.Authorized = true;
            }
            if (select)
            {
                if (!Expect(client, target, "select", out error)) return false;
                target.Db = db.Index;
            }
            return Expect(client, target, "migration", out error);
        }
        catch (Exception e)
        {
            // Timeouts and resets, but also a reply that is not RESP: the link is dropped either way.
            Log.Warn("slotsmgrt: reading from target failed", ("target", target.Name), ("keys", keys.Count), ("error", e.Message));
            error = "IOERR error or timeout reading from target";
            return false;
        }
    }

    private static bool Expect(TargetConnection client, SyncTarget target, string step, out string? error)
    {
        var reply = client.Read();
        if (!reply.IsError)
        {
            error = null;
            return true;
        }
        Log.Warn("slotsmgrt: target refused", ("target", target.Name), ("step", step), ("reply", reply.Text));
        error = $"ERR error on slotsrestore, {step} failed";
        return false;
    }
}
