using System.Text.Json.Nodes;
using Codis.Core.Resp;
using Codis.Testing;
using Codis.Testing.Cluster;

namespace Codis.Dashboard.Tests.Cluster;

/// <summary>Migration through the two-phase slot actions, with clients reading and writing through the proxy.</summary>
public class MigrationTests
{
    private const int Keys = 2000;

    private static (CodisServerProcess G1, CodisServerProcess G2, CodisProxyProcess Proxy) Cluster(SeedEnv env)
    {
        var (g1, g2, proxy) = env.StartTwoGroups();
        using var c = proxy.Client();
        LoadClient.Load(c, "k:", Keys);
        return (g1, g2, proxy);
    }

    /// <summary>Slots of the non-empty slots a server reports (SLOTSINFO).</summary>
    private static HashSet<int> SlotsOn(CodisServerProcess s)
    {
        using var c = s.Client();
        return c.Call("SLOTSINFO").Items!.Select(i => (int)i.Items![0].Integer).ToHashSet();
    }

    [Theory]
    [InlineData("semi-async")]
    [InlineData("sync")]
    public async Task MigrateHalfUnderLoadLosesNothing(string method)
    {
        using var env = new SeedEnv(extraIni: $"migration_method={method}");
        env.StartDashboard();
        var (g1, g2, proxy) = Cluster(env);
        using var stop = new CancellationTokenSource();
        var live = LoadClient.RunAsync(() => proxy.Client(), stop.Token);

        var migrate = env.Config("slot", "migrate", "0", "511", "2");
        stop.Cancel();
        Assert.True(migrate.ExitCode == 0, migrate.ToString());
        Assert.Contains("512/512 slots done", migrate.Stderr); // plain progress lines when not on a terminal
        var (ops, failures) = await live;
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.True(ops > 0);

        using var c = proxy.Client();
        Assert.Empty(LoadClient.Missing(c, "k:", Keys));
        Assert.All(SlotsOn(g2), s => Assert.True(s < 512, $"slot {s} on group 2"));
        Assert.All(SlotsOn(g1), s => Assert.True(s >= 512, $"slot {s} left on group 1"));
        var slots = (await env.GetAsync(Codis.Core.Models.DashboardRoutes.Slots))!.AsArray();
        Assert.All(slots, s => Assert.Equal(s!["id"]!.GetValue<int>() < 512 ? 2 : 1, s["group_id"]!.GetValue<int>()));
        Assert.All(slots, s => Assert.Null(s!["action"]!["state"]));
        env.Refused("still owns", "server", "remove-group", "2");

        // a third group: the plan gives it a third of the slots, taking the highest-numbered from each group
        var g3 = env.Own(CodisServerProcess.Start());
        env.Ok("server", "add", "3", $"127.0.0.1:{g3.Port}", "master");
        var plan = env.Json("slot", "rebalance", "--dry-run").AsObject();
        Assert.InRange(plan.Count, 341, 342);
        Assert.All(plan, kv => Assert.Equal(3, kv.Value!.GetValue<int>()));
        Assert.Contains("1023", plan.Select(kv => kv.Key));
        Assert.Contains("511", plan.Select(kv => kv.Key));

        // with weights 1:1:2 the new group's share is half
        var weighted = env.Admin("--group-weight", "--gid=3", "--weight=2");
        Assert.True(weighted.ExitCode == 0, weighted.ToString());
        Assert.Equal(512, env.Json("slot", "rebalance", "--dry-run").AsObject().Count);
    }

    [Fact]
    public async Task KilledDashboardResumesTheMigrationAndNothingIsLost()
    {
        using var env = new SeedEnv(extraIni: "migration_parallel_slots=32");
        var dash = env.StartDashboard();
        var (g1, g2, proxy) = Cluster(env);
        using var stop = new CancellationTokenSource();
        var live = LoadClient.RunAsync(() => proxy.Client(), stop.Token);

        env.Ok("slot", "migrate", "0", "511", "2", "--no-wait");
        dash.WaitForOutput("slots migrated", TimeSpan.FromSeconds(120));
        System.Diagnostics.Process.GetProcessById(SeedEnv.DashboardPid(dash)).Kill();
        dash.WaitForExit(TimeSpan.FromSeconds(10));
        var restarted = env.StartDashboard();
        SeedEnv.Eventually(() => (env.Json("slot", "status")["actions"] as JsonArray)!.Count == 0, TimeSpan.FromSeconds(240), "resumed migration finished");
        stop.Cancel();
        var (_, failures) = await live;
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        restarted.WaitForOutput("slots migrated", TimeSpan.FromSeconds(5));

        using var c = proxy.Client();
        Assert.Empty(LoadClient.Missing(c, "k:", Keys));
        Assert.All(SlotsOn(g1), s => Assert.True(s >= 512, $"slot {s} left on group 1"));
        Assert.All(SlotsOn(g2), s => Assert.True(s < 512, $"slot {s} on group 2"));
    }

    [Fact]
    public void PauseIsKeptAcrossADashboardCrash()
    {
        using var env = new SeedEnv();
        var dash = env.StartDashboard();
        var (_, g2, proxy) = Cluster(env);
        var paused = env.Admin("--slot-action", "--disabled=1");
        Assert.True(paused.ExitCode == 0, paused.ToString());
        env.Ok("slot", "migrate", "0", "15", "2", "--no-wait");
        System.Diagnostics.Process.GetProcessById(SeedEnv.DashboardPid(dash)).Kill();
        dash.WaitForExit(TimeSpan.FromSeconds(10));

        var restarted = env.StartDashboard();
        restarted.WaitForOutput("migrations are paused", TimeSpan.FromSeconds(5));
        Thread.Sleep(1500);
        var status = env.Json("slot", "status");
        Assert.True(status["disabled"]!.GetValue<bool>());
        Assert.Equal(16, status["actions"]!.AsArray().Count);
        Assert.Empty(SlotsOn(g2));

        Assert.Equal(0, env.Admin("--slot-action", "--disabled=0").ExitCode);
        SeedEnv.Eventually(() => env.Json("slot", "status")["actions"]!.AsArray().Count == 0, TimeSpan.FromSeconds(60), "resumed migration finished");
        Assert.Equal(Enumerable.Range(0, 16).Where(s => SlotsOn(g2).Contains(s)).Count(), SlotsOn(g2).Count);
        using var c = proxy.Client();
        Assert.Empty(LoadClient.Missing(c, "k:", Keys));
    }
}
