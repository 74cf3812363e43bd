using System.Globalization;
using System.Text;
using Codis.Server.Storage;

namespace Codis.Server.Persistence;

/// <summary>What a load found besides the keys.</summary>
internal sealed class RdbLoadResult
{
    public int Version { get; init; }
    public Dictionary<string, string> Aux { get; } = new(StringComparer.Ordinal);
    public long KeysLoaded { get; set; }
    public long KeysExpired { get; set; }
    public long Bytes { get; set; }

    /// <summary>The code of each function library (0xF5 records), in file order.</summary>
    public List<byte[]> Functions { get; } = [];

    /// <summary>The repl-* aux fields, when all three are present (§5.8).</summary>
    public ReplicationAux? Replication =>
        Aux.TryGetValue("repl-id", out var id) && id.Length == 40 &&
        Aux.TryGetValue("repl-offset", out var off) && long.TryParse(off, CultureInfo.InvariantCulture, out long offset)
            ? new ReplicationAux(id, offset,
                Aux.TryGetValue("repl-stream-db", out var db) && int.TryParse(db, CultureInfo.InvariantCulture, out int n) ? n : 0)
            : null;
}

/// <summary>
/// Loads a whole RDB file (versions 1–10, redis-formats.md §4) into the keyspace: aux fields, SELECTDB, RESIZEDB,
/// expiries in ms and s, LRU/LFU prefixes, every object type the value codec reads. Values become keyspace values
/// through <see cref="DumpPayload.TryToKeyspaceValue"/>, so a type the keyspace cannot hold yet stops the load with
/// an error naming it (no key is silently dropped), module data too. Function libraries (0xF5) are collected for the
/// caller, which loads them. The caller
/// holds the keyspace lock; the CRC-64 trailer is verified unless it is zero (written with rdbchecksum no).
/// </summary>
internal static class RdbFileLoader
{
    public sealed record Options
    {
        /// <summary>Keep keys whose expiry is past (replicas, AOF bases); a master drops them as Redis does.</summary>
        public bool KeepExpired { get; init; }

        /// <summary>The clock expiries are compared with (unix ms).</summary>
        public long NowMs { get; init; }
    }

    /// <exception cref="InvalidDataException">the file is malformed or holds something we cannot load; the message says what and where</exception>
    public static RdbLoadResult Load(Stream input, Keyspace keyspace, Options options, string sourceName)
    {
        var r = new RdbReader(input) { TrackCrc = true };
        try
        {
            return LoadCore(r, keyspace, options);
        }
        catch (RdbFormatException e)
        {
            throw new InvalidDataException($"{sourceName}: bad RDB data at byte {r.Position}: {e.Message}");
        }
        catch (LoadException e)
        {
            throw new InvalidDataException($"{sourceName}: {e.Message} (at byte {r.Position})");
        }
    }

    private sealed class LoadException(string message) : Exception(message);

    private static RdbLoadResult LoadCore(RdbReader r, Keyspace keyspace, Options options)
    {
        var magic = r.ReadSpan(9);
        if (!magic[..5].SequenceEqual("REDIS"u8)) throw new LoadException("Wrong signature trying to load DB from file");
        if (!int.TryParse(Encoding.ASCII.GetString(magic[5..]), NumberStyles.None, CultureInfo.InvariantCulture, out int version)
            || version < 1)
            throw new LoadException("bad RDB version field");
        if (version > DumpPayload.RdbVersion) throw new LoadException($"Can't handle RDB format version {version}");
        var result = new RdbLoadResult { Version = version };
        Database db = keyspace[0];
        long expireAt = 0, idleSeconds = -1;
        int frequency = -1;
        while (true)
        {
            byte op = r.ReadByte();
            switch (op)
            {
                case RdbOpcode.Aux:
                {
                    var name = Encoding.UTF8.GetString(r.ReadString());
                    var value = Encoding.UTF8.GetString(r.ReadString());
                    result.Aux[name] = value;
                    continue;
                }
                case RdbOpcode.SelectDb:
                {
                    ulong n = r.ReadLength();
                    if (n >= (ulong)keyspace.DatabaseCount)
                        throw new LoadException($"FATAL: Data file was created with a Redis server configured to handle more than {keyspace.DatabaseCount} databases (SELECTDB {n})");
                    db = keyspace[(int)n];
                    continue;
                }
                case RdbOpcode.ResizeDb:
                    r.ReadLength();
                    r.ReadLength();
                    continue;
                case RdbOpcode.ExpireTimeMs:
                    expireAt = (long)r.ReadUInt64LE();
                    continue;
                case RdbOpcode.ExpireTime:
                    expireAt = r.ReadUInt32LE() * 1000L;
                    continue;
                case RdbOpcode.Idle:
                    idleSeconds = (long)Math.Min(r.ReadLength(), (ulong)uint.MaxValue);
                    continue;
                case RdbOpcode.Freq:
                    frequency = r.ReadByte();
                    continue;
                case RdbOpcode.Function2:
                    result.Functions.Add(r.ReadString());
                    continue;
                case RdbOpcode.Function:
                    throw new LoadException("the file holds a function library in the format of Redis 7.0's release candidates (opcode 0xF6), which codis-server does not read");
                case RdbOpcode.ModuleAux:
                    throw new LoadException("the file holds module data (opcode 0xF7); codis-server does not support modules");
                case RdbOpcode.Eof:
                    VerifyTrailer(r, version);
                    result.Bytes = r.Position;
                    return result;
            }
            if (!RdbType.IsObjectType(op)) throw new LoadException($"unknown RDB opcode or object type 0x{op:x2}");
            var key = r.ReadString();
            object decoded;
            try
            {
                decoded = RdbValueReader.Read(r, op);
            }
            catch (RdbFormatException e)
            {
                throw new LoadException($"bad value for key '{Printable(key)}' (object type {op}): {e.Message}");
            }
            long exp = expireAt;
            expireAt = 0;
            long idle = idleSeconds;
            int freq = frequency;
            idleSeconds = frequency = -1;
            if (!DumpPayload.TryToKeyspaceValue(decoded, out var stored, out _))
            {
                string type = decoded is RdbValue v ? v.TypeName : decoded.GetType().Name;
                throw new LoadException($"key {Printable(key)} in db {db.Index} is a {type}, a type this codis-server cannot hold yet");
            }
            if (exp != 0 && !options.KeepExpired && exp < options.NowMs)
            {
                result.KeysExpired++;
                continue;
            }
            if (db.TryPeek(key, out _, out _)) throw new LoadException($"duplicate key '{Printable(key)}' in db {db.Index}");
            db.Add(key, stored!, exp, announce: false);
            if (idle >= 0 || freq >= 0) db.RestoreAccess(key, idle, freq);
            result.KeysLoaded++;
        }
    }

    private static void VerifyTrailer(RdbReader r, int version)
    {
        if (version < 5) return;
        ulong computed = r.Crc;
        r.TrackCrc = false;
        ulong stored = r.ReadUInt64LE();
        if (stored != 0 && stored != computed)
            throw new LoadException($"wrong RDB checksum expected: {stored:x16} got: {computed:x16}");
    }

    private static string Printable(byte[] key)
    {
        var sb = new StringBuilder();
        foreach (byte b in key.AsSpan(0, Math.Min(key.Length, 64)))
            sb.Append(b is >= 0x20 and < 0x7f && b != '\'' ? (char)b : $"\\x{b:x2}");
        if (key.Length > 64) sb.Append("...");
        return sb.ToString();
    }
}
