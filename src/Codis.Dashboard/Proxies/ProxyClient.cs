using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Codis.Core.Models;

namespace Codis.Dashboard.Proxies;

/// <summary>Calls one proxy's admin HTTP API (reference/codis.md §4.10) as it exists in codis-proxy.</summary>
internal sealed class ProxyClient(HttpClient http, string product, string auth)
{
    private string X(string token) => XAuth.Proxy(product, auth, token);

    public async Task<ProxyModel> ModelAsync(string admin, CancellationToken ct)
    {
        var body = await SendAsync(HttpMethod.Get, admin, "/api/proxy/model", null, ct).ConfigureAwait(false);
        return ModelJson.Decode<ProxyModel>(Encoding.UTF8.GetBytes(body));
    }

    public Task XPingAsync(string admin, string token, CancellationToken ct) => SendAsync(HttpMethod.Get, admin, $"/api/proxy/xping/{X(token)}", null, ct);

    public Task FillSlotsAsync(ProxyModel p, IReadOnlyList<SlotModel> slots, CancellationToken ct) =>
        SendAsync(HttpMethod.Put, p.AdminAddr, $"/api/proxy/fillslots/{X(p.Token)}", JsonSerializer.Serialize(slots), ct);

    /// <summary>The sentinel list the proxy watches itself (reference/codis.md §7.3).</summary>
    public Task SetSentinelsAsync(ProxyModel p, SentinelModel m, CancellationToken ct) =>
        SendAsync(HttpMethod.Put, p.AdminAddr, $"/api/proxy/sentinels/{X(p.Token)}", JsonSerializer.Serialize(m), ct);

    public Task StartAsync(ProxyModel p, CancellationToken ct) => SendAsync(HttpMethod.Put, p.AdminAddr, $"/api/proxy/start/{X(p.Token)}", null, ct);

    public Task ShutdownAsync(ProxyModel p, CancellationToken ct) => SendAsync(HttpMethod.Put, p.AdminAddr, $"/api/proxy/shutdown/{X(p.Token)}", null, ct);

    public async Task<JsonNode?> StatsAsync(ProxyModel p, CancellationToken ct) =>
        JsonNode.Parse(await SendAsync(HttpMethod.Get, p.AdminAddr, $"/api/proxy/stats/{X(p.Token)}", null, ct).ConfigureAwait(false));

    /// <summary>The stats with the per-command list (calls, usecs): flags 1 of the original's stats call.</summary>
    public async Task<JsonNode?> CommandStatsAsync(ProxyModel p, CancellationToken ct) =>
        JsonNode.Parse(await SendAsync(HttpMethod.Get, p.AdminAddr, $"/api/proxy/stats/{X(p.Token)}/1", null, ct).ConfigureAwait(false));

    private async Task<string> SendAsync(HttpMethod method, string admin, string path, string? json, CancellationToken ct)
    {
        using var req = new HttpRequestMessage(method, "http://" + admin + path);
        if (json != null) req.Content = new StringContent(json, Encoding.UTF8, new MediaTypeHeaderValue("application/json"));
        HttpResponseMessage resp;
        try { resp = await http.SendAsync(req, ct).ConfigureAwait(false); }
        catch (HttpRequestException e) { throw new ProxyCallException(admin, path, e.Message); }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested) { throw new ProxyCallException(admin, path, "timed out"); }
        using (resp)
        {
            string body;
            try { body = await resp.Content.ReadAsStringAsync(ct).ConfigureAwait(false); }
            catch (Exception e) when (e is HttpRequestException or IOException) { throw new ProxyCallException(admin, path, e.Message); }
            catch (TaskCanceledException) when (!ct.IsCancellationRequested) { throw new ProxyCallException(admin, path, "timed out"); }
            if ((int)resp.StatusCode == 200) return body;
            string cause = body;
            try { if (JsonNode.Parse(body) is JsonObject o && o["Cause"] is JsonValue c) cause = c.ToString(); }
            catch (JsonException) { }
            throw new ProxyCallException(admin, path, $"HTTP {(int)resp.StatusCode}: {cause}");
        }
    }
}

/// <summary>A proxy did not do what the dashboard asked (unreachable, timed out, or refused).</summary>
internal sealed class ProxyCallException(string admin, string path, string why)
    : Exception($"proxy {admin}: {path.Split('/').Skip(3).FirstOrDefault() ?? path}: {why}")
{
    public string Admin { get; } = admin;
}
