using System.Net;
using Codis.Testing;

namespace Codis.Proxy.Tests;

/// <summary>
/// PUT /api/proxy/sentinels/:xauth (the Sentinel model) and /rewatch: the proxy watches the sentinels itself, and a
/// group whose sentinels name another master than its slots use is switched to it (slots marked switched, stats
/// sentinels.masters), without any dashboard.
/// </summary>
public class SentinelRouteTests
{
    [Fact]
    public async Task PutSentinels_SentinelNamesAnotherMaster_ProxySwitchesTheGroupsSlots()
    {
        Assert.True(RedisSentinelProcess.Available, "redis-sentinel is not installed (test.sh installs it)");
        using var a = CodisServerProcess.Start();
        using var b = CodisServerProcess.Start();
        using var proxy = CodisProxyProcess.StartWithSlots(
            [.. CodisProxyProcess.Range(0, 511, $"127.0.0.1:{a.Port}", 1), .. CodisProxyProcess.Range(512, 1023, $"127.0.0.1:{a.Port}", 2)],
            "--product_name", "demo");
        string x = proxy.XAuth;

        // refusals: wrong xauth, bad JSON, a bad address
        Assert.Equal(800, (int)(await AdminHttp.PutAsync(proxy.AdminAddr, "/api/proxy/sentinels/nope", "{}")).Status);
        Assert.Equal(800, (int)(await AdminHttp.PutAsync(proxy.AdminAddr, $"/api/proxy/sentinels/{x}", "{\"servers\":")).Status);
        var (st, body) = await AdminHttp.PutAsync(proxy.AdminAddr, $"/api/proxy/sentinels/{x}", "{\"servers\":[\"nohost\"]}");
        Assert.Equal(800, (int)st);
        Assert.Contains("bad sentinel address", body.GetProperty("Cause").GetString());

        // a sentinel monitoring group 1 ("demo-1") at b: the proxy moves group 1's slots from a to b, not group 2's
        using var sentinel = RedisSentinelProcess.Start(("demo-1", $"127.0.0.1:{b.Port}", 1));
        (st, _) = await AdminHttp.PutAsync(proxy.AdminAddr, $"/api/proxy/sentinels/{x}", $"{{\"servers\":[\"{sentinel.Addr}\"]}}");
        Assert.Equal(HttpStatusCode.OK, st);
        Codis.Testing.Cluster.SeedEnv.Eventually(() => Slot(proxy, 0).GetProperty("backend_addr").GetString() == $"127.0.0.1:{b.Port}",
            TimeSpan.FromSeconds(15), "slot 0 follows the sentinel's master");
        Assert.True(Slot(proxy, 511).GetProperty("switched").GetBoolean());
        Assert.Equal($"127.0.0.1:{a.Port}", Slot(proxy, 512).GetProperty("backend_addr").GetString());
        Assert.False(Slot(proxy, 512).TryGetProperty("switched", out _));
        var (_, stats) = await AdminHttp.GetAsync(proxy.AdminAddr, $"/api/proxy/stats/{x}");
        var s = stats.GetProperty("sentinels");
        Assert.Equal(sentinel.Addr, s.GetProperty("servers")[0].GetString());
        Assert.Equal($"127.0.0.1:{b.Port}", s.GetProperty("masters").GetProperty("1").GetString());
        Assert.True(s.GetProperty("switched").GetBoolean());
        using (var c = proxy.Client())
        {
            string key = Enumerable.Range(0, 1000).Select(i => $"k{i}").First(k => Codis.Core.Slots.SlotHash.Slot(System.Text.Encoding.UTF8.GetBytes(k)) < 512);
            Assert.Equal("OK", c.Call("SET", key, "v").Text);
            using var direct = b.Client();
            Assert.Equal("v", direct.Call("GET", key).Text);
        }

        (st, _) = await AdminHttp.PutAsync(proxy.AdminAddr, $"/api/proxy/sentinels/{x}/rewatch");
        Assert.Equal(HttpStatusCode.OK, st);
        // an empty list stops the watch
        (st, _) = await AdminHttp.PutAsync(proxy.AdminAddr, $"/api/proxy/sentinels/{x}", "{}");
        Assert.Equal(HttpStatusCode.OK, st);
        (_, stats) = await AdminHttp.GetAsync(proxy.AdminAddr, $"/api/proxy/stats/{x}");
        Assert.False(stats.GetProperty("sentinels").TryGetProperty("servers", out _));
    }

    private static System.Text.Json.JsonElement Slot(CodisProxyProcess p, int id) =>
        AdminHttp.GetAsync(p.AdminAddr, $"/api/proxy/slots/{p.XAuth}").GetAwaiter().GetResult().Body[id];
}
