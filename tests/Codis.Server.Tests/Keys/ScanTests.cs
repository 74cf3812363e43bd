using Codis.Core.Resp;
using Codis.Server.Tests.Infrastructure;

namespace Codis.Server.Tests.Keys;

/// <summary>KEYS and SCAN (MATCH COUNT TYPE) and SCAN's guarantee under concurrent writes.</summary>
public class ScanTests(ServerFixture fx) : IClassFixture<ServerFixture>
{
    private static RespClient Db(ServerFixture fx, int db)
    {
        var c = fx.Client();
        c.Call("SELECT", db).AssertOk();
        return c;
    }

    /// <summary>A full SCAN; returns every key it gave (with repeats) and runs <paramref name="between"/> after each call.</summary>
    private static List<string> ScanAll(RespClient c, string[] options, Action<int>? between = null)
    {
        var keys = new List<string>();
        string cursor = "0";
        for (int round = 0; round < 100_000; round++)
        {
            var reply = c.Call(["SCAN", cursor, .. options]);
            Assert.Equal(RespType.Array, reply.Type);
            cursor = reply.Items![0].Text!;
            keys.AddRange(reply.Items[1].Strings()!);
            if (cursor == "0") return keys;
            between?.Invoke(round);
        }
        throw new Xunit.Sdk.XunitException("SCAN did not finish");
    }

    [Fact]
    public void Keys_Pattern_ReturnsMatchesOnly()
    {
        using var c = Db(fx, 1);
        c.Call("MSET", "hello", "1", "hallo", "2", "hxllo", "3", "world", "4", "h*llo", "5").AssertOk();
        Assert.Equal(["hallo", "hello"], c.Call("KEYS", "h[ae]llo").Strings().Order());
        Assert.Equal(["h*llo", "hallo", "hello", "hxllo"], c.Call("KEYS", "h?llo").Strings().Order());
        Assert.Equal(new string?[] { "h*llo" }, c.Call("KEYS", "h\\*llo").Strings());
        Assert.Equal(5, c.Call("KEYS", "*").Strings().Length);
        Assert.Empty(c.Call("KEYS", "nothing*").Strings());
    }

    [Fact]
    public void Scan_FullIteration_ReturnsEveryKeyOnce()
    {
        using var c = Db(fx, 2);
        var expected = Enumerable.Range(0, 3000).Select(i => "sc:" + i).ToList();
        foreach (var chunk in expected.Chunk(500))
            c.Call(["MSET", .. chunk.SelectMany(k => new[] { k, "v" })]).AssertOk();
        foreach (var count in new[] { "1", "10", "1000", "100000" })
        {
            var got = ScanAll(c, ["COUNT", count]);
            Assert.Equal(expected.Count, got.Count);
            Assert.Equal(expected.Order(), got.Order());
        }
    }

    [Fact]
    public void Scan_MatchAndType_Filter()
    {
        using var c = Db(fx, 3);
        for (int i = 0; i < 200; i++) c.Call("SET", (i % 2 == 0 ? "even:" : "odd:") + i, "v").AssertOk();
        var even = ScanAll(c, ["MATCH", "even:*", "COUNT", "7"]);
        Assert.Equal(100, even.Count);
        Assert.All(even, k => Assert.StartsWith("even:", k));
        Assert.Equal(200, ScanAll(c, ["TYPE", "STRING"]).Count);
        Assert.Empty(ScanAll(c, ["TYPE", "hash"]));
        Assert.Equal(200, ScanAll(c, ["MATCH", "*"]).Count);
    }

    [Fact]
    public void Scan_KeysPresentThroughout_AreReturnedDespiteChurn()
    {
        using var c = Db(fx, 4);
        using var writer = Db(fx, 4);
        var stable = Enumerable.Range(0, 1000).Select(i => "stable:" + i).ToList();
        foreach (var chunk in stable.Chunk(500))
            c.Call(["MSET", .. chunk.SelectMany(k => new[] { k, "v" })]).AssertOk();
        int added = 0;
        // Between SCAN calls: add many keys (tables grow), delete some of them again (free entries get reused).
        var got = ScanAll(c, ["COUNT", "25"], round =>
        {
            for (int i = 0; i < 40; i++) writer.Call("SET", "churn:" + added++, "v");
            for (int i = 0; i < 20; i++) writer.Call("DEL", "churn:" + (added - 40 + i * 2));
        });
        var returned = got.ToHashSet();
        Assert.All(stable, k => Assert.Contains(k, returned));
        Assert.Equal(got.Count(k => k.StartsWith("stable:", StringComparison.Ordinal)), stable.Count); // no repeats
        Assert.True(added > 0);
    }

    [Fact]
    public void Scan_ExpiredKeys_AreNotReturned()
    {
        using var c = Db(fx, 5);
        c.Call("SET", "live", "v").AssertOk();
        for (int i = 0; i < 20; i++) c.Call("SET", "dying:" + i, "v", "PX", "1").AssertOk();
        Thread.Sleep(20);
        Assert.Equal(["live"], ScanAll(c, []));
        Assert.Equal(new string?[] { "live" }, c.Call("KEYS", "*").Strings());
    }

    [Theory]
    [InlineData("abc")]
    [InlineData(" 1")]
    [InlineData("18446744073709551616")]
    [InlineData("-")]
    [InlineData("0x10")]
    public void Scan_BadCursor_IsInvalid(string cursor)
    {
        using var c = Db(fx, 6);
        c.Call("SCAN", cursor).AssertError("ERR invalid cursor");
    }

    [Fact]
    public void Scan_BadOptions_AreSyntaxErrors()
    {
        using var c = Db(fx, 6);
        c.Call("SCAN", "0", "COUNT", "0").AssertError("ERR syntax error");
        c.Call("SCAN", "0", "COUNT", "x").AssertError("ERR value is not an integer or out of range");
        c.Call("SCAN", "0", "MATCH").AssertError("ERR syntax error");
        c.Call("SCAN", "0", "FOO", "bar").AssertError("ERR syntax error");
        // strtoul's cursor forms: empty is 0, "-1" wraps to the largest one (past the end).
        Assert.Equal("0", c.Call("SCAN", "").Items![0].Text);
        Assert.Equal("0", c.Call("SCAN", "-1").Items![0].Text);
    }
}
