using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Codis.Core.Models;

namespace Codis.Dashboard.Proxies;

/// <summary>Calls one proxy's admin HTTP API (reference/codis.md §4.10) as it exists in codis-proxy.</summary>
internal sealed class ProxyClient(HttpClient http, string xauth)
{
    public string XAuth { get; } = xauth;

    public async Task<ProxyModel> ModelAsync(string admin, CancellationToken ct)
    {
        var body = await SendAsync(HttpMethod.Get, admin, "/api/proxy/model", null, ct).ConfigureAwait(false);
        return ModelJson.Decode<ProxyModel>(Encoding.UTF8.GetBytes(body));
    }

    public Task XPingAsync(string admin, CancellationToken ct) => SendAsync(HttpMethod.Get, admin, $"/api/proxy/xping/{XAuth}", null, ct);

    public Task FillSlotsAsync(string admin, IReadOnlyList<SlotModel> slots, CancellationToken ct) =>
        SendAsync(HttpMethod.Put, admin, $"/api/proxy/fillslots/{XAuth}", JsonSerializer.Serialize(slots), ct);

    public Task StartAsync(string admin, CancellationToken ct) => SendAsync(HttpMethod.Put, admin, $"/api/proxy/start/{XAuth}", null, ct);

    public Task ShutdownAsync(string admin, CancellationToken ct) => SendAsync(HttpMethod.Put, admin, $"/api/proxy/shutdown/{XAuth}", null, ct);

    public async Task<JsonNode?> StatsAsync(string admin, CancellationToken ct) =>
        JsonNode.Parse(await SendAsync(HttpMethod.Get, admin, $"/api/proxy/stats/{XAuth}", null, ct).ConfigureAwait(false));

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
            string body = await resp.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
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
