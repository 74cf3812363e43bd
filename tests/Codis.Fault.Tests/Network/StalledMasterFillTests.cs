using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Codis.Fault.Tests.Support;
using Codis.Testing;
using Xunit.Abstractions;

namespace Codis.Fault.Tests.Network;

/// <summary>
/// The proxy's side of a failover away from a stalled master: a fill that hands a silent backend's slots to
/// another server fails the requests the silent one holds as soon as it has been silent for 1 s — instead of
/// waiting backend_recv_timeout (20 s here) for replies that, from a woken old master, would be writes the
/// demotion then discards — and the slots are served by the new owner at once.
/// </summary>
[Collection(FaultCollection.Name)]
public class StalledMasterFillTests(ITestOutputHelper output)
{
    [Fact]
    public async Task FillAwayFromAStalledMasterFailsItsHeldRequestsAtOnce()
    {
        using var stalled = CodisServerProcess.Start();
        using var next = CodisServerProcess.Start();
        using var relay = new TcpFaultProxy(stalled.Port);
        string nextAddr = $"127.0.0.1:{next.Port}";
        using var proxy = CodisProxyProcess.StartWithSlots(
            [.. CodisProxyProcess.Range(0, 511, relay.Address, 1), .. CodisProxyProcess.Range(512, 1023, nextAddr, 2)],
            "--backend_recv_timeout", "20s");
        string key = Keys.TagIn(0, 511) + ":held";
        using (var c = proxy.Client()) Assert.Equal("OK", c.Call("SET", key, "before").Text);

        relay.Mode = FaultMode.Silent;
        var clock = Stopwatch.StartNew();
        var held = Task.Run(() =>
        {
            using var c = proxy.Client(30_000);
            var r = c.Call("SET", key, "held");
            return (Reply: r, At: clock.Elapsed);
        });
        Thread.Sleep(300);
        Assert.False(held.IsCompleted, "the silent backend answered");

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var fillAt = clock.Elapsed;
        using var body = new StringContent(JsonSerializer.Serialize(CodisProxyProcess.Range(0, 511, nextAddr, 2)), Encoding.UTF8, "application/json");
        using var resp = await http.PutAsync($"http://{proxy.AdminAddr}/api/proxy/fillslots/{proxy.XAuth}", body);
        var filledAt = clock.Elapsed;
        Assert.True(resp.IsSuccessStatusCode, await resp.Content.ReadAsStringAsync());
        var (reply, failedAt) = await held.WaitAsync(TimeSpan.FromSeconds(30));
        output.WriteLine($"fill sent {fillAt.TotalMilliseconds:0} ms after the held request, done in {(filledAt - fillAt).TotalMilliseconds:0} ms; " +
            $"the held request → {reply} after {failedAt.TotalMilliseconds:0} ms (backend_recv_timeout 20 s)");

        Assert.True(reply.IsError && reply.Text!.Contains("master replaced while it held requests"), reply.ToString());
        Assert.True(failedAt < TimeSpan.FromSeconds(8), $"the held request waited {failedAt}");
        using (var c = proxy.Client())
        {
            Assert.Equal("OK", c.Call("SET", key, "after").Text);
            Assert.Equal("after", c.Call("GET", key).Text);
        }
        using (var direct = next.Client()) Assert.Equal("after", direct.Call("GET", key).Text);
        Assert.Contains("master replaced while stalled", proxy.Output);
    }
}
