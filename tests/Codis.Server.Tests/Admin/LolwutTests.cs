using Codis.Server.Tests.Infrastructure;

namespace Codis.Server.Tests.Admin;

/// <summary>LOLWUT: our slot drawing, ending with "Codis.NET ver. x" as Redis's ends with "Redis ver. x"; Redis's argument errors.</summary>
public class LolwutTests(AdminFixture fx) : IClassFixture<AdminFixture>
{
    [Fact]
    public void Errors_SameAsRedis() => fx.AssertSame("""
        LOLWUT VERSION x
        LOLWUT VERSION 5 x
        LOLWUT VERSION 6 1 x
        LOLWUT VERSION 5 1 2 x
        LOLWUT VERSION 99999999999999999999
        """);

    [Theory]
    [InlineData]
    [InlineData("VERSION", "5")]
    [InlineData("VERSION", "6", "10", "10")]
    [InlineData("foo")]
    public void Drawing_SlotsWithKeys_ThenVersionLine(params string[] args)
    {
        using var c = fx.Client();
        c.Call("SELECT", "9").AssertOk();
        c.Call("FLUSHDB").AssertOk();
        var keys = new[] { "lw:a", "lw:b", "lw:c", "{lw}1", "{lw}2" };
        foreach (var k in keys) c.Call("SET", k, "1").AssertOk();
        var text = c.Call(["LOLWUT", .. args]).Text!;
        c.Call("SELECT", "0").AssertOk();
        var lines = text.Split('\n');
        Assert.Equal("", lines[^1]); // ends with a newline
        string version = AdminFixture.ParseInfo(c.Call("INFO", "server").Text!)["Server"]["codis_server_version"];
        Assert.Equal("Codis.NET ver. " + version, lines[^2]);
        var grid = lines.Take(32).ToArray();
        Assert.All(grid, row => Assert.Matches("^[#.]{32}$", row));
        int slotsWithKeys = keys.Select(k => Core.Slots.SlotHash.Slot(System.Text.Encoding.UTF8.GetBytes(k))).Distinct().Count();
        Assert.Equal(slotsWithKeys, grid.Sum(row => row.Count(ch => ch == '#')));
        Assert.Equal($"The 1024 slots of db 9: {slotsWithKeys} hold keys.", lines[^3]);
    }
}
