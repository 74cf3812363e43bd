using System.Globalization;
using System.Text;
using Codis.Server.Persistence;

namespace Codis.Server.Commands;

/// <summary>DUMP and RESTORE: values in Redis 7.0's own serialization, interchangeable with redis-server's.</summary>
internal static class DumpCommands
{
    [Command("dump", 2, Flags = CommandFlags.ReadOnly, FirstKey = 1, LastKey = 1, Step = 1, Group = "generic", Summary = "Returns a serialized representation of the value stored at a key.")]
    public static void Dump(CommandContext ctx)
    {
        var value = ctx.Db.Get(ctx.Arg(1));
        if (value == null)
        {
            ctx.Reply.WriteNullBulk();
            return;
        }
        byte[] payload;
        try
        {
            payload = DumpPayload.Serialize(value, Compression(ctx));
        }
        catch (ArgumentException)
        {
            ctx.Error("ERR DUMP of this value type is not supported yet by this codis-server");
            return;
        }
        ctx.Reply.WriteBulk(payload);
    }

    [Command("restore", -4, Flags = CommandFlags.Write | CommandFlags.DenyOom, FirstKey = 1, LastKey = 1, Step = 1, KeyFlags = "OW update", AclCategories = "@keyspace @dangerous", Group = "generic", Summary = "Creates a key from the serialized representation of a value.")]
    public static void Restore(CommandContext ctx)
    {
        bool replace = false, absTtl = false, haveIdle = false, haveFreq = false;
        long idleSeconds = 0, frequency = 0;
        // Options first, in Redis's order of checks: syntax and option values, then BUSYKEY, then the TTL, then the payload.
        for (int j = 4; j < ctx.ArgCount; j++)
        {
            bool hasValue = j + 1 < ctx.ArgCount;
            if (ctx.ArgIs(j, "REPLACE"))
            {
                replace = true;
            }
            else if (ctx.ArgIs(j, "ABSTTL"))
            {
                absTtl = true;
            }
            else if (ctx.ArgIs(j, "IDLETIME") && hasValue && !haveFreq)
            {
                if (!ctx.TryArgLong(j + 1, out long idle)) return;
                if (idle < 0)
                {
                    ctx.Error("ERR Invalid IDLETIME value, must be >= 0");
                    return;
                }
                haveIdle = true;
                idleSeconds = idle;
                j++;
            }
            else if (ctx.ArgIs(j, "FREQ") && hasValue && !haveIdle)
            {
                if (!ctx.TryArgLong(j + 1, out long freq)) return;
                if (freq < 0 || freq > 255)
                {
                    ctx.Error("ERR Invalid FREQ value, must be >= 0 and <= 255");
                    return;
                }
                haveFreq = true;
                frequency = freq;
                j++;
            }
            else
            {
                ctx.SyntaxError();
                return;
            }
        }

        var db = ctx.Db;
        var key = ctx.Arg(1);
        if (!replace && db.Exists(key))
        {
            ctx.Error("BUSYKEY Target key name already exists.");
            return;
        }
        if (!ctx.TryArgLong(2, out long ttl)) return;
        if (ttl < 0)
        {
            ctx.Error("ERR Invalid TTL value, must be >= 0");
            return;
        }
        if (!DumpPayload.TryDeserialize(ctx.Arg(3), out var decoded, out string? error)
            || !DumpPayload.TryToKeyspaceValue(decoded!, out var value, out error))
        {
            ctx.Error(error!);
            return;
        }

        bool deleted = replace && db.Remove(key);
        long expireAt = ttl;
        if (ttl != 0 && !absTtl) expireAt = unchecked(ttl + ctx.Now);
        // A deadline already past creates nothing (the reply is still OK); masters only, as replicas wait for the DEL.
        if (ttl != 0 && expireAt <= ctx.Now && ctx.Keyspace.ExpireAllowed)
        {
            if (deleted)
            {
                ctx.Notify(PubSub.NotifyType.Generic, "del"u8, 1);
                ctx.Rewrite = [["DEL"u8.ToArray(), ctx.ArgBytes(1)]];
            }
            else ctx.SuppressPropagation = true;
            ctx.Ok();
            return;
        }
        db.Add(ctx.ArgBytes(1), value!, ttl == 0 ? 0 : expireAt);
        ctx.Notify(PubSub.NotifyType.Generic, "restore"u8, 1);
        if (haveIdle || haveFreq) db.RestoreAccess(ctx.Arg(1), haveIdle ? idleSeconds : -1, haveFreq ? (int)frequency : -1);
        if (ttl != 0 && !absTtl) ctx.Rewrite = [AbsoluteTtlRewrite(ctx, expireAt)];
        ctx.Ok();
    }

    /// <summary>The request with the TTL made absolute and ABSTTL appended, as 7.0 propagates a relative RESTORE.</summary>
    private static byte[][] AbsoluteTtlRewrite(CommandContext ctx, long expireAt)
    {
        var args = new byte[ctx.ArgCount + 1][];
        for (int i = 0; i < ctx.ArgCount; i++) args[i] = ctx.ArgBytes(i);
        args[2] = Encoding.ASCII.GetBytes(expireAt.ToString(CultureInfo.InvariantCulture));
        args[^1] = "ABSTTL"u8.ToArray();
        return args;
    }

    /// <summary>Redis's rdbcompression (also applies to DUMP); on when the setting is not defined.</summary>
    private static bool Compression(CommandContext ctx) => ctx.Server.Settings.Find("rdbcompression")?.AsBool ?? true;
}
