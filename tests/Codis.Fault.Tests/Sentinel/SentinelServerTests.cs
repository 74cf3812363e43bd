using System.Diagnostics;
using Codis.Fault.Tests.Support;
using Codis.Testing;
using Codis.Testing.Cluster;
using Xunit.Abstractions;

namespace Codis.Fault.Tests.Sentinel;

/// <summary>
/// codis-server under Debian's redis-sentinel 7.0, without Codis around it: three sentinels monitor a codis-server
/// master with two codis-server replicas, discover the replicas (INFO replication) and each other (hellos on
/// __sentinel__:hello), and when the master is killed -9 they promote a replica (MULTI, REPLICAOF NO ONE,
/// CONFIG REWRITE, CLIENT KILL ..., EXEC), repoint the other replica, and turn the restarted old master into a replica.
/// </summary>
[Collection(FaultCollection.Name)]
public class SentinelServerTests(ITestOutputHelper output)
{
    private const string Name = "mymaster";

    [Fact]
    public void KilledMaster_SentinelsPromoteAReplica_OthersFollow()
    {
        Assert.True(RedisSentinelProcess.Available, "redis-sentinel is not installed (test.sh installs it)");
        var owned = new List<IDisposable>();
        try
        {
            var master = CodisServerProcess.Start();
            owned.Add(master);
            var replicas = new[] { CodisServerProcess.Start(), CodisServerProcess.Start() };
            owned.AddRange(replicas);
            foreach (var r in replicas)
            {
                using var c = r.Client();
                Assert.Equal("OK", c.Call("REPLICAOF", "127.0.0.1", master.Port.ToString()).Text);
            }
            foreach (var r in replicas) FaultCluster.WaitReplicating(r, master, TimeSpan.FromSeconds(30));
            using (var c = master.Client()) Assert.Equal("OK", c.Call("SET", "before", "1").Text);

            var sentinels = Enumerable.Range(0, 3)
                .Select(_ => RedisSentinelProcess.Start((Name, FaultCluster.Addr(master), 2), downAfterMs: 1000)).ToList();
            owned.AddRange(sentinels);

            // each sentinel finds both replicas and the two other sentinels
            SeedEnv.Eventually(() => sentinels.All(s =>
            {
                using var c = s.Client();
                var m = Fields(c.Call("SENTINEL", "MASTER", Name));
                return m.GetValueOrDefault("num-slaves") == "2" && m.GetValueOrDefault("num-other-sentinels") == "2";
            }), TimeSpan.FromSeconds(30), "every sentinel sees 2 replicas and 2 other sentinels");
            // the replica has what was written before the failover (so a promoted one can serve it)
            SeedEnv.Eventually(() => replicas.All(r => { using var c = r.Client(); return c.Call("GET", "before").Text == "1"; }),
                TimeSpan.FromSeconds(10), "replicas have the key");

            var sw = Stopwatch.StartNew();
            master.Kill();
            string oldAddr = FaultCluster.Addr(master);
            string? promoted = null;
            SeedEnv.Eventually(() => sentinels.All(s => (promoted = s.MasterAddr(Name)) != oldAddr && promoted != null),
                TimeSpan.FromSeconds(30), "sentinels name a new master");
            output.WriteLine($"kill -9 → every sentinel names {promoted}: {sw.Elapsed.TotalSeconds:0.00} s (down-after 1 s)");
            Assert.All(sentinels, s => Assert.Equal(promoted, s.MasterAddr(Name)));

            var newMaster = replicas.Single(r => FaultCluster.Addr(r) == promoted);
            var other = replicas.Single(r => r != newMaster);
            SeedEnv.Eventually(() => FaultCluster.Info(newMaster)["role"] == "master", TimeSpan.FromSeconds(10), "the promoted replica is a master");
            using (var c = newMaster.Client())
            {
                Assert.Equal("OK", c.Call("SET", "after", "2").Text);
                Assert.Equal("1", c.Call("GET", "before").Text);
            }
            FaultCluster.WaitReplicating(other, newMaster, TimeSpan.FromSeconds(30));
            SeedEnv.Eventually(() => { using var c = other.Client(); return c.Call("GET", "after").Text == "2"; },
                TimeSpan.FromSeconds(10), "the other replica follows the new master");

            // the old master comes back on its port: sentinel makes it a replica of the new master
            var back = CodisServerProcess.StartIn(master.DataDir, "--port", master.Port.ToString());
            owned.Add(back);
            FaultCluster.WaitReplicating(back, newMaster, TimeSpan.FromSeconds(40));
            SeedEnv.Eventually(() => { using var c = back.Client(); return c.Call("GET", "after").Text == "2"; },
                TimeSpan.FromSeconds(10), "the old master replicates the new one");
            using (var c = back.Client()) Assert.StartsWith("READONLY", c.Call("SET", "x", "1").Text);
        }
        finally
        {
            for (int i = owned.Count - 1; i >= 0; i--) owned[i].Dispose();
        }
    }

    /// <summary>A flat [k, v, k, v...] reply as a dictionary.</summary>
    internal static Dictionary<string, string> Fields(Codis.Core.Resp.RespValue v)
    {
        var d = new Dictionary<string, string>();
        var items = v.Items ?? [];
        for (int i = 0; i + 1 < items.Length; i += 2) d[items[i].Text ?? ""] = items[i + 1].Text ?? "";
        return d;
    }
}
