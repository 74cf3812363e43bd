using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Codis.Server.Commands;
using Codis.Server.Persistence;
using Codis.Server.Storage;

namespace Codis.Server.Slots;

/// <summary>
/// The target side of semi-async migration: SLOTSRESTORE-ASYNC and its sub-commands, SLOTSRESTORE-ASYNC-AUTH,
/// SLOTSRESTORE-ASYNC-SELECT, and SLOTSRESTORE-ASYNC-ACK (which only the source's own link may send; our source
/// reads the ACKs on its link directly, so from any client it is refused). Every message is answered with
/// <c>SLOTSRESTORE-ASYNC-ACK errno message</c>; an error answer (errno -1) closes the link after it is written.
/// </summary>
internal static class RestoreAsyncCommands
{
    private static void Ack(CommandContext ctx, int errno, string message)
    {
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
        string password = ctx.Server.Settings["requirepass"].Value;
        if (password.Length == 0)
        {
            Ack(ctx, -1, "Client sent AUTH, but no password is set");
            return;
        }
        if (CryptographicOperations.FixedTimeEquals(ctx.Arg(1), Encoding.UTF8.GetBytes(password)))
        {
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

    [Command("slotsrestore-async", -2, Flags = CommandFlags.Write | CommandFlags.DenyOom, Group = "codis", Summary = "Applies one message of a semi-async migration (delete, string, object, expire, list, hash, dict, zset).")]
    public static void Restore(CommandContext ctx)
    {
        if (ctx.Server.Slots.Async[ctx.Client.DbIndex].Busy)
        {
            Ack(ctx, -1, "the specified DB is being migrated");
            return;
        }
        string cmd = ctx.ArgString(1);
        int argc = ctx.ArgCount;
        string badArity = $"wrong number of arguments (argc={argc},cmd={cmd})";
        if (argc < 3)
        {
            Ack(ctx, -1, badArity);
            return;
        }
        var db = ctx.Db;
        var key = ctx.Arg(2);
        string keyText = ctx.ArgString(2);
        string sub = cmd.ToLowerInvariant();
        if (sub == "delete")
        {
            if (argc != 3)
            {
                Ack(ctx, -1, badArity);
                return;
            }
            bool deleted = db.Remove(key);
            if (!deleted) ctx.SuppressPropagation = true;
            else ctx.Rewrite = [["DEL"u8.ToArray(), ctx.ArgBytes(2)]];
            Ack(ctx, 0, deleted ? "1" : "0");
            return;
        }
        if (argc < 4)
        {
            Ack(ctx, -1, badArity);
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
                    Ack(ctx, -1, badArity);
                    return;
                }
                if (!db.Exists(key))
                {
                    Ack(ctx, -1, $"the specified key doesn't exist ({keyText})");
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
                    Ack(ctx, -1, badArity);
                    return;
                }
                if (db.Exists(key))
                {
                    Ack(ctx, -1, $"the specified key already exists ({keyText})");
                    return;
                }
                object value;
                if (sub == "string")
                {
                    value = ctx.ArgBytes(4);
                    db.Add(ctx.ArgBytes(2), value, expireAt);
                    ctx.Rewrite = [expireAt == 0
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
                Chunk(ctx, db, sub, expireAt, badArity);
                return;
            default:
                Ack(ctx, -1, $"unknown command (argc={argc},cmd={cmd})");
                return;
        }
    }

    private static byte[][] ExpireRewrite(CommandContext ctx, long expireAt) => expireAt == 0
        ? ["PERSIST"u8.ToArray(), ctx.ArgBytes(2)]
        : ["PEXPIREAT"u8.ToArray(), ctx.ArgBytes(2), SlotCommands.Number(expireAt)];

    /// <summary>
    /// SLOTSRESTORE-ASYNC list|hash|dict|zset key ttl hint items...: one chunk of a large value. The key's value is
    /// extended through the type-neutral DUMP form (decode, add the chunk's items, store), so any collection type
    /// the keyspace supports can be received in chunks.
    /// </summary>
    private static void Chunk(CommandContext ctx, Database db, string sub, long expireAt, string badArity)
    {
        int argc = ctx.ArgCount;
        if (argc < 5)
        {
            Ack(ctx, -1, badArity);
            return;
        }
        if (!CommandContext.TryParseLong(ctx.Arg(4), out long hint) || hint < 0)
        {
            Ack(ctx, -1, $"invalid Hint value (Hint={ctx.ArgString(4)})");
            return;
        }
        int items = argc - 5;
        if ((sub == "hash" || sub == "zset") && items % 2 != 0)
        {
            Ack(ctx, -1, badArity);
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
        }
        string keyText = ctx.ArgString(2);
        var existing = db.Get(ctx.Arg(2));
        RdbValue current;
        if (existing != null)
        {
            string want = sub switch { "list" => "list", "hash" => "hash", "dict" => "set", _ => "zset" };
            string type = ValueTypes.TypeName(existing);
            if (type != want || !DumpPayload.TryDeserialize(DumpPayload.Serialize(existing), out var decoded, out _) || decoded is not RdbValue rv)
            {
                Ack(ctx, -1, $"wrong type (expect={want},got={type})");
                return;
            }
            current = rv;
        }
        else
        {
            if (items == 0)
            {
                Ack(ctx, -1, $"the specified key doesn't exist ({keyText})");
                return;
            }
            current = sub switch
            {
                "list" => new RdbList(new List<byte[]>()),
                "hash" => new RdbHash(new List<(byte[], byte[])>()),
                "dict" => new RdbSet(new List<byte[]>()),
                _ => new RdbZSet(new List<(byte[], double)>()),
            };
        }
        long count;
        switch (current)
        {
            case RdbList list:
                for (int i = 0; i < items; i++) list.Items.Add(ctx.ArgBytes(5 + i));
                count = list.Items.Count;
                break;
            case RdbSet set:
            {
                var seen = new HashSet<byte[]>(set.Members, ByteArrayComparer.Instance);
                for (int i = 0; i < items; i++)
                {
                    var m = ctx.ArgBytes(5 + i);
                    if (seen.Add(m)) set.Members.Add(m);
                }
                count = set.Members.Count;
                break;
            }
            case RdbHash hash:
            {
                var at = new Dictionary<byte[], int>(ByteArrayComparer.Instance);
                for (int i = 0; i < hash.Entries.Count; i++) at[hash.Entries[i].Field] = i;
                for (int i = 0; i < items; i += 2)
                {
                    var f = ctx.ArgBytes(5 + i);
                    var v = ctx.ArgBytes(6 + i);
                    if (at.TryGetValue(f, out int idx)) hash.Entries[idx] = (f, v);
                    else
                    {
                        at[f] = hash.Entries.Count;
                        hash.Entries.Add((f, v));
                    }
                }
                count = hash.Entries.Count;
                break;
            }
            case RdbZSet zset:
            {
                var at = new Dictionary<byte[], int>(ByteArrayComparer.Instance);
                for (int i = 0; i < zset.Entries.Count; i++) at[zset.Entries[i].Member] = i;
                for (int j = 0; j < scores.Length; j++)
                {
                    var m = ctx.ArgBytes(5 + 2 * j);
                    if (at.TryGetValue(m, out int idx)) zset.Entries[idx] = (m, scores[j]);
                    else
                    {
                        at[m] = zset.Entries.Count;
                        zset.Entries.Add((m, scores[j]));
                    }
                }
                count = zset.Entries.Count;
                break;
            }
            default:
                Ack(ctx, -1, $"wrong type (expect={sub})");
                return;
        }
        if (!DumpPayload.TryToKeyspaceValue(current, out var stored, out string? error))
        {
            Ack(ctx, -1, error!.StartsWith("ERR ", StringComparison.Ordinal) ? error[4..] : error);
            return;
        }
        db.Set(ctx.Arg(2), stored!, expireAt);
        ctx.Rewrite = [["RESTORE"u8.ToArray(), ctx.ArgBytes(2), SlotCommands.Number(expireAt), DumpPayload.Serialize(stored!), "REPLACE"u8.ToArray(), "ABSTTL"u8.ToArray()]];
        Ack(ctx, 0, count.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }
}
