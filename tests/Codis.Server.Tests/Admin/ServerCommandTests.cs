using System.Diagnostics;
using Codis.Server.Tests.Infrastructure;
using Codis.Testing;

namespace Codis.Server.Tests.Admin;

public class ServerCommandTests(AdminFixture fx) : IClassFixture<AdminFixture>
{
    [Fact]
    public void Errors_SameAsRedis() => fx.AssertSame("""
        SET dk hello
        DEBUG OBJECT nokey
        DEBUG SLEEP 0
        DEBUG SLEEP abc
        DEBUG SET-ACTIVE-EXPIRE 1
        DEBUG nosuch
        SLOWLOG GET abc
        SLOWLOG GET -2
        SLOWLOG LEN x
        SLOWLOG foo
        SLOWLOG HELP
        TIME x
        CLUSTER INFO
        CLUSTER NODES
        CLUSTER SLOTS
        CLUSTER MYID
        CLUSTER KEYSLOT x
        CLUSTER FOO
        """);

    [Fact]
    public void Time_IsNow()
    {
        using var c = fx.Client();
        var t = c.Call("TIME").Strings();
        long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        Assert.InRange(long.Parse(t[0]!), now - 5, now + 5);
        Assert.InRange(long.Parse(t[1]!), 0, 999_999);
    }

    [Fact]
    public void DebugObject_LikeRedis()
    {
        using var ours = fx.Client();
        using var theirs = fx.Redis.Client();
        foreach (var c in new[] { ours, theirs }) c.Call("SET", "dobj", "hello").AssertOk();
        static string Stable(string s) => System.Text.RegularExpressions.Regex.Replace(s, @"Value at:0x[0-9a-f]+ | lru:\d+| lru_seconds_idle:\d+", "");
        Assert.Equal(Stable(theirs.Call("DEBUG", "OBJECT", "dobj").Text!), Stable(ours.Call("DEBUG", "OBJECT", "dobj").Text!));
        foreach (var c in new[] { ours, theirs }) c.Call("SET", "dobj", "12345").AssertOk();
        Assert.Equal(Stable(theirs.Call("DEBUG", "OBJECT", "dobj").Text!), Stable(ours.Call("DEBUG", "OBJECT", "dobj").Text!));
    }

    [Fact]
    public async Task DebugSleep_BlocksTheServer()
    {
        using var a = fx.Client();
        using var b = fx.Client();
        var sleep = Task.Run(() => a.Call("DEBUG", "SLEEP", "0.5"));
        await Task.Delay(100);
        var sw = Stopwatch.StartNew();
        Assert.Equal("PONG", b.Call("PING").Text);
        (await sleep).AssertOk();
        Assert.True(sw.ElapsedMilliseconds >= 250, $"PING answered after {sw.ElapsedMilliseconds} ms during DEBUG SLEEP");
    }

    [Fact]
    public void DebugSetActiveExpire_OffKeepsExpiredKeysUntilAccessed()
    {
        using var server = CodisServerProcess.Start("--enable-debug-command", "yes", "--hz", "100");
        using var c = server.Client();
        c.Call("DEBUG", "SET-ACTIVE-EXPIRE", "0").AssertOk();
        c.Call("SET", "ae:k", "v", "PX", "50").AssertOk();
        Thread.Sleep(400);
        Assert.Contains("db0:keys=1,", c.Call("INFO", "keyspace").Text!);
        c.Call("DEBUG", "SET-ACTIVE-EXPIRE", "1").AssertOk();
        var sw = Stopwatch.StartNew();
        while (c.Call("INFO", "keyspace").Text!.Contains("db0:") && sw.ElapsedMilliseconds < 5000) Thread.Sleep(20);
        Assert.DoesNotContain("db0:", c.Call("INFO", "keyspace").Text!);
    }

    [Fact]
    public void Debug_DisabledByDefault_LikeRedis()
    {
        using var server = CodisServerProcess.Start();
        using var c = server.Client();
        c.Call("DEBUG", "SLEEP", "0").AssertError("ERR DEBUG command not allowed.");
    }

    [Fact]
    public void Slowlog_RecordsGetLenReset()
    {
        using var server = CodisServerProcess.Start();
        using var c = server.Client();
        c.Call("CONFIG", "SET", "slowlog-log-slower-than", "0").AssertOk();
        c.Call("CLIENT", "SETNAME", "slowpoke").AssertOk();
        c.Call("SET", "slow:k", new string('x', 200)).AssertOk();
        Assert.True(c.Call("SLOWLOG", "LEN").AssertInt() >= 2);
        Assert.Single(c.Call("SLOWLOG", "GET", "1").Items!);
        // Newest first: the SLOWLOG LEN above, then the SET.
        var e = c.Call("SLOWLOG", "GET", "-1").Items!.Select(x => x.Items!).First(x => x[3].Items![0].Text == "SET");
        Assert.Equal(6, e.Length);
        Assert.True(e[0].Integer >= 1);
        Assert.InRange(e[1].Integer, DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 10, DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 1);
        var args = e[3].Strings();
        Assert.Equal("SET", args[0]);
        Assert.Equal(new string('x', 128) + "... (72 more bytes)", args[2]);
        Assert.StartsWith("127.0.0.1:", e[4].Text);
        Assert.Equal("slowpoke", e[5].Text);
        Assert.True(c.Call("SLOWLOG", "GET", "-1").Items!.Length >= 3);
        c.Call("CONFIG", "SET", "slowlog-max-len", "2").AssertOk();
        c.Call("PING");
        c.Call("PING");
        Assert.Equal(2, c.Call("SLOWLOG", "LEN").AssertInt());
        c.Call("SLOWLOG", "RESET").AssertOk();
        Assert.True(c.Call("SLOWLOG", "LEN").AssertInt() <= 1);
    }
}
