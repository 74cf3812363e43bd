using System.Diagnostics;
using Codis.Core.Models;
using Codis.Fault.Tests.Support;
using Codis.Testing.Cluster;
using Xunit.Abstractions;

namespace Codis.Fault.Tests.Kills;

/// <summary>
/// kill -9 of a group master under a recorded write load: the dashboard fails over to the replica (down-after
/// 2 s), the load's writes are acknowledged again, and every acknowledged write is readable afterwards — except
/// writes acknowledged in the replication-lag window just before the kill, which are counted and reported.
/// The killed master, restarted, rejoins as a replica of the new master with its data.
/// </summary>
[Collection(FaultCollection.Name)]
public class MasterKillTests(ITestOutputHelper output)
{
    [Fact]
    public async Task KilledMasterIsReplacedAndOnlyTheLagWindowCanLoseAcks()
    {
        using var cluster = FaultCluster.Start(groups: 1, replicas: true, extraIni: "failover_down_after=2s\nfailover_interval=500ms");
        var (master, replica) = (cluster.Groups[0][0], cluster.Groups[0][1]);
        var proxy = cluster.Proxies[0];
        var recorder = new AckRecorder(Stopwatch.StartNew());
        await using var load = new RecordedLoad(recorder, () => proxy.Client(15_000), "mk:", workers: 2, keysPerWorker: 500);
        load.WaitForAcks(300, TimeSpan.FromSeconds(30));

        // the replication lag just before the kill, in bytes of the replication stream
        var lags = Enumerable.Range(0, 5).Select(_ =>
        {
            long m = long.Parse(FaultCluster.Info(master)["master_repl_offset"]);
            long r = long.Parse(FaultCluster.Info(replica)["slave_repl_offset"]);
            Thread.Sleep(50);
            return Math.Max(0, m - r);
        }).ToList();

        var killedAt = recorder.Clock.Elapsed;
        master.Kill();
        var dead = recorder.Clock.Elapsed;
        // acknowledged again (through the new master) within down-after + a few checks; bounded generously. The
        // failover time runs from the kill to the first acknowledged write sent after the last failed one.
        var sw = Stopwatch.StartNew();
        TimeSpan? back = null;
        TimeSpan Since() => load.Errors.Select(e => e.At).Where(t => t > dead).DefaultIfEmpty(dead).Max();
        while (sw.Elapsed < TimeSpan.FromSeconds(60) && ((back = load.FirstAckSentAfter(Since())) == null || load.Errors.Count == 0))
            Thread.Sleep(20);
        Assert.True(back != null, "no write was acknowledged within 60 s of the kill:\n" + cluster.Dashboard.Output);
        load.WaitForAcks(500, TimeSpan.FromSeconds(30));
        await load.StopAsync();
        back = load.FirstAckSentAfter(Since());
        var failover = back!.Value - killedAt;

        var lost = recorder.Verify(() => proxy.Client());
        output.WriteLine($"kill -9 of the master → first acknowledged write through the new master: {failover.TotalSeconds:0.00} s " +
            $"(down-after 2 s, checks every 0.5 s); {load.Errors.Count} failed requests meanwhile");
        output.WriteLine($"acknowledged writes: {load.Acks} ({recorder.Count} keys); lost: {lost.Count}" +
            (lost.Count > 0 ? $", acknowledged from {(lost.Min(l => l.Acked.At) - killedAt).TotalMilliseconds:0} to {(lost.Max(l => l.Acked.At) - killedAt).TotalMilliseconds:0} ms after the kill -9 was sent" : "") +
            $"; replication lag sampled before the kill: {string.Join(", ", lags)} bytes");

        var events = await cluster.Env.FailoversAsync();
        Assert.Single(events);
        Assert.Null(events[0]!["Error"]);
        Assert.InRange(failover, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30));
        // a loss can only be the replication lag: writes acknowledged just before the kill, never older ones
        Assert.All(lost, l => Assert.True(killedAt - l.Acked.At < TimeSpan.FromSeconds(1),
            $"{l.Key}: acknowledged {l.Acked.Seq} {(killedAt - l.Acked.At).TotalMilliseconds:0} ms before the kill, read {l.Read ?? "nil"}"));
        Assert.True(lost.Count <= 50, $"{lost.Count} acknowledged writes lost");
        Assert.Equal("master", FaultCluster.Info(replica)["role"]);

        // the old master, restarted empty-handed or with its files, follows the new master and holds its data
        var back2 = cluster.Restart(master);
        FaultCluster.WaitReplicating(back2, replica, TimeSpan.FromSeconds(30));
        SeedEnv.Eventually(() => FaultCluster.DbSize(back2) == FaultCluster.DbSize(replica), TimeSpan.FromSeconds(30), "the old master caught up");
        using var direct = back2.Client();
        Assert.StartsWith("READONLY", direct.Call("SET", "mk:direct", "1").Text);
    }
}
