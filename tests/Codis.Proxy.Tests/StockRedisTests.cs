using System.Text;
using System.Text.Json;
using Codis.Core.Slots;
using Codis.Testing;

namespace Codis.Proxy.Tests;

/// <summary>Two of Debian's stock redis-servers as the groups.</summary>
public sealed class StockRedisCluster : IDisposable
{
    public RedisServerProcess Group1 { get; } = RedisServerProcess.Start();
    public RedisServerProcess Group2 { get; } = RedisServerProcess.Start();
    public CodisProxyProcess Proxy { get; }

    public StockRedisCluster() => Proxy = CodisProxyProcess.StartWithSlots(TwoGroupCluster.Slots(Group1.Port, Group2.Port));

    public void Dispose()
    {
        Proxy.Dispose();
        Group1.Dispose();
        Group2.Dispose();
    }
}

public class StockRedisTests(StockRedisCluster cluster) : IClassFixture<StockRedisCluster>
{
    [Fact]
    public void Routing_KeysLandWhereTheirSlotsLive()
    {
        using var c = cluster.Proxy.Client();
        using var g1 = cluster.Group1.Client();
        using var g2 = cluster.Group2.Client();
        var keys = Enumerable.Range(0, 200).Select(i => "stock:" + i).ToArray();
        var mset = new List<object> { "MSET" };
        foreach (var k in keys) mset.AddRange([k, k.ToUpperInvariant()]);
        Assert.Equal("OK", c.Call(mset.ToArray()).Text);
        foreach (var k in keys)
        {
            bool first = SlotHash.Slot(Encoding.UTF8.GetBytes(k)) < 512;
            Assert.Equal(k.ToUpperInvariant(), (first ? g1 : g2).Call("GET", k).Text);
            Assert.True((first ? g2 : g1).Call("EXISTS", k).Integer == 0);
        }
        Assert.Equal(keys.Select(k => k.ToUpperInvariant()), c.Call(new object[] { "MGET" }.Concat(keys).ToArray()).Items!.Select(i => i.Text));
        // The families only the stock server has yet: hashes, lists, sets, sorted sets — routed by their key.
        Assert.Equal(2L, c.Call("HSET", "stock:h", "a", "1", "b", "2").Integer);
        Assert.Equal("2", c.Call("HGET", "stock:h", "b").Text);
        Assert.Equal(3L, c.Call("RPUSH", "stock:l", "x", "y", "z").Integer);
        Assert.Equal(["x", "y", "z"], c.Call("LRANGE", "stock:l", "0", "-1").Items!.Select(i => i.Text));
        Assert.Equal(2L, c.Call("SADD", "stock:s", "m", "n").Integer);
        Assert.Equal(1L, c.Call("ZADD", "stock:z", "1.5", "m").Integer);
        Assert.Equal("1.5", c.Call("ZSCORE", "stock:z", "m").Text);
        Assert.Equal(keys.Length, c.Call(new object[] { "UNLINK" }.Concat(keys).ToArray()).Integer);
    }

    [Fact]
    public void Eval_And_EvalSha_RoutedByTheirFirstKey()
    {
        using var c = cluster.Proxy.Client();
        const string script = "redis.call('SET', KEYS[1], ARGV[1]); return redis.call('GET', KEYS[1])";
        foreach (var key in new[] { "a", "b", "foo" }) // slots 579, 1017, 289: both groups
        {
            Assert.Equal("via-eval", c.Call("EVAL", script, "1", "ev:" + key, "via-eval").Text);
            using var owner = SlotHash.Slot(Encoding.UTF8.GetBytes("ev:" + key)) < 512 ? cluster.Group1.Client() : cluster.Group2.Client();
            Assert.Equal("via-eval", owner.Call("GET", "ev:" + key).Text);
        }
        string sha = Convert.ToHexString(System.Security.Cryptography.SHA1.HashData(Encoding.UTF8.GetBytes(script))).ToLowerInvariant();
        // Cached on the server that ran it (its key's group): EVALSHA with the same key finds it.
        Assert.Equal("again", c.Call("EVALSHA", sha, "1", "ev:a", "again").Text);
        Assert.StartsWith("NOSCRIPT", c.Call("EVALSHA", "ffffffffffffffffffffffffffffffffffffffff", "1", "ev:a").Text);
        Assert.Equal(42L, c.Call("EVAL", "return 42", "0").Integer); // no key: any group
        // SCRIPT LOAD goes to every master, stock ones too, so EVALSHA works for keys of either group.
        Assert.Equal(sha, c.Call("SCRIPT", "LOAD", script).Text);
        Assert.Equal("loaded", c.Call("EVALSHA", sha, "1", "ev:b", "loaded").Text);
    }

    [Fact]
    public async Task MigratingSlot_OnStockRedis_SaysItNeedsCodisServer()
    {
        string g1 = $"127.0.0.1:{cluster.Group1.Port}", g2 = $"127.0.0.1:{cluster.Group2.Port}";
        int slot = SlotHash.Slot("mig:key"u8);
        var from = slot < 512 ? g1 : g2;
        var to = slot < 512 ? g2 : g1;
        var moving = new[] { new { id = slot, backend_addr = to, backend_addr_group_id = 9, migrate_from = from, migrate_from_group_id = 8, forward_method = 0 } };
        Assert.Equal(System.Net.HttpStatusCode.OK,
            (await AdminHttp.PutAsync(cluster.Proxy.AdminAddr, $"/api/proxy/fillslots/{cluster.Proxy.XAuth}", JsonSerializer.Serialize(moving))).Status);
        using var c = cluster.Proxy.Client();
        var r = c.Call("SET", "mig:key", "v");
        Assert.True(r.IsError);
        Assert.Contains("slot migration needs codis-server", r.Text);
        Assert.Contains("SLOTSMGRTTAGONE", r.Text);
        var semi = new[] { new { id = slot, backend_addr = to, backend_addr_group_id = 9, migrate_from = from, migrate_from_group_id = 8, forward_method = 1 } };
        await AdminHttp.PutAsync(cluster.Proxy.AdminAddr, $"/api/proxy/fillslots/{cluster.Proxy.XAuth}", JsonSerializer.Serialize(semi));
        Assert.Contains("slot migration needs codis-server", c.Call("GET", "mig:key").Text);
        Assert.Equal("PONG", c.Call("PING").Text);
        // Back to normal: served again.
        var settled = new[] { new { id = slot, backend_addr = from, backend_addr_group_id = 8 } };
        await AdminHttp.PutAsync(cluster.Proxy.AdminAddr, $"/api/proxy/fillslots/{cluster.Proxy.XAuth}", JsonSerializer.Serialize(settled));
        Assert.Equal("OK", c.Call("SET", "mig:key", "v").Text);
    }
}

public class StockRedisKeyspaceTests(StockRedisCluster cluster) : IClassFixture<StockRedisCluster>
{
    /// <summary>Stock backends: pub/sub and DBSIZE work; SCAN, which needs codis-server's slot-ordered cursor, says so.</summary>
    [Fact]
    public void PubSubAndDbSize_Work_ScanSaysItNeedsCodisServer()
    {
        using var c = cluster.Proxy.Client();
        Assert.Equal("OK", c.Call("SELECT", "3").Text);
        for (int i = 0; i < 30; i++) Assert.Equal("OK", c.Call("SET", $"sk:{i}", "v").Text);
        Assert.Equal(30, c.Call("DBSIZE").Integer);
        var scan = c.Call("SCAN", "0");
        Assert.True(scan.IsError);
        Assert.Contains("need codis-server backends", scan.Text);
        using var sub = cluster.Proxy.Client();
        Assert.Equal(1, sub.Call("SUBSCRIBE", "stock-ch").Items![2].Integer);
        Assert.Equal(1, c.Call("PUBLISH", "stock-ch", "hi").Integer);
        Assert.Equal(["message", "stock-ch", "hi"], sub.Read().Items!.Select(i => i.Text));
    }
}
