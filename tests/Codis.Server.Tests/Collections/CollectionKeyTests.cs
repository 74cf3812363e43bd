using Codis.Server.Tests.Infrastructure;
using StackExchange.Redis;

namespace Codis.Server.Tests.Collections;

/// <summary>The generic key commands on hashes, lists, sets and sorted sets, and StackExchange.Redis on every type.</summary>
public class CollectionKeyTests(PeerFixture peers) : IClassFixture<PeerFixture>
{
    [Fact]
    public void TypeObjectRenameMoveExpire_SameRepliesAsRedis() => peers.AssertSame("""
        flushall
        hset ck:h a 1
        rpush ck:l a
        sadd ck:s a
        sadd ck:i 1
        zadd ck:z 1 a
        type ck:h
        type ck:l
        type ck:s
        type ck:z
        object encoding ck:h
        object encoding ck:l
        object encoding ck:s
        object encoding ck:i
        object encoding ck:z
        object refcount ck:z
        rename ck:h ck:h2
        hgetall ck:h2
        renamenx ck:l ck:s
        move ck:s 1
        select 1
        smembers ck:s
        select 0
        exists ck:s
        expire ck:z 100
        ttl ck:z
        zadd ck:z 2 b
        ttl ck:z
        persist ck:z
        copy ck:l ck:l2
        rpush ck:l2 b
        lrange ck:l 0 -1
        lrange ck:l2 0 -1
        copy ck:z ck:i replace
        type ck:i
        zrange ck:i 0 -1 withscores
        zadd ck:i 5 c
        zcard ck:z
        copy ck:h2 ck:hcopy db 2
        select 2
        hgetall ck:hcopy
        select 0
        del ck:h2 ck:l ck:l2 ck:z ck:i
        dbsize
        """);

    [Fact]
    public void ScanType_FindsEachCollectionType()
    {
        using var c = peers.Codis.Client();
        c.Call("select", "3");
        c.Call("flushdb");
        c.Call("hset", "st:h1", "a", "1");
        c.Call("hset", "st:h2", "a", "1");
        c.Call("rpush", "st:l", "a");
        c.Call("sadd", "st:s", "a");
        c.Call("zadd", "st:z", "1", "a");
        c.Call("set", "st:str", "x");
        foreach (var (type, expected) in new[] { ("hash", new[] { "st:h1", "st:h2" }), ("list", ["st:l"]), ("set", ["st:s"]), ("zset", ["st:z"]), ("string", ["st:str"]) })
        {
            var r = c.Call("scan", "0", "count", "10000", "type", type);
            Assert.Equal("0", r.Items![0].Text);
            Assert.Equal(expected, r.Items[1].Strings().Order(StringComparer.Ordinal).ToArray());
        }
    }

    [Fact]
    public void StackExchangeRedis_EveryCollectionType()
    {
        using var mux = ConnectionMultiplexer.Connect($"127.0.0.1:{peers.Codis.Port}");
        var db = mux.GetDatabase();
        db.KeyDelete(["se:l", "se:s", "se:s2", "se:z", "se:l2"]);

        Assert.Equal(3, db.ListRightPush("se:l", ["a", "b", "c"]));
        Assert.Equal("a", (string?)db.ListLeftPop("se:l"));
        Assert.Equal(["b", "c"], db.ListRange("se:l").Select(v => (string)v!).ToArray());
        Assert.Equal("c", (string?)db.ListMove("se:l", "se:l2", ListSide.Right, ListSide.Left));
        Assert.Equal(1, db.ListLength("se:l2"));

        Assert.True(db.SetAdd("se:s", "x"));
        db.SetAdd("se:s", ["y", "z"]);
        db.SetAdd("se:s2", ["z", "w"]);
        Assert.Equal(["z"], db.SetCombine(SetOperation.Intersect, "se:s", "se:s2").Select(v => (string)v!).ToArray());
        Assert.Equal(4, db.SetCombine(SetOperation.Union, "se:s", "se:s2").Length);
        Assert.True(db.SetContains("se:s", "y"));
        Assert.Equal(3, db.SetScan("se:s").Count());

        db.SortedSetAdd("se:z", [new("a", 1), new("b", 2.5), new("c", double.PositiveInfinity)]);
        Assert.Equal(2.5, db.SortedSetScore("se:z", "b"));
        Assert.Equal(1, db.SortedSetRank("se:z", "b"));
        Assert.Equal(["b", "c"], db.SortedSetRangeByScore("se:z", 2, double.PositiveInfinity).Select(v => (string)v!).ToArray());
        Assert.Equal(double.PositiveInfinity, db.SortedSetRangeByRankWithScores("se:z", -1, -1)[0].Score);
        Assert.Equal(3.5, db.SortedSetIncrement("se:z", "a", 2.5));
        Assert.Equal("b", (string?)db.SortedSetPop("se:z")!.Value.Element);
        Assert.Equal(2, db.SortedSetLength("se:z"));
    }
}
