using System.Diagnostics;
using Codis.Core.Models;
using Codis.Testing;
using Codis.Testing.Cluster;
using Xunit.Abstractions;

namespace Codis.Dashboard.Tests.Cluster;

/// <summary>
/// Scaling out on each coordinator, driven by the CLIs: two groups of master + replica behind one proxy, 200,000
/// keys, half the slots migrated to a new third group, then a rebalance over the three — while a client keeps
/// writing and reading through the proxy. Nothing may fail and no value may be lost.
/// </summary>
public class ScaleOutTests(ITestOutputHelper output)
{
    private const int Keys = 200_000;

    [Theory]
    [InlineData("filesystem")]
    [InlineData("etcd")]
    [InlineData("zookeeper")]
    public async Task ScaleOutAndRebalanceUnderLoadLosesNothing(string kind)
    {
        using var zk = kind == "zookeeper" ? ZooKeeperServerProcess.Start() : null;
        using var etcd = kind == "etcd" ? new EtcdServerProcess() : null;
        (string, string)? coordinator = kind switch
        {
            "zookeeper" => ("zookeeper", zk!.Address),
            "etcd" => ("etcd", etcd!.Address),
            _ => null,
        };
        using var env = new SeedEnv(coordinator: coordinator, extraIni: "migration_parallel_slots=16");
        env.StartDashboard();
        var servers = Enumerable.Range(0, 6).Select(_ => env.Own(CodisServerProcess.Start())).ToArray();
        string Addr(int i) => $"127.0.0.1:{servers[i].Port}";
        env.Ok("slot", "init");
        env.Ok("server", "add", "1", Addr(0), "master");
        env.Ok("server", "add", "1", Addr(1), "slave");
        env.Ok("server", "add", "2", Addr(2), "master");
        env.Ok("server", "add", "2", Addr(3), "slave");
        env.Ok("slot", "range-set", "0", "511", "1", "online");
        env.Ok("slot", "range-set", "512", "1023", "2", "online");
        var proxy = env.StartProxy();
        env.Ok("proxy", "online", "proxy_1");

        var sw = Stopwatch.StartNew();
        using (var c = proxy.Client(30_000)) LoadClient.Load(c, "k:", Keys, batch: 500);
        output.WriteLine($"{kind}: {Keys} keys loaded through the proxy in {sw.Elapsed.TotalSeconds:0.0} s");

        using var stop = new CancellationTokenSource();
        var live = LoadClient.RunAsync(() => proxy.Client(), stop.Token);

        // scale out: a new group of master + replica takes half the slots (all of group 1's)
        env.Ok("server", "add", "3", Addr(4), "master");
        env.Ok("server", "add", "3", Addr(5), "slave");
        sw.Restart();
        var migrate = env.Config("slot", "migrate", "0", "511", "3");
        Assert.True(migrate.ExitCode == 0, migrate.ToString());
        output.WriteLine($"{kind}: 512 slots (~{Keys / 2} keys) migrated in {sw.Elapsed.TotalSeconds:0.0} s");

        // then spread the slots evenly over the three groups
        sw.Restart();
        var rebalance = env.Config("slot", "rebalance");
        Assert.True(rebalance.ExitCode == 0, rebalance.ToString());
        output.WriteLine($"{kind}: rebalance in {sw.Elapsed.TotalSeconds:0.0} s");

        stop.Cancel();
        var (ops, failures) = await live;
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.True(ops > 0);
        output.WriteLine($"{kind}: the live client made {ops} requests during the migrations, none failed");

        var slots = (await env.GetAsync(DashboardRoutes.Slots))!.AsArray();
        Assert.All(slots, s => Assert.Null(s!["action"]!["state"]));
        var perGroup = slots.GroupBy(s => s!["group_id"]!.GetValue<int>()).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal([1, 2, 3], perGroup.Keys.Order());
        Assert.All(perGroup.Values, n => Assert.InRange(n, 341, 342));

        using (var c = proxy.Client(30_000)) Assert.Empty(LoadClient.Missing(c, "k:", Keys, batch: 500));
        // every master holds exactly its slots' keys, and its replica followed
        long total = 0;
        foreach (var (master, replica) in new[] { (0, 1), (2, 3), (4, 5) })
        {
            using var m = servers[master].Client();
            long n = m.Call("DBSIZE").Integer;
            total += n;
            SeedEnv.Eventually(() => { using var r = servers[replica].Client(); return r.Call("DBSIZE").Integer == n; },
                TimeSpan.FromSeconds(30), $"replica {Addr(replica)} has its master's {n} keys");
        }
        Assert.Equal(Keys + Math.Min(ops / 2, 5000), total);  // the loaded keys plus the live client's (at most 5,000)
    }
}
