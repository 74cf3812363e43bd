using System.Text.Json.Nodes;
using Codis.Testing;
using Codis.Testing.Cluster;

namespace Codis.Dashboard.Tests.Cluster;

/// <summary>
/// codis-admin --sentinel-add / --sentinel-del [--force] / --sentinel-resync / --sentinel-info against a real dashboard,
/// codis-server and redis-sentinel: what the sentinel ends up monitoring, and what is refused with which words.
/// </summary>
public class SentinelCommandTests
{
    [Fact]
    public async Task SentinelAddResyncDel_SentinelMonitorsTheGroupsThenForgetsThem()
    {
        Assert.True(RedisSentinelProcess.Available, "redis-sentinel is not installed (test.sh installs it)");
        using var env = new SeedEnv(extraIni: "sentinel_down_after=5s\nsentinel_quorum=1\nsentinel_parallel_syncs=2");
        env.StartDashboard();
        var server = env.Own(CodisServerProcess.Start());
        env.Ok("server", "add", "1", $"127.0.0.1:{server.Port}", "master");
        var sentinel = env.Own(RedisSentinelProcess.Start());
        // a sentinel of another owner, left alone by resync and del
        using (var c = sentinel.Client()) Assert.Equal("OK", c.Call("SENTINEL", "MONITOR", "other", "127.0.0.1", server.Port.ToString(), "1").Text);

        // not a sentinel: refused by the FLUSHCONFIG check, nothing stored
        var bad = env.Admin("--sentinel-add", $"--addr=127.0.0.1:{server.Port}");
        Assert.True(bad.ExitCode != 0, bad.ToString());
        Assert.Contains("FLUSHCONFIG", bad.Stderr);
        Assert.True(env.Admin("--sentinel-add").ExitCode != 0);

        Ok(env, "--sentinel-add", "--addr=" + sentinel.Addr);
        var model = (await env.GetAsync(Codis.Core.Models.DashboardRoutes.Stats))!["sentinels"]!["model"]!;
        Assert.Equal(sentinel.Addr, model["servers"]![0]!.GetValue<string>());
        Assert.True(model["out_of_sync"]!.GetValue<bool>());

        Ok(env, "--sentinel-resync");
        var m = Fields(sentinel, "SENTINEL", "MASTER", "test-1");
        Assert.Equal(("127.0.0.1", server.Port.ToString(), "1", "5000", "2"),
            (m["ip"], m["port"], m["quorum"], m["down-after-milliseconds"], m["parallel-syncs"]));
        model = (await env.GetAsync(Codis.Core.Models.DashboardRoutes.Stats))!["sentinels"]!["model"]!;
        Assert.Null(model["out_of_sync"]);
        var monitored = JsonNode.Parse(Ok(env, "--sentinel-info", "--addr=" + sentinel.Addr, "--monitored"))!.AsArray();
        Assert.Equal("test-1", Assert.Single(monitored)!["master"]!["name"]!.GetValue<string>());

        // a new group's master makes the list out of sync; a second resync monitors it too and replaces (not duplicates) the rest
        var server2 = env.Own(CodisServerProcess.Start());
        env.Ok("server", "add", "2", $"127.0.0.1:{server2.Port}", "master");
        Assert.True((await env.GetAsync(Codis.Core.Models.DashboardRoutes.Stats))!["sentinels"]!["model"]!["out_of_sync"]!.GetValue<bool>());
        Ok(env, "--sentinel-resync");
        Assert.Equal(["other", "test-1", "test-2"], Names(sentinel));

        var unknown = env.Admin("--sentinel-del", "--addr=127.0.0.1:1");
        Assert.True(unknown.ExitCode != 0 && unknown.Stderr.Contains("does not exist"), unknown.ToString());
        Ok(env, "--sentinel-del", "--addr=" + sentinel.Addr);
        Assert.Equal(["other"], Names(sentinel));
        Assert.Null((await env.GetAsync(Codis.Core.Models.DashboardRoutes.Stats))!["sentinels"]!["model"]!["servers"]);

        // a dead sentinel leaves the list only with --force
        var s2 = env.Own(RedisSentinelProcess.Start());
        Ok(env, "--sentinel-add", "--addr=" + s2.Addr);
        s2.Kill();
        var refused = env.Admin("--sentinel-del", "--addr=" + s2.Addr);
        Assert.True(refused.ExitCode != 0 && refused.Stderr.Contains("--force"), refused.ToString());
        Ok(env, "--sentinel-del", "--addr=" + s2.Addr, "--force");
        Assert.Null((await env.GetAsync(Codis.Core.Models.DashboardRoutes.Stats))!["sentinels"]!["model"]!["servers"]);
    }

    [Fact]
    public void SentinelResync_WithProductAuth_SetsAuthPassAndMasterauth()
    {
        Assert.True(RedisSentinelProcess.Available, "redis-sentinel is not installed (test.sh installs it)");
        using var env = new SeedEnv(extraIni: "password=s3cret\nsentinel_down_after=5s\nsentinel_quorum=1");
        env.StartDashboard();
        var master = env.Own(CodisServerProcess.Start("--requirepass", "s3cret"));
        var replica = env.Own(CodisServerProcess.Start("--requirepass", "s3cret"));
        env.Ok("server", "add", "1", $"127.0.0.1:{master.Port}", "master");
        env.Ok("server", "add", "1", $"127.0.0.1:{replica.Port}", "slave");
        var sentinel = env.Own(RedisSentinelProcess.Start());
        Ok(env, "--sentinel-add", "--addr=" + sentinel.Addr);
        Ok(env, "--sentinel-resync");
        foreach (var s in new[] { master, replica })
        {
            using var c = s.Client();
            Assert.Equal("OK", c.Call("AUTH", "s3cret").Text);
            Assert.Equal("s3cret", c.Call("CONFIG", "GET", "masterauth").Items![1].Text);
        }
        // with auth-pass the sentinel reads the master's INFO, so it finds the replica and sees the master up
        SeedEnv.Eventually(() =>
        {
            var m = Fields(sentinel, "SENTINEL", "MASTER", "test-1");
            return m.GetValueOrDefault("num-slaves") == "1" && m.GetValueOrDefault("flags") == "master";
        }, TimeSpan.FromSeconds(20), "the sentinel authenticates to the master and finds its replica");
    }

    private static string Ok(SeedEnv env, params string[] args)
    {
        var r = env.Admin(args);
        Assert.True(r.ExitCode == 0, $"codis-admin {string.Join(' ', args)}: {r}");
        return r.Stdout;
    }

    private static Dictionary<string, string> Fields(RedisSentinelProcess s, params string[] args)
    {
        using var c = s.Client();
        var items = c.Call(args).Items ?? [];
        var d = new Dictionary<string, string>();
        for (int i = 0; i + 1 < items.Length; i += 2) d[items[i].Text!] = items[i + 1].Text!;
        return d;
    }

    private static List<string> Names(RedisSentinelProcess s)
    {
        using var c = s.Client();
        return (c.Call("SENTINEL", "MASTERS").Items ?? []).Select(m => m.Items![1].Text!).Order(StringComparer.Ordinal).ToList();
    }
}
