using Codis.Server.Tests.Infrastructure;

namespace Codis.Server.Tests.Hashes;

/// <summary>Hash behaviour whose replies are random or order-free: checked for their properties.</summary>
public class HashCommandTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    [Fact]
    public void HScan_LargeHash_ReturnsEveryFieldOnceAcrossCursors()
    {
        using var c = server.Client();
        c.Call("del", "hs:big");
        for (int i = 0; i < 2000; i += 100)
        {
            var args = new List<object> { "hset", "hs:big" };
            for (int j = i; j < i + 100; j++) { args.Add("f" + j); args.Add("v" + j); }
            c.Call(args.ToArray());
        }
        Assert.Equal("hashtable", c.Call("object", "encoding", "hs:big").Text);
        var seen = new Dictionary<string, string>();
        string cursor = "0";
        int rounds = 0;
        do
        {
            var r = c.Call("hscan", "hs:big", cursor, "count", "50");
            cursor = r.Items![0].Text!;
            var items = r.Items[1].Items!;
            for (int i = 0; i < items.Length; i += 2) Assert.True(seen.TryAdd(items[i].Text!, items[i + 1].Text!), "field returned twice");
            rounds++;
        } while (cursor != "0");
        Assert.Equal(2000, seen.Count);
        Assert.Equal("v1234", seen["f1234"]);
        Assert.True(rounds > 10, "COUNT should page the scan");
    }

    [Fact]
    public void HRandField_CountsAndValues()
    {
        using var c = server.Client();
        c.Call("del", "hr");
        c.Call("hset", "hr", "a", "1", "b", "2", "c", "3", "d", "4", "e", "5");
        var distinct = c.Call("hrandfield", "hr", "3").Strings();
        Assert.Equal(3, distinct.Distinct().Count());
        Assert.All(distinct, f => Assert.Contains(f, new[] { "a", "b", "c", "d", "e" }));
        var repeats = c.Call("hrandfield", "hr", "-20", "withvalues").Strings();
        Assert.Equal(40, repeats.Length);
        for (int i = 0; i < repeats.Length; i += 2) Assert.Equal(((char)('a' + int.Parse(repeats[i + 1]!) - 1)).ToString(), repeats[i]);
        Assert.Contains(c.Call("hrandfield", "hr").Text, new[] { "a", "b", "c", "d", "e" });
    }

    [Fact]
    public void StackExchangeRedis_HashRoundTrip()
    {
        using var mux = StackExchange.Redis.ConnectionMultiplexer.Connect($"127.0.0.1:{server.Server.Port}");
        var db = mux.GetDatabase();
        db.KeyDelete("se:h");
        db.HashSet("se:h", [new("a", "1"), new("b", "x")]);
        Assert.Equal("x", (string?)db.HashGet("se:h", "b"));
        Assert.Equal(11, db.HashIncrement("se:h", "a", 10));
        Assert.Equal(2, db.HashLength("se:h"));
        Assert.True(db.HashDelete("se:h", "b"));
        Assert.Single(db.HashGetAll("se:h"));
        Assert.Single(db.HashScan("se:h").ToList());
    }
}
