using System.Text.Json;
using Codis.Coordinator;
using Codis.Core.Logging;

namespace Codis.Proxy.Lifecycle;

/// <summary>
/// The original's auto-online (reference/codis.md §4.11): the proxy asks the dashboard to add it and bring it
/// online (PUT /api/topom/proxy/online/XAuth(product)/admin_addr); the dashboard then fills the slots and
/// starts it through the admin API. The dashboard is named directly (--dashboard) or found through the
/// coordinator's lock node /codis3/&lt;product&gt;/topom (--zookeeper/--etcd/--filesystem). With
/// <c>registerOnly</c> (the seed's config.ini dashboard_addr) it only registers, and the proxy stays offline until
/// an operator runs `codis-config proxy online &lt;proxy_id&gt;`.
/// </summary>
internal static class AutoOnline
{
    public static async Task RunAsync(ProxyServer proxy, string? dashboard, Func<CancellationToken, Task<ICoordinator>>? coordinator,
        CancellationToken ct, bool registerOnly = false, string adminToken = "")
    {
        string verb = registerOnly ? "register" : "online";
        int tries = dashboard != null ? 10 : 30;
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        if (adminToken.Length > 0) http.DefaultRequestHeaders.Add(Codis.Core.Models.DashboardRoutes.TokenHeader, adminToken);
        for (int attempt = 1; attempt <= tries && !ct.IsCancellationRequested && !proxy.Online; attempt++)
        {
            string? error;
            try
            {
                string? addr = dashboard ?? await FindDashboardAsync(proxy.ProductName, coordinator!, ct).ConfigureAwait(false);
                if (addr == null) error = $"no dashboard registered for product '{proxy.ProductName}'";
                else
                {
                    string url = $"http://{addr}/api/topom/proxy/{verb}/{ProxyIdentity.XAuth(proxy.ProductName)}/{proxy.AdminAddr}";
                    using var resp = await http.PutAsync(url, null, ct).ConfigureAwait(false);
                    if (resp.IsSuccessStatusCode)
                    {
                        if (registerOnly)
                            Log.Info("registered with the dashboard; offline until `codis-config proxy online <proxy_id>`",
                                ("dashboard", addr), ("proxy_id", proxy.ProxyId), ("attempt", attempt));
                        else Log.Info("dashboard accepted this proxy", ("dashboard", addr), ("attempt", attempt));
                        return;
                    }
                    error = $"dashboard {addr} answered {(int)resp.StatusCode}: {await resp.Content.ReadAsStringAsync(ct).ConfigureAwait(false)}";
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { return; }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or CoordinatorException or JsonException or NotSupportedException)
            {
                error = e.Message;
            }
            Log.Warn(registerOnly ? "registering with the dashboard failed" : "online via the dashboard failed", ("attempt", attempt), ("of", tries), ("error", error));
            try { await Task.Delay(TimeSpan.FromSeconds(3), ct).ConfigureAwait(false); }
            catch (OperationCanceledException) { return; }
        }
        if (registerOnly && !ct.IsCancellationRequested)
            Log.Error("gave up registering with the dashboard; register this proxy by hand: `codis-admin --dashboard=ADDR --create-proxy --addr=<admin_addr>`",
                ("admin_addr", proxy.AdminAddr), ("tries", tries));
        else if (!proxy.Online && !ct.IsCancellationRequested)
            Log.Error("gave up asking the dashboard to bring this proxy online; waiting for PUT /api/proxy/start", ("tries", tries));
    }

    private static async Task<string?> FindDashboardAsync(string product, Func<CancellationToken, Task<ICoordinator>> open, CancellationToken ct)
    {
        await using var c = await open(ct).ConfigureAwait(false);
        var node = await c.ReadAsync(new CoordinatorPaths(product).Topom, ct).ConfigureAwait(false);
        if (node == null) return null;
        using var doc = JsonDocument.Parse(node.Data);
        return doc.RootElement.TryGetProperty("admin_addr", out var a) ? a.GetString() : null;
    }
}
