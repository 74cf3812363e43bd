using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Codis.Testing;

namespace Codis.Proxy.Tests;

/// <summary>The admin HTTP API with the original's routes, shapes and xauth, and the proxy's lifecycle (offline → start → shutdown).</summary>
public class AdminApiTests
{
    private static string XAuth(params string[] segs) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes("Codis-XAuth-" + string.Join("-", segs.Select(s => $"[{s}]")))))[..32].ToLowerInvariant();

    [Fact]
    public async Task OfflineProxy_RefusesClients_UntilFilledAndStarted_ThenShutsDown()
    {
        using var group = CodisServerProcess.Start();
        string dir = Directory.CreateTempSubdirectory("codis-proxy-").FullName;
        using var proxy = CodisProxyProcess.Start(dir, ["--product_name", "demo", "--product_auth", ""], waitOnline: false);

        // Offline: a client is told so and closed.
        using (var early = proxy.Client())
        {
            // Said at once, before any request, then closed.
            Assert.Equal("ERR router is not online", early.Read().Text);
            Assert.ThrowsAny<Exception>(() => early.Read());
        }

        // The model: the original's fields; the xauth is XAuth(product, product_auth, token).
        var (st, model) = await AdminHttp.GetAsync(proxy.AdminAddr, "/api/proxy/model");
        Assert.Equal(HttpStatusCode.OK, st);
        string token = model.GetProperty("token").GetString()!;
        Assert.Matches("^[0-9a-f]{32}$", token);
        Assert.Equal(proxy.AdminAddr, model.GetProperty("admin_addr").GetString());
        Assert.Equal($"127.0.0.1:{proxy.Port}", model.GetProperty("proxy_addr").GetString());
        Assert.Equal("demo", model.GetProperty("product_name").GetString());
        Assert.Equal("tcp4", model.GetProperty("proto_type").GetString());
        foreach (var f in new[] { "start_time", "pid", "pwd", "sys", "hostname", "datacenter" }) Assert.True(model.TryGetProperty(f, out _), f);
        string xauth = XAuth("demo", "", token);
        Assert.Equal(proxy.XAuth, xauth);

        // Wrong or missing xauth: HTTP 800 with the original's cause.
        var (bad, cause) = await AdminHttp.PutAsync(proxy.AdminAddr, "/api/proxy/start/0123456789abcdef0123456789abcdef");
        Assert.Equal(800, (int)bad);
        Assert.Equal("invalid xauth, please check product name & auth", cause.GetProperty("Cause").GetString());
        Assert.Equal(800, (int)(await AdminHttp.GetAsync(proxy.AdminAddr, "/api/proxy/xping/nope")).Status);
        Assert.Equal("OK", (await AdminHttp.GetAsync(proxy.AdminAddr, $"/api/proxy/xping/{xauth}")).Body.GetString());

        var (_, stats) = await AdminHttp.GetAsync(proxy.AdminAddr, $"/api/proxy/stats/{xauth}");
        Assert.False(stats.GetProperty("online").GetBoolean());
        Assert.False(stats.GetProperty("ops").TryGetProperty("cmd", out _)); // flags 0: no per-command list

        // Fill all slots (the original's Slot JSON) and start.
        string slots = JsonSerializer.Serialize(CodisProxyProcess.Range(0, 1023, $"127.0.0.1:{group.Port}", 1));
        Assert.Equal(HttpStatusCode.OK, (await AdminHttp.PutAsync(proxy.AdminAddr, $"/api/proxy/fillslots/{xauth}", slots)).Status);
        Assert.Equal(800, (int)(await AdminHttp.PutAsync(proxy.AdminAddr, $"/api/proxy/fillslots/{xauth}", "[{\"id\":5000}]")).Status);
        Assert.Equal("OK", (await AdminHttp.PutAsync(proxy.AdminAddr, $"/api/proxy/start/{xauth}")).Body.GetString());
        using (var c = proxy.Client())
        {
            Assert.Equal("OK", c.Call("SET", "k", "v").Text);
            Assert.Equal("v", c.Call("GET", "k").Text);
            Assert.Contains("not allowed", c.Call("MIGRATE", "h", "1", "k", "0", "0").Text);
        }

        // Stats with every flag: per-command calls, slots, runtime.
        var (_, full) = await AdminHttp.GetAsync(proxy.AdminAddr, $"/api/proxy/stats/{xauth}/7");
        Assert.True(full.GetProperty("online").GetBoolean());
        var cmds = full.GetProperty("ops").GetProperty("cmd").EnumerateArray().ToDictionary(e => e.GetProperty("opstr").GetString()!);
        Assert.Equal(1, cmds["SET"].GetProperty("calls").GetInt64());
        Assert.Equal(1, cmds["MIGRATE"].GetProperty("fails").GetInt64());
        Assert.True(cmds["GET"].TryGetProperty("usecs_percall", out _));
        Assert.Equal(1024, full.GetProperty("slots").GetArrayLength());
        Assert.True(full.GetProperty("runtime").GetProperty("num_procs").GetInt32() > 0);
        Assert.Equal(1, full.GetProperty("sessions").GetProperty("total").GetInt64() - 1); // the early one + this one

        var (_, slotList) = await AdminHttp.GetAsync(proxy.AdminAddr, "/proxy/slots");
        Assert.Equal($"127.0.0.1:{group.Port}", slotList[1023].GetProperty("backend_addr").GetString());
        var (_, overview) = await AdminHttp.GetAsync(proxy.AdminAddr, "/proxy");
        Assert.False(overview.GetProperty("config").TryGetProperty("product_auth", out _));
        Assert.Equal(token, overview.GetProperty("model").GetProperty("token").GetString());

        // Prometheus text.
        string metrics = await AdminHttp.TextAsync(proxy.AdminAddr, "/metrics");
        Assert.Contains("# TYPE codis_proxy_ops_total counter", metrics);
        Assert.Contains("codis_proxy_cmd_calls_total{product=\"demo\"", metrics);
        Assert.Matches("codis_proxy_cmd_calls_total\\{[^}]*cmd=\"SET\"\\} 1\n", metrics);
        Assert.Contains("codis_proxy_cmd_latency_seconds_total{", metrics);
        Assert.Contains("codis_proxy_online{product=\"demo\"", metrics);

        // Reset stats, log level, then shutdown: the process exits.
        Assert.Equal(HttpStatusCode.OK, (await AdminHttp.PutAsync(proxy.AdminAddr, $"/api/proxy/stats/reset/{xauth}")).Status);
        var (_, after) = await AdminHttp.GetAsync(proxy.AdminAddr, $"/api/proxy/stats/{xauth}/1");
        Assert.DoesNotContain(after.GetProperty("ops").GetProperty("cmd").EnumerateArray(), e => e.GetProperty("opstr").GetString() == "SET");
        Assert.Equal(HttpStatusCode.OK, (await AdminHttp.PutAsync(proxy.AdminAddr, $"/api/proxy/loglevel/{xauth}/WARN")).Status);
        Assert.Equal(800, (int)(await AdminHttp.PutAsync(proxy.AdminAddr, $"/api/proxy/loglevel/{xauth}/LOUD")).Status);
        Assert.Equal("OK", (await AdminHttp.PutAsync(proxy.AdminAddr, $"/api/proxy/shutdown/{xauth}")).Body.GetString());
        Assert.True(proxy.WaitForExit(TimeSpan.FromSeconds(10)));
        Assert.Equal(0, proxy.ExitCode);
    }

    [Fact]
    public void SecondProxy_OnTheSamePort_FailsToStart()
    {
        using var group = CodisServerProcess.Start();
        using var first = CodisProxyProcess.StartWithSlots(CodisProxyProcess.Range(0, 1023, $"127.0.0.1:{group.Port}", 1));
        string dir = Directory.CreateTempSubdirectory("codis-proxy-").FullName;
        var ex = Assert.Throws<InvalidOperationException>(() =>
            CodisProxyProcess.Start(dir, [$"--proxy_addr", $"127.0.0.1:{first.Port}"], waitOnline: false));
        Assert.Contains("can't start", ex.Message);
    }
}
