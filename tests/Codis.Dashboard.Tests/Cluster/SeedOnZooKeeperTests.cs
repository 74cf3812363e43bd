using System.Diagnostics;
using Codis.Core.Resp;
using Codis.Testing;
using Codis.Testing.Cluster;
using Xunit.Abstractions;

namespace Codis.Dashboard.Tests.Cluster;

/// <summary>
/// The seed's walk-through (../shared/seed) step by step, as the user typed it: the seed's config.ini with
/// coordinator=zookeeper on a real ZooKeeper, `codis-config` verbs, four codis-servers as two groups of master +
/// slave, the proxy started with the seed's flags, redis-cli, the 2,001-key shell loop, two slaves added online,
/// and the tear-down. Both of the seed's failures are checked: a dashboard killed with -9 does not block the
/// next one, and no operation leaves a lock behind.
/// </summary>
public class SeedOnZooKeeperTests(ITestOutputHelper output)
{
    /// <summary>What redis-cli prints for one command, trimmed.</summary>
    private static string RedisCli(int port, params string[] args) =>
        CliRunner.Exec("redis-cli", Path.GetTempPath(), TimeSpan.FromSeconds(20), ["-h", "127.0.0.1", "-p", port.ToString(), .. args]).Stdout.Trim();

    private static Dictionary<string, string> Replication(CodisServerProcess s)
    {
        using var c = s.Client();
        return Servers.RedisOps.ParseInfo(c.Call("INFO", "replication").Text ?? "");
    }

    private static long DbSize(CodisServerProcess s)
    {
        using var c = s.Client();
        return c.Call("DBSIZE").Integer;
    }

    private static void FollowsWithAllKeys(CodisServerProcess slave, CodisServerProcess master, string what) =>
        SeedEnv.Eventually(() => Replication(slave) is var r && r.GetValueOrDefault("role") == "slave"
                                 && r.GetValueOrDefault("master_link_status") == "up" && DbSize(slave) == DbSize(master),
            TimeSpan.FromSeconds(30), what);

    [Fact]
    public void SeedWalkthroughOnZooKeeper()
    {
        using var zk = ZooKeeperServerProcess.Start();
        using var env = new SeedEnv(coordinator: ("zookeeper", zk.Address));
        // the dashboard's lock is the one ephemeral node while no proxy runs: anything more is a lock left behind
        void OnlyTheDashboardLock(string after) =>
            SeedEnv.Eventually(() => zk.Metric("zk_ephemerals_count") == 1, TimeSpan.FromSeconds(15), $"only the dashboard lock after {after}");

        // 4.1 – 4.2: dashboard, slot init
        var dash = env.StartDashboard();
        env.Ok("slot", "init");
        OnlyTheDashboardLock("slot init");

        // 4.3 – 4.4: four codis-servers, two groups of a master and a slave (added as localhost:PORT, as the seed does)
        var s1 = env.Own(CodisServerProcess.Start());
        var s2 = env.Own(CodisServerProcess.Start());
        var s3 = env.Own(CodisServerProcess.Start());
        var s4 = env.Own(CodisServerProcess.Start());
        env.Ok("server", "add", "1", $"localhost:{s1.Port}", "master");
        env.Ok("server", "add", "1", $"localhost:{s2.Port}", "slave");
        env.Ok("server", "add", "2", $"localhost:{s3.Port}", "master");
        env.Ok("server", "add", "2", $"localhost:{s4.Port}", "slave");
        OnlyTheDashboardLock("server add");

        // 5: slot ranges
        env.Ok("slot", "range-set", "0", "511", "1", "online");
        env.Ok("slot", "range-set", "512", "1023", "2", "online");
        OnlyTheDashboardLock("range-set");

        // 6: the proxy with the seed's flags (en dashes as the blog typeset them), then proxy online
        int port = ManagedProcess.FreePort(), http = ManagedProcess.FreePort();
        var proxy = env.Own(new ManagedProcess("dotnet",
            [Binaries.Dll(BinaryNames.Proxy), "-c", "config.ini", "-L", "proxy.log", "\u2013cpu=2", $"\u2013addr=127.0.0.1:{port}", $"\u2013http-addr=127.0.0.1:{http}"], env.Dir));
        ManagedProcess.WaitForPort(port, TimeSpan.FromSeconds(30));
        // the proxy announces itself in ZooKeeper; `proxy online proxy_1` finds it there
        CliResult? online = null;
        try { SeedEnv.Eventually(() => (online = env.Config("proxy", "online", "proxy_1")).ExitCode == 0, TimeSpan.FromSeconds(30), "proxy online proxy_1"); }
        catch (TimeoutException)
        {
            string log = Path.Combine(env.Dir, "proxy.log");
            output.WriteLine($"{online}\nproxy.log:\n{(File.Exists(log) ? File.ReadAllText(log) : "(none)")}\n{proxy.Output}\ndashboard:\n{dash.Output}");
            throw;
        }
        Assert.Contains("proxy_1", env.Json("proxy", "list").ToJsonString());

        // 7: set a/b/c land in group 2 only
        foreach (var (k, v) in new[] { ("a", "1"), ("b", "2"), ("c", "3") })
            Assert.Equal("OK", RedisCli(port, "set", k, v));
        using (var c1 = s1.Client())
        using (var c3 = s3.Client())
        {
            Assert.Equal(0, c1.Call("EXISTS", "a", "b", "c").Integer);
            Assert.Equal(3, c3.Call("EXISTS", "a", "b", "c").Integer);
        }

        // the seed's loop, run by bash as the user ran it: 2,001 redis-cli calls of `set name{$i} ${i}`
        var script = Path.Combine(env.Dir, "load.sh");
        File.WriteAllText(script, $"""
            #!/bin/bash
            number=2000
            let i=0
            while [ $i -le $number ];do
            redis-cli -h 127.0.0.1 -p {port} set name{"{$i}"} ${"{i}"} >/dev/null
            ((i++))
            done
            """.Replace("\r", ""));
        var load = CliRunner.Exec("bash", env.Dir, TimeSpan.FromMinutes(5), script);
        Assert.True(load.ExitCode == 0, load.ToString());
        Assert.Equal(2001 + 3, DbSize(s1) + DbSize(s3));
        Assert.True(DbSize(s1) > 500 && DbSize(s3) > 500, $"keys spread over both groups: {DbSize(s1)} / {DbSize(s3)}");
        Assert.Equal("1234", RedisCli(port, "get", "name{1234}"));
        FollowsWithAllKeys(s2, s1, "group 1's slave has every key");
        FollowsWithAllKeys(s4, s3, "group 2's slave has every key");

        // 8: two more slaves, added online
        var s5 = env.Own(CodisServerProcess.Start());
        var s6 = env.Own(CodisServerProcess.Start());
        env.Ok("server", "add", "1", $"localhost:{s5.Port}", "slave");
        env.Ok("server", "add", "2", $"localhost:{s6.Port}", "slave");
        FollowsWithAllKeys(s5, s1, "the new slave of group 1 syncs");
        FollowsWithAllKeys(s6, s3, "the new slave of group 2 syncs");
        var groups = env.Json("server", "list").AsArray();
        Assert.Equal(3, groups[0]!["servers"]!.AsArray().Count);
        Assert.Equal(3, groups[1]!["servers"]!.AsArray().Count);

        // the seed's error 2: `server remove 2 <ip>:6380` (a slave of group 1, under another host name) hung on a
        // lock; ours answers at once with what is wrong, and the right call works
        env.Refused($"group 1 has localhost:{s2.Port}", "server", "remove", "2", $"127.0.0.1:{s2.Port}");
        env.Ok("server", "remove", "1", $"localhost:{s2.Port}");
        OnlyTheDashboardLockPlusProxy(zk);

        // 9.1 – 9.3: proxy offline (it exits, as in the seed), slot init -f, remove the groups
        env.Ok("proxy", "offline", "proxy_1");
        Assert.True(proxy.WaitForExit(TimeSpan.FromSeconds(15)), "the proxy kept running after proxy offline");
        OnlyTheDashboardLock("proxy offline");
        env.Ok("slot", "init", "-f");
        env.Ok("server", "remove-group", "1");
        env.Ok("server", "remove-group", "2");
        env.Refused("does not exist", "server", "remove-group", "3");
        Assert.Empty(env.Json("server", "list").AsArray());
        OnlyTheDashboardLock("remove-group");

        // the seed's error 1: the dashboard killed with -9 left its node ("dashboard already exists"). Here the
        // node is ephemeral and still alive for zk_session_timeout, yet the next dashboard starts at once...
        int pid = SeedEnv.DashboardPid(dash);
        Process.GetProcessById(pid).Kill();
        dash.WaitForExit(TimeSpan.FromSeconds(10));
        var sw = Stopwatch.StartNew();
        var dash2 = env.StartDashboard();
        output.WriteLine($"dashboard restarted after kill -9 in {sw.Elapsed.TotalSeconds:0.0} s");
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(25), "the new dashboard waited for the dead one's session to expire");
        Assert.Contains($"pid={pid}", dash2.Output);  // it says whose stale lock it removed
        env.Ok("slot", "init", "-f");   // and it writes the topology
        OnlyTheDashboardLock("the restart");

        // ...and `action remove-lock` says whose lock it removed
        int pid2 = SeedEnv.DashboardPid(dash2);
        Process.GetProcessById(pid2).Kill();
        dash2.WaitForExit(TimeSpan.FromSeconds(10));
        var removed = env.Config("action", "remove-lock");
        Assert.True(removed.ExitCode == 0, removed.ToString());
        Assert.Contains(pid2.ToString(), removed.Stdout + removed.Stderr);
        SeedEnv.Eventually(() => zk.Metric("zk_ephemerals_count") == 0, TimeSpan.FromSeconds(10), "no lock after remove-lock");
        env.StartDashboard();
        Assert.Equal(0, env.Json("slot", "info", "0")["group_id"]!.GetValue<int>());
    }

    private static void OnlyTheDashboardLockPlusProxy(ZooKeeperServerProcess zk) =>
        // the running proxy holds its own announcement (jodis); nothing else may be ephemeral
        Assert.InRange(zk.Metric("zk_ephemerals_count") ?? -1, 1, 3);
}
