using System.Diagnostics;
using System.Text;
using Codis.Core.Resp;
using Codis.Server.Tests.Infrastructure;
using Codis.Testing;

namespace Codis.Server.Tests.Lists;

/// <summary>
/// LMPOP ZMPOP BLMPOP BZMPOP against redis-server 7.0: the same replies and errors reply by reply, the same
/// wakes and timeouts (each scenario run on both servers), and the same effects in the AOF and on replicas.
/// </summary>
public class MultiPopTests(PeerFixture peers) : IClassFixture<PeerFixture>
{
    private static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(150);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private RespClient Client(string target) => target == "codis" ? peers.Codis.Client() : peers.Redis.Client();

    private static void Send(RespClient c, params string[] args)
    {
        c.Send(args.Select(a => Encoding.UTF8.GetBytes(a)).ToArray());
        c.Flush();
    }

    private static string Key(string target, string name) => $"mpop:{target}:{name}:{Guid.NewGuid():N}";

    [Fact]
    public void LMPop_and_ZMPop_SameRepliesAndErrorsAsRedis() => peers.AssertSame("""
        flushdb
        rpush l a b c d e
        set s x
        zadd z 1 a 2 b 3 c 4 d
        lmpop
        lmpop 1
        lmpop 1 l
        lmpop 0 l left
        lmpop -1 l left
        lmpop x l left
        lmpop 01 l left
        lmpop 2 l left
        lmpop 3 l left
        lmpop 2147483648 l left
        lmpop 99999999999999999999 l left
        lmpop 1 l middle
        lmpop 1 l min
        lmpop 1 l left count
        lmpop 1 l left count 0
        lmpop 1 l left count -1
        lmpop 1 l left count x
        lmpop 1 l left count 99999999999999999999
        lmpop 1 l left count 2 count 1
        lmpop 1 l left foo 1
        lmpop 1 l left extra
        lmpop 1 l LEFT
        lmpop 2 nokey l left COUNT 2
        lmpop 2 s l left
        lmpop 2 l s right
        lmpop 1 nokey left
        lmpop 1 nokey left count 3
        lmpop 3 nokey1 nokey2 l right count 100
        exists l
        lmpop 1 l left count 9223372036854775807
        zmpop
        zmpop 1 z
        zmpop 0 z min
        zmpop 1 z mid
        zmpop 1 z left
        zmpop 1 z min count 0
        zmpop 1 z min count -2
        zmpop 2 s z min
        zmpop 2 z s max count 2
        zmpop 1 z MIN
        zmpop 1 nokey max
        zmpop 2 nokey z min count 10
        exists z
        zadd f 1.5 x -0.25 y inf big -inf small
        zmpop 1 f max count 2
        zmpop 1 f min count 2
        rpush ll x
        zmpop 1 ll min
        lmpop 1 f left
        """);

    [Fact]
    public void BlockingForms_ParseAndAnswerAtOnce_AsRedis() => peers.AssertSame("""
        flushdb
        rpush l a b c
        zadd z 1 a 2 b
        set s x
        blmpop
        blmpop 0
        blmpop 0 1 l
        bzmpop 0.1 1 z
        blmpop x 0 l left
        blmpop 0.1 x l left
        blmpop x 1 l left
        blmpop -1 1 l left
        blmpop x 1 l left count 0
        bzmpop x 1 z min count 0
        bzmpop x 1 z mid
        bzmpop -1 1 z min
        bzmpop inf 1 z min
        blmpop 0 2 l left
        blmpop 0 1 l left count 2
        blmpop 0 2 nokey l right count 5
        exists l
        bzmpop 0 2 nokey z max
        bzmpop 0.5 1 z min count 4
        blmpop 0 2 s l left
        bzmpop 0 1 s min
        blmpop 0.01 1 nokey left
        bzmpop 0.01 2 nokey1 nokey2 min count 2
        multi
        blmpop 0 1 nokey left
        bzmpop 0 1 nokey max
        lpush q 1
        blmpop 0 1 q left count 3
        exec
        eval "return redis.call('blmpop', 0, 1, 'nokey', 'left')" 0
        rpush sl a b c
        eval "return redis.call('blmpop', 0, 1, 'sl', 'right', 'count', 2)" 0
        eval "return redis.call('bzmpop', 0, 1, 'nokey', 'min')" 0
        """);

    [Fact]
    public void CommandInfo_and_GetKeys_SameAsRedis() => peers.AssertSame("""
        command info lmpop zmpop blmpop bzmpop
        command getkeys lmpop 2 a b left
        command getkeys lmpop 2 a left
        command getkeys lmpop 0 a left
        command getkeys lmpop 5 a left
        command getkeys lmpop x a left
        command getkeys lmpop -1 a left
        command getkeys lmpop 1abc a left
        command getkeys lmpop 1 a
        command getkeys zmpop 3 a b c max count 2
        command getkeys blmpop 0 2 a b left count 3
        command getkeys blmpop 0 1 a left
        command getkeys bzmpop 0 3 a b left
        command getkeysandflags zmpop 1 a min
        command getkeysandflags blmpop 1 2 a b right
        command info xread xreadgroup
        command getkeys xread count 2 streams a b 0 0
        command getkeys xread streams a b 0
        command getkeys xread count 2 block 1
        command getkeys xread count streams streams a 0
        command getkeys xread count 2 streams a
        command getkeys xreadgroup group g c streams a 0
        command getkeys xreadgroup group streams c streams a 0
        command getkeysandflags xreadgroup group g c streams a 0
        command getkeysandflags xread streams a b 0 0
        """);

    [Fact]
    public void CommandList_HasTheFourLikeRedis()
    {
        using var ours = peers.Codis.Client();
        using var theirs = peers.Redis.Client();
        foreach (var filter in new[] { new[] { "pattern", "*mpop" }, ["aclcat", "blocking"] })
        {
            string[] args = ["command", "list", "filterby", .. filter];
            Assert.Equal(theirs.Call(args).Strings().Order(), ours.Call(args).Strings().Order());
        }
    }

    [Theory]
    [InlineData("codis")]
    [InlineData("redis")]
    public void BLMPop_WakesOnAPush_AndTakesUpToCount_FifoAcrossWaiters(string target)
    {
        string k1 = Key(target, "k1"), k2 = Key(target, "k2");
        using var first = Client(target);
        using var second = Client(target);
        using var w = Client(target);
        Send(first, "blmpop", "0", "2", k1, k2, "left", "count", "2");
        Thread.Sleep(Settle);
        Send(second, "blmpop", "5", "1", k2, "right", "count", "5");
        Thread.Sleep(Settle);
        Assert.Equal(3, w.Call("rpush", k2, "a", "b", "c").AssertInt());
        Assert.Equal($"[{k2}, [a, b]]", first.Read().ToString());
        Assert.Equal($"[{k2}, [c]]", second.Read().ToString());
        Assert.Equal(0, w.Call("exists", k2).AssertInt());
    }

    [Theory]
    [InlineData("codis")]
    [InlineData("redis")]
    public void BZMPop_WakesOnZAdd_WithScores(string target)
    {
        string z = Key(target, "z");
        using var c = Client(target);
        using var w = Client(target);
        Send(c, "bzmpop", "5", "2", Key(target, "none"), z, "max", "count", "2");
        Thread.Sleep(Settle);
        w.Call("zadd", z, "1.5", "low", "2.5", "high", "3", "top");
        Assert.Equal($"[{z}, [[top, 3], [high, 2.5]]]", c.Read().ToString());
        Assert.Equal(1, w.Call("zcard", z).AssertInt());
    }

    [Theory]
    [InlineData("codis")]
    [InlineData("redis")]
    public void Timeout_RepliesNullArray_AfterTheTimeout(string target)
    {
        using var c = Client(target);
        var sw = Stopwatch.StartNew();
        Send(c, "blmpop", "0.3", "1", Key(target, "none"), "left");
        Assert.Equal("*-1\r\n", Encoding.ASCII.GetString(c.ReadRawAvailable(TimeSpan.FromSeconds(2))));
        Assert.InRange(sw.ElapsedMilliseconds, 250, 3000);
        sw.Restart();
        Assert.True(c.Call("bzmpop", "0.3", "1", Key(target, "none"), "min").IsNull);
        Assert.InRange(sw.ElapsedMilliseconds, 250, 3000);
    }

    [Theory]
    [InlineData("codis")]
    [InlineData("redis")]
    public void KeyOfAnotherType_KeepsWaiting_ThenAPushInsideMultiExec_Wakes(string target)
    {
        string k = Key(target, "type");
        using var c = Client(target);
        using var w = Client(target);
        Send(c, "blmpop", "0", "1", k, "left", "count", "10");
        Thread.Sleep(Settle);
        w.Call("set", k, "string").AssertOk();
        w.Call("del", k);
        w.Call("zadd", k, "1", "m");
        w.Call("del", k);
        Assert.Empty(c.ReadRawAvailable(Settle));
        w.Call("multi").AssertOk();
        w.Call("rpush", k, "x", "y", "z");
        w.Call("lpop", k);
        Assert.Equal("[(integer) 3, x]", w.Call("exec").ToString());
        // Served after EXEC, with what the whole transaction left.
        Assert.Equal($"[{k}, [y, z]]", c.Read().ToString());
    }

    [Theory]
    [InlineData("codis")]
    [InlineData("redis")]
    public void APushFromAScript_WakesBZMPop(string target)
    {
        string z = Key(target, "zs");
        using var c = Client(target);
        using var w = Client(target);
        Send(c, "bzmpop", "0", "1", z, "min");
        Thread.Sleep(Settle);
        Assert.Equal(2, w.Call("eval", "return redis.call('zadd', KEYS[1], 1, 'one', 2, 'two')", "1", z).AssertInt());
        Assert.Equal($"[{z}, [[one, 1]]]", c.Read().ToString());
    }

    [Theory]
    [InlineData("codis")]
    [InlineData("redis")]
    public void DisconnectedClient_IsNotServed(string target)
    {
        string k = Key(target, "gone");
        using (var c = Client(target))
        {
            Send(c, "blmpop", "0", "1", k, "left");
            Thread.Sleep(Settle);
        }
        Thread.Sleep(600);
        using var w = Client(target);
        w.Call("rpush", k, "kept");
        Assert.Equal(1, w.Call("llen", k).AssertInt());
    }

    /// <summary>The pops and blocked pops a propagation test runs, the same on both servers.</summary>
    private static void RunPops(RespClient c, Func<RespClient> another)
    {
        c.Call("rpush", "l", "a", "b", "c", "d", "e");
        c.Call("zadd", "z", "1", "a", "2", "b", "3", "c", "4", "d");
        c.Call("lmpop", "1", "l", "left", "count", "2");
        c.Call("lmpop", "2", "x", "l", "right");
        c.Call("lmpop", "1", "nokey", "left"); // popped nothing: not propagated
        c.Call("zmpop", "1", "z", "max", "count", "2");
        c.Call("zmpop", "1", "z", "min");
        c.Call("blmpop", "0", "1", "l", "left", "count", "5"); // two left: LPOP l 2
        c.Call("bzmpop", "0", "1", "z", "min", "count", "3"); // one left, the key goes
        using var b1 = another();
        using var b2 = another();
        Send(b1, "blmpop", "5", "1", "w", "right", "count", "2");
        Send(b2, "bzmpop", "5", "2", "q", "zz", "max", "count", "2");
        Thread.Sleep(Settle);
        c.Call("rpush", "w", "1", "2", "3");
        c.Call("zadd", "zz", "1", "x", "2", "y", "3", "z");
        Assert.Equal("[w, [3, 2]]", b1.Read().ToString());
        Assert.Equal("[zz, [[z, 3], [y, 2]]]", b2.Read().ToString());
        c.Call("multi");
        c.Call("blmpop", "0", "1", "w", "left");
        c.Call("rpush", "w", "4");
        c.Call("exec");
        c.Call("eval", "return redis.call('bzmpop', 0, 1, KEYS[1], 'min', 'count', 5)", "1", "zz");
        c.Call("set", "done", "1");
    }

    /// <summary>The commands of an AOF increment file, one line each ("LPOP l 2"), names upper-cased.</summary>
    private static List<string> AofCommands(string dataDir)
    {
        var bytes = File.ReadAllBytes(Directory.GetFiles(Path.Combine(dataDir, "appendonlydir"), "*.incr.aof").Single());
        var commands = new List<string>();
        int at = 0;
        while (at < bytes.Length && RespValue.TryParse(bytes.AsSpan(at), out var v, out int used))
        {
            at += used;
            var words = v.Items!.Select(i => i.Text!).ToArray();
            words[0] = words[0].ToUpperInvariant();
            commands.Add(string.Join(' ', words));
        }
        return commands;
    }

    [Fact]
    public void Aof_gets_the_pops_as_redis_writes_them()
    {
        using var redis = RedisServerProcess.Start("--appendonly", "yes", "--appendfsync", "always");
        using var codis = CodisServerProcess.Start("--save", "", "--appendonly", "yes", "--appendfsync", "always");
        using (var rc = redis.Client()) RunPops(rc, () => redis.Client());
        using (var cc = codis.Client()) RunPops(cc, () => codis.Client());
        var expected = AofCommands(redis.DataDir);
        Assert.Contains("LPOP l 2", expected); // the oracle writes what was popped, with the count popped
        Assert.Contains("ZPOPMIN z 1", expected);
        Assert.Equal(string.Join('\n', expected), string.Join('\n', AofCommands(codis.DataDir)));
        // And the file replays to the same data.
        string dir = codis.DataDir;
        codis.Dispose();
        using var again = CodisServerProcess.StartIn(dir, "--save", "", "--appendonly", "yes");
        using var a = again.Client();
        Assert.Equal("1", a.Call("get", "done").Text);
        Assert.Equal("[4]", a.Call("lrange", "w", "0", "-1").ToString());
        Assert.Equal(0, a.Call("exists", "l", "z", "zz").AssertInt());
    }

    [Fact]
    public void Replicas_ours_and_redis_apply_the_pops()
    {
        using var master = CodisServerProcess.Start("--save", "");
        using var ours = CodisServerProcess.Start("--save", "", "--replicaof", $"127.0.0.1 {master.Port}");
        using var redis = RedisServerProcess.Start("--replicaof", "127.0.0.1", master.Port.ToString());
        using var oc = ours.Client();
        using var rc = redis.Client();
        Replicas.ReplicationTests.WaitLinkUp(oc);
        Replicas.ReplicationTests.WaitLinkUp(rc);
        using (var m = master.Client())
        {
            RunPops(m, () => master.Client());
            m.Call("rpush", "left", "1", "2", "3", "4");
            m.Call("zadd", "zleft", "1", "a", "2", "b", "3", "c");
            m.Call("lmpop", "1", "left", "right", "count", "3");
            m.Call("zmpop", "1", "zleft", "max");
            m.Call("set", "last", "1");
        }
        foreach (var r in new[] { oc, rc })
        {
            Eventually.True(() => r.Call("get", "last").Text == "1", Patience, "the replica to get the stream");
            Assert.Equal("[1]", r.Call("lrange", "left", "0", "-1").ToString());
            Assert.Equal("[a, 1, b, 2]", r.Call("zrange", "zleft", "0", "-1", "withscores").ToString());
            Assert.Equal("[4]", r.Call("lrange", "w", "0", "-1").ToString());
            Assert.Equal(0, r.Call("exists", "l", "z", "zz").AssertInt());
        }
    }
}
