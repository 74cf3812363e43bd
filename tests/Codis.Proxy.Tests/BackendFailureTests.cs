using System.Diagnostics;
using System.Text;
using Codis.Core.Slots;

namespace Codis.Proxy.Tests;

/// <summary>Its own cluster: these tests kill and restart a backend.</summary>
public sealed class FailureCluster() : TwoGroupCluster([], ["--backend_ping_period", "1s"]);

public class BackendFailureTests(FailureCluster cluster) : IClassFixture<FailureCluster>
{
    [Fact]
    public async Task BackendKilledMidPipeline_OnlyItsRequestsFail_ThenRecovery()
    {
        var g1Key = Enumerable.Range(0, 100).Select(i => $"kill:{i}").First(k => SlotHash.Slot(Encoding.UTF8.GetBytes(k)) < 512);
        var g2Key = Enumerable.Range(0, 100).Select(i => $"kill:{i}").First(k => SlotHash.Slot(Encoding.UTF8.GetBytes(k)) >= 512);
        using var c = cluster.Client(timeoutMs: 30_000);
        Assert.Equal("OK", c.Call("SET", g1Key, "one").Text);
        Assert.Equal("OK", c.Call("SET", g2Key, "two").Text);

        // A pipeline alternating between the groups; group 2 is killed after the first half is on its way and
        // before the second half is sent.
        const int n = 20_000;
        string Get(int i) { string k = i % 2 == 0 ? g1Key : g2Key; return $"*2\r\n$3\r\nGET\r\n${k.Length}\r\n{k}\r\n"; }
        var firstHalf = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Range(0, n / 2).Select(Get)));
        var secondHalf = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Range(n / 2, n / 2).Select(Get)));
        // Sent from another thread while this one reads: a client that only writes would block the proxy's replies.
        var sending = Task.Run(() => c.SendRaw(firstHalf));
        Codis.Core.Resp.RespValue first;
        try { first = c.Read(); }
        catch (IOException e) { throw new IOException($"{e.Message}; sender: {sending.Status} {sending.Exception?.InnerException?.Message}\nproxy output:\n{cluster.Proxy.Output}", e); }
        Assert.Equal("one", first.Text);
        cluster.KillGroup2();
        sending = sending.ContinueWith(_ => c.SendRaw(secondHalf), TaskScheduler.Default);

        var sw = Stopwatch.StartNew();
        int g1Ok = 1, g2Ok = 0, g2Failed = 0;
        for (int i = 1; i < n; i++)
        {
            Codis.Core.Resp.RespValue r;
            try { r = c.Read(); }
            catch (IOException e) { throw new IOException($"reply {i}: {e.Message} (g2 ok {g2Ok} failed {g2Failed}); sender: {sending.Status}\nproxy output:\n{cluster.Proxy.Output}", e); }
            if (i % 2 == 0)
            {
                Assert.Equal("one", r.Text); // group 1's requests are never affected
                g1Ok++;
            }
            else if (r.IsError)
            {
                Assert.StartsWith("ERR handle response, backend conn", r.Text);
                g2Failed++;
            }
            else
            {
                Assert.True(i < n / 2, $"request {i}, sent after the kill, was answered: {r.Text}");
                Assert.Equal("two", r.Text);
                g2Ok++;
            }
        }
        await sending.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(n / 2, g1Ok);
        Assert.Equal(n / 2, g2Ok + g2Failed);
        Assert.True(g2Failed >= n / 4);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(20), $"the replies after the kill took {sw.Elapsed}");

        // While it is down: group 2's keys fail fast with a clear error, group 1's work.
        sw.Restart();
        var down = c.Call("GET", g2Key);
        Assert.True(down.IsError);
        Assert.StartsWith("ERR handle response, backend conn", down.Text);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(6), $"a request to a dead backend took {sw.Elapsed}");
        Assert.Equal("one", c.Call("GET", g1Key).Text);

        // Restarted on the same port: the proxy reconnects by itself.
        cluster.RestartGroup2();
        sw.Restart();
        while (true)
        {
            var r = c.Call("SET", g2Key, "back");
            if (r.Text == "OK") break;
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(15), $"no recovery after restart: {r.Text}");
            await Task.Delay(100);
        }
        Assert.Equal("back", c.Call("GET", g2Key).Text);
        Assert.Equal("one", c.Call("GET", g1Key).Text);
    }
}
