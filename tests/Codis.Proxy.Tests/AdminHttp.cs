using System.Net;
using System.Text;
using System.Text.Json;

namespace Codis.Proxy.Tests;

/// <summary>Calls to a proxy's admin API: (status, parsed JSON body).</summary>
public static class AdminHttp
{
    private static readonly HttpClient http = new() { Timeout = TimeSpan.FromSeconds(30) };

    public static async Task<(HttpStatusCode Status, JsonElement Body)> GetAsync(string admin, string path)
    {
        using var resp = await http.GetAsync($"http://{admin}{path}");
        return (resp.StatusCode, Parse(await resp.Content.ReadAsStringAsync()));
    }

    public static async Task<(HttpStatusCode Status, JsonElement Body)> PutAsync(string admin, string path, string? json = null)
    {
        using var content = json == null ? null : new StringContent(json, Encoding.UTF8, "application/json");
        using var resp = await http.PutAsync($"http://{admin}{path}", content);
        return (resp.StatusCode, Parse(await resp.Content.ReadAsStringAsync()));
    }

    public static async Task<string> TextAsync(string admin, string path) => await http.GetStringAsync($"http://{admin}{path}");

    private static JsonElement Parse(string text) => text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
}
