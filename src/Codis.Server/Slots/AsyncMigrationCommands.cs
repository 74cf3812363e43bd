using Codis.Core.Resp;
using Codis.Server.Commands;
using Codis.Server.Persistence;
using Codis.Server.Storage;

namespace Codis.Server.Slots;

/// <summary>
/// The source side of semi-async migration (reference/codis.md §6.4): SLOTSMGRT[TAG]SLOT-ASYNC,
/// SLOTSMGRT[TAG]ONE-ASYNC, their -DUMP variants, SLOTSMGRT-ASYNC-FENCE/-CANCEL/-STATUS and SLOTSMGRT-EXEC-WRAPPER.
/// </summary>
internal static class AsyncMigrationCommands
{
    private const long IntMax = int.MaxValue;

    [Command("slotsmgrtslot-async", 8, Flags = CommandFlags.Write | CommandFlags.Admin | CommandFlags.NoMulti | CommandFlags.NoScript, Group = "codis", Summary = "Starts moving a batch of keys of a slot to another server (semi-async).")]
    public static void SlotAsync(CommandContext ctx) => StartAsync(ctx, useTag: false, useKeys: false);

    [Command("slotsmgrttagslot-async", 8, Flags = CommandFlags.Write | CommandFlags.Admin | CommandFlags.NoMulti | CommandFlags.NoScript, Group = "codis", Summary = "Starts moving a batch of keys of a slot, with their tag groups, to another server (semi-async).")]
    public static void TagSlotAsync(CommandContext ctx) => StartAsync(ctx, useTag: true, useKeys: false);

    [Command("slotsmgrtone-async", -7, Flags = CommandFlags.Write | CommandFlags.Admin | CommandFlags.NoMulti | CommandFlags.NoScript, Group = "codis", Summary = "Moves the given keys to another server (semi-async).")]
    public static void OneAsync(CommandContext ctx) => StartAsync(ctx, useTag: false, useKeys: true);

    [Command("slotsmgrttagone-async", -7, Flags = CommandFlags.Write | CommandFlags.Admin | CommandFlags.NoMulti | CommandFlags.NoScript, Group = "codis", Summary = "Moves the given keys and their tag groups to another server (semi-async).")]
    public static void TagOneAsync(CommandContext ctx) => StartAsync(ctx, useTag: true, useKeys: true);

    private static void StartAsync(CommandContext ctx, bool useTag, bool useKeys)
    {
        string host = ctx.ArgString(1);
        if (!SlotArgs.TryBounded(ctx, 2, "port", 1, 65535, out long port)) return;
        if (!SlotArgs.TryBounded(ctx, 3, "timeout", 0, IntMax, out long timeout)) return;
        if (timeout == 0) timeout = 30_000;
        if (!SlotArgs.TryBounded(ctx, 4, "maxbulks", 0, IntMax, out long maxBulks)) return;
        if (maxBulks == 0) maxBulks = 200;
        maxBulks = Math.Min(maxBulks, 512 * 1024);
        if (!SlotArgs.TryBounded(ctx, 5, "maxbytes", 0, IntMax, out long maxBytes)) return;
        if (maxBytes == 0) maxBytes = 512 * 1024;
        maxBytes = Math.Min(maxBytes, IntMax / 2);
        int? slot = null;
        long numKeys = 0;
        if (!useKeys)
        {
            if (!SlotArgs.TryBounded(ctx, 6, "slot", 0, Core.Slots.SlotHash.SlotCount - 1, out long s)) return;
            slot = (int)s;
            if (!SlotArgs.TryBounded(ctx, 7, "numkeys", 0, IntMax, out numKeys)) return;
            if (numKeys == 0) numKeys = 100;
        }
        var migration = ctx.Server.Slots.Async[ctx.Client.DbIndex];
        if (migration.Busy)
        {
            ctx.Error("ERR the specified DB is being migrated");
            return;
        }
        var batch = new AsyncBatch(slot, timeout, maxBulks, maxBytes);
        var db = ctx.Db;
        if (useKeys)
        {
            for (int i = 6; i < ctx.ArgCount; i++) AddWithTag(db, batch, ctx.ArgBytes(i), useTag);
        }
        else
        {
            FillFromSlot(db, batch, slot!.Value, numKeys, useTag, ctx.Now);
        }
        var task = migration.Start(host, (int)port, batch, out string? error);
        if (task == null)
        {
            ctx.Error(error!);
            return;
        }
        if (task.IsCompleted) ctx.Reply.WriteRaw(task.Result);
        else ctx.Deferred = task;
    }

    /// <summary>Adds a key and, with tags, every live key sharing its tag CRC; returns how many were new.</summary>
    private static int AddWithTag(Database db, AsyncBatch batch, byte[] key, bool useTag)
    {
        int added = 0;
        if (batch.Add(key))
        {
            added++;
            batch.EstimatedMessages += ChunkedValue.EstimateMessages(Peek(db, key), batch.MaxBulks);
        }
        if (useTag && TagIndex.TryGetTagCrc(key, out uint crc))
            foreach (var k in db.Tags.Group(crc))
                if (batch.Add(k))
                {
                    added++;
                    batch.EstimatedMessages += ChunkedValue.EstimateMessages(Peek(db, k), batch.MaxBulks);
                }
        return added;
    }

    private static object? Peek(Database db, byte[] key) => db.TryPeek(key, out var t, out int i) ? t.At(i).Value : null;

    /// <summary>The original's message estimate of a key, or of its whole tag group with tags.</summary>
    private static long Estimate(Database db, byte[] key, bool useTag, long maxBulks)
    {
        if (!useTag || !TagIndex.TryGetTagCrc(key, out uint crc)) return ChunkedValue.EstimateMessages(Peek(db, key), maxBulks);
        long sum = 0;
        foreach (var k in db.Tags.Group(crc)) sum += ChunkedValue.EstimateMessages(Peek(db, k), maxBulks);
        return sum;
    }

    /// <summary>
    /// Picks about <paramref name="numKeys"/> keys of the slot, starting at a random entry of its table (a key whose
    /// tag group would push the batch beyond 2×numkeys is skipped unless the batch is still empty).
    /// </summary>
    private static void FillFromSlot(Database db, AsyncBatch batch, int slot, long numKeys, bool useTag, long now)
    {
        var table = db.Table(slot);
        if (table == null || table.Count == 0) return;
        int capacity = table.Capacity;
        int start = db.Keyspace.Random.Next(capacity);
        for (int n = 0; n < capacity && batch.EstimatedMessages < numKeys; n++)
        {
            int i = (start + n) % capacity;
            if (!table.IsUsed(i)) continue;
            ref var e = ref table.At(i);
            if (e.ExpireAt != 0 && e.ExpireAt <= now) continue;
            var key = e.Key!;
            if (useTag && TagIndex.TryGetTagCrc(key, out _))
            {
                if (batch.Keys.Contains(key)) continue; // came with its group
                long group = Estimate(db, key, useTag, batch.MaxBulks);
                if (batch.EstimatedMessages != 0 && batch.EstimatedMessages + group > 2 * numKeys) continue;
                AddWithTag(db, batch, key, useTag);
                continue;
            }
            // The common case, a key without a tag: its entry is at hand, so one set operation and no lookup.
            long messages = ChunkedValue.EstimateMessages(e.Value, batch.MaxBulks);
            if (batch.EstimatedMessages != 0 && batch.EstimatedMessages + messages > 2 * numKeys) continue;
            if (batch.Add(key)) batch.EstimatedMessages += messages;
        }
    }

    [Command("slotsmgrtone-async-dump", -4, Flags = CommandFlags.ReadOnly | CommandFlags.Admin, Group = "codis", Summary = "Returns the restore commands that would move the given keys (nothing is moved).")]
    public static void OneAsyncDump(CommandContext ctx) => Dump(ctx, useTag: false);

    [Command("slotsmgrttagone-async-dump", -4, Flags = CommandFlags.ReadOnly | CommandFlags.Admin, Group = "codis", Summary = "Returns the restore commands that would move the given keys and their tag groups.")]
    public static void TagOneAsyncDump(CommandContext ctx) => Dump(ctx, useTag: true);

    private static void Dump(CommandContext ctx, bool useTag)
    {
        if (!SlotArgs.TryBounded(ctx, 1, "timeout", 0, IntMax, out _)) return;
        if (!SlotArgs.TryBounded(ctx, 2, "maxbulks", 0, IntMax, out _)) return;
        var db = ctx.Db;
        var batch = new AsyncBatch(null, 30_000, 1000, IntMax);
        for (int i = 3; i < ctx.ArgCount; i++) AddWithTag(db, batch, ctx.ArgBytes(i), useTag);
        var messages = new List<List<byte[]>>();
        foreach (var key in batch.Order)
        {
            if (!db.TryPeek(key, out var table, out int index)) continue;
            ref var e = ref table.At(index);
            long ttl = e.ExpireAt == 0 ? 0 : Math.Max(1, e.ExpireAt - ctx.Now);
            messages.Add(["SLOTSRESTORE-ASYNC"u8.ToArray(), "delete"u8.ToArray(), key]);
            if (e.Value is byte[] s)
            {
                messages.Add(["SLOTSRESTORE-ASYNC"u8.ToArray(), "string"u8.ToArray(), key, SlotCommands.Number(ttl), s]);
                continue;
            }
            byte[] payload;
            try
            {
                payload = DumpPayload.Serialize(e.Value!);
            }
            catch (ArgumentException)
            {
                ctx.Error($"ERR migration of the value type of '{SlotCommands.Text(key)}' is not supported yet by this codis-server");
                return;
            }
            messages.Add(["SLOTSRESTORE-ASYNC"u8.ToArray(), "object"u8.ToArray(), key, SlotCommands.Number(ttl), payload]);
        }
        ctx.Reply.WriteArrayHeader(messages.Count);
        foreach (var m in messages)
        {
            ctx.Reply.WriteArrayHeader(m.Count);
            foreach (var a in m) ctx.Reply.WriteBulk(a);
        }
    }

    [Command("slotsmgrt-async-fence", -1, Flags = CommandFlags.Admin | CommandFlags.NoMulti | CommandFlags.NoScript, Group = "codis", Summary = "Waits until the database's semi-async batch in flight (if any) ends.")]
    public static void Fence(CommandContext ctx)
    {
        var task = ctx.Server.Slots.Async[ctx.Client.DbIndex].Fence();
        if (task == null) ctx.Ok();
        else ctx.Deferred = task;
    }

    [Command("slotsmgrt-async-cancel", -1, Flags = CommandFlags.Admin | CommandFlags.NoScript, Group = "codis", Summary = "Drops the database's semi-async migration link.")]
    public static void Cancel(CommandContext ctx) =>
        ctx.Reply.WriteInteger(ctx.Server.Slots.Async[ctx.Client.DbIndex].Cancel("interrupted: canceled") ? 1 : 0);

    [Command("slotsmgrt-async-status", -1, Flags = CommandFlags.ReadOnly | CommandFlags.Admin, Group = "codis", Summary = "Shows the database's semi-async migration link and batch.")]
    public static void Status(CommandContext ctx)
    {
        var m = ctx.Server.Slots.Async[ctx.Client.DbIndex];
        var link = m.Link;
        var r = ctx.Reply;
        if (link == null)
        {
            r.WriteNullArray();
            return;
        }
        long now = Environment.TickCount64;
        long unixNow = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        r.WriteArrayHeader(18);
        r.WriteBulk("host"u8); r.WriteBulk(link.Host);
        r.WriteBulk("port"u8); r.WriteBulkInteger(link.Port);
        r.WriteBulk("used"u8); r.WriteBulkInteger(link.Used ? 1 : 0);
        r.WriteBulk("timeout"u8); r.WriteBulkInteger(m.LinkTimeout);
        r.WriteBulk("lastuse"u8); r.WriteBulkInteger(unixNow - (now - link.LastUse));
        r.WriteBulk("since_lastuse"u8); r.WriteBulkInteger(now - link.LastUse);
        var b = m.Batch;
        r.WriteBulk("sending_msgs"u8); r.WriteBulkInteger(b == null ? 0 : b.InFlight.Count + b.Pending.Count);
        r.WriteBulk("blocked_clients"u8); r.WriteBulkInteger(m.BlockedClients);
        r.WriteBulk("batched_iterator"u8);
        if (b == null)
        {
            r.WriteNullArray();
            return;
        }
        r.WriteArrayHeader(16);
        r.WriteBulk("keys"u8);
        var keys = b.CleaningUp ? b.Cleanup : b.Keys;
        r.WriteArrayHeader(2);
        r.WriteBulkInteger(keys.Count);
        r.WriteArrayHeader(keys.Count);
        foreach (var k in keys) r.WriteBulk(k);
        r.WriteBulk("timeout"u8); r.WriteBulkInteger(b.Timeout);
        r.WriteBulk("maxbulks"u8); r.WriteBulkInteger(b.MaxBulks);
        r.WriteBulk("maxbytes"u8); r.WriteBulkInteger(b.MaxBytes);
        r.WriteBulk("estimate_msgs"u8); r.WriteBulkInteger(b.EstimatedMessages);
        r.WriteBulk("removed_keys"u8); r.WriteBulkInteger(b.Moved);
        r.WriteBulk("chunked_vals"u8); r.WriteBulkInteger(b.Chunked.Count);
        r.WriteBulk("iterators"u8);
        r.WriteArrayHeader(2);
        r.WriteBulkInteger(keys.Count);
        var first = keys.FirstOrDefault();
        if (first == null || !ctx.Db.TryPeek(first, out var table, out int index))
        {
            r.WriteNullArray();
            return;
        }
        ref var e = ref table.At(index);
        r.WriteArrayHeader(16);
        r.WriteBulk("key"u8); r.WriteBulk(first);
        r.WriteBulk("val.type"u8); r.WriteBulkInteger(RdbTypeOf(e.Value!));
        r.WriteBulk("stage"u8); r.WriteBulkInteger(b.CleaningUp ? 4 : 1);
        r.WriteBulk("expire"u8); r.WriteBulkInteger(e.ExpireAt == 0 ? -1 : e.ExpireAt);
        r.WriteBulk("cursor"u8); r.WriteBulkInteger(0);
        r.WriteBulk("lindex"u8); r.WriteBulkInteger(0);
        r.WriteBulk("zindex"u8); r.WriteBulkInteger(0);
        r.WriteBulk("chunked_msgs"u8); r.WriteBulkInteger(0);
    }

    /// <summary>Redis's object type numbers (0 string, 1 list, 2 set, 3 zset, 4 hash, 6 stream).</summary>
    private static int RdbTypeOf(object value) => ValueTypes.TypeName(value) switch
    {
        "string" => 0,
        "list" => 1,
        "set" => 2,
        "zset" => 3,
        "hash" => 4,
        _ => 6,
    };

    /// <summary>
    /// SLOTSMGRT-EXEC-WRAPPER hashkey command [args...]: what a semi-async proxy sends for a key of a migrating slot.
    /// Always a 2-element reply: [-1, error] bad command, [0, error] key not here (ask the target), [1, error] key
    /// being migrated (retry), [2, reply] executed here.
    /// </summary>
    [Command("slotsmgrt-exec-wrapper", -2, Flags = CommandFlags.Write | CommandFlags.NoPropagate | CommandFlags.NoScript, Group = "codis", Summary = "Runs a command here unless its key is absent or being migrated.")]
    public static void ExecWrapper(CommandContext ctx)
    {
        var r = ctx.Reply;
        r.WriteArrayHeader(2);
        if (ctx.ArgCount < 3)
        {
            r.WriteInteger(-1);
            r.WriteError("ERR wrong number of arguments for SLOTSMGRT-EXEC-WRAPPER");
            return;
        }
        var spec = CommandTable.Find(ctx.Arg(2));
        if (spec == null)
        {
            r.WriteInteger(-1);
            r.WriteError($"ERR invalid command specified ({ctx.ArgString(2)})");
            return;
        }
        if (!spec.ArityOk(ctx.ArgCount - 2))
        {
            r.WriteInteger(-1);
            r.WriteError($"ERR wrong number of arguments for command ({ctx.ArgString(2)})");
            return;
        }
        var key = ctx.ArgBytes(1);
        bool exists = ctx.Db.TryPeek(key, out _, out _);
        bool write = !spec.Has(CommandFlags.ReadOnly);
        var migration = ctx.Server.Slots.Async[ctx.Client.DbIndex];
        bool forward = write && migration.CanForward(key, exists);
        if (!forward && migration.MustWait(key, write, exists))
        {
            r.WriteInteger(1);
            r.WriteError("ERR the specified key is being migrated");
            return;
        }
        if (!exists)
        {
            r.WriteInteger(0);
            r.WriteError("ERR the specified key doesn't exist");
            return;
        }
        r.WriteInteger(2);
        var inner = new byte[ctx.ArgCount - 2][];
        for (int i = 2; i < ctx.ArgCount; i++) inner[i - 2] = ctx.ArgBytes(i);
        var outerArgs = ctx.Args;
        var outerCommand = ctx.Command;
        // The inner command runs (and is propagated) as itself; the wrapper is not propagated. A write to a key whose
        // copy is on its way runs here too, and is forwarded to the target behind the copy.
        if (forward) migration.RunForwarded(ctx, RespRequest.FromArgs(inner), inner, key);
        else ctx.Server.ExecuteOne(ctx, RespRequest.FromArgs(inner));
        ctx.Args = outerArgs;
        ctx.Command = outerCommand;
        ctx.Rewrite = null;
        ctx.SuppressPropagation = true;
    }
}
