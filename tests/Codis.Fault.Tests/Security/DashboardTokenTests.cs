using System.Net;
using System.Net.Sockets;
using Codis.Core.Models;
using Codis.Testing;

namespace Codis.Fault.Tests.Security;

/// <summary>
/// The dashboard bound beyond loopback (0.0.0.0, reached through this machine's own non-loopback address):
/// it will not start without an admin token, and once it has one it refuses every API call, read or write, that
/// lacks it or carries a wrong one — and a refused write changes nothing.
/// </summary>
public class DashboardTokenTests : IDisposable
{
    private readonly string coordinator = Directory.CreateTempSubdirectory("codis-token-coord-").FullName;

    [Fact]
    public void ADashboardBoundBeyondLoopbackWithoutATokenRefusesToStart()
    {
        using var d = CodisDashboardProcess.Start("filesystem", coordinator, "open", waitForLock: false, "--admin_addr", $"0.0.0.0:{ManagedProcess.FreePort()}");
        Assert.True(d.WaitForExit(TimeSpan.FromSeconds(30)), "the dashboard kept running without a token on 0.0.0.0");
        Assert.NotEqual(0, d.ExitCode);
        Assert.Contains("set admin_token", d.Output);
    }

    [Fact]
    public async Task ADashboardBoundBeyondLoopbackRefusesAMissingOrWrongToken()
    {
        string host = NonLoopbackAddress() ?? throw new InvalidOperationException("this machine has no non-loopback IPv4 address to reach the dashboard by");
        int port = ManagedProcess.FreePort();
        using var d = CodisDashboardProcess.Start("filesystem", coordinator, "guarded", true, "--admin_addr", $"0.0.0.0:{port}", "--admin_token", "t0ken-s3cret");
        string x = XAuth.Dashboard("guarded");
        using var http = new HttpClient { BaseAddress = new Uri($"http://{host}:{port}"), Timeout = TimeSpan.FromSeconds(10) };

        async Task<(int Status, string Body)> Call(HttpMethod method, string route, string? token)
        {
            using var req = new HttpRequestMessage(method, route);
            if (token != null) req.Headers.Add(DashboardRoutes.TokenHeader, token);
            using var r = await http.SendAsync(req);
            return ((int)r.StatusCode, await r.Content.ReadAsStringAsync());
        }

        foreach (var (method, route) in new[] { (HttpMethod.Get, DashboardRoutes.Overview), (HttpMethod.Get, DashboardRoutes.Groups(x)), (HttpMethod.Get, DashboardRoutes.Model),
                     (HttpMethod.Put, DashboardRoutes.GroupCreate(x, 7)), (HttpMethod.Put, DashboardRoutes.Shutdown(x)) })
        {
            var missing = await Call(method, route, null);
            Assert.Equal(DashboardRoutes.FailureStatus, missing.Status);
            Assert.Contains("missing admin token", missing.Body);
            var wrong = await Call(method, route, "t0ken-s3cre");
            Assert.Equal(DashboardRoutes.FailureStatus, wrong.Status);
            Assert.Contains("invalid admin token", wrong.Body);
            // the token in the query string is checked the same way
            var wrongQuery = await Call(method, route + (route.Contains('?') ? "&" : "?") + "token=nope", null);
            Assert.Equal(DashboardRoutes.FailureStatus, wrongQuery.Status);
        }
        Assert.False(d.HasExited, "a shutdown without the token stopped the dashboard");
        var groups = await Call(HttpMethod.Get, DashboardRoutes.Groups(x), "t0ken-s3cret");
        Assert.Equal(200, groups.Status);
        Assert.DoesNotContain("\"id\": 7", groups.Body); // the refused create did nothing
        Assert.Equal(200, (await Call(HttpMethod.Put, DashboardRoutes.GroupCreate(x, 7), "t0ken-s3cret")).Status);
        Assert.Contains("\"id\": 7", (await Call(HttpMethod.Get, DashboardRoutes.Groups(x), "t0ken-s3cret")).Body);
    }

    private static string? NonLoopbackAddress() =>
        Dns.GetHostAddresses(Dns.GetHostName()).Concat(System.Net.NetworkInformation.NetworkInterface.GetAllNetworkInterfaces()
                .SelectMany(i => i.GetIPProperties().UnicastAddresses.Select(u => u.Address)))
            .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a))?.ToString();

    public void Dispose()
    {
        GC.SuppressFinalize(this);
        try { Directory.Delete(coordinator, true); } catch (IOException) { }
    }
}
