using System.Text;
using Codis.Core.Resp;
using Codis.Core.Slots;
using Codis.Testing;

namespace Codis.Proxy.Tests;

/// <summary>
/// Group 1 (slots 0–511) is a master with one replica that serves reads (replica_groups), group 2 (512–1023)
/// a master alone; two proxies in front, replica reads on (backend_primary_only = false, the default).
/// </summary>
public sealed class ReplicaCluster : IDisposable
{
    public CodisServerProcess Master1 { get; }
    public CodisServerProcess Replica1 { get; }
    public CodisServerProcess Master2 { get; }
    public CodisProxyProcess ProxyA { get; }
    public CodisProxyProcess ProxyB { get; }

    public ReplicaCluster()
    {
        Master1 = CodisServerProcess.Start();
        Replica1 = CodisServerProcess.Start();
        Master2 = CodisServerProcess.Start();
        using (var r = Replica1.Client())
        {
            Assert.Equal("OK", r.Call("REPLICAOF", "127.0.0.1", Master1.Port.ToString()).Text);
            PubSubTests.WaitFor(() => r.Call("INFO", "replication").Text!.Contains("master_link_status:up"), "replica link up", 20_000);
        }
        var slots = Enumerable.Range(0, 512).Select(i => (object)new Dictionary<string, object>
        {
            ["id"] = i,
            ["backend_addr"] = $"127.0.0.1:{Master1.Port}",
            ["backend_addr_group_id"] = 1,
            ["replica_groups"] = new[] { new[] { $"127.0.0.1:{Replica1.Port}" } },
        }).Concat(CodisProxyProcess.Range(512, 1023, $"127.0.0.1:{Master2.Port}", 2)).ToList();
        ProxyA = CodisProxyProcess.StartWithSlots(slots);
        ProxyB = CodisProxyProcess.StartWithSlots(slots);
    }

    public void Dispose()
    {
        ProxyA.Dispose();
        ProxyB.Dispose();
        Replica1.Signal(18); // SIGCONT, in case a test stopped it
        Replica1.Dispose();
        Master1.Dispose();
        Master2.Dispose();
    }
}

public class ReplicaReadTests(ReplicaCluster cluster) : IClassFixture<ReplicaCluster>
{
    private static string KeyInGroup1(string prefix) =>
        Enumerable.Range(0, 10_000).Select(i => prefix + i).First(k => SlotHash.Slot(Encoding.UTF8.GetBytes(k)) < 512);

    private static long GetCalls(CodisServerProcess server)
    {
        using var c = server.Client();
        var line = c.Call("INFO", "commandstats").Text!.Split('\n').FirstOrDefault(l => l.StartsWith("cmdstat_get:"));
        return line == null ? 0 : long.Parse(line.Split("calls=")[1].Split(',')[0]);
    }

    [Fact]
    public void Reads_GoToTheReplica()
    {
        string key = KeyInGroup1("rr:");
        using (var writer = cluster.ProxyA.Client()) Assert.Equal("OK", writer.Call("SET", key, "v").Text);
        using var reader = cluster.ProxyB.Client();
        PubSubTests.WaitFor(() => reader.Call("GET", key).Text == "v", "the replica to get the value");
        long before = GetCalls(cluster.Replica1), masterBefore = GetCalls(cluster.Master1);
        for (int i = 0; i < 200; i++) Assert.Equal("v", reader.Call("GET", key).Text);
        long served = GetCalls(cluster.Replica1) - before;
        Assert.True(served >= 190, $"the replica served {served} of 200 GETs (master {GetCalls(cluster.Master1) - masterBefore})");
    }

    /// <summary>
    /// With the replica frozen (SIGSTOP) a session's read after its own write must not go there: it is served by
    /// the master at once, and right; a session that only reads keeps using the replica once it has caught up.
    /// </summary>
    [Fact]
    public void WriteThenRead_InTheSameSession_IsNeverStale()
    {
        string key = KeyInGroup1("ryw:"), other = KeyInGroup1("ryw2:");
        using var c = cluster.ProxyA.Client(5000);
        // Live replica, tight loop: every read right after its write.
        for (int i = 0; i < 300; i++)
        {
            Assert.Equal("OK", c.Call("SET", key, i.ToString()).Text);
            Assert.Equal(i.ToString(), c.Call("GET", key).Text);
            Assert.Equal([i.ToString(), null], c.Call("MGET", key, other).Items!.Select(x => x.Text));
        }
        // Frozen replica: it would never answer; the writer's reads go to the master.
        cluster.Replica1.Signal(19); // SIGSTOP
        try
        {
            for (int i = 0; i < 50; i++)
            {
                Assert.Equal("OK", c.Call("SET", key, "frozen" + i).Text);
                Assert.Equal("frozen" + i, c.Call("GET", key).Text);
            }
        }
        finally
        {
            cluster.Replica1.Signal(18); // SIGCONT
        }
        // Once the replica has caught up, the same session reads from it again.
        long before = GetCalls(cluster.Replica1);
        PubSubTests.WaitFor(() =>
        {
            Assert.Equal("frozen49", c.Call("GET", key).Text);
            return GetCalls(cluster.Replica1) > before;
        }, "the writer's reads to return to the caught-up replica");
    }
}
