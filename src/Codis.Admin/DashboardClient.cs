using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Codis.Core.Models;

namespace Codis.Admin;

/// <summary>
/// Calls a dashboard's HTTP API (<see cref="DashboardRoutes"/>). The xauth is derived from the product name the
/// dashboard reports in its model, as the original codis-admin does; the admin token, if any, goes in a header.
/// </summary>
internal sealed class DashboardClient : IDisposable
{
    private readonly HttpClient http;
    private string? xauth;

    public DashboardClient(string addr, string token, TimeSpan? timeout = null)
    {
        Addr = addr.StartsWith("http", StringComparison.Ordinal) ? new Uri(addr).Authority : addr;
        http = new HttpClient { BaseAddress = new Uri("http://" + Addr), Timeout = timeout ?? TimeSpan.FromMinutes(2) };
        if (token.Length > 0) http.DefaultRequestHeaders.Add(DashboardRoutes.TokenHeader, token);
    }

    public string Addr { get; }

    public async Task<string> XAuthAsync()
    {
        if (xauth != null) return xauth;
        var model = await SendAsync(HttpMethod.Get, DashboardRoutes.Model).ConfigureAwait(false);
        string product = model?["product_name"]?.GetValue<string>() ?? throw new AdminException($"dashboard {Addr} did not say its product name");
        return xauth = XAuth.Dashboard(product);
    }

    public async Task<JsonNode?> GetAsync(Func<string, string> route) => await SendAsync(HttpMethod.Get, route(await XAuthAsync().ConfigureAwait(false))).ConfigureAwait(false);

    public async Task<JsonNode?> PutAsync(Func<string, string> route, object? body = null) =>
        await SendAsync(HttpMethod.Put, route(await XAuthAsync().ConfigureAwait(false)), body).ConfigureAwait(false);

    public async Task<JsonNode?> SendAsync(HttpMethod method, string path, object? body = null)
    {
        using var req = new HttpRequestMessage(method, path);
        if (body != null) req.Content = new StringContent(JsonSerializer.Serialize(body, ModelJson.Options), Encoding.UTF8, new MediaTypeHeaderValue("application/json"));
        HttpResponseMessage resp;
        try { resp = await http.SendAsync(req).ConfigureAwait(false); }
        catch (HttpRequestException e)
        {
            throw new AdminException($"can't reach the dashboard at {Addr}: {e.Message}; is it running? (start it with `codis-config dashboard` or codis-dashboard)");
        }
        catch (TaskCanceledException) { throw new AdminException($"the dashboard at {Addr} did not answer {path} within {http.Timeout.TotalSeconds:0}s"); }
        using (resp)
        {
            string text = await resp.Content.ReadAsStringAsync().ConfigureAwait(false);
            JsonNode? json = null;
            try { json = text.Length == 0 ? null : JsonNode.Parse(text); }
            catch (JsonException) { }
            if ((int)resp.StatusCode == 200) return json;
            string cause = json is JsonObject o && o["Cause"] is JsonValue c ? c.ToString() : text;
            throw new AdminException(cause.Length > 0 ? cause : $"HTTP {(int)resp.StatusCode} from {path}");
        }
    }

    public void Dispose() => http.Dispose();
}
