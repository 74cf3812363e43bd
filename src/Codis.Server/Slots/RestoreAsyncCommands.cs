using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Codis.Core.Resp;
using Codis.Server.Commands;
using Codis.Server.Persistence;
using Codis.Server.Storage;
using Codis.Server.Storage.Collections;

namespace Codis.Server.Slots;

/// <summary>
/// The target side of semi-async migration: SLOTSRESTORE-ASYNC and its sub-commands, SLOTSRESTORE-ASYNC-AUTH,
/// SLOTSRESTORE-ASYNC-SELECT, and SLOTSRESTORE-ASYNC-ACK (which only the source's own link may send; our source
/// reads the ACKs on its link directly, so from any client it is refused). Every message is answered with
/// <c>SLOTSRESTORE-ASYNC-ACK errno message</c>; an error answer (errno -1) closes the link after it is written.
/// </summary>
internal static class RestoreAsyncCommands
{
    // The success acknowledgements nearly every message gets, written as they are (two per key moved).
    private static readonly byte[] AckOne = AckBytes("1"), AckZero = AckBytes("0"), AckOk = AckBytes("OK");

    private static byte[] AckBytes(string message) =>
        Encoding.ASCII.GetBytes($"*3\r\n$22\r\nSLOTSRESTORE-ASYNC-ACK\r\n$1\r\n0\r\n${message.Length}\r\n{message}\r\n");

    internal static void Ack(CommandContext ctx, int errno, string message)
    {
        if (errno == 0 && (message == "1" ? AckOne : message == "0" ? AckZero : message == "OK" ? AckOk : null) is { } known)
        {
            ctx.Reply.WriteRaw(known);
            return;
        }
        var r = ctx.Reply;
        r.WriteArrayHeader(3);
        r.WriteBulk("SLOTSRESTORE-ASYNC-ACK"u8);
        r.WriteBulkInteger(errno);
        r.WriteBulk(message);
        if (errno != 0)
        {
            ctx.Client.CloseAfterReply = true;
            ctx.SuppressPropagation = true;
        }
    }

    [Command("slotsrestore-async-auth", 2, Flags = CommandFlags.NoAuth | CommandFlags.Fast, Group = "codis", Summary = "Authenticates a semi-async migration link.")]
    public static void Auth(CommandContext ctx)
    {
        ctx.Client.IsInternal = true;
        // The default user's password (requirepass, or ACL SETUSER default).
        var user = ctx.Server.Acl.Default;
        if (user.NoPass)
        {
            Ack(ctx, -1, "Client sent AUTH, but no password is set");
            return;
        }
        if (user.Enabled && user.PasswordMatches(ctx.Arg(1)))
        {
            ctx.Client.User = user;
            ctx.Client.Authenticated = true;
            Ack(ctx, 0, "OK");
        }
        else
        {
            ctx.Client.Authenticated = false;
            Ack(ctx, -1, "invalid password");
        }
    }

    [Command("slotsrestore-async-select", 2, Flags = CommandFlags.Fast, Group = "codis", Summary = "Selects the database of a semi-async migration link.")]
    public static void Select(CommandContext ctx)
    {
        ctx.Client.IsInternal = true;
        if (!CommandContext.TryParseLong(ctx.Arg(1), out long db) || db < 0 || db >= ctx.Keyspace.DatabaseCount)
        {
            Ack(ctx, -1, $"invalid DB index ({ctx.ArgString(1)})");
            return;
        }
        ctx.Client.DbIndex = (int)db;
        Ack(ctx, 0, "OK");
    }

    [Command("slotsrestore-async-ack", 3, Flags = CommandFlags.Fast, Group = "codis", Summary = "Acknowledgement of a semi-async migration message (accepted only from the source's own link).")]
    public static void AckCommand(CommandContext ctx)
    {
        ctx.Error("ERR invalid client, permission denied");
        ctx.Client.CloseAfterReply = true;
    }

    [Command("slotsrestore-async", -2, Flags = CommandFlags.Write | CommandFlags.DenyOom, Group = "codis", Summary = "Applies one message of a semi-async migration (delete, string, object, expire, list, hash, dict, zset, stream chunks).")]
    public static void Restore(CommandContext ctx)
    {
        using var restoring = ElementBytes.LongLived();
        if (ctx.Server.Slots.Async[ctx.Client.DbIndex].Busy)
        {
            Ack(ctx, -1, "the specified DB is being migrated");
            return;
        }
        int argc = ctx.ArgCount;
        if (argc < 3)
        {
            Ack(ctx, -1, BadArity(ctx));
            return;
        }
        var db = ctx.Db;
        var key = ctx.Arg(2);
        string sub = SubName(ctx.Arg(1));
        if (sub == "command")
        {
            Forwarded(ctx);
            return;
        }
        if (sub == "delete")
        {
            if (argc != 3)
            {
                Ack(ctx, -1, BadArity(ctx));
                return;
            }
            bool deleted = db.Remove(key);
            if (!deleted) ctx.SuppressPropagation = true;
            else if (Propagating(ctx)) ctx.Rewrite = [["DEL"u8.ToArray(), ctx.ArgBytes(2)]];
            Ack(ctx, 0, deleted ? "1" : "0");
            return;
        }
        if (argc < 4)
        {
            Ack(ctx, -1, BadArity(ctx));
            return;
        }
        if (!CommandContext.TryParseLong(ctx.Arg(3), out long ttl) || ttl < 0)
        {
            Ack(ctx, -1, $"invalid TTL value (TTL={ctx.ArgString(3)})");
            return;
        }
        long expireAt = ttl == 0 ? 0 : ctx.Now + ttl;
        switch (sub)
        {
            case "expire":
                if (argc != 4)
                {
                    Ack(ctx, -1, BadArity(ctx));
                    return;
                }
                if (!db.Exists(key))
                {
                    Ack(ctx, -1, $"the specified key doesn't exist ({ctx.ArgString(2)})");
                    return;
                }
                db.SetExpire(key, expireAt);
                ctx.Rewrite = [ExpireRewrite(ctx, expireAt)];
                Ack(ctx, 0, "1");
                return;
            case "string":
            case "object":
            {
                if (argc != 5)
                {
                    Ack(ctx, -1, BadArity(ctx));
                    return;
                }
                if (db.Exists(key))
                {
                    Ack(ctx, -1, $"the specified key already exists ({ctx.ArgString(2)})");
                    return;
                }
                object value;
                if (sub == "string")
                {
                    value = ctx.ArgBytes(4);
                    db.Add(ctx.ArgBytes(2), value, expireAt);
                    if (Propagating(ctx)) ctx.Rewrite = [expireAt == 0
                        ? ["SET"u8.ToArray(), ctx.ArgBytes(2), (byte[])value]
                        : ["SET"u8.ToArray(), ctx.ArgBytes(2), (byte[])value, "PXAT"u8.ToArray(), SlotCommands.Number(expireAt)]];
                    Ack(ctx, 0, "1");
                    return;
                }
                else
                {
                    var payload = ctx.ArgBytes(4);
                    if (!DumpPayload.VerifyFooter(payload))
                    {
                        Ack(ctx, -1, "invalid payload checksum");
                        return;
                    }
                    if (!RdbType.IsObjectType(payload[0]))
                    {
                        Ack(ctx, -1, "invalid payload type");
                        return;
                    }
                    if (!DumpPayload.TryDeserialize(payload, out var decoded, out _))
                    {
                        Ack(ctx, -1, "invalid payload body");
                        return;
                    }
                    if (!DumpPayload.TryToKeyspaceValue(decoded!, out var stored, out string? error))
                    {
                        Ack(ctx, -1, error!.StartsWith("ERR ", StringComparison.Ordinal) ? error[4..] : error);
                        return;
                    }
                    value = stored!;
                    db.Add(ctx.ArgBytes(2), value, expireAt);
                    ctx.Rewrite = [["RESTORE"u8.ToArray(), ctx.ArgBytes(2), SlotCommands.Number(expireAt), payload, "REPLACE"u8.ToArray(), "ABSTTL"u8.ToArray()]];
                    Ack(ctx, 0, "1");
                    return;
                }
            }
            case "list":
            case "hash":
            case "dict":
            case "zset":
                Chunk(ctx, db, sub, expireAt);
                return;
            case "stream":
            case "stream-group":
            case "stream-consumers":
            case "stream-pel":
            case "stream-meta":
                RestoreStreamChunks.Apply(ctx, db, sub, expireAt);
                return;
            default:
                Ack(ctx, -1, $"unknown command (argc={argc},cmd={ctx.ArgString(1)})");
                return;
        }
    }

    /// <summary>The most elements a chunk's hint may reserve room for (64 MB of hash-table entries).</summary>
    private const long MaxReservedElements = 1 << 21;

    private static readonly string[] SubNames = ["delete", "string", "object", "command", "expire", "list", "hash", "dict", "zset",
        "stream", "stream-group", "stream-consumers", "stream-pel", "stream-meta"];

    /// <summary>The sub-command in lower case, without allocating for the known ones (one call per key moved).</summary>
    private static string SubName(ReadOnlySpan<byte> raw)
    {
        foreach (var name in SubNames)
            if (System.Text.Ascii.EqualsIgnoreCase(raw, name)) return name;
        return Encoding.UTF8.GetString(raw).ToLowerInvariant();
    }

    /// <summary>Whether anyone reads what this command propagates (the native form is built only then).</summary>
    internal static bool Propagating(CommandContext ctx) => ctx.Server.Persistence.Aof.Enabled || ctx.Server.Replication.WantsStream;

    private static string BadArity(CommandContext ctx) => $"wrong number of arguments (argc={ctx.ArgCount},cmd={ctx.ArgString(1)})";

    internal static byte[][] ExpireRewrite(CommandContext ctx, long expireAt) => expireAt == 0
        ? ["PERSIST"u8.ToArray(), ctx.ArgBytes(2)]
        : ["PEXPIREAT"u8.ToArray(), ctx.ArgBytes(2), SlotCommands.Number(expireAt)];

    /// <summary>
    /// SLOTSRESTORE-ASYNC list|hash|dict|zset key ttl hint items...: one chunk of a large value, added to the value
    /// in place (O(chunk), so a collection of millions of elements arrives in many short steps), with the chunk's
    /// TTL. Propagated as the native write (RPUSH, SADD, HSET, ZADD) plus PEXPIREAT/PERSIST.
    /// </summary>
    private static void Chunk(CommandContext ctx, Database db, string sub, long expireAt)
    {
        int argc = ctx.ArgCount;
        if (argc < 5)
        {
            Ack(ctx, -1, BadArity(ctx));
            return;
        }
        if (!CommandContext.TryParseLong(ctx.Arg(4), out long hint) || hint < 0)
        {
            Ack(ctx, -1, $"invalid Hint value (Hint={ctx.ArgString(4)})");
            return;
        }
        int items = argc - 5;
        bool pairs = sub == "hash" || sub == "zset";
        if (pairs && items % 2 != 0)
        {
            Ack(ctx, -1, BadArity(ctx));
            return;
        }
        var scores = new double[sub == "zset" ? items / 2 : 0];
        for (int j = 0; j < scores.Length; j++)
        {
            var raw = ctx.Arg(5 + 2 * j + 1);
            if (raw.Length != 8)
            {
                Ack(ctx, -1, $"invalid zset score ([{j}]), bad raw bits");
                return;
            }
            scores[j] = BitConverter.Int64BitsToDouble(BinaryPrimitives.ReadInt64LittleEndian(raw));
            if (double.IsNaN(scores[j]))
            {
                Ack(ctx, -1, $"invalid zset score ([{j}]), NaN");
                return;
            }
        }
        var existing = db.Get(ctx.Arg(2));
        string want = sub switch { "list" => "list", "hash" => "hash", "dict" => "set", _ => "zset" };
        if (existing != null && ValueTypes.TypeName(existing) != want)
        {
            Ack(ctx, -1, $"wrong type (expect={want},got={ValueTypes.TypeName(existing)})");
            return;
        }
        if (existing == null && items == 0)
        {
            Ack(ctx, -1, $"the specified key doesn't exist ({ctx.ArgString(2)})");
            return;
        }
        var limits = Storage.Collections.CollectionLimits.Current;
        var key = ctx.ArgBytes(2);
        // The native form for the AOF and replicas, built only when someone will read it.
        bool propagate = Propagating(ctx);
        var propagated = new List<byte[]>(propagate ? items + 2 : 0);
        // The first chunk sizes the table for all that follow (the hint is the source's element count), so no later
        // chunk rehashes the whole collection under the lock. Capped: the hint is only a hint.
        int reserve = existing == null ? (int)Math.Min(hint, MaxReservedElements) : 0;
        long count;
        object value;
        switch (sub)
        {
            case "list":
            {
                var list = existing as Storage.Lists.ListValue ?? new Storage.Lists.ListValue((int)Math.Min(hint, 1 << 20));
                propagated.Add("RPUSH"u8.ToArray());
                propagated.Add(key);
                for (int i = 0; i < items; i++)
                {
                    var e = ctx.ArgBytes(5 + i);
                    list.PushTail(e);
                    if (propagate) propagated.Add(e);
                }
                count = list.Count;
                value = list;
                break;
            }
            case "dict":
            {
                var set = existing as Storage.Sets.SetValue ?? Storage.Sets.SetValue.CreateFor(ctx.Arg(5));
                if (reserve > 0) set.Reserve(reserve, limits);
                propagated.Add("SADD"u8.ToArray());
                propagated.Add(key);
                for (int i = 0; i < items; i++)
                {
                    set.Add(ctx.Arg(5 + i), limits);
                    if (propagate) propagated.Add(ctx.ArgBytes(5 + i));
                }
                count = set.Count;
                value = set;
                break;
            }
            case "hash":
            {
                var hash = existing as Storage.Hashes.HashValue ?? new Storage.Hashes.HashValue();
                if (reserve > 0) hash.Reserve(reserve, limits);
                propagated.Add("HSET"u8.ToArray());
                propagated.Add(key);
                for (int i = 0; i < items; i += 2)
                {
                    hash.Set(ctx.Arg(5 + i), ctx.Arg(6 + i), limits);
                    if (!propagate) continue;
                    propagated.Add(ctx.ArgBytes(5 + i));
                    propagated.Add(ctx.ArgBytes(6 + i));
                }
                count = hash.Count;
                value = hash;
                break;
            }
            default:
            {
                var zset = existing as Storage.SortedSets.SortedSetValue ?? Storage.SortedSets.SortedSetValue.CreateFor(ctx.Arg(5).Length, limits);
                if (reserve > 0) zset.Reserve(reserve);
                propagated.Add("ZADD"u8.ToArray());
                propagated.Add(key);
                for (int j = 0; j < scores.Length; j++)
                {
                    zset.Set(ctx.Arg(5 + 2 * j), scores[j], limits);
                    if (!propagate) continue;
                    propagated.Add(System.Text.Encoding.ASCII.GetBytes(CommandContext.FormatDouble(scores[j])));
                    propagated.Add(ctx.ArgBytes(5 + 2 * j));
                }
                count = zset.Count;
                value = zset;
                break;
            }
        }
        db.Set(ctx.Arg(2), value, expireAt);
        if (propagate)
        {
            var rewrite = new List<byte[][]>(2);
            if (items > 0) rewrite.Add(propagated.ToArray());
            rewrite.Add(ExpireRewrite(ctx, expireAt));
            ctx.Rewrite = rewrite;
        }
        else
        {
            ctx.SuppressPropagation = true;
        }
        Ack(ctx, 0, count.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>
    /// SLOTSRESTORE-ASYNC command hashkey cmd args... (our extension): a write the source ran on a key whose copy
    /// is on its way, in its propagated form, applied here after the copy. Its reply is dropped; an error reply
    /// means the copies disagree and fails the batch (the source keeps the key).
    /// </summary>
    private static void Forwarded(CommandContext ctx)
    {
        int argc = ctx.ArgCount;
        var spec = argc >= 4 ? CommandTable.Find(ctx.Arg(3)) : null;
        if (spec == null || !spec.ArityOk(argc - 3) || spec.Has(CommandFlags.NoLock))
        {
            Ack(ctx, -1, $"invalid forwarded command (argc={argc})");
            return;
        }
        var inner = new byte[argc - 3][];
        for (int i = 3; i < argc; i++) inner[i - 3] = ctx.ArgBytes(i);
        var outerArgs = ctx.Args;
        var outerCommand = ctx.Command;
        bool denied = ctx.DenyBlocking;
        long errors = ctx.Reply.ErrorsWritten;
        ctx.Mute();
        ctx.DenyBlocking = true;
        try
        {
            ctx.Server.ExecuteOne(ctx, RespRequest.FromArgs(inner));
        }
        finally
        {
            ctx.DenyBlocking = denied;
            ctx.Unmute();
            ctx.Args = outerArgs;
            ctx.Command = outerCommand;
        }
        bool failed = ctx.Reply.ErrorsWritten != errors;
        string? error = ctx.Reply.LastError;
        // The inner command was propagated as itself by ExecuteOne.
        ctx.Rewrite = null;
        ctx.SuppressPropagation = true;
        if (failed) Ack(ctx, -1, $"forwarded command failed ({error})");
        else Ack(ctx, 0, "1");
    }
}
