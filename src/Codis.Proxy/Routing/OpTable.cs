using System.Collections.Frozen;

namespace Codis.Proxy.Routing;

internal sealed record OpInfo(string Name, OpFlags Flags, OpSpecial Special = OpSpecial.None, string? RefusalReason = null)
{
    /// <summary>Position in the table (per-command stats live in an array by it).</summary>
    public int Index { get; init; }

    public bool IsWrite => (Flags & OpFlags.Write) != 0;
    public bool MasterOnly => (Flags & (OpFlags.Write | OpFlags.MasterOnly)) != 0;
    public bool NotAllowed => (Flags & OpFlags.NotAllowed) != 0;
}

/// <summary>
/// The proxy's command table: which commands are reads, writes, master-only, refused, or handled here.
/// Based on the original's table (reference/codis.md §4.2) with the newer Redis commands added. Unknown
/// commands are forwarded as writes, as the original does.
/// </summary>
internal static partial class OpTable
{
    private static readonly FrozenDictionary<string, OpInfo> table = Build();
    private static readonly FrozenDictionary<string, OpInfo>.AlternateLookup<ReadOnlySpan<char>> lookup =
        table.GetAlternateLookup<ReadOnlySpan<char>>();

    public static IEnumerable<OpInfo> All => table.Values;
    public static int Count => table.Count;

    public static OpInfo? Find(ReadOnlySpan<byte> name)
    {
        if (name.Length == 0 || name.Length > 64) return null;
        Span<char> chars = stackalloc char[name.Length];
        for (int i = 0; i < name.Length; i++) chars[i] = (char)name[i];
        return lookup.TryGetValue(chars, out var op) ? op : null;
    }

    /// <summary>Why each refused command is refused: the text follows the name in the error reply.</summary>
    private const string Migrate = "it moves keys to a server outside the cluster's slot map, where no proxy finds them: run MIGRATE on the codis-server (or DUMP and RESTORE through the proxy, key by key)";
    private const string Admin = "it administers one server, not the cluster: use codis-admin or the dashboard";
    private const string Wait = "it counts one server's replicas, not the cluster's";
    private const string ShardedPubSub = "sharded pub/sub is for Redis Cluster clients: use SUBSCRIBE and PUBLISH, which codis-proxy already routes by the channel's slot";
    private const string Migration = "slot migration is driven by the dashboard";
    private const string Replication = "replication commands are for servers only";

    private static FrozenDictionary<string, OpInfo> Build()
    {
        var t = new Dictionary<string, OpInfo>(StringComparer.OrdinalIgnoreCase);
        void Add(OpFlags flags, string names, OpSpecial special = OpSpecial.None, string? reason = null)
        {
            foreach (var n in names.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                t[n] = new OpInfo(n.ToUpperInvariant(), flags, special, reason);
        }

        Add(OpFlags.NotAllowed, "MIGRATE", reason: Migrate);
        Add(OpFlags.NotAllowed, "BGREWRITEAOF BGSAVE SAVE LASTSAVE DEBUG SHUTDOWN SLOWLOG MONITOR LATENCY TIME RESTORE-ASKING MEMORY ACL MODULE SWAPDB LOLWUT FAILOVER", reason: Admin);
        Add(OpFlags.NotAllowed, "WAIT", reason: Wait);
        Add(OpFlags.NotAllowed, "SSUBSCRIBE SUNSUBSCRIBE SPUBLISH", reason: ShardedPubSub);
        Add(OpFlags.NotAllowed, "SLOTSCHECK SLOTSDEL SLOTSMGRTONE SLOTSMGRTSLOT SLOTSMGRTTAGONE SLOTSMGRTTAGSLOT SLOTSMGRTONE-ASYNC SLOTSMGRTSLOT-ASYNC SLOTSMGRTTAGONE-ASYNC SLOTSMGRTTAGSLOT-ASYNC SLOTSMGRTONE-ASYNC-DUMP SLOTSMGRTTAGONE-ASYNC-DUMP SLOTSMGRT-ASYNC-FENCE SLOTSMGRT-ASYNC-CANCEL SLOTSMGRT-ASYNC-STATUS SLOTSMGRT-EXEC-WRAPPER SLOTSRESTORE-ASYNC SLOTSRESTORE-ASYNC-AUTH SLOTSRESTORE-ASYNC-SELECT SLOTSRESTORE-ASYNC-ACK", reason: Migration);
        Add(OpFlags.NotAllowed, "SYNC PSYNC REPLCONF SLAVEOF REPLICAOF ASKING READONLY READWRITE", reason: Replication);
        // HTTP spoken to the Redis port: refuse instead of forwarding.
        Add(OpFlags.NotAllowed, "HOST: POST", reason: "this is a Redis port, not HTTP");

        Add(OpFlags.MasterOnly, "HSCAN SSCAN ZSCAN SLOTSSCAN OBJECT");

        Add(OpFlags.Read, "BITCOUNT BITPOS DUMP EXISTS GEODIST GEOHASH GEOPOS GEORADIUS_RO GEORADIUSBYMEMBER_RO GEOSEARCH GET GETBIT GETRANGE HEXISTS HGET HGETALL HKEYS HLEN HMGET HRANDFIELD HSTRLEN HVALS LINDEX LLEN LPOS LRANGE MGET PFCOUNT SCARD SDIFF SINTER SINTERCARD SISMEMBER SMISMEMBER SMEMBERS SRANDMEMBER STRLEN SUBSTR SUNION TTL PTTL EXPIRETIME PEXPIRETIME TYPE XLEN XRANGE XREVRANGE XINFO XPENDING ZCARD ZCOUNT ZDIFF ZINTER ZINTERCARD ZLEXCOUNT ZMSCORE ZRANDMEMBER ZRANGE ZRANGEBYLEX ZRANGEBYSCORE ZRANK ZREVRANGE ZREVRANGEBYLEX ZREVRANGEBYSCORE ZREVRANK ZSCORE ZUNION LCS SORT_RO BITFIELD_RO");

        Add(OpFlags.Write, "APPEND BITFIELD DECR DECRBY EXPIRE EXPIREAT GEOADD GEORADIUS GEORADIUSBYMEMBER GEOSEARCHSTORE GETDEL GETEX GETSET HDEL HINCRBY HINCRBYFLOAT HMSET HSET HSETNX INCR INCRBY INCRBYFLOAT LINSERT LMOVE LPOP LPUSH LPUSHX LREM LSET LTRIM PERSIST PEXPIRE PEXPIREAT PFADD PFMERGE PSETEX RPOP RPOPLPUSH RPUSH RPUSHX SADD SDIFFSTORE SET SETBIT SETEX SETNX SETRANGE SINTERSTORE SLOTSRESTORE SMOVE SORT SPOP SREM SUNIONSTORE XADD XDEL XTRIM XGROUP XACK XCLAIM XAUTOCLAIM XSETID RESTORE ZADD ZDIFFSTORE ZINCRBY ZINTERSTORE ZPOPMAX ZPOPMIN ZRANGESTORE ZREM ZREMRANGEBYLEX ZREMRANGEBYRANK ZREMRANGEBYSCORE ZUNIONSTORE");

        // Answered by the proxy, or split by slot and merged.
        Add(OpFlags.Read, "QUIT", OpSpecial.Quit);
        Add(OpFlags.Read, "AUTH", OpSpecial.Auth);
        Add(OpFlags.Read, "SELECT", OpSpecial.Select);
        Add(OpFlags.Read, "PING", OpSpecial.Ping);
        Add(OpFlags.Read, "ECHO", OpSpecial.Echo);
        Add(OpFlags.Read, "INFO", OpSpecial.Info);
        Add(OpFlags.Read, "CONFIG", OpSpecial.Config);
        Add(OpFlags.Read, "HELLO", OpSpecial.Hello);
        Add(OpFlags.Read, "CLIENT", OpSpecial.Client);
        Add(OpFlags.Read, "COMMAND", OpSpecial.Command);
        Add(OpFlags.Read, "CLUSTER", OpSpecial.Cluster);
        Add(OpFlags.Read, "RESET", OpSpecial.Reset);
        Add(OpFlags.Read, "ROLE", OpSpecial.Role);
        Add(OpFlags.Read, "MGET", OpSpecial.MGet);
        Add(OpFlags.Write, "MSET", OpSpecial.MSet);
        Add(OpFlags.Write, "DEL", OpSpecial.Del);
        Add(OpFlags.Write, "UNLINK", OpSpecial.Unlink);
        Add(OpFlags.Read, "EXISTS", OpSpecial.Exists);
        Add(OpFlags.Write, "TOUCH", OpSpecial.Touch);
        Add(OpFlags.MasterOnly, "SLOTSINFO", OpSpecial.SlotsInfo);
        Add(OpFlags.MasterOnly, "SLOTSSCAN", OpSpecial.SlotsScan);
        Add(OpFlags.Read, "SLOTSMAPPING", OpSpecial.SlotsMapping);
        Add(OpFlags.Read, "SLOTSHASHKEY", OpSpecial.SlotsHashKey);
        Add(OpFlags.Write, "EVAL EVALSHA", OpSpecial.Eval);
        Add(OpFlags.Read, "EVAL_RO EVALSHA_RO", OpSpecial.Eval);
        Add(OpFlags.Write, "SCRIPT", OpSpecial.Script);
        Add(OpFlags.Write, "FCALL", OpSpecial.Eval);
        Add(OpFlags.Read, "FCALL_RO", OpSpecial.Eval);
        Add(OpFlags.Write, "FUNCTION", OpSpecial.Function);
        AddPubSubAndKeyspace(Add);
        AddPinned(Add);
        int index = 0;
        foreach (var name in t.Keys.Order(StringComparer.Ordinal).ToList()) t[name] = t[name] with { Index = index++ };
        return t.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>Pub/sub and the whole-keyspace commands, served by the proxy over every group.</summary>
    private static void AddPubSubAndKeyspace(Action<OpFlags, string, OpSpecial, string?> add)
    {
        add(OpFlags.Read, "SUBSCRIBE", OpSpecial.Subscribe, null);
        add(OpFlags.Read, "UNSUBSCRIBE", OpSpecial.Unsubscribe, null);
        add(OpFlags.Read, "PSUBSCRIBE", OpSpecial.PSubscribe, null);
        add(OpFlags.Read, "PUNSUBSCRIBE", OpSpecial.PUnsubscribe, null);
        add(OpFlags.Write, "PUBLISH", OpSpecial.Publish, null);
        add(OpFlags.MasterOnly, "PUBSUB", OpSpecial.PubSub, null);
        add(OpFlags.MasterOnly, "SCAN", OpSpecial.Scan, null);
        add(OpFlags.MasterOnly, "KEYS", OpSpecial.Keys, null);
        add(OpFlags.MasterOnly, "DBSIZE", OpSpecial.DbSize, null);
        add(OpFlags.Write, "FLUSHDB FLUSHALL", OpSpecial.Flush, null);
        add(OpFlags.MasterOnly, "RANDOMKEY", OpSpecial.RandomKey, null);
    }
}
