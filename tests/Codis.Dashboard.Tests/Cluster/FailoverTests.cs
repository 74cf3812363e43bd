using System.Diagnostics;
using Codis.Core.Models;
using Codis.Core.Resp;
using Codis.Dashboard.Servers;
using Codis.Testing;
using Codis.Testing.Cluster;
using Xunit.Abstractions;

namespace Codis.Dashboard.Tests.Cluster;

/// <summary>
/// Replicas and automatic failover, with Debian's redis-server as the group servers (it replicates; the
/// dashboard only needs PING, INFO and REPLICAOF), behind our dashboard and proxy.
/// </summary>
public class FailoverTests(ITestOutputHelper output)
{
    private static Dictionary<string, string> Info(RedisServerProcess s)
    {
        using var c = s.Client();
        return RedisOps.ParseInfo(c.Call("INFO", "replication").Text ?? "");
    }

    [Fact]
    public async Task ReplicaIsMadeToReplicateAndADeadMasterIsReplacedWithoutAnOperator()
    {
        using var env = new SeedEnv(extraIni: "failover_down_after=2s");
        var dash = env.StartDashboard();
        var master = env.Own(RedisServerProcess.Start());
        var replica = env.Own(RedisServerProcess.Start());
        string m = $"127.0.0.1:{master.Port}", r = $"127.0.0.1:{replica.Port}";
        env.Ok("slot", "init");
        env.Ok("server", "add", "1", m, "master");
        env.Ok("server", "add", "1", r, "slave");
        SeedEnv.Eventually(() => Info(replica) is var i && i.GetValueOrDefault("role") == "slave" && i.GetValueOrDefault("master_link_status") == "up",
            TimeSpan.FromSeconds(20), "the replica follows the master");
        env.Refused("promote another server first", "server", "remove", "1", m);
        env.Ok("slot", "range-set", "0", "1023", "1", "online");
        var proxy = env.StartProxy();
        env.Ok("proxy", "online", "proxy_1");
        using (var c = proxy.Client()) LoadClient.Load(c, "f:", 1000);
        SeedEnv.Eventually(() => { using var rc = replica.Client(); return rc.Call("DBSIZE").Integer == 1000; }, TimeSpan.FromSeconds(20), "replicated");

        var sw = Stopwatch.StartNew();
        master.Kill();
        TimeSpan? firstWrite = null;
        while (sw.Elapsed < TimeSpan.FromSeconds(90) && firstWrite == null)
        {
            try
            {
                using var c = proxy.Client(2000);
                if (c.Call("SET", "after-failover", "1").Text == "OK") firstWrite = sw.Elapsed;
            }
            catch (IOException) { }
            if (firstWrite == null) Thread.Sleep(50);
        }
        if (firstWrite == null) output.WriteLine("dashboard:\n" + dash.Output + "\nproxy:\n" + proxy.Output);
        Assert.NotNull(firstWrite);
        output.WriteLine($"failover: kill -9 of the master to the first successful write through the proxy: {firstWrite.Value.TotalSeconds:0.00} s (down-after 2 s, checks every 1 s)");
        File.AppendAllText(Path.Combine(Path.GetTempPath(), "codis-failover-times.txt"), $"{DateTime.UtcNow:O} {firstWrite.Value.TotalSeconds:0.00}\n");
        // the dashboard's part: it decided and promoted within down-after plus a few checks
        var events = await env.FailoversAsync();
        Assert.Single(events);
        Assert.InRange(events[0]!["DownSeconds"]!.GetValue<double>(), 1.5, 8);
        Assert.True(firstWrite < TimeSpan.FromSeconds(75), $"failover took {firstWrite}");

        var list = env.Json("server", "list").AsArray();
        Assert.Equal(r, list[0]!["servers"]![0]!["addr"]!.GetValue<string>());
        Assert.Equal("master", Info(replica).GetValueOrDefault("role"));
        using (var c = proxy.Client()) Assert.Empty(LoadClient.Missing(c, "f:", 1000));
        // the push to the proxy was confirmed (a fill that waited out its drain timeout would be listed as unconfirmed)
        Assert.True(events[0]!["Error"] is null, $"the failover failed: {events[0]!["Error"]}");
        var promotion = events[0]!["Promotion"]!;
        Assert.Empty(promotion["Unconfirmed"]!.AsArray());
        Assert.Equal(0, promotion["HeldMs"]!.GetValue<double>()); // a failover locks nothing
        output.WriteLine($"failover switch: REPLICAOF NO ONE to the routing confirmed {promotion["SwitchMs"]} ms into the promotion");
        Assert.Equal(m, events[0]!["OldMaster"]!.GetValue<string>());
        Assert.Equal(r, events[0]!["NewMaster"]!.GetValue<string>());
    }

    [Fact]
    public void PromoteSwapsMasterAndRepointsTheOthers()
    {
        using var env = new SeedEnv(extraIni: "failover_down_after=0");
        env.StartDashboard();
        var a = env.Own(RedisServerProcess.Start());
        var b = env.Own(RedisServerProcess.Start());
        var c3 = env.Own(RedisServerProcess.Start());
        string A = $"127.0.0.1:{a.Port}", B = $"127.0.0.1:{b.Port}", C = $"127.0.0.1:{c3.Port}";
        env.Ok("server", "add", "1", A, "master");
        env.Ok("server", "add", "1", B, "slave");
        env.Ok("server", "add", "1", C, "slave");
        env.Ok("server", "promote", "1", B);
        // redis-server took the pause of its writes and the catch-up was judged on its offsets
        var rec = System.Text.Json.Nodes.JsonNode.Parse(env.Admin("--promotions").Stdout)!.AsArray()[^1]!;
        Assert.True(rec["WritesPaused"]!.GetValue<bool>(), rec.ToJsonString());
        Assert.True(rec["ReplicaOffset"]!.GetValue<long>() >= rec["MasterOffset"]!.GetValue<long>() && rec["MasterOffset"]!.GetValue<long>() >= 0, rec.ToJsonString());
        var servers = env.Json("server", "list")[0]!["servers"]!.AsArray().Select(s => s!["addr"]!.GetValue<string>()).ToList();
        Assert.Equal([B, C, A], servers);
        Assert.Equal("master", Info(b)["role"]);
        SeedEnv.Eventually(() => Info(a).GetValueOrDefault("master_port") == b.Port.ToString() && Info(c3).GetValueOrDefault("master_port") == b.Port.ToString(),
            TimeSpan.FromSeconds(10), "the others follow the new master");
        env.Refused("already the master", "server", "promote", "1", B);
        env.Ok("server", "remove", "1", A);
    }
}
