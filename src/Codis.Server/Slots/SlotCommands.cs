using Codis.Core.Logging;
using Codis.Core.Slots;
using Codis.Server.Commands;
using Codis.Server.Persistence;
using Codis.Server.Storage;

namespace Codis.Server.Slots;

/// <summary>
/// SLOTSHASHKEY SLOTSINFO SLOTSSCAN SLOTSDEL SLOTSCHECK SLOTSRESTORE (reference/codis.md §6.2). Every command that
/// looks at one slot works on that slot's own table and never walks the others.
/// </summary>
internal static class SlotCommands
{
    [Command("slotshashkey", -1, Flags = CommandFlags.ReadOnly | CommandFlags.Fast, Group = "codis", Summary = "Returns the slot of each key.")]
    public static void HashKey(CommandContext ctx)
    {
        ctx.Reply.WriteArrayHeader(ctx.ArgCount - 1);
        for (int i = 1; i < ctx.ArgCount; i++) ctx.Reply.WriteInteger(SlotHash.Slot(ctx.Arg(i)));
    }

    [Command("slotsinfo", -1, Flags = CommandFlags.ReadOnly, Group = "codis", Summary = "Returns [slot, keys] for the non-empty slots of a range.")]
    public static void Info(CommandContext ctx)
    {
        if (ctx.ArgCount > 3)
        {
            ctx.Error(Errors.WrongArity("slotsinfo"));
            return;
        }
        int begin = 0, end = SlotHash.SlotCount;
        if (ctx.ArgCount >= 2 && !SlotArgs.TrySlot(ctx, 1, out begin)) return;
        if (ctx.ArgCount >= 3)
        {
            if (!SlotArgs.TryInt(ctx, 2, out int count)) return;
            if (count < 0)
            {
                ctx.Error($"ERR invalid slot count = {count}");
                return;
            }
            if ((long)begin + count < end) end = begin + count;
        }
        var db = ctx.Db;
        int n = 0;
        for (int s = begin; s < end; s++) if (db.SlotCount(s) != 0) n++;
        ctx.Reply.WriteArrayHeader(n);
        for (int s = begin; s < end; s++)
        {
            long keys = db.SlotCount(s);
            if (keys == 0) continue;
            ctx.Reply.WriteArrayHeader(2);
            ctx.Reply.WriteInteger(s);
            ctx.Reply.WriteInteger(keys);
        }
    }

    /// <summary>
    /// SLOTSSCAN slot cursor [COUNT n]: the cursor is an entry index of the slot's table (stable while a key
    /// lives, like SCAN's), at most 10×COUNT entries are visited per call.
    /// </summary>
    [Command("slotsscan", -3, Flags = CommandFlags.ReadOnly, Group = "codis", Summary = "Iterates over the keys of one slot.")]
    public static void Scan(CommandContext ctx)
    {
        if (!SlotArgs.TrySlot(ctx, 1, out int slot)) return;
        if (!ulong.TryParse(ctx.Arg(2), System.Globalization.NumberStyles.None, null, out ulong cursor))
        {
            ctx.Error("ERR invalid cursor");
            return;
        }
        if (ctx.ArgCount != 3 && ctx.ArgCount != 5)
        {
            ctx.Error(Errors.WrongArity("slotsscan"));
            return;
        }
        long count = 10;
        if (ctx.ArgCount == 5)
        {
            if (!ctx.ArgIs(3, "COUNT"))
            {
                ctx.SyntaxError();
                return;
            }
            if (!SlotArgs.TryInt(ctx, 4, out int v)) return;
            if (v < 1)
            {
                ctx.SyntaxError();
                return;
            }
            count = v;
        }
        var keys = new List<byte[]>();
        var table = ctx.Db.Table(slot);
        ulong next = 0;
        if (table != null && cursor < (ulong)table.Capacity)
        {
            int i = (int)cursor;
            long steps = count * 10;
            long now = ctx.Now;
            for (; i < table.Capacity && steps > 0 && keys.Count < count; i++, steps--)
            {
                if (!table.IsUsed(i)) continue;
                ref var e = ref table.At(i);
                if (e.ExpireAt != 0 && e.ExpireAt <= now) continue; // expired, not yet collected
                keys.Add(e.Key!);
            }
            next = i < table.Capacity ? (ulong)i : 0;
        }
        ctx.Reply.WriteArrayHeader(2);
        ctx.Reply.WriteBulk(next.ToString(System.Globalization.CultureInfo.InvariantCulture));
        ctx.Reply.WriteArrayHeader(keys.Count);
        foreach (var k in keys) ctx.Reply.WriteBulk(k);
    }

    [Command("slotsdel", -2, Flags = CommandFlags.Write | CommandFlags.NoScript, Group = "codis", Summary = "Deletes every key of the given slots.")]
    public static void Del(CommandContext ctx)
    {
        var slots = new int[ctx.ArgCount - 1];
        for (int i = 1; i < ctx.ArgCount; i++)
            if (!SlotArgs.TrySlot(ctx, i, out slots[i - 1])) return;
        var db = ctx.Db;
        long removed = 0;
        foreach (int s in slots)
        {
            // Deleted one by one (not by dropping the table) so that every observer of the keyspace hears of each key.
            var table = db.Table(s);
            if (table == null) continue;
            for (int i = table.Capacity - 1; i >= 0 && db.Table(s) == table; i--)
            {
                if (!table.IsUsed(i)) continue;
                var key = table.At(i).Key!;
                db.RemoveAt(table, i);
                ctx.Keyspace.OnModified(db, key);
                removed++;
            }
        }
        if (removed == 0) ctx.SuppressPropagation = true;
        ctx.Reply.WriteArrayHeader(slots.Length);
        foreach (int s in slots)
        {
            ctx.Reply.WriteArrayHeader(2);
            ctx.Reply.WriteInteger(s);
            ctx.Reply.WriteInteger(db.SlotCount(s));
        }
    }

    /// <summary>
    /// Consistency check (slow, for debugging): step 1 every key sits in the table of its own slot, step 2 every
    /// tagged key is in the tag index, step 3 every indexed key exists.
    /// </summary>
    [Command("slotscheck", -1, Flags = CommandFlags.Admin, Group = "codis", Summary = "Checks the consistency of the slot tables.")]
    public static void Check(CommandContext ctx)
    {
        var db = ctx.Db;
        long tagged = 0;
        for (int s = 0; s < SlotHash.SlotCount; s++)
        {
            var t = db.Table(s);
            if (t == null) continue;
            for (int i = 0; i < t.Capacity; i++)
            {
                if (!t.IsUsed(i)) continue;
                var key = t.At(i).Key!;
                if (SlotHash.Slot(key) != s)
                {
                    ctx.Error($"ERR step 1, miss = '{Text(key)}'");
                    return;
                }
                if (TagIndex.TryGetTagCrc(key, out uint crc))
                {
                    tagged++;
                    if (!db.Tags.Group(crc).Contains(key))
                    {
                        ctx.Error($"ERR step 2, miss = '{Text(key)}'");
                        return;
                    }
                }
            }
        }
        foreach (var key in db.Tags.AllKeys())
        {
            var t = db.Table(SlotHash.Slot(key));
            if (t == null || t.Find(key) < 0)
            {
                ctx.Error($"ERR step 3, miss = '{Text(key)}'");
                return;
            }
        }
        if (tagged != db.Tags.Count)
        {
            ctx.Error($"ERR step 3, tagged keys = {tagged}, indexed = {db.Tags.Count}");
            return;
        }
        ctx.Ok();
    }

    /// <summary>
    /// SLOTSRESTORE key ttl payload [key ttl payload ...]: checks every payload first, then replaces every key
    /// (ttl in ms, 0 = persistent). Propagated as one RESTORE ... REPLACE ABSTTL per key, so a replica that applies
    /// it later gets the same deadline.
    /// </summary>
    [Command("slotsrestore", -4, Flags = CommandFlags.Write | CommandFlags.DenyOom, Group = "codis", Summary = "Replaces keys with DUMP payloads (the target side of sync migration).")]
    public static void Restore(CommandContext ctx)
    {
        if ((ctx.ArgCount - 1) % 3 != 0)
        {
            ctx.Error(Errors.WrongArity("slotsrestore"));
            return;
        }
        int n = (ctx.ArgCount - 1) / 3;
        var db = ctx.Db;
        var ttls = new long[n];
        var values = new object[n];
        for (int k = 0; k < n; k++)
        {
            int at = 1 + 3 * k;
            if (db.Exists(ctx.Arg(at)))
                Log.Warn("slotsrestore: key already exists", ("slot", SlotHash.Slot(ctx.Arg(at))), ("key", ctx.ArgString(at)));
            if (!ctx.TryArgLong(at + 1, out ttls[k])) return;
            if (ttls[k] < 0)
            {
                ctx.Error("ERR invalid ttl value, must be >= 0");
                return;
            }
            if (!DumpPayload.VerifyFooter(ctx.Arg(at + 2)))
            {
                ctx.Error("ERR dump payload version or checksum are wrong");
                return;
            }
            if (!DumpPayload.TryDeserialize(ctx.Arg(at + 2), out var decoded, out _))
            {
                ctx.Error("ERR bad data format");
                return;
            }
            if (!DumpPayload.TryToKeyspaceValue(decoded!, out var stored, out string? error))
            {
                ctx.Error(error!);
                return;
            }
            values[k] = stored!;
        }
        var rewrite = new List<byte[][]>(n);
        for (int k = 0; k < n; k++)
        {
            int at = 1 + 3 * k;
            long expireAt = ttls[k] == 0 ? 0 : ctx.Now + ttls[k];
            db.Remove(ctx.Arg(at));
            db.Add(ctx.ArgBytes(at), values[k], expireAt);
            rewrite.Add([
                "RESTORE"u8.ToArray(), ctx.ArgBytes(at), Number(expireAt), ctx.ArgBytes(at + 2), "REPLACE"u8.ToArray(), "ABSTTL"u8.ToArray()]);
        }
        ctx.Rewrite = rewrite;
        ctx.Ok();
    }

    internal static byte[] Number(long n) => System.Text.Encoding.ASCII.GetBytes(n.ToString(System.Globalization.CultureInfo.InvariantCulture));

    internal static string Text(byte[] key) => System.Text.Encoding.UTF8.GetString(key);
}
