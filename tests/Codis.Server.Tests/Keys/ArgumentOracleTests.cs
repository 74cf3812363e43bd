using System.Text;
using Codis.Core.Resp;
using Codis.Server.Tests.Infrastructure;

namespace Codis.Server.Tests.Keys;

/// <summary>
/// Which check comes first when several arguments are wrong (Redis answers the first one it looks at), for every
/// command both servers have: random argument lists drawn from keys of each type, numbers, ranges and option
/// words, each on the same fresh data, and every reply compared with redis-server 7.0.
/// </summary>
public class ArgumentOracleTests(PeerFixture peers) : IClassFixture<PeerFixture>
{
    [Fact]
    public void ChecksComeInRedissOrder() => peers.AssertSame("""
        del L S S2 Z H nokey
        rpush L a b a
        lindex nokey abc
        lindex L abc
        lset nokey abc x
        lset nokey 0 x
        lpos L a count abc
        lpos L a count 9223372036854775808
        lpos L a maxlen +1
        lpos L a rank abc
        set S x
        smove nokey S m
        smove S nokey m
        sadd S2 m
        smove S2 S m
        zincrby Z ch m
        zincrby Z nx m
        zincrby Z 1e309 m
        zincrby S 1e309 m
        zadd Z 0x10 a 1e-310 b
        zadd Z 1e-400 c
        zadd Z " 1" c
        zrange Z " 1" +inf byscore withscores
        zrange Z (0x1 1e999 byscore
        zrange Z 1e-400 +inf byscore
        zrange Z "1 " +inf byscore
        zcount Z " 0" 1e999
        hset H f v
        hrandfield H x foo
        hrandfield H -9223372036854775808 withvalues
        hrandfield H -9223372036854775807 withvalues
        zrandmember Z x foo
        evalsha 01234 5
        evalsha 0123456789012345678901234567890123456789 x
        """);

    /// <summary>Commands no random argument list may run here: they block, end the connection, change the server or answer at random.</summary>
    private static readonly HashSet<string> Excluded =
    [
        "shutdown", "debug", "monitor", "sync", "psync", "subscribe", "psubscribe", "ssubscribe", "unsubscribe",
        "punsubscribe", "sunsubscribe", "quit", "reset", "failover", "replicaof", "slaveof", "save", "bgsave",
        "bgrewriteaof", "multi", "exec", "discard", "watch", "unwatch", "flushall", "flushdb", "hello", "auth",
        "select", "client", "blpop", "brpop", "brpoplpush", "blmove", "bzpopmin", "bzpopmax", "blmpop", "bzmpop",
        "xread", "xreadgroup", "wait", "swapdb", "migrate", "readonly", "readwrite", "asking", "acl", "cluster",
        "module", "function", "fcall", "fcall_ro", "lolwut", "latency", "config", "replconf", "restore-asking",
        // Lua 5.4's compile errors are worded differently (docs/SCRIPTING.md); scripting has its own oracle tests
        "eval", "eval_ro", "evalsha", "evalsha_ro", "script",
        // server state, timing or randomness in the reply
        "info", "command", "memory", "object", "slowlog", "time", "lastsave", "dbsize", "randomkey", "keys", "scan",
        "spop", "srandmember", "hrandfield", "zrandmember", "dump", "restore", "pfdebug", "pfselftest", "publish",
        "pubsub", "spublish", "move", "echo", "ping", "role", "touch",
        // stream replies carry generated IDs and delivery times; streams have their own random tests
        "xinfo", "xautoclaim", "xclaim", "xpending", "xadd", "xsetid", "xgroup",
    ];

    private static readonly string[] Keys = ["s", "h", "l", "st", "z", "x", "nokey"];

    private static readonly string[] Words =
    [
        "1", "0", "-1", "abc", "10", "2", "inf", "-inf", "1.5", "(1", "[a", "-", "+", "*", "$", "a", "b", "f1", "m1",
        "WITHSCORES", "LIMIT", "COUNT", "MATCH", "TYPE", "NX", "XX", "GT", "LT", "CH", "EX", "PX", "KEEPTTL", "GET",
        "REV", "BYSCORE", "BYLEX", "WITHVALUES", "LEFT", "RIGHT", "BEFORE", "AFTER", "AGGREGATE", "SUM", "MIN", "MAX",
        "WEIGHTS", "STORE", "IDX", "LEN", "REPLACE", "DB", "MAXLEN", "RANK", "BIT", "BYTE", "AND", "OR", "NOT",
        "PERSIST", "EXAT", "PXAT", "MINID", "~", "=", "JUSTID", "IDLE", "GROUP", "STREAMS", "CONSUMER", "INCR",
        "MINMATCHLEN", "WITHMATCHLEN", "0-1", "1-0", "ENTRIESREAD", "ABSTTL", "FREQ", "IDLETIME",
    ];

    private static readonly HashSet<string> Unordered = ["smembers", "hgetall", "hkeys", "hvals", "sinter", "sunion", "sdiff"];

    [Fact]
    public void EveryCommand_RandomArguments_SameRepliesAsRedis()
    {
        using var ours = peers.Codis.Client();
        using var theirs = peers.Redis.Client();
        var commands = CommandNames(ours);
        commands.IntersectWith(CommandNames(theirs));
        commands.ExceptWith(Excluded);
        commands.RemoveWhere(c => c.StartsWith("slots", StringComparison.Ordinal));
        Assert.True(commands.Count > 100, $"only {commands.Count} commands in common");

        var rnd = new Random(7);
        var pool = Keys.Concat(Keys).Concat(Keys).Concat(Words).ToArray();
        var diffs = new List<string>();
        foreach (string command in commands.Order(StringComparer.Ordinal))
        {
            for (int i = 0; i < 25; i++)
            {
                var args = new List<string> { command };
                for (int n = rnd.Next(7); n > 0; n--) args.Add(pool[rnd.Next(pool.Length)]);
                if (args.Count > 1 && rnd.Next(5) != 0) args[1] = Keys[rnd.Next(Keys.Length)];
                Setup(ours);
                Setup(theirs);
                var request = args.Select(a => Encoding.UTF8.GetBytes(a)).ToArray();
                string expected = Normalize(command, theirs.Call(request));
                string actual = Normalize(command, ours.Call(request));
                if (expected != actual) diffs.Add($"{string.Join(' ', args)}\n  redis: {expected}\n  codis: {actual}");
            }
        }
        Assert.True(diffs.Count == 0, $"{diffs.Count} replies differ from redis-server:\n" + string.Join("\n", diffs.Take(20)));
    }

    private static HashSet<string> CommandNames(RespClient client) =>
        client.Call("command", "list").Items!.Select(x => x.ToString().ToLowerInvariant()).Where(c => !c.Contains('|')).ToHashSet();

    /// <summary>The same small data of every type before each command, so one difference cannot cascade.</summary>
    private static void Setup(RespClient c)
    {
        c.Call(["del", .. Keys]);
        c.Call("set", "s", "10");
        c.Call("hset", "h", "f1", "1", "f2", "v");
        c.Call("rpush", "l", "a", "b", "1", "a");
        c.Call("sadd", "st", "a", "b", "1");
        c.Call("zadd", "z", "1", "m1", "2", "m2", "2", "a");
        c.Call("xadd", "x", "1-1", "f", "v");
        c.Call("xadd", "x", "2-1", "g", "w");
        c.Call("xgroup", "create", "x", "grp", "0");
    }

    private static string Normalize(string command, RespValue reply) =>
        Unordered.Contains(command) && reply.Items != null
            ? string.Join(",", reply.Items.Select(x => x.ToString()).Order(StringComparer.Ordinal))
            : reply.ToString();
}
