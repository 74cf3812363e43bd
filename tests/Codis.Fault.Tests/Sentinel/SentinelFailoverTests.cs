using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Codis.Core.Models;
using Codis.Fault.Tests.Support;
using Codis.Testing;
using Codis.Testing.Cluster;
using Xunit.Abstractions;

namespace Codis.Fault.Tests.Sentinel;

/// <summary>
/// Redis Sentinel HA as Codis 3.2 offers it, end to end: two groups (a master and a replica each), three real
/// redis-sentinel processes added with codis-admin --sentinel-add and --sentinel-resync; a group master is killed -9
/// while a client writes through the proxy; Sentinel promotes the replica, the proxy (watching the sentinels
/// itself) routes to it, and the dashboard's stored group names it first. With the dashboard stopped, the proxy
/// alone follows the sentinels. The dashboard's own failover stays off meanwhile (one promoter).
/// </summary>
[Collection(FaultCollection.Name)]
public class SentinelFailoverTests(ITestOutputHelper output)
{
    // Sentinel's down-after at 1 s keeps the test short; the dashboard's own failover would act after 2 s if it were on.
    private const string Ini = "sentinel_down_after=1s\nsentinel_failover_timeout=10s\nsentinel_quorum=2\nfailover_down_after=2s\nfailover_interval=500ms";

    [Fact]
    public async Task KilledMaster_SentinelPromotes_ProxyAndDashboardFollow()
    {
        using var cluster = FaultCluster.Start(groups: 2, replicas: true, extraIni: Ini);
        var sentinels = StartSentinels(cluster);
        var (master, replica) = (cluster.Groups[0][0], cluster.Groups[0][1]);

        var failover = await KillAndMeasureAsync(cluster, sentinels, gid: 1, master, replica, "with the dashboard up");

        // the dashboard's watcher put the new master first (out of sync: the proxies switched by themselves)
        var g1 = await GroupAsync(cluster, 1);
        SeedEnv.Eventually(() => (g1 = GroupAsync(cluster, 1).GetAwaiter().GetResult())["servers"]![0]!["server"]!.GetValue<string>() == FaultCluster.Addr(replica),
            TimeSpan.FromSeconds(30), "the dashboard's group 1 names the new master first");
        Assert.True(g1["out_of_sync"]?.GetValue<bool>() ?? false, g1.ToJsonString());
        Assert.Equal(FaultCluster.Addr(master), g1["servers"]![1]!["server"]!.GetValue<string>());
        // group 2 is untouched, and the dashboard did not fail over by itself
        Assert.Equal(FaultCluster.Addr(cluster.Groups[1][0]), (await GroupAsync(cluster, 2))["servers"]![0]!["server"]!.GetValue<string>());
        Assert.Empty((await cluster.Env.GetAsync(DashboardRoutes.Failovers))!.AsArray());
        // the dashboard's stats show the sentinels and the masters they named
        var stats = (await cluster.Env.GetAsync(DashboardRoutes.Stats))!;
        Assert.Equal(3, stats["sentinels"]!["model"]!["servers"]!.AsArray().Count);
        Assert.Equal(FaultCluster.Addr(replica), stats["sentinels"]!["masters"]!["1"]!.GetValue<string>());
        Assert.InRange(failover, TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(30));

        // the old master comes back: Sentinel makes it a replica of the new one (the dashboard does not repoint)
        var back = cluster.Restart(master);
        FaultCluster.WaitReplicating(back, replica, TimeSpan.FromSeconds(40));
    }

    [Fact]
    public async Task DashboardStopped_ProxyAloneFollowsTheSentinels()
    {
        using var cluster = FaultCluster.Start(groups: 2, replicas: true, extraIni: Ini);
        var sentinels = StartSentinels(cluster);
        cluster.Dashboard.Kill();
        Assert.True(cluster.Dashboard.HasExited);
        var (master, replica) = (cluster.Groups[1][0], cluster.Groups[1][1]);
        var failover = await KillAndMeasureAsync(cluster, sentinels, gid: 2, master, replica, "with the dashboard stopped");
        Assert.InRange(failover, TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(30));

        // the dashboard, started again, learns the switch from the sentinels and does not send the proxy back
        cluster.Dashboard = cluster.Env.StartDashboard();
        SeedEnv.Eventually(() => GroupAsync(cluster, 2).GetAwaiter().GetResult()["servers"]![0]!["server"]!.GetValue<string>() == FaultCluster.Addr(replica),
            TimeSpan.FromSeconds(30), "the restarted dashboard's group 2 names the new master first");
        await Task.Delay(2000); // a few health rounds
        var slot = (await Http.GetFromJsonAsync<JsonNode>($"http://{cluster.Proxies[0].AdminAddr}/proxy/slots"))!.AsArray()[600]!;
        Assert.Equal(FaultCluster.Addr(replica), slot["backend_addr"]!.GetValue<string>());
        using var c = cluster.Proxies[0].Client();
        Assert.Equal("OK", c.Call("SET", Keys.TagIn(512, 1023, "r") + "x", "1").Text);
        Assert.Empty((await cluster.Env.GetAsync(DashboardRoutes.Failovers))!.AsArray());
    }

    [Fact]
    public async Task OneOfThreeSentinelsDead_ProxyStillFollowsTheMajority()
    {
        using var cluster = FaultCluster.Start(groups: 2, replicas: true, extraIni: Ini);
        var sentinels = StartSentinels(cluster);
        sentinels[2].Kill();
        var (master, replica) = (cluster.Groups[0][0], cluster.Groups[0][1]);
        var failover = await KillAndMeasureAsync(cluster, sentinels.Take(2).ToList(), gid: 1, master, replica, "with one of the three sentinels dead");
        Assert.InRange(failover, TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task SentinelsAddedButNotResynced_DashboardStillFailsOverItself()
    {
        using var cluster = FaultCluster.Start(groups: 1, replicas: true, extraIni: Ini);
        var sentinel = cluster.Env.Own(RedisSentinelProcess.Start());
        var r = cluster.Env.Admin("--sentinel-add", "--addr=" + sentinel.Addr);
        Assert.True(r.ExitCode == 0, r.ToString());
        // the sentinel monitors nothing yet (out of sync): the group is still the dashboard's to fail over
        var (master, replica) = (cluster.Groups[0][0], cluster.Groups[0][1]);
        await Task.Delay(2500); // the dashboard's first down-after window
        master.Kill();
        var events = await cluster.Env.FailoversAsync(atLeast: 1, timeoutSeconds: 30);
        Assert.Equal(FaultCluster.Addr(replica), Assert.Single(events)!["NewMaster"]!.GetValue<string>());
        using var c = sentinel.Client();
        Assert.Empty(c.Call("SENTINEL", "MASTERS").Items!);
    }

    /// <summary>Three sentinels, added and resynced through codis-admin; returns once they see each group's replica and each other.</summary>
    private List<RedisSentinelProcess> StartSentinels(FaultCluster cluster)
    {
        Assert.True(RedisSentinelProcess.Available, "redis-sentinel is not installed (test.sh installs it)");
        var sentinels = Enumerable.Range(0, 3).Select(_ => cluster.Env.Own(RedisSentinelProcess.Start())).ToList();
        foreach (var s in sentinels)
        {
            var r = cluster.Env.Admin("--sentinel-add", "--addr=" + s.Addr);
            Assert.True(r.ExitCode == 0, r.ToString());
        }
        var again = cluster.Env.Admin("--sentinel-add", "--addr=" + sentinels[0].Addr);
        Assert.True(again.ExitCode != 0 && again.Stderr.Contains("already exists"), again.ToString());
        var resync = cluster.Env.Admin("--sentinel-resync");
        Assert.True(resync.ExitCode == 0, resync.ToString());
        string product = cluster.Env.Product;
        SeedEnv.Eventually(() => sentinels.All(s => Enumerable.Range(1, 2).All(gid =>
        {
            using var c = s.Client();
            var m = SentinelServerTests.Fields(c.Call("SENTINEL", "MASTER", $"{product}-{gid}"));
            return m.GetValueOrDefault("num-slaves") == "1" && m.GetValueOrDefault("num-other-sentinels") == "2"
                && m.GetValueOrDefault("down-after-milliseconds") == "1000" && m.GetValueOrDefault("failover-timeout") == "10000";
        })), TimeSpan.FromSeconds(30), "every sentinel monitors both groups and sees their replicas and the other sentinels");
        // every proxy got the list and subscribed
        foreach (var p in cluster.Proxies)
            SeedEnv.Eventually(() => ProxyStats(p)["sentinels"]?["servers"]?.AsArray().Count == 3, TimeSpan.FromSeconds(10), "the proxy has the sentinels");
        return sentinels;
    }

    /// <summary>kill -9 of a group's master under a write load through the proxy; returns the time from the kill to the first write acknowledged after it.</summary>
    private async Task<TimeSpan> KillAndMeasureAsync(FaultCluster cluster, List<RedisSentinelProcess> sentinels, int gid,
        CodisServerProcess master, CodisServerProcess replica, string how)
    {
        var proxy = cluster.Proxies[0];
        int from = (gid - 1) * 512, to = gid * 512 - 1;
        string tag = Keys.TagIn(from, to, "s" + gid);
        var clock = Stopwatch.StartNew();
        long killedAtTicks = long.MaxValue, firstAckTicks = 0;
        int acks = 0, errors = 0;
        using var stop = new CancellationTokenSource();
        var writer = Task.Run(() =>
        {
            Codis.Core.Resp.RespClient? c = null;
            for (long i = 0; !stop.IsCancellationRequested; i++)
            {
                long sent = clock.ElapsedTicks;
                try
                {
                    c ??= proxy.Client(2000);
                    var r = c.Call("SET", $"{tag}k{i % 200}", i.ToString());
                    if (r.Text == "OK")
                    {
                        Interlocked.Increment(ref acks);
                        if (sent > Interlocked.Read(ref killedAtTicks)) Interlocked.CompareExchange(ref firstAckTicks, clock.ElapsedTicks, 0);
                    }
                    else { Interlocked.Increment(ref errors); Thread.Sleep(5); }
                }
                catch (Exception e) when (e is IOException or TimeoutException or System.Net.Sockets.SocketException)
                {
                    Interlocked.Increment(ref errors);
                    c?.Dispose();
                    c = null;
                    Thread.Sleep(5);
                }
            }
            c?.Dispose();
        });
        SeedEnv.Eventually(() => Volatile.Read(ref acks) >= 100, TimeSpan.FromSeconds(20), "writes acknowledged before the kill");
        int errorsBefore = Volatile.Read(ref errors);

        // the clock starts once the process is gone (Kill waits for the exit): a write sent before could still be answered
        master.Kill();
        Interlocked.Exchange(ref killedAtTicks, clock.ElapsedTicks);
        SeedEnv.Eventually(() => Interlocked.Read(ref firstAckTicks) != 0, TimeSpan.FromSeconds(30), $"a write through the proxy succeeds after the kill ({how})");
        var failover = TimeSpan.FromTicks((long)((Interlocked.Read(ref firstAckTicks) - killedAtTicks) * (double)TimeSpan.TicksPerSecond / Stopwatch.Frequency));
        await Task.Delay(300);
        stop.Cancel();
        await writer;
        output.WriteLine($"Redis Sentinel failover {how}: kill -9 of group {gid}'s master → first write acknowledged through the proxy: " +
            $"{failover.TotalSeconds:0.00} s (sentinel down-after 1 s, 3 sentinels, quorum 2); {errors - errorsBefore} failed requests meanwhile, {acks} acknowledged in all");

        foreach (var line in proxy.Output.Split('\n').Where(l => l.Contains("sentinel")).TakeLast(6)) output.WriteLine("proxy: " + line.TrimEnd());
        string product = cluster.Env.Product;
        Assert.All(sentinels, s => Assert.Equal(FaultCluster.Addr(replica), s.MasterAddr($"{product}-{gid}")));
        Assert.Equal("master", FaultCluster.Info(replica)["role"]);
        // the proxy switched the group's slots by itself and says so
        var stats = ProxyStats(proxy);
        Assert.True(stats["sentinels"]!["switched"]!.GetValue<bool>(), stats["sentinels"]!.ToJsonString());
        Assert.Equal(FaultCluster.Addr(replica), stats["sentinels"]!["masters"]![gid.ToString()]!.GetValue<string>());
        using (var c = proxy.Client())
        {
            Assert.Equal("OK", c.Call("SET", tag + "after", "1").Text);
            Assert.Equal("1", c.Call("GET", tag + "after").Text);
        }
        using (var c = replica.Client()) Assert.Equal("1", c.Call("GET", tag + "after").Text);
        return failover;
    }

    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    private static JsonNode ProxyStats(CodisProxyProcess p) =>
        Http.GetFromJsonAsync<JsonNode>($"http://{p.AdminAddr}/proxy/stats").GetAwaiter().GetResult()!;

    private static async Task<JsonNode> GroupAsync(FaultCluster cluster, int gid)
    {
        var groups = (await cluster.Env.GetAsync(DashboardRoutes.Groups))!["models"]!.AsArray();
        return groups.Single(g => g!["id"]!.GetValue<int>() == gid)!;
    }
}
