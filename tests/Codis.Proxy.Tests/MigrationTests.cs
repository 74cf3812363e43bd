using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Codis.Core.Slots;

namespace Codis.Proxy.Tests;

/// <summary>Its own cluster: the test moves slots from group 1 to group 2.</summary>
public sealed class MigrationCluster : TwoGroupCluster;

public class MigrationTests(MigrationCluster cluster) : IClassFixture<MigrationCluster>
{
    /// <summary>
    /// Slots 0–31 move from group 1 to group 2 while clients write and read their keys through the proxy, as
    /// the dashboard drives it: fill the slot as migrating (sync forward method for even slots, semi-async for
    /// odd ones), move its keys with SLOTSMGRTTAGSLOT on the source until it is empty, fill it as owned by the
    /// target. Every read sees the value just written; no request fails; at the end every key is on group 2 only.
    /// </summary>
    [Fact]
    public async Task SlotRangeMovedUnderLoad_ClientSeesEveryWrite_NoErrors()
    {
        string g1 = $"127.0.0.1:{cluster.Group1.Port}", g2 = $"127.0.0.1:{cluster.Group2.Port}";
        var keys = Enumerable.Range(0, 20_000).Select(i => $"mg:{i}").Where(k => SlotHash.Slot(Encoding.UTF8.GetBytes(k)) < 32).Take(400).ToArray();
        using (var c = cluster.Client())
            foreach (var chunk in keys.Chunk(50))
                Assert.Equal("OK", c.Call(new object[] { "MSET" }.Concat(chunk.SelectMany(k => new[] { k, "0" })).ToArray()).Text);

        var last = new ConcurrentDictionary<string, int>();
        var errors = new ConcurrentQueue<string>();
        using var stop = new CancellationTokenSource();
        int ops = 0;
        var writers = Enumerable.Range(0, 4).Select(w => Task.Run(() =>
        {
            using var c = cluster.Client(30_000);
            var mine = keys.Where((_, i) => i % 4 == w).ToArray();
            for (int round = 1; !stop.IsCancellationRequested; round++)
                foreach (var k in mine)
                {
                    var set = c.Call("SET", k, round.ToString());
                    var get = c.Call("GET", k);
                    if (set.Text != "OK") errors.Enqueue($"SET {k}: {set.Text}");
                    else if (get.Text != round.ToString()) errors.Enqueue($"GET {k}: {get.Text}, wrote {round}");
                    else last[k] = round;
                    Interlocked.Add(ref ops, 2);
                    if (stop.IsCancellationRequested) break;
                }
        })).ToArray();

        await Task.Delay(200);
        using var source = cluster.Group1.Client(30_000);
        for (int slot = 0; slot < 32; slot++)
        {
            await Fill(new { id = slot, backend_addr = g2, backend_addr_group_id = 2, migrate_from = g1, migrate_from_group_id = 1, forward_method = slot % 2 });
            while (true)
            {
                var r = source.Call("SLOTSMGRTTAGSLOT", "127.0.0.1", cluster.Group2.Port.ToString(), "3000", slot.ToString());
                Assert.False(r.IsError, r.Text);
                if (r.Items![1].Integer == 0) break;
            }
            await Fill(new { id = slot, backend_addr = g2, backend_addr_group_id = 2 });
        }
        await Task.Delay(200);
        stop.Cancel();
        await Task.WhenAll(writers);

        Assert.True(errors.IsEmpty, $"{errors.Count} failures, e.g. {string.Join("; ", errors.Take(5))}");
        Assert.True(ops > 1000, $"only {ops} requests ran during the migration");
        using var target = cluster.Group2.Client();
        using var proxy = cluster.Client();
        foreach (var k in keys)
        {
            Assert.True(source.Call("EXISTS", k).Integer == 0, $"{k} still on the source");
            string expected = last.TryGetValue(k, out int v) ? v.ToString() : "0";
            Assert.Equal(expected, target.Call("GET", k).Text);
            Assert.Equal(expected, proxy.Call("GET", k).Text);
        }
    }

    private async Task Fill(object slot)
    {
        var (status, body) = await AdminHttp.PutAsync(cluster.Proxy.AdminAddr, $"/api/proxy/fillslots/{cluster.Proxy.XAuth}", JsonSerializer.Serialize(new[] { slot }));
        Assert.True(status == System.Net.HttpStatusCode.OK, body.ToString());
    }
}
