using System.Text;
using System.Text.Json;
using Codis.Core.Resp;
using Codis.Core.Slots;
using Codis.Testing;

namespace Codis.Proxy.Tests;

/// <summary>Its own cluster (slots move), plus a second proxy with FLUSHDB enabled and a small KEYS limit.</summary>
public sealed class KeyspaceCluster : TwoGroupCluster
{
    public CodisProxyProcess Open { get; }

    public KeyspaceCluster() => Open = CodisProxyProcess.StartWithSlots(Slots(Group1.Port, Group2.Port),
        "--proxy_allow_flush", "true", "--proxy_max_keys_reply", "50");

    public override void Dispose()
    {
        Open.Dispose();
        base.Dispose();
    }
}

public class KeyspaceTests(KeyspaceCluster cluster, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<KeyspaceCluster>
{
    private static HashSet<string> FullScan(RespClient c, params string[] options)
    {
        var seen = new HashSet<string>();
        string cursor = "0";
        do
        {
            var r = c.Call(["SCAN", cursor, .. options]);
            Assert.False(r.IsError, r.Text);
            cursor = r.Items![0].Text!;
            foreach (var k in r.Items[1].Items!) seen.Add(k.Text!);
        } while (cursor != "0");
        return seen;
    }

    /// <summary>
    /// 100,000 keys over all 1024 slots; full SCANs run while slots 0–63 move from group 1 to group 2 and
    /// back (fill as migrating, SLOTSMGRTTAGSLOT until empty, fill as moved), as the dashboard does: every scan
    /// returns every key.
    /// </summary>
    [Fact]
    public async Task Scan_HundredThousandKeys_EveryKeyReturned_WhileSlotsMigrate()
    {
        const int n = 100_000;
        var load = System.Diagnostics.Stopwatch.StartNew();
        // Loaded straight into the groups (the proxy's MSET split is tested elsewhere): each key where its slot lives.
        foreach (var (group, lowSlots) in new[] { (cluster.Group1, true), (cluster.Group2, false) })
        {
            using var g = group.Client(60_000);
            var chunks = Enumerable.Range(0, n).Where(i => SlotHash.Slot(Encoding.UTF8.GetBytes($"sc:{i}")) < 512 == lowSlots).Chunk(1000).ToList();
            foreach (var chunk in chunks)
                g.Send([.. new[] { "MSET" }.Concat(chunk.SelectMany(i => new[] { $"sc:{i}", "v" })).Select(Encoding.UTF8.GetBytes)]);
            foreach (var _ in chunks) Assert.Equal("OK", g.Read().Text);
        }
        output.WriteLine($"loaded {n} keys in {load.ElapsedMilliseconds} ms");
        var slotsUsed = Enumerable.Range(0, n).Select(i => SlotHash.Slot(Encoding.UTF8.GetBytes($"sc:{i}"))).ToHashSet();
        Assert.Equal(SlotHash.SlotCount, slotsUsed.Count);

        string g1 = $"127.0.0.1:{cluster.Group1.Port}", g2 = $"127.0.0.1:{cluster.Group2.Port}";
        using var stop = new CancellationTokenSource();
        int moved = 0;
        var onGroup2 = new bool[16];
        async Task Move(int slot, bool toGroup2)
        {
            var (from, to, fromGid, toGid, source, targetPort) = toGroup2 ? (g1, g2, 1, 2, cluster.Group1, cluster.Group2.Port) : (g2, g1, 2, 1, cluster.Group2, cluster.Group1.Port);
            using var c = source.Client(30_000);
            await Fill(new { id = slot, backend_addr = to, backend_addr_group_id = toGid, migrate_from = from, migrate_from_group_id = fromGid });
            while (true)
            {
                var r = c.Call("SLOTSMGRTTAGSLOT", "127.0.0.1", targetPort.ToString(), "3000", slot.ToString());
                Assert.False(r.IsError, r.Text);
                if (r.Items![1].Integer == 0) break;
            }
            await Fill(new { id = slot, backend_addr = to, backend_addr_group_id = toGid });
            onGroup2[slot] = toGroup2;
        }
        // Slots 0-15 go to group 2 and back, one at a time, until the scans are done.
        var mover = Task.Run(async () =>
        {
            for (int step = 0; !stop.IsCancellationRequested; step++)
            {
                int slot = step % 16;
                await Move(slot, !onGroup2[slot]);
                Interlocked.Increment(ref moved);
            }
        });

        var stopwatch = System.Diagnostics.Stopwatch.StartNew();
        using (var c = cluster.Client(30_000))
        {
            var deadline = Environment.TickCount64 + 5000;
            int scans = 0;
            int movedAtStart = Volatile.Read(ref moved);
            while (scans < 1 || (Environment.TickCount64 < deadline && Volatile.Read(ref moved) - movedAtStart < 4))
            {
                var seen = FullScan(c, "COUNT", "1000");
                var missing = Enumerable.Range(0, n).Select(i => $"sc:{i}").Where(k => !seen.Contains(k)).ToList();
                Assert.True(missing.Count == 0, $"scan {scans}: {missing.Count} keys missing, e.g. {string.Join(", ", missing.Take(5))}");
                scans++;
            }
            output.WriteLine($"{scans} full scans in {stopwatch.ElapsedMilliseconds} ms during {moved - movedAtStart} slot moves");
            Assert.True(Volatile.Read(ref moved) - movedAtStart >= 2, $"only {moved - movedAtStart} slot moves ran during {scans} scans");
        }
        stop.Cancel();
        await mover;
        var restore = System.Diagnostics.Stopwatch.StartNew();
        for (int slot = 0; slot < 16; slot++)
            if (onGroup2[slot]) await Move(slot, false);
        output.WriteLine($"table restored in {restore.ElapsedMilliseconds} ms");
        using (var c = cluster.Client())
            Assert.Equal(n, c.Call("DBSIZE").Integer);
    }

    [Fact]
    public void Scan_MatchCountType()
    {
        using var c = cluster.Client();
        Assert.Equal("OK", c.Call("SELECT", "2").Text);
        for (int i = 0; i < 30; i++) Assert.Equal(1, c.Call("HSET", $"tp:h:{i}", "f", "v").Integer);
        for (int i = 0; i < 20; i++) Assert.Equal(1, c.Call("RPUSH", $"tp:l:{i}", "x").Integer);
        for (int i = 0; i < 20; i++) Assert.Equal("OK", c.Call("SET", $"other:{i}", "x").Text);
        Assert.Equal(Enumerable.Range(0, 30).Select(i => $"tp:h:{i}").ToHashSet(), FullScan(c, "MATCH", "tp:*", "TYPE", "hash", "COUNT", "7"));
        Assert.Equal(20, FullScan(c, "TYPE", "list").Count);
        Assert.Equal(70, FullScan(c).Count);
        Assert.Equal(50, FullScan(c, "MATCH", "tp:*").Count);
        // A small COUNT still ends, and a bad cursor or option is an error.
        Assert.Equal(70, FullScan(c, "COUNT", "1").Count);
        Assert.Equal("ERR invalid cursor", c.Call("SCAN", "abc").Text);
        Assert.Equal("ERR syntax error", c.Call("SCAN", "0", "COUNT", "0").Text);
        Assert.Equal("ERR syntax error", c.Call("SCAN", "0", "BOGUS", "1").Text);
        Assert.Equal(70, c.Call("DBSIZE").Integer);
        using var g1 = cluster.Group1.Client();
        using var g2 = cluster.Group2.Client();
        g1.Call("SELECT", "2");
        g2.Call("SELECT", "2");
        Assert.Equal(70, g1.Call("DBSIZE").Integer + g2.Call("DBSIZE").Integer);
        Assert.True(g1.Call("DBSIZE").Integer > 0 && g2.Call("DBSIZE").Integer > 0);
    }

    [Fact]
    public void Keys_ReturnsMatches_AndRefusesBeyondTheLimit()
    {
        using var c = cluster.Open.Client();
        Assert.Equal("OK", c.Call("SELECT", "5").Text);
        for (int i = 0; i < 40; i++) c.Call("SET", $"k:{i}", "v");
        var keys = c.Call("KEYS", "k:*").Items!.Select(k => k.Text).ToHashSet();
        Assert.Equal(Enumerable.Range(0, 40).Select(i => $"k:{i}").ToHashSet<string?>(), keys);
        Assert.Equal(11, c.Call("KEYS", "k:1*").Items!.Length);
        for (int i = 40; i < 60; i++) c.Call("SET", $"k:{i}", "v");
        var refused = c.Call("KEYS", "*");
        Assert.True(refused.IsError);
        Assert.Contains("proxy_max_keys_reply = 50", refused.Text);
        Assert.Equal("PONG", c.Call("PING").Text);
        Assert.Equal(60, c.Call("DBSIZE").Integer);
    }

    [Fact]
    public void FlushDb_RefusedUnlessEnabled_ThenEmptiesEveryGroup()
    {
        using (var c = cluster.Client())
        {
            var r = c.Call("FLUSHDB");
            Assert.True(r.IsError);
            Assert.Contains("proxy_allow_flush", r.Text);
            Assert.Contains("proxy_allow_flush", c.Call("FLUSHALL").Text);
        }
        using var open = cluster.Open.Client();
        Assert.Equal("OK", open.Call("SELECT", "6").Text);
        for (int i = 0; i < 50; i++) open.Call("SET", $"f:{i}", "v");
        Assert.Equal(50, open.Call("DBSIZE").Integer);
        Assert.False(open.Call("RANDOMKEY").IsNull);
        Assert.Equal("OK", open.Call("FLUSHDB").Text);
        Assert.Equal(0, open.Call("DBSIZE").Integer);
        Assert.True(open.Call("RANDOMKEY").IsNull);
        Assert.Equal("ERR syntax error", open.Call("FLUSHDB", "NOW").Text);
        // Other databases are untouched.
        using var c0 = cluster.Client();
        Assert.Equal("OK", c0.Call("SELECT", "1").Text);
        Assert.Equal("OK", c0.Call("SET", "keep", "1").Text);
        Assert.Equal("1", c0.Call("GET", "keep").Text);
    }

    private async Task Fill(object slot)
    {
        var (status, body) = await AdminHttp.PutAsync(cluster.Proxy.AdminAddr, $"/api/proxy/fillslots/{cluster.Proxy.XAuth}", JsonSerializer.Serialize(new[] { slot }));
        Assert.True(status == System.Net.HttpStatusCode.OK, body.ToString());
    }
}
