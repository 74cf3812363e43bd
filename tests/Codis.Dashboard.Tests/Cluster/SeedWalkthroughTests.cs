using System.Text.Json.Nodes;
using Codis.Core.Resp;
using Codis.Testing;
using Codis.Testing.Cluster;

namespace Codis.Dashboard.Tests.Cluster;

/// <summary>The seed's walk-through with our binaries: codis-config verbs and replies, keys land in the right group.</summary>
public class SeedWalkthroughTests
{
    private static string Get(RespClient c, string key) => c.Call("GET", key).Text ?? "(nil)";

    [Fact]
    public void SeedStepsWorkEndToEnd()
    {
        using var env = new SeedEnv();
        var dash = env.StartDashboard();

        env.Ok("slot", "init");
        env.Refused("already initialized", "slot", "init");
        env.Ok("slot", "init", "-f");

        var g1 = env.Own(CodisServerProcess.Start());
        var g2 = env.Own(CodisServerProcess.Start());
        env.Ok("server", "add", "1", $"127.0.0.1:{g1.Port}", "master");
        env.Ok("server", "add", "2", $"127.0.0.1:{g2.Port}", "master");
        var spare = env.Own(CodisServerProcess.Start());
        env.Refused("already has a master", "server", "add", "1", $"127.0.0.1:{spare.Port}", "master");
        env.Refused("already in group 1", "server", "add", "2", $"127.0.0.1:{g1.Port}", "slave");
        env.Refused("does not answer PING", "server", "add", "3", $"127.0.0.1:{ManagedProcess.FreePort()}", "master");

        env.Ok("slot", "range-set", "0", "511", "1", "online");
        env.Ok("slot", "range-set", "512", "1023", "2", "online");
        env.Refused("belongs to group 1", "slot", "range-set", "500", "520", "2", "online");

        var proxy = env.StartProxy();
        using (var offline = proxy.Client())
        {
            // offline until told: an error reply, or the connection closed at once
            try { Assert.True(offline.Call("GET", "a").IsError); }
            catch (IOException) { }
        }
        env.Ok("proxy", "online", "proxy_1");

        using (var c = proxy.Client())
        {
            Assert.Equal("OK", c.Call("SET", "a", "1").Text);     // slot 579 → group 2
            Assert.Equal("OK", c.Call("SET", "b", "2").Text);     // slot 1017 → group 2
            Assert.Equal("OK", c.Call("SET", "c", "3").Text);     // slot 879 → group 2
            Assert.Equal("OK", c.Call("SET", "foo", "x").Text);   // slot 289 → group 1
            Assert.Equal("1", Get(c, "a"));
        }
        using (var s1 = g1.Client())
        using (var s2 = g2.Client())
        {
            Assert.Equal(("1", "2", "3"), (Get(s2, "a"), Get(s2, "b"), Get(s2, "c")));
            Assert.Equal("(nil)", Get(s1, "a"));
            Assert.Equal("x", Get(s1, "foo"));
            Assert.Equal("(nil)", Get(s2, "foo"));
        }

        var list = env.Json("server", "list").AsArray();
        Assert.Equal(2, list.Count);
        Assert.Equal("test", list[0]!["product_name"]!.GetValue<string>());
        Assert.Equal($"127.0.0.1:{g1.Port}", list[0]!["servers"]![0]!["addr"]!.GetValue<string>());
        Assert.Equal("master", list[0]!["servers"]![0]!["type"]!.GetValue<string>());

        var info = env.Json("slot", "info", "600");
        Assert.Equal(2, info["group_id"]!.GetValue<int>());

        env.Refused("still owns or receives 512 slots (0-511)", "server", "remove-group", "1");

        env.Ok("proxy", "offline", "proxy_1");
        Assert.True(proxy.WaitForExit(TimeSpan.FromSeconds(15)), "the proxy kept running after proxy offline");
        Assert.Empty(env.Json("proxy", "list").AsArray());

        env.Ok("slot", "init", "-f");
        env.Ok("server", "remove-group", "1");
        env.Ok("server", "remove-group", "2");
        env.Refused("does not exist", "server", "remove-group", "3");
        Assert.Empty(env.Json("server", "list").AsArray());
        Assert.False(dash.HasExited);
    }

    [Fact]
    public void DashboardStartedTwiceThroughCodisConfigSaysWhatHoldsTheLock()
    {
        using var env = new SeedEnv();
        var first = env.StartDashboard();
        int pid = SeedEnv.DashboardPid(first);
        var second = env.Own(new ManagedProcess("dotnet", [Binaries.Dll(BinaryNames.Config), "dashboard"], env.Dir));
        Assert.True(second.WaitForExit(TimeSpan.FromSeconds(20)), second.Output);
        Assert.NotEqual(0, second.ExitCode);
        Assert.Contains($"pid={pid}", second.Output);
        Assert.Contains("codis-config action remove-lock", second.Output);

        // kill -9 the first: the next one starts without any clean-up
        System.Diagnostics.Process.GetProcessById(pid).Kill();
        first.WaitForExit(TimeSpan.FromSeconds(10));
        var third = env.StartDashboard();
        Assert.NotEqual(pid, SeedEnv.DashboardPid(third));
        env.Ok("slot", "init");
    }
}

/// <summary>The proxy started from the seed's config.ini registers itself with a dashboard that requires an admin token.</summary>
public class SeedProxyRegistrationTests
{
    [Fact]
    public void ProxyFromConfigIniRegistersWithATokenProtectedDashboard()
    {
        using var env = new SeedEnv(extraIni: "dashboard_token=s3cret");
        env.StartDashboard();
        var g1 = env.Own(CodisServerProcess.Start());
        env.Ok("slot", "init");
        env.Ok("server", "add", "1", $"127.0.0.1:{g1.Port}", "master");
        env.Ok("slot", "range-set", "0", "1023", "1", "online");
        int port = ManagedProcess.FreePort();
        var proxy = env.Own(new ManagedProcess("dotnet",
            [Binaries.Dll(BinaryNames.Proxy), "-c", "config.ini", $"--addr=127.0.0.1:{port}", "--http-addr=127.0.0.1:0"], env.Dir));
        proxy.WaitForOutput("registered with the dashboard", TimeSpan.FromSeconds(30));
        env.Ok("proxy", "online", "proxy_1");
        using var c = new RespClient("127.0.0.1", port, TimeSpan.FromSeconds(10));
        Assert.Equal("OK", c.Call("SET", "k", "v").Text);
        // without the token the dashboard refuses, and says why
        var anonymous = CliRunner.CodisAdmin(env.Dir, "--dashboard=" + env.DashboardAddr, "--list-proxy");
        Assert.NotEqual(0, anonymous.ExitCode);
        Assert.Contains("missing admin token", anonymous.Stdout + anonymous.Stderr);
    }
}
