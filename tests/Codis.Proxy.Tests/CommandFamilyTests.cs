using System.Text;
using Codis.Core.Slots;

namespace Codis.Proxy.Tests;

/// <summary>
/// Every command family codis-server implements today (strings, counters, bits, keys, expiry), through the
/// proxy, and the multi-key commands split by slot across both groups.
/// </summary>
public class CommandFamilyTests(TwoGroupCluster cluster) : IClassFixture<TwoGroupCluster>
{
    /// <summary>Keys that hash to group 1 (slot &lt; 512) and group 2, named with a prefix.</summary>
    private static (string G1, string G2) KeysFor(string prefix)
    {
        string? g1 = null, g2 = null;
        for (int i = 0; g1 == null || g2 == null; i++)
        {
            string k = $"{prefix}:{i}";
            if (SlotHash.Slot(Encoding.UTF8.GetBytes(k)) < 512) g1 ??= k; else g2 ??= k;
        }
        return (g1, g2);
    }

    [Fact]
    public void Scripts_RunOnTheGroupOfTheirFirstKey()
    {
        using var c = cluster.Client();
        var (a, b) = KeysFor("lua");
        const string script = "redis.call('SET', KEYS[1], ARGV[1]) return redis.call('GET', KEYS[1])";
        foreach (var (k, group) in new[] { (a, cluster.Group1), (b, cluster.Group2) })
        {
            Assert.Equal("v-" + k, c.Call("EVAL", script, "1", k, "v-" + k).Text);
            using var owner = group.Client();
            Assert.Equal("v-" + k, owner.Call("GET", k).Text);
            Assert.Equal(1L, owner.Call("SCRIPT", "EXISTS", Convert.ToHexStringLower(System.Security.Cryptography.SHA1.HashData(Encoding.UTF8.GetBytes(script)))).Items![0].Integer);
        }
        Assert.Equal("v-" + a, c.Call("EVAL_RO", "return redis.call('GET', KEYS[1])", "1", a).Text);
        Assert.StartsWith("ERR Write commands are not allowed from read-only scripts.", c.Call("EVAL_RO", "return redis.call('DEL', KEYS[1])", "1", a).Text);
    }

    [Fact]
    public void Functions_LoadOnEveryGroup_FcallRunsOnTheGroupOfItsFirstKey()
    {
        using var c = cluster.Client();
        using var g1 = cluster.Group1.Client();
        using var g2 = cluster.Group2.Client();
        var (a, b) = KeysFor("fn");
        const string lib = "#!lua name=proxylib\n" +
            "redis.register_function('put', function(keys, args) redis.call('SET', keys[1], args[1]) return redis.call('GET', keys[1]) end)\n" +
            "redis.register_function{function_name='get', callback=function(keys) return redis.call('GET', keys[1]) end, flags={'no-writes'}}\n" +
            "redis.register_function{function_name='hi', callback=function() return 'hi' end, flags={'no-writes'}}";
        foreach (var g in new[] { g1, g2 }) g.Call("FUNCTION", "FLUSH");
        Assert.Equal("proxylib", c.Call("FUNCTION", "LOAD", lib).Text);
        foreach (var g in new[] { g1, g2 }) Assert.Single(g.Call("FUNCTION", "LIST", "LIBRARYNAME", "proxylib").Items!);
        Assert.StartsWith("ERR Library 'proxylib' already exists", c.Call("FUNCTION", "LOAD", lib).Text);
        Assert.Equal("proxylib", c.Call("FUNCTION", "LOAD", "REPLACE", lib).Text);
        foreach (var (k, group) in new[] { (a, g1), (b, g2) })
        {
            Assert.Equal("v-" + k, c.Call("FCALL", "put", "1", k, "v-" + k).Text);
            Assert.Equal("v-" + k, group.Call("GET", k).Text);
            Assert.Equal("v-" + k, c.Call("FCALL_RO", "get", "1", k).Text);
        }
        Assert.Equal("hi", c.Call("FCALL", "hi", "0").Text);
        Assert.StartsWith("ERR Can not execute a script with write flag using *_ro command.", c.Call("FCALL_RO", "put", "1", a, "x").Text);

        // LIST, DUMP and STATS from one master; RESTORE and DELETE on all.
        var list = c.Call("FUNCTION", "LIST").Items!;
        Assert.Equal("proxylib", Assert.Single(list).Items![1].Text);
        var dump = c.Call("FUNCTION", "DUMP").Bytes!;
        Assert.Equal(Convert.ToHexString(g2.Call("FUNCTION", "DUMP").Bytes!), Convert.ToHexString(dump));
        Assert.Equal("engines", c.Call("FUNCTION", "STATS").Items![2].Text);
        Assert.Equal("NOTBUSY No scripts in execution right now.", c.Call("FUNCTION", "KILL").Text);
        Assert.Equal("OK", c.Call("FUNCTION", "DELETE", "proxylib").Text);
        foreach (var g in new[] { g1, g2 }) Assert.Empty(g.Call("FUNCTION", "LIST").Items!);
        Assert.Equal("ERR Function not found", c.Call("FCALL", "hi", "0").Text);
        Assert.Equal("OK", c.Call("FUNCTION", "RESTORE", dump).Text);
        foreach (var g in new[] { g1, g2 }) Assert.Equal("hi", g.Call("FCALL", "hi", "0").Text);
        // FLUSH is fenced as SCRIPT FLUSH is: it empties every server
        Assert.Contains("command 'FUNCTION FLUSH' is not allowed", c.Call("FUNCTION", "FLUSH").Text);
        foreach (var g in new[] { g1, g2 }) Assert.Single(g.Call("FUNCTION", "LIST").Items!);
        Assert.Equal("OK", c.Call("FUNCTION", "DELETE", "proxylib").Text);
    }

    [Fact]
    public void ScriptLoad_ReachesEveryGroup_ExistsOnlyWhereAllHaveIt()
    {
        using var c = cluster.Client();
        using var g1 = cluster.Group1.Client();
        using var g2 = cluster.Group2.Client();
        var (a, b) = KeysFor("sl");
        const string script = "return redis.call('INCRBY', KEYS[1], ARGV[1])";
        string sha = c.Call("SCRIPT", "LOAD", script).Text!;
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA1.HashData(Encoding.UTF8.GetBytes(script))), sha);
        Assert.Equal(1L, g1.Call("SCRIPT", "EXISTS", sha).Items![0].Integer);
        Assert.Equal(1L, g2.Call("SCRIPT", "EXISTS", sha).Items![0].Integer);
        Assert.Equal(3L, c.Call("EVALSHA", sha, "1", a, "3").Integer);
        Assert.Equal(4L, c.Call("EVALSHA", sha, "1", b, "4").Integer);

        // a script only one group has is not "loaded" for the cluster: EVALSHA could land on the other group
        string only1 = g1.Call("SCRIPT", "LOAD", "return 1").Text!;
        var exists = c.Call("SCRIPT", "EXISTS", sha, only1, "ffffffffffffffffffffffffffffffffffffffff").Items!;
        Assert.Equal([1L, 0L, 0L], exists.Select(x => x.Integer));

        Assert.StartsWith("NOTBUSY", c.Call("SCRIPT", "KILL").Text);
        Assert.True(c.Call("SCRIPT", "HELP").Items!.Length > 4);
        Assert.StartsWith("ERR unknown subcommand", c.Call("SCRIPT", "NOPE").Text);
        Assert.StartsWith("ERR wrong number of arguments", c.Call("SCRIPT").Text);
        Assert.Contains("command 'SCRIPT FLUSH' is not allowed", c.Call("SCRIPT", "FLUSH").Text);
        Assert.Equal(1L, g1.Call("SCRIPT", "EXISTS", sha).Items![0].Integer);
        // a group that lost its cache answers NOSCRIPT, and a new LOAD through the proxy brings the script back
        Assert.Equal("OK", g2.Call("SCRIPT", "FLUSH").Text);
        Assert.StartsWith("NOSCRIPT", c.Call("EVALSHA", sha, "1", b, "1").Text);
        Assert.Equal(sha, c.Call("SCRIPT", "LOAD", script).Text);
        Assert.Equal(5L, c.Call("EVALSHA", sha, "1", b, "1").Integer);
    }

    [Fact]
    public void Sort_RunsOnItsKeysGroup_PatternKeysShareItsTag()
    {
        using var c = cluster.Client();
        var (t1, t2) = KeysFor("sort"); // as hash tags: {t1}... in group 1, {t2}... in group 2
        foreach (var (t, other, group) in new[] { (t1, t2, cluster.Group1), (t2, t1, cluster.Group2) })
        {
            string K(string name) => "{" + t + "}" + name;
            Assert.Equal(3L, c.Call("RPUSH", K("ids"), "3", "1", "2").Integer);
            Assert.Equal("OK", c.Call("MSET", K("w_1"), "30", K("w_2"), "10", K("w_3"), "20", K("o_1"), "one", K("o_2"), "two", K("o_3"), "three").Text);
            Assert.Equal(1L, c.Call("HSET", K("h_2"), "f", "x").Integer);
            Assert.Equal("OK", c.Call("SET", "{" + other + "}o_1", "elsewhere").Text);
            Assert.Equal(["2", "two", "x", "3", "three", null, "1", "one", null],
                c.Call("SORT", K("ids"), "BY", K("w_*"), "GET", "#", "GET", K("o_*"), "GET", K("h_*->f")).Items!.Select(i => i.Text));
            Assert.Equal(["3", "2", "1"], c.Call("SORT_RO", K("ids"), "DESC").Items!.Select(i => i.Text));
            // a pattern key of the other group's slots is not on this server: it reads as missing
            Assert.Equal([null, null, null], c.Call("SORT", K("ids"), "GET", "{" + other + "}o_*").Items!.Select(i => i.Text));
            Assert.Equal(3L, c.Call("SORT", K("ids"), "BY", K("w_*"), "STORE", K("out")).Integer);
            using var owner = group.Client();
            Assert.Equal(["2", "3", "1"], owner.Call("LRANGE", K("out"), "0", "-1").Items!.Select(i => i.Text));
            Assert.Equal(2L, c.Call("ZADD", K("z"), "1", "2", "5", "3").Integer);
            Assert.Equal(2L, c.Call("SADD", K("s"), "2", "3").Integer);
            Assert.Equal(2L, c.Call("ZINTERCARD", "2", K("z"), K("s")).Integer);
            Assert.Equal(1L, c.Call("ZINTERCARD", "2", K("z"), K("s"), "LIMIT", "1").Integer);
        }
    }

    [Fact]
    public void Strings_AllCommandsWorkInBothGroups()
    {
        using var c = cluster.Client();
        var (a, b) = KeysFor("str");
        foreach (var k in new[] { a, b })
        {
            Assert.Equal("OK", c.Call("SET", k, "hello").Text);
            Assert.Equal("hello", c.Call("GET", k).Text);
            Assert.Equal(11L, c.Call("APPEND", k, " world").Integer);
            Assert.Equal(11L, c.Call("STRLEN", k).Integer);
            Assert.Equal("world", c.Call("GETRANGE", k, "6", "-1").Text);
            Assert.Equal(11L, c.Call("SETRANGE", k, "0", "J").Integer);
            Assert.Equal("Jello world", c.Call("GETSET", k, "x").Text);
            Assert.Equal(0L, c.Call("SETNX", k, "y").Integer);
            Assert.Equal("OK", c.Call("SETEX", k, "100", "z").Text);
            Assert.InRange(c.Call("TTL", k).Integer, 1, 100);
            Assert.Equal("OK", c.Call("PSETEX", k, "100000", "p").Text);
            Assert.Equal("p", c.Call("GETEX", k, "PERSIST").Text);
            Assert.Equal(-1L, c.Call("TTL", k).Integer);
            Assert.Equal("p", c.Call("GETDEL", k).Text);
            Assert.True(c.Call("GET", k).IsNull);
            Assert.Equal("OK", c.Call("SET", k, "v", "NX", "EX", "50").Text);
            Assert.True(c.Call("SET", k, "v2", "NX").IsNull);
            Assert.Equal("v", c.Call("SET", k, "v3", "GET").Text);
        }
    }

    [Fact]
    public void CountersAndBits_WorkInBothGroups()
    {
        using var c = cluster.Client();
        var (a, b) = KeysFor("ctr");
        foreach (var k in new[] { a, b })
        {
            c.Call("DEL", k);
            Assert.Equal(1L, c.Call("INCR", k).Integer);
            Assert.Equal(11L, c.Call("INCRBY", k, "10").Integer);
            Assert.Equal(10L, c.Call("DECR", k).Integer);
            Assert.Equal(5L, c.Call("DECRBY", k, "5").Integer);
            Assert.Equal("5.5", c.Call("INCRBYFLOAT", k, "0.5").Text);
            Assert.StartsWith("ERR value is not an integer", c.Call("INCR", k).Text);
            string bits = k + ":bits";
            c.Call("DEL", bits);
            Assert.Equal(0L, c.Call("SETBIT", bits, "7", "1").Integer);
            Assert.Equal(1L, c.Call("GETBIT", bits, "7").Integer);
            Assert.Equal(1L, c.Call("BITCOUNT", bits).Integer);
            Assert.Equal(7L, c.Call("BITPOS", bits, "1").Integer);
        }
    }

    [Fact]
    public void KeysAndExpiry_WorkInBothGroups()
    {
        using var c = cluster.Client();
        var (a, b) = KeysFor("key");
        foreach (var k in new[] { a, b })
        {
            c.Call("SET", k, "v");
            Assert.Equal("string", c.Call("TYPE", k).Text);
            Assert.Equal(1L, c.Call("EXPIRE", k, "100").Integer);
            Assert.InRange(c.Call("PTTL", k).Integer, 1, 100_000);
            Assert.True(c.Call("EXPIRETIME", k).Integer > 0);
            Assert.Equal(1L, c.Call("PERSIST", k).Integer);
            Assert.Equal(1L, c.Call("PEXPIREAT", k, (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + 100_000).ToString()).Integer);
            Assert.Equal(1L, c.Call("EXPIREAT", k, (DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 100).ToString()).Integer);
            var dump = c.Call("DUMP", k);
            Assert.NotNull(dump.Bytes);
            Assert.Equal(1L, c.Call("TOUCH", k).Integer);
            Assert.Equal(1L, c.Call("UNLINK", k).Integer);
            Assert.Equal(0L, c.Call("EXISTS", k).Integer);
        }
    }

    [Fact]
    public void MultiKey_SplitAcrossSlots_MergedInOrder()
    {
        using var c = cluster.Client();
        var keys = Enumerable.Range(0, 40).Select(i => $"multi:{i}").ToArray();
        Assert.Contains(keys, k => SlotHash.Slot(Encoding.UTF8.GetBytes(k)) < 512);
        Assert.Contains(keys, k => SlotHash.Slot(Encoding.UTF8.GetBytes(k)) >= 512);
        var mset = new List<object> { "MSET" };
        foreach (var k in keys) mset.AddRange([k, "v-" + k]);
        Assert.Equal("OK", c.Call(mset.ToArray()).Text);

        // Each key is stored by the group that owns its slot, and only there.
        using var g1 = cluster.Group1.Client();
        using var g2 = cluster.Group2.Client();
        foreach (var k in keys)
        {
            bool inG1 = SlotHash.Slot(Encoding.UTF8.GetBytes(k)) < 512;
            Assert.Equal("v-" + k, (inG1 ? g1 : g2).Call("GET", k).Text);
            Assert.True((inG1 ? g2 : g1).Call("GET", k).IsNull);
        }

        var mget = c.Call(new object[] { "MGET" }.Concat(keys).Append("multi:missing").ToArray());
        Assert.Equal(keys.Select(k => "v-" + k).Append(null), mget.Items!.Select(i => i.Text));
        Assert.Equal(40L, c.Call(new object[] { "EXISTS" }.Concat(keys).ToArray()).Integer);
        Assert.Equal(41L, c.Call(new object[] { "EXISTS" }.Concat(keys).Append(keys[0]).ToArray()).Integer); // counted twice, as Redis
        Assert.Equal(40L, c.Call(new object[] { "TOUCH" }.Concat(keys).ToArray()).Integer);
        Assert.Equal(20L, c.Call(new object[] { "DEL" }.Concat(keys.Take(20)).ToArray()).Integer);
        Assert.Equal(20L, c.Call(new object[] { "UNLINK" }.Concat(keys.Skip(20)).Append("multi:missing").ToArray()).Integer);
        Assert.Equal(0L, c.Call(new object[] { "EXISTS" }.Concat(keys).ToArray()).Integer);
        Assert.Equal("ERR wrong number of arguments for 'mset' command", c.Call("MSET", "a", "1", "b").Text);
    }

    [Fact]
    public void HashTags_KeepKeysTogether()
    {
        using var c = cluster.Client();
        var r = c.Call("MSET", "{user:7}:name", "ann", "{user:7}:mail", "a@x");
        Assert.Equal("OK", r.Text);
        int slot = SlotHash.Slot("user:7"u8);
        using var owner = slot < 512 ? cluster.Group1.Client() : cluster.Group2.Client();
        Assert.Equal("ann", owner.Call("GET", "{user:7}:name").Text);
        Assert.Equal("a@x", owner.Call("GET", "{user:7}:mail").Text);
    }

    [Fact]
    public void BackendErrors_AreRelayedAsTheServerGaveThem()
    {
        using var c = cluster.Client();
        c.Call("SET", "err:str", "x");
        Assert.Equal("ERR wrong number of arguments for 'get' command", c.Call("GET").Text);
        Assert.StartsWith("ERR value is not an integer", c.Call("INCR", "err:str").Text);
        Assert.StartsWith("ERR unknown command", c.Call("NOSUCHCOMMAND", "k").Text);
        Assert.Equal("PONG", c.Call("PING").Text);
    }

    [Fact]
    public void SlotsCommands_MappingAndScan()
    {
        using var c = cluster.Client();
        var one = c.Call("SLOTSMAPPING", "600");
        Assert.Equal("600", one.Items![0].Text);
        Assert.Equal($"127.0.0.1:{cluster.Group2.Port}", one.Items[1].Text);
        Assert.Equal("", one.Items[2].Text);
        Assert.Equal(1024, c.Call("SLOTSMAPPING").Items!.Length);
        Assert.StartsWith("ERR parse slotnum", c.Call("SLOTSMAPPING", "1024").Text);
        Assert.StartsWith("ERR wrong number of arguments", c.Call("SLOTSINFO").Text);
        Assert.StartsWith("ERR backend server 'nowhere:1' not found", c.Call("SLOTSINFO", "nowhere:1").Text);
    }
}
