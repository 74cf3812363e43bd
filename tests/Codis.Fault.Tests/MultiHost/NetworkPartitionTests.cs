using System.Diagnostics;
using System.Text.Json.Nodes;
using Codis.Core.Models;
using Codis.Core.Resp;
using Codis.Testing;
using Codis.Testing.Cluster;
using Xunit.Abstractions;

namespace Codis.Fault.Tests.MultiHost;

/// <summary>
/// A deployment over three hosts (network namespaces a, b, c with their own addresses): a three-member etcd
/// cluster (one member per host), group 1's master on a and its replica on b, a proxy on every host and a
/// client per host writing through its local proxy; the dashboard runs on the control host (the root namespace,
/// reaching all three over the bridge). Host a is cut off (its link downed), then healed.
/// Asserted: etcd keeps its quorum on b + c; the dashboard fails over to b; b's and c's clients write again;
/// a's master, cut off from its replica, stops acknowledging writes (min-replicas-to-write) so nothing it takes
/// after the failover can be lost unreported; after healing a is demoted to a replica of b and a's proxy routes
/// to b; no acknowledged write is lost outside the replication window before the cut (that window is measured).
/// </summary>
[Collection(Codis.Fault.Tests.Fuzz.AloneCollection.Name)]
public class NetworkPartitionTests(ITestOutputHelper output)
{
    private const int RedisPort = 6379, ProxyPort = 19000, AdminPort = 11080, EtcdClient = 2379, EtcdPeer = 2380;

    [SkippableTheory]
    [InlineData("etcd", false)]
    [InlineData("zookeeper", false)]
    [InlineData("etcd", true)]
    public async Task CuttingOffTheMastersHostFailsOverAndLosesNoAcknowledgedWrite(string coordinator, bool replicaAck)
    {
        string? why = ThreeHosts.Unavailable();
        Skip.If(why != null, $"SKIPPED: the three-host partition test needs network namespaces: {why}");
        Skip.If(coordinator == "etcd" && !File.Exists(EtcdServerProcess.Binary), "SKIPPED: etcd is not installed");
        Skip.If(coordinator == "zookeeper" && !ZooKeeperServerProcess.Available, "SKIPPED: ZooKeeper is not installed");
        using var hosts = new ThreeHosts();
        var owned = new List<IDisposable>();
        try
        {
            await RunAsync(hosts, owned, coordinator, replicaAck);
        }
        finally
        {
            for (int i = owned.Count - 1; i >= 0; i--)
                try { owned[i].Dispose(); } catch (InvalidOperationException) { }
        }
    }

    /// <summary>
    /// <paramref name="replicaAck"/>: the proxies run with backend_replica_ack 1, and group 1 has a second replica
    /// on c (so the promoted master has a replica to confirm writes while a is cut off): then no acknowledged
    /// write may be lost at all, the replication window included.
    /// </summary>
    private async Task RunAsync(ThreeHosts hosts, List<IDisposable> owned, string kind, bool replicaAck)
    {
        T Own<T>(T d) where T : IDisposable { owned.Add(d); return d; }
        string Ip(int h) => hosts.Ip(h);

        // the coordinator: one member per host
        string coordinatorAddr;
        Func<int, bool> memberServes;
        if (kind == "etcd")
        {
            string cluster = string.Join(',', Enumerable.Range(0, 3).Select(h => $"m{h}=http://{Ip(h)}:{EtcdPeer}"));
            for (int h = 0; h < 3; h++)
            {
                string dir = Own(new TempDir("codis-etcd-ns-")).Path;
                Own(hosts.Start(h, EtcdServerProcess.Binary,
                [
                    "--name", $"m{h}", "--data-dir", Path.Combine(dir, "data"),
                    "--listen-client-urls", $"http://{Ip(h)}:{EtcdClient}", "--advertise-client-urls", $"http://{Ip(h)}:{EtcdClient}",
                    "--listen-peer-urls", $"http://{Ip(h)}:{EtcdPeer}", "--initial-advertise-peer-urls", $"http://{Ip(h)}:{EtcdPeer}",
                    "--initial-cluster", cluster, "--initial-cluster-state", "new", "--initial-cluster-token", hosts.Bridge,
                    "--logger", "zap", "--log-level", "error",
                ]));
            }
            coordinatorAddr = string.Join(',', Enumerable.Range(0, 3).Select(h => $"{Ip(h)}:{EtcdClient}"));
            memberServes = h => EtcdHealthy(Ip(h));
        }
        else
        {
            var ips = Enumerable.Range(0, 3).Select(Ip).ToArray();
            for (int h = 0; h < 3; h++)
            {
                var (program, args) = new ZooKeeperEnsembleMember(Own(new TempDir("codis-zk-ns-")).Path, h + 1, ips).Prepare();
                Own(hosts.Start(h, program, args));
            }
            coordinatorAddr = string.Join(',', ips.Select(ip => $"{ip}:{ZooKeeperEnsembleMember.ClientPort}"));
            memberServes = h => ZooKeeperEnsembleMember.Mode(Ip(h)) is "leader" or "follower";
        }
        for (int h = 0; h < 3; h++) SeedEnv.Eventually(() => memberServes(h), TimeSpan.FromSeconds(90), $"{kind} member on {ThreeHosts.Names[h]} serves");

        var env = Own(new SeedEnv(coordinator: (kind, coordinatorAddr), extraIni: "failover_down_after=4s"));
        // a short coordinator session, so a client whose member was cut off moves to another one in time
        string ini = Path.Combine(env.Dir, "config.ini");
        File.WriteAllText(ini, File.ReadAllText(ini).Replace("zk_session_timeout=30", "zk_session_timeout=6"));
        var dash = env.StartDashboard();

        // group 1: the master on a (it refuses writes when its replica has not acknowledged for 2 s), the replica on b
        ManagedProcess Server(int h, params string[] extra)
        {
            string dir = Own(new TempDir("codis-server-ns-")).Path;
            var p = Own(hosts.Start(h, "dotnet", [Binaries.Dll("codis-server"), "--port", RedisPort.ToString(), "--bind", Ip(h), "--dir", dir, .. extra], dir));
            p.WaitForOutput("Ready to accept connections", TimeSpan.FromSeconds(30));
            return p;
        }
        var aServer = Server(0, "--min-replicas-to-write", "1", "--min-replicas-max-lag", "2");
        Server(1);
        if (replicaAck) Server(2);
        string A = $"{Ip(0)}:{RedisPort}", B = $"{Ip(1)}:{RedisPort}", C = $"{Ip(2)}:{RedisPort}";
        env.Ok("slot", "init");
        env.Ok("server", "add", "1", A, "master");
        env.Ok("server", "add", "1", B, "slave");
        SeedEnv.Eventually(() => Info(B) is var i && i.GetValueOrDefault("master_link_status") == "up", TimeSpan.FromSeconds(30), "b replicates a");
        if (replicaAck)
        {
            env.Ok("server", "add", "1", C, "slave");
            SeedEnv.Eventually(() => Info(C) is var i && i.GetValueOrDefault("master_link_status") == "up", TimeSpan.FromSeconds(30), "c replicates a");
        }
        env.Ok("slot", "range-set", "0", "1023", "1", "online");

        // a proxy on every host
        var proxies = new ManagedProcess[3];
        for (int h = 0; h < 3; h++)
        {
            string dir = Own(new TempDir("codis-proxy-ns-")).Path;
            proxies[h] = Own(hosts.Start(h, "dotnet", [Binaries.Dll("codis-proxy"), $"--addr={Ip(h)}:{ProxyPort}", $"--http-addr={Ip(h)}:{AdminPort}",
                "--product_name", env.Product, "--proxy_id", $"proxy_{ThreeHosts.Names[h]}", "--backend_recv_timeout", "3s", "--backend_send_timeout", "3s",
                .. (replicaAck ? new[] { "--backend_replica_ack", "1", "--backend_replica_ack_timeout", "1s" } : Array.Empty<string>())], dir));
            proxies[h].WaitForOutput("admin API listening", TimeSpan.FromSeconds(30));
            var r = env.Admin("--register-proxy", $"--addr={Ip(h)}:{AdminPort}");
            Assert.True(r.ExitCode == 0, r.ToString());
            env.Ok("proxy", "online", $"proxy_{ThreeHosts.Names[h]}");
            proxies[h].WaitForOutput("proxy is online", TimeSpan.FromSeconds(30));
        }

        // a recorded write load on every host, through its local proxy
        var clock = Stopwatch.StartNew();
        var writers = Enumerable.Range(0, 3).Select(h => new HostWriter(hosts, h, ProxyPort) { Clock = clock, Timeout = TimeSpan.FromSeconds(replicaAck ? 3 : 1) }).ToArray();
        foreach (var w in writers) w.Start();
        await Task.Delay(3000);
        // with replica acks each write waits for a replica too: on a busy machine the first ones are slow
        if (replicaAck) SeedEnv.Eventually(() => writers.All(w => w.Acked.Count > 20), TimeSpan.FromSeconds(30), "every writer makes progress");
        Assert.All(writers, w => Assert.True(w.Acked.Count > 20, $"a writer made no progress before the cut: {string.Join(", ", w.Errors)}"));

        // cut a off
        var cutAt = clock.Elapsed;
        hosts.Cut(0);
        output.WriteLine($"{cutAt.TotalSeconds:0.0} s: host a cut off ({DateTime.UtcNow:HH:mm:ss.fff} UTC)");
        string Diag() => string.Join("\n", writers.Select((w, h) => $"writer {ThreeHosts.Names[h]}: {w.Acked.Count} acked, last at {w.LastAck?.TotalSeconds:0.0}s; {string.Join(", ", w.Errors.Select(e => $"{e.Key} ×{e.Value}"))}"))
            + "\n" + string.Join("\n", proxies.Select((p, h) => $"proxy {ThreeHosts.Names[h]}:\n{p.Output[^Math.Min(2500, p.Output.Length)..]}")) + $"\ndashboard:\n{dash.Output[^Math.Min(4000, dash.Output.Length)..]}";
        void Within(Func<bool> condition, int seconds, string what)
        {
            try { SeedEnv.Eventually(condition, TimeSpan.FromSeconds(seconds), what); }
            catch (TimeoutException e) { throw new TimeoutException(e.Message + "\n" + Diag()); }
        }
        // b (c too, with the second replica: the dashboard takes the replica with the highest offset)
        string? promoted = null;
        Within(() => (promoted = new[] { B, C }.FirstOrDefault(x => (x == B || replicaAck) && Info(x).GetValueOrDefault("role") == "master")) != null, 60, "the dashboard promotes b");
        var failoverAt = clock.Elapsed;
        string promotedIp = promoted!.Split(':')[0];
        Within(() => writers[1].LastAck > failoverAt && writers[2].LastAck > failoverAt, 30, "b's and c's clients write again");
        var resumedAt = clock.Elapsed;
        // the event is recorded once the push to every proxy returned (a's, cut off, times out)
        var events = await env.FailoversAsync(timeoutSeconds: 60);
        Assert.True(events.Count > 0, "the failover is recorded: not within 60 s\n" + Diag());
        Assert.Contains(events, e => e!["OldMaster"]!.GetValue<string>() == A && e["NewMaster"]!.GetValue<string>() == promoted);
        output.WriteLine($"{failoverAt.TotalSeconds:0.0} s: {promoted} promoted; b and c write again at {resumedAt.TotalSeconds:0.0} s; failover events: {events.ToJsonString()}");
        Assert.True(memberServes(1) && memberServes(2), $"{kind} lost its quorum on b + c");
        // where the failover's time goes: the dashboard's promotion lines carry their timings
        foreach (var line in dash.Output.Split('\n').Where(l => l.Contains("promot") || l.Contains("failing over") || l.Contains("failover")))
            output.WriteLine("dashboard: " + line.TrimEnd());
        await Task.Delay(3000); // a stays cut off a while: its clients must be refused, not acknowledged
        var healAt = clock.Elapsed;
        var aAckedWhileCut = writers[0].Acked.Where(x => x.At > cutAt && x.At < healAt).ToList();

        // heal
        hosts.Heal(0);
        output.WriteLine($"{healAt.TotalSeconds:0.0} s: host a healed ({DateTime.UtcNow:HH:mm:ss.fff} UTC)");
        Within(() => Info(A) is var i && i.GetValueOrDefault("role") == "slave" && i.GetValueOrDefault("master_host") == promotedIp && i.GetValueOrDefault("master_link_status") == "up",
            60, "a is demoted to a replica of b");
        Within(() => writers[0].LastAck > healAt, 60, "a's proxy routes to the new master");
        var aBackAt = clock.Elapsed;
        await Task.Delay(1500);
        foreach (var w in writers) w.Stop();

        // every acknowledged write is readable, except those acked by a in the replication window before its master was fenced
        using var reader = new RespClient(Ip(2), ProxyPort, TimeSpan.FromSeconds(10));
        var lost = writers.Select(w => w.Acked.Where(x => reader.Call("GET", w.Key(x.I)).Text != x.I.ToString()).ToList()).ToArray();
        for (int h = 0; h < 3; h++)
            output.WriteLine($"host {ThreeHosts.Names[h]}: {writers[h].Acked.Count} writes acknowledged, {lost[h].Count} lost " +
                $"({string.Join(", ", lost[h].Select(x => $"{(x.At - cutAt).TotalMilliseconds:0} ms after the cut"))}); refused: {string.Join(", ", writers[h].Errors.Select(e => $"{e.Key} {e.Value}"))}");
        output.WriteLine($"failover: cut → dashboard failover {(failoverAt - cutAt).TotalSeconds:0.0} s, → b/c writing {(resumedAt - cutAt).TotalSeconds:0.0} s; heal → a's clients writing {(aBackAt - healAt).TotalSeconds:0.0} s; " +
            $"a acknowledged {aAckedWhileCut.Count} writes while cut off, the last {(aAckedWhileCut.Count == 0 ? 0 : (aAckedWhileCut[^1].At - cutAt).TotalMilliseconds):0} ms after the cut");
        File.AppendAllText(Path.Combine(Path.GetTempPath(), "codis-partition-figures.txt"),
            $"{DateTime.UtcNow:O} {kind}{(replicaAck ? " replica_ack=1" : "")} failover_s={(failoverAt - cutAt).TotalSeconds:0.0} bc_resume_s={(resumedAt - cutAt).TotalSeconds:0.0} a_back_s={(aBackAt - healAt).TotalSeconds:0.0} " +
            $"acked={string.Join('/', writers.Select(w => w.Acked.Count))} lost={string.Join('/', lost.Select(l => l.Count))} a_acked_cut={aAckedWhileCut.Count}\n");

        // the cut-off master was fenced long before the failover: nothing it acknowledged after that can be lost
        var fenceBound = cutAt + TimeSpan.FromSeconds(3.5);
        Assert.True(aAckedWhileCut.All(x => x.At < fenceBound), $"a's master acknowledged writes {string.Join(", ", aAckedWhileCut.Select(x => $"{(x.At - cutAt).TotalSeconds:0.0}s"))} after the cut (fence bound 3.5 s)");
        Assert.True(fenceBound < failoverAt, "the failover came before a's master was fenced");
        if (replicaAck)
        {
            // every write the proxies acknowledged was on a replica first: nothing at all may be lost
            Assert.True(lost.All(l => l.Count == 0), $"with backend_replica_ack acknowledged writes were lost: {string.Join(", ", lost.Select((l, h) => $"{ThreeHosts.Names[h]}: {l.Count}"))}");
            return;
        }
        // b's and c's writes go to a's master until the cut: only a write acknowledged in the instant before the cut (not yet replicated) may be gone
        for (int h = 0; h < 3; h++)
            Assert.True(lost[h].All(x => x.At > cutAt - TimeSpan.FromSeconds(1) && x.At < fenceBound),
                $"host {ThreeHosts.Names[h]} lost writes outside the replication window: {string.Join(", ", lost[h].Select(x => $"{x.I} at {(x.At - cutAt).TotalSeconds:0.00}s"))}\ndashboard:\n{dash.Output[^Math.Min(3000, dash.Output.Length)..]}" +
                $"\na's old master:\n{aServer.Output[^Math.Min(3000, aServer.Output.Length)..]}\na's proxy:\n{proxies[0].Output[^Math.Min(3000, proxies[0].Output.Length)..]}");
    }

    private static bool EtcdHealthy(string ip)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        try { return http.GetStringAsync($"http://{ip}:{EtcdClient}/health").GetAwaiter().GetResult().Contains("\"true\""); }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { return false; }
    }

    private static Dictionary<string, string> Info(string addr)
    {
        try
        {
            var parts = addr.Split(':');
            using var c = new RespClient(parts[0], int.Parse(parts[1]), TimeSpan.FromSeconds(2));
            return (c.Call("INFO", "replication").Text ?? "").Split('\n').Select(l => l.Trim().Split(':', 2)).Where(kv => kv.Length == 2).ToDictionary(kv => kv[0], kv => kv[1]);
        }
        // Right after the heal the host's route may still be missing: the connect fails (wrapped), try again later.
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException
            or AggregateException { InnerException: IOException or System.Net.Sockets.SocketException }) { return []; }
    }
}

/// <summary>A temp folder removed on Dispose.</summary>
public sealed class TempDir(string prefix) : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory(prefix).FullName;

    public void Dispose()
    {
        try { Directory.Delete(Path, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
