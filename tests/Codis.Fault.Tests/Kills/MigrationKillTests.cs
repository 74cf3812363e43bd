using System.Diagnostics;
using System.Text.Json.Nodes;
using Codis.Fault.Tests.Support;
using Codis.Testing;
using Codis.Testing.Cluster;
using Xunit.Abstractions;

namespace Codis.Fault.Tests.Kills;

/// <summary>
/// kill -9 during a slot migration (64 slots, group 1 → group 2, batches of 16), under a recorded
/// write load over all slots and with 5,000 preloaded keys: of the dashboard (restarted, it resumes and finishes;
/// clients see no error) and of the target or the source server (the migration stops with the error in its status
/// and goes on once the server is back on its port and files). Every acknowledged write and every preloaded key is there.
/// </summary>
[Collection(FaultCollection.Name)]
public class MigrationKillTests(ITestOutputHelper output)
{
    private const int Preloaded = 5_000;

    private static FaultCluster Cluster(out AckRecorder recorder, params string[] serverArgs)
    {
        var cluster = FaultCluster.Start(groups: 2, replicas: false, extraIni: "migration_parallel_slots=16", serverArgs: serverArgs);
        using (var c = cluster.Proxies[0].Client(30_000)) LoadClient.Load(c, "k:", Preloaded, batch: 500);
        recorder = new AckRecorder(Stopwatch.StartNew());
        return cluster;
    }

    private static JsonNode Status(FaultCluster cluster) => cluster.Env.Json("slot", "status");

    private static bool Finished(FaultCluster cluster) => Status(cluster)["actions"]!.AsArray().Count == 0;

    private static void AssertNothingLost(FaultCluster cluster, AckRecorder recorder)
    {
        var proxy = cluster.Proxies[0];
        Assert.Empty(recorder.Verify(() => proxy.Client(30_000)));
        using (var c = proxy.Client(30_000)) Assert.Empty(LoadClient.Missing(c, "k:", Preloaded, batch: 500));
        // the slots moved: group 1 keeps nothing of 0-63, group 2 holds them
        using var g1 = cluster.Groups[0][0].Client();
        Assert.All(g1.Call("SLOTSINFO").Items!, i => Assert.True(i.Items![0].Integer >= 64, $"slot {i.Items![0].Integer} left on group 1"));
    }

    [Fact]
    public async Task KilledDashboardResumesTheMigrationAndClientsSeeNoError()
    {
        using var cluster = Cluster(out var recorder);
        await using var load = new RecordedLoad(recorder, () => cluster.Proxies[0].Client(30_000), "dm:", workers: 2, keysPerWorker: 1000);
        load.WaitForAcks(200, TimeSpan.FromSeconds(30));

        cluster.Env.Ok("slot", "migrate", "0", "63", "2", "--no-wait");
        cluster.Dashboard.WaitForOutput("slots migrated", TimeSpan.FromSeconds(60));
        Process.GetProcessById(SeedEnv.DashboardPid(cluster.Dashboard)).Kill();
        cluster.Dashboard.WaitForExit(TimeSpan.FromSeconds(10));
        var sw = Stopwatch.StartNew();
        cluster.Dashboard = cluster.Env.StartDashboard();
        SeedEnv.Eventually(() => Finished(cluster), TimeSpan.FromSeconds(120), "the resumed migration finished");
        output.WriteLine($"restarted dashboard finished the migration in {sw.Elapsed.TotalSeconds:0.0} s");
        load.WaitForAcks(200, TimeSpan.FromSeconds(30));
        await load.StopAsync();
        output.WriteLine($"load: {load.Acks} acknowledged writes, {load.Errors.Count} errors, slowest {load.MaxLatency.TotalMilliseconds:0} ms");

        Assert.True(load.Errors.Count == 0, string.Join("\n", load.Errors.Take(5)));
        Assert.Contains("slots migrated", cluster.Dashboard.Output);
        AssertNothingLost(cluster, recorder);
    }

    [Fact]
    public async Task KilledTargetServerStopsTheMigrationWhichResumesWhenItIsBack()
    {
        using var cluster = Cluster(out var recorder, "--appendonly", "yes");
        var target = cluster.Groups[1][0];
        await using var load = new RecordedLoad(recorder, () => cluster.Proxies[0].Client(30_000), "sm:", workers: 2, keysPerWorker: 1000);
        load.WaitForAcks(200, TimeSpan.FromSeconds(30));

        cluster.Env.Ok("slot", "migrate", "0", "63", "2", "--no-wait");
        cluster.Dashboard.WaitForOutput("slots migrated", TimeSpan.FromSeconds(60));
        target.Kill();
        var killedAt = recorder.Clock.Elapsed;
        // stopped, and says why: the status keeps the actions and names the failure
        JsonNode? status = null;
        SeedEnv.Eventually(() => (status = Status(cluster))["progress"]!.AsArray().Any(p => p!["error"] is not null)
            || status["status"]!.GetValue<string>().StartsWith("[ERROR]"), TimeSpan.FromSeconds(30), "the migration reports the dead target");
        int left = status!["actions"]!.AsArray().Count;
        string why = status["status"]!.GetValue<string>() + " / " + string.Join("; ", status["progress"]!.AsArray().Select(p => p!["error"]?.GetValue<string>()).Where(e => e != null).Distinct().Take(2));
        output.WriteLine($"target killed: {left} slot actions left, status: {why}");
        Assert.True(left > 0, "the migration finished without its target");
        Thread.Sleep(1000);
        Assert.Equal(left, Status(cluster)["actions"]!.AsArray().Count);  // no slot completes while the target is down

        var restarted = cluster.Restart(target);
        var backAt = recorder.Clock.Elapsed;
        SeedEnv.Eventually(() => Finished(cluster), TimeSpan.FromSeconds(120), "the migration finished after the target came back");
        var finishedAt = recorder.Clock.Elapsed;
        output.WriteLine($"target back {(backAt - killedAt).TotalSeconds:0.0} s after the kill; the migration finished {(finishedAt - backAt).TotalSeconds:0.0} s later");
        load.WaitForAcks(200, TimeSpan.FromSeconds(30));
        await load.StopAsync();
        // the proxy redials the restarted backend within ~1 s (its back-off probe): no error once the migration is done
        var settled = finishedAt > backAt + TimeSpan.FromSeconds(2) ? finishedAt : backAt + TimeSpan.FromSeconds(2);
        var lastError = load.Errors.Select(e => e.At).DefaultIfEmpty(killedAt).Max();
        output.WriteLine($"load: {load.Acks} acknowledged writes, {load.Errors.Count} failed requests, the last " +
            $"{(lastError - backAt).TotalSeconds:0.0} s after the target was back");

        Assert.True(load.Errors.All(e => e.At <= settled), $"errors after the migration settled: {string.Join("; ", load.Errors.Where(e => e.At > settled).Take(3))}");
        AssertNothingLost(cluster, recorder);
        Assert.True(FaultCluster.DbSize(restarted) > 0);
    }

    [Fact]
    public async Task KilledSourceServerStopsTheMigrationWhichResumesWhenItIsBack()
    {
        using var cluster = Cluster(out var recorder, "--appendonly", "yes");
        var source = cluster.Groups[0][0];
        await using var load = new RecordedLoad(recorder, () => cluster.Proxies[0].Client(30_000), "sk:", workers: 2, keysPerWorker: 1000);
        load.WaitForAcks(200, TimeSpan.FromSeconds(30));

        cluster.Env.Ok("slot", "migrate", "0", "63", "2", "--no-wait");
        cluster.Dashboard.WaitForOutput("slots migrated", TimeSpan.FromSeconds(60));
        source.Kill();
        var killedAt = recorder.Clock.Elapsed;
        // stopped, and says why: the status keeps the actions and names the failure
        JsonNode? status = null;
        SeedEnv.Eventually(() => (status = Status(cluster))["progress"]!.AsArray().Any(p => p!["error"] is not null)
            || status["status"]!.GetValue<string>().StartsWith("[ERROR]"), TimeSpan.FromSeconds(30), "the migration reports the dead source");
        int left = status!["actions"]!.AsArray().Count;
        string why = status["status"]!.GetValue<string>() + " / " + string.Join("; ", status["progress"]!.AsArray().Select(p => p!["error"]?.GetValue<string>()).Where(e => e != null).Distinct().Take(2));
        output.WriteLine($"source killed: {left} slot actions left, status: {why}");
        Assert.True(left > 0, "the migration finished without its source");
        Assert.Contains($"127.0.0.1:{source.Port}", why);
        Thread.Sleep(1000);
        Assert.Equal(left, Status(cluster)["actions"]!.AsArray().Count);  // no slot completes while the source is down

        var restarted = cluster.Restart(source);
        var backAt = recorder.Clock.Elapsed;
        SeedEnv.Eventually(() => Finished(cluster), TimeSpan.FromSeconds(120), "the migration finished after the source came back");
        var finishedAt = recorder.Clock.Elapsed;
        output.WriteLine($"source back {(backAt - killedAt).TotalSeconds:0.0} s after the kill; the migration finished {(finishedAt - backAt).TotalSeconds:0.0} s later");
        load.WaitForAcks(200, TimeSpan.FromSeconds(30));
        await load.StopAsync();
        // the proxy redials the restarted backend within ~1 s (its back-off probe): no error once the migration is done
        var settled = finishedAt > backAt + TimeSpan.FromSeconds(2) ? finishedAt : backAt + TimeSpan.FromSeconds(2);
        var lastError = load.Errors.Select(e => e.At).DefaultIfEmpty(killedAt).Max();
        output.WriteLine($"load: {load.Acks} acknowledged writes, {load.Errors.Count} failed requests, the last " +
            $"{(lastError - backAt).TotalSeconds:0.0} s after the source was back");

        Assert.True(load.Errors.All(e => e.At <= settled), $"errors after the migration settled: {string.Join("; ", load.Errors.Where(e => e.At > settled).Take(3))}");
        AssertNothingLost(cluster, recorder);
        Assert.True(FaultCluster.DbSize(restarted) > 0);
    }

    /// <summary>
    /// The source's group fails over to its replica mid-migration: the migration goes on from the promoted replica.
    /// The proxy runs with backend_replica_ack 1, so no write was acknowledged before its replica had it and the
    /// failover may lose none; the group's writes are refused (NOREPLICAS) while it has no replica, until the old
    /// master is back as one.
    /// </summary>
    [Fact]
    public async Task SourceFailingOverToItsReplicaMidMigrationLosesNothing()
    {
        using var cluster = FaultCluster.Start(groups: 2, replicas: true,
            extraIni: "migration_parallel_slots=16\nfailover_down_after=2s\nfailover_interval=500ms",
            proxyArgs: ["--backend_replica_ack", "1", "--backend_replica_ack_timeout", "1s"]);
        using (var c = cluster.Proxies[0].Client(30_000)) LoadClient.Load(c, "k:", Preloaded, batch: 500);
        var recorder = new AckRecorder(Stopwatch.StartNew());
        var (source, replica) = (cluster.Groups[0][0], cluster.Groups[0][1]);
        await using var load = new RecordedLoad(recorder, () => cluster.Proxies[0].Client(30_000), "sf:", workers: 2, keysPerWorker: 1000);
        load.WaitForAcks(200, TimeSpan.FromSeconds(30));

        cluster.Env.Ok("slot", "migrate", "0", "63", "2", "--no-wait");
        cluster.Dashboard.WaitForOutput("slots migrated", TimeSpan.FromSeconds(60));
        source.Kill();
        var killedAt = recorder.Clock.Elapsed;
        SeedEnv.Eventually(() => FaultCluster.Info(replica).GetValueOrDefault("role") == "master", TimeSpan.FromSeconds(30), "the source's replica is promoted");
        var promotedAt = recorder.Clock.Elapsed;
        var restarted = cluster.Restart(source); // comes back as the promoted replica's replica (the dashboard repoints it)
        FaultCluster.WaitReplicating(restarted, replica, TimeSpan.FromSeconds(60));
        SeedEnv.Eventually(() => Finished(cluster), TimeSpan.FromSeconds(120), "the migration finished from the promoted replica");
        var finishedAt = recorder.Clock.Elapsed;
        output.WriteLine($"source killed; replica promoted {(promotedAt - killedAt).TotalSeconds:0.0} s later; migration finished {(finishedAt - killedAt).TotalSeconds:0.0} s after the kill");
        load.WaitForAcks(200, TimeSpan.FromSeconds(30));
        await load.StopAsync();
        output.WriteLine($"load: {load.Acks} acknowledged writes, {load.Errors.Count} failed requests ({string.Join(", ", load.Errors.GroupBy(e => e.Message.Split(' ').ElementAtOrDefault(1) ?? e.Message).Select(g => $"{g.Key} ×{g.Count()}"))})");

        var proxy = cluster.Proxies[0];
        Assert.Empty(recorder.Verify(() => proxy.Client(30_000)));
        using (var c = proxy.Client(30_000)) Assert.Empty(LoadClient.Missing(c, "k:", Preloaded, batch: 500));
        using var g1 = replica.Client();
        Assert.All(g1.Call("SLOTSINFO").Items!, i => Assert.True(i.Items![0].Integer >= 64, $"slot {i.Items![0].Integer} left on group 1"));
    }
}
