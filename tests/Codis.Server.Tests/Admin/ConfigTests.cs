using Codis.Server.Tests.Infrastructure;
using Codis.Testing;

namespace Codis.Server.Tests.Admin;

public class ConfigTests(AdminFixture fx) : IClassFixture<AdminFixture>
{
    [Fact]
    public void ErrorsAndGets_SameAsRedis() => fx.AssertSame("""
        CONFIG GET maxclients
        CONFIG GET maxc*
        CONFIG GET nonexist
        CONFIG GET
        CONFIG SET a b c
        CONFIG SET maxclients 100 timeout
        CONFIG SET nope 1
        CONFIG SET maxclients abc
        CONFIG SET timeout -1
        CONFIG SET maxclients 100 maxclients 200
        CONFIG SET databases 3
        CONFIG SET daemonize yes
        CONFIG SET loglevel bogus
        CONFIG SET proto-max-bulk-len 10
        CONFIG SET slowlog-log-slower-than abc
        CONFIG SET maxmemory 1gb
        CONFIG GET maxmemory
        CONFIG SET maxmemory 0
        CONFIG RESETSTAT x
        CONFIG REWRITE
        CONFIG HELP
        CONFIG FOO
        """);

    [Fact]
    public void Set_SeveralPairs_AllOrNothing()
    {
        using var c = fx.Client();
        c.Call("CONFIG", "SET", "slowlog-max-len", "50", "hz", "20").AssertOk();
        Assert.Equal(new string?[] { "slowlog-max-len", "50", "hz", "20" }, c.Call("CONFIG", "GET", "slowlog-max-len", "hz").Strings());
        // The second pair is invalid: the first is not applied either.
        c.Call("CONFIG", "SET", "slowlog-max-len", "60", "hz", "abc").AssertError("ERR CONFIG SET failed (possibly related to argument 'hz')");
        Assert.Equal("50", c.Call("CONFIG", "GET", "slowlog-max-len").Strings()[1]);
        c.Call("CONFIG", "SET", "slowlog-max-len", "128", "hz", "10").AssertOk();
    }

    [Fact]
    public void Set_TakesEffect_MaxclientsAndRequirepass()
    {
        using var server = CodisServerProcess.Start();
        using var admin = server.Client();
        admin.Call("CONFIG", "SET", "requirepass", "s3cret").AssertOk();
        using (var other = server.Client())
        {
            other.Call("GET", "x").AssertError("NOAUTH");
            other.Call("AUTH", "s3cret").AssertOk();
        }
        // The other client's close is asynchronous: wait until only this one is left before counting.
        var sw = System.Diagnostics.Stopwatch.StartNew();
        while (!admin.Call("INFO", "clients").Text!.Contains("connected_clients:1\r\n") && sw.ElapsedMilliseconds < 5000) Thread.Sleep(20);
        admin.Call("CONFIG", "SET", "maxclients", "2").AssertOk();
        using var second = server.Client();
        second.Call("AUTH", "s3cret").AssertOk();
        using var third = server.Client();
        var reply = third.Read();
        reply.AssertError("ERR max number of clients reached");
    }

    [Fact]
    public void Maxmemory_RefusesWritesAboveIt_ReadsStillWork()
    {
        using var server = CodisServerProcess.Start();
        using var c = server.Client();
        c.Call("SET", "mm:k", "v").AssertOk();
        c.Call("CONFIG", "SET", "maxmemory", "1").AssertOk();
        c.Call("SET", "mm:k2", "v").AssertError("OOM command not allowed when used memory > 'maxmemory'.");
        Assert.Equal("v", c.Call("GET", "mm:k").Text);
        c.Call("DEL", "mm:k").AssertInt(); // DEL is not denied (it frees memory)
        c.Call("CONFIG", "SET", "maxmemory", "0").AssertOk();
        c.Call("SET", "mm:k2", "v").AssertOk();
    }

    [Fact]
    public void ResetStat_ClearsCountersAndCommandStats()
    {
        using var server = CodisServerProcess.Start();
        using var c = server.Client();
        c.Call("GET", "x");
        c.Call("INCR", "nope", "extra").AssertError("ERR wrong number");
        c.Call("CONFIG", "RESETSTAT").AssertOk();
        var info = AdminFixture.ParseInfo(c.Call("INFO", "all").Text!);
        Assert.Equal(["cmdstat_config|resetstat"], info["Commandstats"].Keys);
        Assert.Empty(info["Errorstats"]);
        Assert.Equal("0", info["Stats"]["keyspace_misses"]);
        Assert.Equal("0", info["Stats"]["total_error_replies"]);
    }

    [Fact]
    public void Rewrite_UpdatesKnownLines_KeepsComments_AppendsChanges_AndTheFileLoadsAgain()
    {
        string dir = Directory.CreateTempSubdirectory("codis-rewrite-").FullName;
        string file = Path.Combine(dir, "server.toml");
        File.WriteAllText(file, """
            # my settings
            timeout = 30   # idle clients

            maxclients = 500
            """);
        using var server = CodisServerProcess.Start(file, "--loglevel", "notice");
        using var c = server.Client();
        Assert.Equal("30", c.Call("CONFIG", "GET", "timeout").Strings()[1]);
        c.Call("CONFIG", "SET", "timeout", "45", "slowlog-max-len", "77").AssertOk();
        c.Call("CONFIG", "REWRITE").AssertOk();
        string text = File.ReadAllText(file);
        Assert.Contains("# my settings", text);
        Assert.Contains("timeout = 45", text);
        Assert.DoesNotContain("timeout = 30", text);
        Assert.Contains("maxclients = 500", text);
        Assert.Contains("slowlog-max-len = 77", text);
        server.Dispose();
        using var again = CodisServerProcess.Start(file);
        using var c2 = again.Client();
        Assert.Equal(new string?[] { "timeout", "45", "slowlog-max-len", "77", "maxclients", "500" },
            c2.Call("CONFIG", "GET", "timeout", "slowlog-max-len", "maxclients").Strings());
    }

    [Fact]
    public void Rewriter_KeepsUnknownKeysAndTables_NewKeysGoBeforeTheFirstTable()
    {
        var settings = Codis.Server.Config.ServerSettings.Create();
        string file = Path.Combine(Directory.CreateTempSubdirectory("codis-rewrite-").FullName, "x.toml");
        File.WriteAllText(file, "unknown-thing = \"kept\"   # not ours\ntimeout = 1\nbind = [\n  \"127.0.0.1\",\n]\n\n[extras]\ntimeout = \"not top-level\"\n");
        settings.TrySet("timeout", "9");
        settings.TrySet("hz", "25");
        Codis.Core.Config.TomlRewriter.Rewrite(settings, file);
        string text = File.ReadAllText(file);
        Assert.Contains("unknown-thing = \"kept\"   # not ours", text);
        Assert.Contains("timeout = 9\n", text);
        Assert.Contains("bind = \"127.0.0.1\"\n", text);
        Assert.DoesNotContain("  \"127.0.0.1\",", text);
        Assert.Contains("[extras]\ntimeout = \"not top-level\"", text);
        Assert.True(text.IndexOf("hz = 25", StringComparison.Ordinal) < text.IndexOf("[extras]", StringComparison.Ordinal));
    }

    [Fact]
    public void Rewrite_WithoutConfigFile_ClearError()
    {
        using var c = fx.Client();
        c.Call("CONFIG", "REWRITE").AssertError("ERR The server is running without a config file");
    }
}
