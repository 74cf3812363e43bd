using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Codis.Core.Slots;
using Codis.Testing;

namespace Codis.Proxy.Tests;

/// <summary>Its own cluster: the test moves slot ownership around.</summary>
public sealed class SwapCluster : TwoGroupCluster;

public class SlotSwapTests(SwapCluster cluster) : IClassFixture<SwapCluster>
{
    /// <summary>
    /// Writers keep writing fresh keys while slots 0–511 are handed back and forth between the groups with
    /// fillslots. Every acknowledged key must be stored exactly once, by a group that owned its slot at some
    /// moment between the write being sent and acknowledged (the fill is a barrier: a write dispatched before
    /// it finishes on the old owner, one dispatched after goes to the new owner).
    /// </summary>
    [Fact]
    public async Task SlotTableSwappedUnderLoad_NoKeyMisrouted()
    {
        string g1 = $"127.0.0.1:{cluster.Group1.Port}", g2 = $"127.0.0.1:{cluster.Group2.Port}";
        var clock = Stopwatch.StartNew();
        // (start, end, owner of slots 0–511 from end on); owner before the first swap: group 1.
        var swaps = new List<(double Start, double End, int Owner)>();
        var acked = new ConcurrentBag<(string Key, double Sent, double Acked)>();
        using var stop = new CancellationTokenSource();

        var writers = Enumerable.Range(0, 4).Select(w => Task.Run(() =>
        {
            using var c = cluster.Client();
            for (int seq = 0; !stop.IsCancellationRequested; seq++)
            {
                // Pipelines of 8 so the fill barrier always has requests in flight to wait for.
                var keys = Enumerable.Range(0, 8).Select(j => $"swap:{w}:{seq}:{j}").ToArray();
                double sent = clock.Elapsed.TotalMilliseconds;
                foreach (var k in keys) c.Send([Encoding.ASCII.GetBytes("SET"), Encoding.ASCII.GetBytes(k), "1"u8.ToArray()]);
                c.Flush();
                foreach (var k in keys)
                {
                    var r = c.Read();
                    Assert.Equal("OK", r.Text);
                    acked.Add((k, sent, clock.Elapsed.TotalMilliseconds));
                }
            }
        })).ToArray();

        int owner = 1;
        for (int i = 0; i < 6; i++)
        {
            await Task.Delay(250);
            owner = owner == 1 ? 2 : 1;
            var slots = CodisProxyProcess.Range(0, 511, owner == 1 ? g1 : g2, owner);
            double start = clock.Elapsed.TotalMilliseconds;
            var (status, _) = await AdminHttp.PutAsync(cluster.Proxy.AdminAddr, $"/api/proxy/fillslots/{cluster.Proxy.XAuth}", JsonSerializer.Serialize(slots));
            Assert.Equal(System.Net.HttpStatusCode.OK, status);
            swaps.Add((start, clock.Elapsed.TotalMilliseconds, owner));
        }
        await Task.Delay(250);
        stop.Cancel();
        await Task.WhenAll(writers);

        using var c1 = cluster.Group1.Client();
        using var c2 = cluster.Group2.Client();
        int checkedKeys = 0;
        foreach (var (key, sent, ack) in acked)
        {
            int slot = SlotHash.Slot(Encoding.ASCII.GetBytes(key));
            bool in1 = !c1.Call("GET", key).IsNull, in2 = !c2.Call("GET", key).IsNull;
            Assert.True(in1 ^ in2, $"{key} stored {(in1 ? "twice" : "nowhere")}");
            if (slot >= 512)
            {
                Assert.True(in2, $"{key} (slot {slot}) is not in group 2");
                continue;
            }
            // The owners the slot had at any time during [sent, ack].
            var possible = new HashSet<int>();
            int current = 1;
            foreach (var s in swaps)
            {
                if (s.End <= sent) current = s.Owner;
                else if (s.Start < ack) { possible.Add(current); possible.Add(s.Owner); }
            }
            possible.Add(OwnerAt(swaps, sent));
            possible.Add(OwnerAt(swaps, ack));
            Assert.Contains(in1 ? 1 : 2, possible);
            checkedKeys++;
        }
        Assert.True(checkedKeys > 500, $"only {checkedKeys} keys of the moving slots were written");
    }

    private static int OwnerAt(List<(double Start, double End, int Owner)> swaps, double t)
    {
        int owner = 1;
        foreach (var s in swaps) if (s.End <= t) owner = s.Owner;
        return owner;
    }
}
