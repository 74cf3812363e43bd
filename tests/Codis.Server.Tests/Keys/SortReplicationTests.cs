using Codis.Core.Resp;
using Codis.Server.Tests.Infrastructure;
using Codis.Server.Tests.Replicas;
using Codis.Testing;
using static Codis.Server.Tests.Durability.PersistenceHelpers;

namespace Codis.Server.Tests.Keys;

/// <summary>
/// SORT ... STORE reaches replicas as the list it stored (DEL + RPUSH in one MULTI/EXEC), so a replica holds the
/// same list even where a re-run of the sort could differ: a set's unsorted order, equal ALPHA weights of a set.
/// Checked on a codis-server replica and on a redis-server 7.0 replica of one codis-server master, and in the AOF
/// (a restart, and redis-check-aof).
/// </summary>
public class SortReplicationTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public void SortStore_ReplicasHoldTheSameLists()
    {
        using var master = CodisServerProcess.Start("--save", "");
        using var m = master.Client();
        using var codisReplica = CodisServerProcess.Start("--save", "", "--replicaof", $"127.0.0.1 {master.Port}");
        using var redisReplica = RedisServerProcess.Start("--replicaof", "127.0.0.1", master.Port.ToString());
        using var cr = codisReplica.Client();
        using var rr = redisReplica.Client();
        ReplicationTests.WaitLinkUp(cr);
        ReplicationTests.WaitLinkUp(rr);

        // A set of 600 texts (a hash table), half with the same ALPHA weight and half with none; a list of 3000 numbers.
        for (int i = 0; i < 600; i += 100)
            m.Call(["SADD", "set", .. Enumerable.Range(i, 100).Select(n => $"m{n}")]);
        for (int i = 0; i < 600; i += 2) m.Call("SET", $"w_m{i}", "same");
        for (int i = 0; i < 3000; i += 500)
            m.Call(["RPUSH", "list", .. Enumerable.Range(i, 500).Select(n => ((n * 7919) % 3001).ToString())]);
        m.Call("MSET", "o_5", "five", "o_7", "seven");
        m.Call("SET", "gone", "x");

        Assert.Equal(600, m.Call("SORT", "set", "BY", "w_*", "ALPHA", "STORE", "d1").Integer);
        Assert.Equal(600, m.Call("SORT", "set", "BY", "nosort", "DESC", "STORE", "d2").Integer);
        Assert.Equal(6000, m.Call("SORT", "list", "DESC", "GET", "#", "GET", "o_*", "STORE", "d3").Integer);
        Assert.Equal(10, m.Call("SORT", "set", "BY", "w_*", "ALPHA", "LIMIT", "290", "10", "STORE", "d4").Integer);
        Assert.Equal(0, m.Call("SORT", "list", "LIMIT", "0", "0", "STORE", "gone").Integer);
        Assert.Equal("OK", m.Call("MULTI").Text);
        m.Call("SORT", "set", "BY", "w_*", "ALPHA", "DESC", "STORE", "d5");
        m.Call("SORT", "list", "STORE", "d1");
        Assert.Equal(2, m.Call("EXEC").Items!.Length);

        Eventually.True(() => Offset(m) == Offset(cr) && Offset(m) == Offset(rr), Patience, "both replicas to catch up");
        foreach (var key in new[] { "d1", "d2", "d3", "d4", "d5" })
        {
            string expected = m.Call("LRANGE", key, "0", "-1").ToString();
            Assert.Equal(expected, cr.Call("LRANGE", key, "0", "-1").ToString());
            Assert.Equal(expected, rr.Call("LRANGE", key, "0", "-1").ToString());
        }
        Assert.Equal(3000, m.Call("LLEN", "d1").Integer);
        Assert.Equal(0, cr.Call("EXISTS", "gone").Integer);
        Assert.Equal(0, rr.Call("EXISTS", "gone").Integer);
    }

    [Fact]
    public void SortStore_AofReplaysTheSameLists()
    {
        string dir;
        var expected = new Dictionary<string, string>();
        using (var s = CodisServerProcess.Start("--save", "", "--appendonly", "yes"))
        {
            dir = s.DataDir;
            using var c = s.Client();
            c.Call(["SADD", "set", .. Enumerable.Range(0, 300).Select(n => $"m{n}")]);
            for (int i = 0; i < 300; i += 3) c.Call("SET", $"w_m{i}", "same");
            c.Call(["RPUSH", "list", .. Enumerable.Range(0, 2500).Select(n => ((n * 7919) % 2503).ToString())]);
            c.Call("SET", "gone", "x");
            Assert.Equal(300, c.Call("SORT", "set", "BY", "w_*", "ALPHA", "DESC", "STORE", "d1").Integer);
            Assert.Equal(2500, c.Call("SORT", "list", "STORE", "d2").Integer);
            Assert.Equal(2, c.Call("EVAL", "return redis.call('SORT', KEYS[1], 'BY', 'nosort', 'LIMIT', 5, 2, 'STORE', KEYS[2])", "2", "set", "d3").Integer);
            Assert.Equal(0, c.Call("SORT", "nothing", "STORE", "gone").Integer);
            foreach (var key in new[] { "d1", "d2", "d3" }) expected[key] = c.Call("LRANGE", key, "0", "-1").ToString();
        }
        var (exit, output) = Run("redis-check-aof", Path.Combine(dir, "appendonlydir", "appendonly.aof.manifest"));
        Assert.True(exit == 0, output);
        using var again = CodisServerProcess.StartIn(dir, "--save", "", "--appendonly", "yes");
        using var r = again.Client();
        foreach (var (key, list) in expected) Assert.Equal(list, r.Call("LRANGE", key, "0", "-1").ToString());
        Assert.Equal(0, r.Call("EXISTS", "gone").Integer);
    }

    private static string Offset(RespClient c) => ReplicationTests.Info(c, "replication")["master_repl_offset"];
}
