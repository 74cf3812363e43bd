using System.Diagnostics;
using Codis.Core.Models;
using Codis.Fault.Tests.Support;
using Codis.Testing.Cluster;
using Xunit.Abstractions;

namespace Codis.Fault.Tests.Stops;

/// <summary>
/// SIGSTOP of a master for longer than down-after, under a recorded write load: the dashboard fails over; the
/// old master, woken with SIGCONT while requests the proxy sent it before the failover are still unanswered,
/// must not become a second master for the group's slots: nothing it acknowledges after the promotion may be
/// lost, and it is demoted (made a replica of the new master, refusing writes) with the new master's data.
/// </summary>
[Collection(FaultCollection.Name)]
public class StoppedMasterTests(ITestOutputHelper output)
{
    [Fact]
    public async Task WokenOldMasterIsDemotedAndNoAckIsLost()
    {
        // the proxy gives a silent backend 10 s: longer than the stop, so the old master wakes with requests pending
        using var cluster = FaultCluster.Start(groups: 1, replicas: true, extraIni: "failover_down_after=2s\nfailover_interval=500ms",
            proxyArgs: ["--backend_recv_timeout", "10s"]);
        var (old, replica) = (cluster.Groups[0][0], cluster.Groups[0][1]);
        var proxy = cluster.Proxies[0];
        var recorder = new AckRecorder(Stopwatch.StartNew());
        await using var load = new RecordedLoad(recorder, () => proxy.Client(30_000), "st:", workers: 3, keysPerWorker: 300);
        load.WaitForAcks(300, TimeSpan.FromSeconds(30));

        var stoppedAt = recorder.Clock.Elapsed;
        old.Signal(19); // SIGSTOP
        SeedEnv.Eventually(() => FaultCluster.Info(replica).GetValueOrDefault("role") == "master", TimeSpan.FromSeconds(30), "the replica is promoted");
        var promotedAt = recorder.Clock.Elapsed;
        // the proxy has switched (and failed what the stopped master holds) before it wakes: the failover is over
        proxy.WaitForOutput("master replaced while stalled", TimeSpan.FromSeconds(20));
        var rest = TimeSpan.FromSeconds(5) - (recorder.Clock.Elapsed - stoppedAt);
        if (rest > TimeSpan.Zero) Thread.Sleep(rest);
        var wokenAt = recorder.Clock.Elapsed;
        old.Signal(18); // SIGCONT
        FaultCluster.WaitReplicating(old, replica, TimeSpan.FromSeconds(30));
        var demotedAt = recorder.Clock.Elapsed;
        load.WaitForAcks(300, TimeSpan.FromSeconds(30));
        await load.StopAsync();

        var lost = recorder.Verify(() => proxy.Client());
        output.WriteLine($"SIGSTOP of the master → replica promoted after {(promotedAt - stoppedAt).TotalSeconds:0.00} s (down-after 2 s); " +
            $"SIGCONT at {(wokenAt - stoppedAt).TotalSeconds:0.00} s → old master a replica of the new one {(demotedAt - wokenAt).TotalSeconds:0.00} s later");
        output.WriteLine($"load: {load.Acks} acknowledged writes, {load.Errors.Count} failed requests, lost acknowledged writes: {lost.Count}");
        foreach (var l in lost.Take(5)) output.WriteLine($"  lost {l.Key}={l.Acked.Seq} (acknowledged at {(l.Acked.At - stoppedAt).TotalSeconds:0.00} s), read {l.Read ?? "nil"}");
        foreach (var e in load.Errors.Take(5)) output.WriteLine($"  error at {(e.At - stoppedAt).TotalSeconds:0.00} s after {e.Took.TotalSeconds:0.00} s: {e.Message}");

        var events = await cluster.Env.FailoversAsync();
        Assert.Single(events);
        Assert.True(lost.Count == 0, $"{lost.Count} acknowledged writes lost (acknowledged by the old master after the promotion)");
        // demoted: it refuses writes, and holds exactly the new master's data
        using (var direct = old.Client()) Assert.StartsWith("READONLY", direct.Call("SET", "st:direct", "1").Text);
        SeedEnv.Eventually(() => FaultCluster.DbSize(old) == FaultCluster.DbSize(replica), TimeSpan.FromSeconds(30), "the old master caught up");
        Assert.Empty(recorder.Verify(() => old.Client()));
        Assert.Equal("master", FaultCluster.Info(replica)["role"]);
        Assert.Contains("a former master is back and still a master: demoted", cluster.Dashboard.Output);
        Assert.Contains("master replaced while stalled: its unanswered requests fail now", proxy.Output);
    }
}
