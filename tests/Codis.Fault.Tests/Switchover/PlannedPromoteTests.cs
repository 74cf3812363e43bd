using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Codis.Core.Slots;
using Codis.Fault.Tests.Support;
using Codis.Testing.Cluster;
using Xunit.Abstractions;

namespace Codis.Fault.Tests.Switchover;

/// <summary>
/// A planned promote with a live master (codis-admin --promote-server) under a recorded write load: the switch waits
/// for the replica to reach the master's replication offset with the group's requests held in the proxies, so no
/// write the clients got OK for is lost; a replica that cannot catch up makes the promote fail with nothing changed.
/// The replica of group 1 replicates through a <see cref="TcpFaultProxy"/>, so its lag is real and chosen: slow
/// (every chunk of the replication stream held 300 ms), or silent (the stream stops, the replica still answers INFO).
/// </summary>
[Collection(FaultCollection.Name)]
public class PlannedPromoteTests(ITestOutputHelper output)
{
    // failover off, and the health monitor's repair of replicas (which would point the relayed replica back at the
    // master's own address) only in its first round, before the groups exist
    private const string Ini = "failover_down_after=0\nfailover_interval=1h";

    [Fact]
    public async Task Promote_LiveMasterUnderWrites_EveryAcknowledgedWriteIsOnTheNewMaster()
    {
        using var cluster = FaultCluster.Start(groups: 2, replicas: true, extraIni: Ini);
        var (oldMaster, replica) = (cluster.Groups[0][0], cluster.Groups[0][1]);
        var other = cluster.Groups[1][0];
        using var relay = new TcpFaultProxy(oldMaster.Port) { Mode = FaultMode.Slow, Delay = TimeSpan.FromMilliseconds(300) };
        Replicate(replica, relay);

        var recorder = new AckRecorder(Stopwatch.StartNew());
        await using var load = new RecordedLoad(recorder, () => cluster.Proxies[0].Client(30_000), "pp:", workers: 3, keysPerWorker: 1_000_000);
        load.WaitForAcks(300, TimeSpan.FromSeconds(30));
        long lag = Lag(oldMaster, replica);
        Assert.True(lag > 0, "the replica is not behind the master: the test would not show the catch-up");

        var r = cluster.Env.Admin("--promote-server", "--gid=1", $"--addr={FaultCluster.Addr(replica)}");
        Assert.True(r.ExitCode == 0, r.ToString());
        var rec = JsonNode.Parse(r.Stdout)!;
        load.WaitForAcks(300, TimeSpan.FromSeconds(30)); // writes go on, group 1's through the new master
        await load.StopAsync();

        double held = rec["HeldMs"]!.GetValue<double>();
        long masterOffset = rec["MasterOffset"]!.GetValue<long>(), replicaOffset = rec["ReplicaOffset"]!.GetValue<long>();
        output.WriteLine($"replication lag sampled under load before the promote: {lag} bytes; promote: master offset {masterOffset}, replica reached " +
            $"{replicaOffset} after {rec["CatchupMs"]!.GetValue<double>():0} ms; proxies held group 1 for {held:0} ms; writes paused on the old master: {rec["WritesPaused"]}; " +
            $"{recorder.Count} keys acknowledged, {load.Errors.Count} requests failed");

        // every acknowledged write is on its group's master now: group 1's on the promoted replica
        static bool InGroup1(string key) => SlotHash.Slot(Encoding.UTF8.GetBytes(key)) < 512;
        var lost = recorder.Verify(() => replica.Client(30_000)).Where(l => InGroup1(l.Key))
            .Concat(recorder.Verify(() => other.Client(30_000)).Where(l => !InGroup1(l.Key))).ToList();
        Assert.True(lost.Count == 0, $"{lost.Count} acknowledged writes lost, e.g. {string.Join(", ", lost.Take(5).Select(l => $"{l.Key}={l.Acked.Seq} read {l.Read}"))}");
        Assert.True(recorder.Count > 600, $"only {recorder.Count} keys acknowledged");

        // the switch waited for the replica, and says how long the proxies held the group
        Assert.True(masterOffset > 0 && replicaOffset >= masterOffset, rec.ToJsonString());
        Assert.True(held > 0 && held < 10_000, $"hold time {held} ms");
        Assert.True(rec["WritesPaused"]!.GetValue<bool>(), "CLIENT PAUSE WRITE was not taken by the old master");
        Assert.False(rec["Forced"]!.GetValue<bool>());
        Assert.Empty(rec["Unconfirmed"]!.AsArray());
        Assert.Contains("server promoted", cluster.Dashboard.Output);
        Assert.Matches(@"server promoted .*held_ms=\d+", cluster.Dashboard.Output);

        // the old master follows the new one and refuses writes from clients that bypass the proxy
        FaultCluster.WaitReplicating(oldMaster, replica, TimeSpan.FromSeconds(30));
        using var direct = oldMaster.Client(5000);
        Assert.StartsWith("READONLY", direct.Call("SET", "pp:direct", "1").Text);
        var list = cluster.Env.Json("server", "list").AsArray();
        Assert.Equal(FaultCluster.Addr(replica), list[0]!["servers"]![0]!["addr"]!.GetValue<string>());
        var history = JsonNode.Parse(cluster.Env.Admin("--promotions").Stdout)!.AsArray();
        Assert.Contains(history, h => h!["NewMaster"]!.GetValue<string>() == FaultCluster.Addr(replica) && h["Error"] is null);
    }

    [Fact]
    public void Promote_ReplicaThatCannotCatchUp_IsRefusedAndTheOldMasterKeepsServing()
    {
        using var cluster = FaultCluster.Start(groups: 1, replicas: true, extraIni: Ini + "\npromote_catchup_timeout=1s");
        var (master, replica) = (cluster.Groups[0][0], cluster.Groups[0][1]);
        var proxy = cluster.Proxies[0];
        using var relay = new TcpFaultProxy(master.Port);
        Replicate(replica, relay);
        relay.Mode = FaultMode.Silent; // the stream stops reaching the replica; it still answers INFO
        using (var c = proxy.Client()) LoadClient.Load(c, "cu:", 200);
        Assert.True(Lag(master, replica) > 0, "the replica is not behind");

        var sw = Stopwatch.StartNew();
        var r = cluster.Env.Config("server", "promote", "1", FaultCluster.Addr(replica));
        var took = sw.Elapsed;
        output.WriteLine($"refused after {took.TotalSeconds:0.00} s: {r.Stderr.Trim()}");
        Assert.True(r.ExitCode != 0, r.ToString());
        Assert.Contains("did not catch up", r.Stderr);
        Assert.Matches(@"replica offset \d+, master offset \d+ \(\d+ bytes behind\)", r.Stderr);
        Assert.Contains("nothing changed", r.Stderr);
        Assert.Contains("--force", r.Stderr);
        Assert.True(took < TimeSpan.FromSeconds(20), $"the refusal took {took}");

        // nothing changed: same master, the replica still a replica, the proxy writes to the old master at once
        Assert.Equal("master", FaultCluster.Info(master)["role"]);
        Assert.Equal("slave", FaultCluster.Info(replica)["role"]);
        var list = cluster.Env.Json("server", "list").AsArray();
        Assert.Equal(FaultCluster.Addr(master), list[0]!["servers"]![0]!["addr"]!.GetValue<string>());
        using (var c = proxy.Client(5000))
        {
            var w = Stopwatch.StartNew();
            Assert.Equal("OK", c.Call("SET", "cu:after", "1").Text);
            Assert.True(w.Elapsed < TimeSpan.FromSeconds(2), $"a write through the proxy took {w.Elapsed} after the refusal");
        }
        using (var direct = master.Client(5000))
        {
            Assert.Equal("1", direct.Call("GET", "cu:after").Text);
            var w = Stopwatch.StartNew();
            Assert.Equal("OK", direct.Call("SET", "cu:direct", "1").Text); // its writes are no longer paused
            Assert.True(w.Elapsed < TimeSpan.FromSeconds(2), $"a direct write took {w.Elapsed}: the old master's pause was not lifted");
        }
        var refused = JsonNode.Parse(cluster.Env.Admin("--promotions").Stdout)!.AsArray();
        Assert.Contains(refused, h => h!["Error"]?.GetValue<string>().Contains("did not catch up") == true);

        // forced, it switches anyway (what the replica lacks is lost, which the operator asked for)
        var f = cluster.Env.Admin("--promote-server", "--gid=1", $"--addr={FaultCluster.Addr(replica)}", "--force");
        Assert.True(f.ExitCode == 0, f.ToString());
        var rec = JsonNode.Parse(f.Stdout)!;
        Assert.True(rec["Forced"]!.GetValue<bool>());
        Assert.True(rec["ReplicaOffset"]!.GetValue<long>() < rec["MasterOffset"]!.GetValue<long>(), rec.ToJsonString());
        Assert.Equal("master", FaultCluster.Info(replica)["role"]);
    }

    /// <summary>Points the replica at the master through the relay (the dashboard recorded it with the master's own address).</summary>
    private static void Replicate(Codis.Testing.CodisServerProcess replica, TcpFaultProxy relay)
    {
        using (var c = replica.Client()) Assert.Equal("OK", c.Call("REPLICAOF", "127.0.0.1", relay.Port.ToString()).Text);
        SeedEnv.Eventually(() => FaultCluster.Info(replica) is var i && i.GetValueOrDefault("master_port") == relay.Port.ToString()
            && i.GetValueOrDefault("master_link_status") == "up", TimeSpan.FromSeconds(30), "the replica replicates through the relay");
    }

    /// <summary>The master's offset minus the replica's, the largest of a few samples.</summary>
    private static long Lag(Codis.Testing.CodisServerProcess master, Codis.Testing.CodisServerProcess replica)
    {
        long worst = 0;
        for (int i = 0; i < 5; i++)
        {
            long m = long.Parse(FaultCluster.Info(master)["master_repl_offset"]);
            long r = long.Parse(FaultCluster.Info(replica).GetValueOrDefault("slave_repl_offset") ?? "0");
            worst = Math.Max(worst, m - r);
            Thread.Sleep(50);
        }
        return worst;
    }
}
