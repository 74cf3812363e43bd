using System.Text;
using System.Text.RegularExpressions;
using Codis.Core.Resp;
using Codis.Server.Tests.Infrastructure;

namespace Codis.Server.Tests.Admin;

public class MonitorTests(AdminFixture fx) : IClassFixture<AdminFixture>
{
    /// <summary>The lines one monitor receives while another client runs commands, with time and port masked.</summary>
    private static List<string> Watch(Func<RespClient> connect)
    {
        using var monitor = connect();
        Assert.Equal("OK", monitor.Call("MONITOR").Text);
        using (var c = connect())
        {
            c.Call("SELECT", "3").AssertOk();
            c.Call("SET", "mon:k", "a \"b\"\n\x01").AssertOk();
            c.Call("GET", "mon:k");
            c.Call("CONFIG", "GET", "maxclients"); // admin: not shown
            c.Call("GET", "mon:k", "extra");      // rejected before running: not shown
            c.Call("ECHO", "last");
        }
        var lines = new List<string>();
        for (int i = 0; i < 4; i++) lines.Add(monitor.Read().Text!);
        return lines.Select(l => Regex.Replace(l, @"^\d+\.\d{6} \[(\d+) 127\.0\.0\.1:\d+\]", "T [$1 ADDR]")).ToList();
    }

    [Fact]
    public void Lines_SameAsRedis()
    {
        var theirs = Watch(() => fx.Redis.Client());
        var ours = Watch(() => fx.Client());
        Assert.Equal(theirs, ours);
        Assert.Equal("T [3 ADDR] \"SET\" \"mon:k\" \"a \\\"b\\\"\\n\\x01\"", ours[1]);
    }

    [Fact]
    public void ClosingTheMonitor_StopsTheFeed_ServerKeepsWorking()
    {
        using (var monitor = fx.Client())
        {
            Assert.Equal("OK", monitor.Call("MONITOR").Text);
            using var c = fx.Client();
            c.Call("PING");
            Assert.Matches(@"^\d+\.\d{6} \[0 127\.0\.0\.1:\d+\] ""PING""$", monitor.Read().Text!);
        }
        using var after = fx.Client();
        for (int i = 0; i < 100; i++) after.Call("SET", "mon:after", i).AssertOk();
        Assert.Equal("99", after.Call("GET", "mon:after").Text);
    }

    [Fact]
    public void Auth_IsRedacted()
    {
        string line = Encoding.UTF8.GetString(Codis.Server.Networking.MonitorFeed.Format(
            new Codis.Server.Networking.ClientSession(null, null, 0), RespRequest.FromStrings("AUTH", "default", "secret"), 1_700_000_000_123_456));
        Assert.Equal("+1700000000.123456 [0 ?] \"AUTH\" \"(redacted)\" \"(redacted)\"\r\n", line);
    }
}
