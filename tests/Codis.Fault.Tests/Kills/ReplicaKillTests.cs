using System.Diagnostics;
using Codis.Fault.Tests.Support;
using Codis.Testing.Cluster;
using Xunit.Abstractions;

namespace Codis.Fault.Tests.Kills;

/// <summary>
/// kill -9 of a replica under a recorded write load: clients see no error at all; restarted on its port and
/// folder, the replica is repointed by the dashboard and resynchronises (partial or full) to the master's data.
/// </summary>
[Collection(FaultCollection.Name)]
public class ReplicaKillTests(ITestOutputHelper output)
{
    [Fact]
    public async Task KilledReplicaCostsClientsNothingAndRejoinsOnRestart()
    {
        using var cluster = FaultCluster.Start(groups: 1, replicas: true, extraIni: "failover_down_after=2s\nfailover_interval=500ms");
        var (master, replica) = (cluster.Groups[0][0], cluster.Groups[0][1]);
        var proxy = cluster.Proxies[0];
        var recorder = new AckRecorder(Stopwatch.StartNew());
        await using var load = new RecordedLoad(recorder, () => proxy.Client(15_000), "rk:", workers: 2, keysPerWorker: 500);
        load.WaitForAcks(300, TimeSpan.FromSeconds(30));
        var before = FaultCluster.Info(master, "stats");

        replica.Kill();
        load.WaitForAcks(300, TimeSpan.FromSeconds(30));  // the master keeps taking writes without its replica
        var restarted = cluster.Restart(replica);
        var sw = Stopwatch.StartNew();
        FaultCluster.WaitReplicating(restarted, master, TimeSpan.FromSeconds(40));
        var rejoin = sw.Elapsed;
        load.WaitForAcks(500, TimeSpan.FromSeconds(30));
        await load.StopAsync();

        SeedEnv.Eventually(() => FaultCluster.DbSize(restarted) == FaultCluster.DbSize(master), TimeSpan.FromSeconds(30), "the replica caught up");
        var after = FaultCluster.Info(master, "stats");
        long Delta(string k) => long.Parse(after.GetValueOrDefault(k, "0")) - long.Parse(before.GetValueOrDefault(k, "0"));
        output.WriteLine($"replica restarted → replicating again in {rejoin.TotalSeconds:0.00} s; resync: {Delta("sync_full")} full, " +
            $"{Delta("sync_partial_ok")} partial; load: {load.Acks} acknowledged writes, {load.Errors.Count} errors");

        Assert.True(load.Errors.Count == 0, string.Join("\n", load.Errors.Take(5)));
        Assert.True(Delta("sync_full") + Delta("sync_partial_ok") >= 1, "the master counted no resync");
        Assert.Empty(recorder.Verify(() => proxy.Client()));
        // the replica holds the same values (read it directly)
        Assert.Empty(recorder.Verify(() => restarted.Client()));
    }
}
