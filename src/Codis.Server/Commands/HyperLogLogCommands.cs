using Codis.Server.Storage;
using Codis.Server.Storage.HyperLogLog;

namespace Codis.Server.Commands;

/// <summary>
/// PFADD PFCOUNT PFMERGE PFDEBUG PFSELFTEST over Redis's HLL string layout (<see cref="Hll"/>), so the values are
/// byte-identical to redis-server's for the same inputs and move between the two with DUMP/RESTORE.
/// </summary>
internal static class HyperLogLogCommands
{
    private static long MaxSparseBytes(CommandContext ctx) => ctx.Server.Settings["hll-sparse-max-bytes"].AsLong;

    /// <summary>
    /// Looks a key up as an HLL: false (error replied) for another type or a string that is not an HLL;
    /// <paramref name="value"/> is null when the key does not exist.
    /// </summary>
    private static bool TryGetHll(CommandContext ctx, ReadOnlySpan<byte> key, out byte[]? value, bool asRead = false)
    {
        if (!StringCommands.TryGetString(ctx, key, out value, asRead)) return false;
        if (value == null || Hll.IsValid(value)) return true;
        ctx.Error(Hll.NotHll);
        return false;
    }

    [Command("pfadd", -2, Flags = CommandFlags.Write | CommandFlags.DenyOom | CommandFlags.Fast, FirstKey = 1, LastKey = 1, Step = 1, KeyFlags = "RW insert", Group = "hyperloglog", Summary = "Adds elements to a HyperLogLog key. Creates the key if it doesn't exist.")]
    public static void PfAdd(CommandContext ctx)
    {
        var key = ctx.Arg(1);
        if (!TryGetHll(ctx, key, out var value)) return;
        var db = ctx.Db;
        int updated = 0;
        bool created = value == null;
        bool inPlace = ctx.Keyspace.StringsMutableInPlace;
        if (created)
        {
            value = Hll.CreateEmpty();
            updated++;
        }
        var editor = new HllEditor(value!, inPlace, MaxSparseBytes(ctx));
        for (int i = 2; i < ctx.ArgCount; i++)
        {
            int r = editor.Add(ctx.Arg(i));
            if (r < 0)
            {
                // As Redis: what was already added stays, the error is replied, nothing is propagated.
                if (updated > 0) db.Set(key, editor.Result(), Database.KeepTtl);
                ctx.SuppressPropagation = true;
                ctx.Error(Hll.InvalidObject);
                return;
            }
            updated += r;
        }
        if (updated > 0)
        {
            editor.InvalidateCache();
            var result = editor.Result();
            if (created) db.Add(ctx.ArgBytes(1), result, 0);
            else if (ReferenceEquals(result, value)) ctx.Keyspace.OnModified(db, key);
            else db.Set(key, result, Database.KeepTtl);
            ctx.Notify(PubSub.NotifyType.String, "pfadd"u8, 1);
        }
        else
        {
            ctx.SuppressPropagation = true;
        }
        ctx.Reply.WriteInteger(updated > 0 ? 1 : 0);
    }

    [Command("pfcount", -2, Flags = CommandFlags.ReadOnly, FirstKey = 1, LastKey = -1, Step = 1, KeyFlags = "RW access", Group = "hyperloglog", Summary = "Returns the approximated cardinality of the set(s) observed by the HyperLogLog key(s).")]
    public static void PfCount(CommandContext ctx)
    {
        if (ctx.ArgCount > 2)
        {
            // The cardinality of the union, computed on raw registers; nothing is written.
            var max = new byte[Hll.Registers];
            for (int i = 1; i < ctx.ArgCount; i++)
            {
                if (!TryGetHll(ctx, ctx.Arg(i), out var v)) return;
                if (v == null) continue;
                if (!Hll.MergeInto(v, max))
                {
                    ctx.Error(Hll.InvalidObject);
                    return;
                }
            }
            ctx.Reply.WriteInteger((long)HllEstimator.CountRaw(max));
            return;
        }

        var key = ctx.Arg(1);
        if (!TryGetHll(ctx, key, out var value)) return;
        if (value == null)
        {
            ctx.Reply.WriteInteger(0);
            return;
        }
        if (Hll.CacheValid(value))
        {
            ctx.Reply.WriteInteger((long)Hll.CachedCardinality(value));
            return;
        }
        if (HllEstimator.Count(value) is not ulong card)
        {
            ctx.Error(Hll.InvalidObject);
            return;
        }
        // The cache is part of the value: write it back, and propagate PFCOUNT as Redis does so that replicas and
        // the AOF hold the same bytes.
        var db = ctx.Db;
        if (ctx.Keyspace.StringsMutableInPlace)
        {
            Hll.SetCachedCardinality(value, card);
            ctx.Keyspace.OnModified(db, key);
        }
        else
        {
            var copy = value.AsSpan().ToArray();
            Hll.SetCachedCardinality(copy, card);
            db.Set(key, copy, Database.KeepTtl);
        }
        ctx.Server.Propagation.Emit(ctx.Client.DbIndex, ["PFCOUNT"u8.ToArray(), ctx.ArgBytes(1)], toStream: !ctx.Client.IsMasterLink);
        ctx.Reply.WriteInteger((long)card);
    }

    [Command("pfmerge", -2, Flags = CommandFlags.Write | CommandFlags.DenyOom, FirstKey = 1, LastKey = -1, Step = 1, KeyFlagsByKey = "RW access insert|RO access", Group = "hyperloglog", Summary = "Merges one or more HyperLogLog values into a single key.")]
    public static void PfMerge(CommandContext ctx)
    {
        var max = new byte[Hll.Registers];
        bool useDense = false;
        // The destination is one of the inputs, as in Redis.
        for (int i = 1; i < ctx.ArgCount; i++)
        {
            if (!TryGetHll(ctx, ctx.Arg(i), out var v, asRead: true)) return;
            if (v == null) continue;
            if (Hll.IsDense(v)) useDense = true;
            if (!Hll.MergeInto(v, max))
            {
                ctx.Error(Hll.InvalidObject);
                return;
            }
        }
        var db = ctx.Db;
        var key = ctx.Arg(1);
        var existing = db.Get(key) as byte[];
        var editor = new HllEditor(existing ?? Hll.CreateEmpty(), ctx.Keyspace.StringsMutableInPlace, MaxSparseBytes(ctx));
        if (useDense && !editor.ToDense())
        {
            ctx.Error(Hll.InvalidObject);
            return;
        }
        for (int j = 0; j < Hll.Registers; j++)
            if (max[j] != 0) editor.Set(j, max[j]);
        editor.InvalidateCache();
        var result = editor.Result();
        if (existing == null) db.Add(ctx.ArgBytes(1), result, 0);
        else if (ReferenceEquals(result, existing)) ctx.Keyspace.OnModified(db, key);
        else db.Set(key, result, Database.KeepTtl);
        ctx.Notify(PubSub.NotifyType.String, "pfadd"u8, 1); // PFMERGE announces its destination as a PFADD, as Redis
        ctx.Ok();
    }

    [Command("pfdebug", 3, Flags = CommandFlags.Write | CommandFlags.Admin | CommandFlags.DenyOom, FirstKey = 2, LastKey = 2, Step = 1, KeyFlags = "RW access", Group = "hyperloglog", Summary = "Internal commands for debugging HyperLogLog values.")]
    public static void PfDebug(CommandContext ctx)
    {
        var key = ctx.Arg(2);
        var db = ctx.Db;
        if (db.Get(key) == null)
        {
            ctx.Error("ERR The specified key does not exist");
            return;
        }
        if (!TryGetHll(ctx, key, out var value)) return;
        var hll = value!;
        if (ctx.ArgIs(1, "GETREG") || ctx.ArgIs(1, "TODENSE"))
        {
            bool converted = false;
            if (!Hll.IsDense(hll))
            {
                var dense = HllSparse.ToDense(hll);
                if (dense == null)
                {
                    ctx.Error(Hll.InvalidObject);
                    return;
                }
                db.Set(key, dense, Database.KeepTtl);
                hll = dense;
                converted = true;
            }
            else
            {
                ctx.SuppressPropagation = true;
            }
            if (ctx.ArgIs(1, "TODENSE"))
            {
                ctx.Reply.WriteInteger(converted ? 1 : 0);
                return;
            }
            var regs = hll.AsSpan(Hll.HeaderSize);
            ctx.Reply.WriteArrayHeader(Hll.Registers);
            for (int j = 0; j < Hll.Registers; j++) ctx.Reply.WriteInteger(Hll.GetRegister(regs, j));
            return;
        }
        ctx.SuppressPropagation = true;
        if (ctx.ArgIs(1, "DECODE"))
        {
            if (Hll.IsDense(hll))
            {
                ctx.Error("ERR HLL encoding is not sparse");
                return;
            }
            ctx.Reply.WriteBulk(HllSparse.Decode(hll.AsSpan(Hll.HeaderSize)));
        }
        else if (ctx.ArgIs(1, "ENCODING"))
        {
            ctx.Reply.WriteSimpleString(Hll.IsDense(hll) ? "dense" : "sparse");
        }
        else
        {
            ctx.Error($"ERR Unknown PFDEBUG subcommand '{ctx.ArgString(1)}'");
        }
    }

    [Command("pfselftest", 1, Flags = CommandFlags.Admin, Group = "hyperloglog", Summary = "An internal command for testing HyperLogLog values.")]
    public static void PfSelfTest(CommandContext ctx)
    {
        string? failure = HllSelfTest.Run();
        if (failure == null) ctx.Ok();
        else ctx.Error("TESTFAILED " + failure);
    }
}
