using System.Net;

namespace Codis.Proxy.Metrics;

/// <summary>The HTTP client the JSON and InfluxDB pushers use: short timeouts, no proxy, connections recycled.</summary>
internal static class MetricsHttp
{
    public static HttpClient Client() => new(new SocketsHttpHandler
    {
        ConnectTimeout = MetricsReporter.PushTimeout,
        // A target behind DNS that moves is found again.
        PooledConnectionLifetime = TimeSpan.FromMinutes(2),
        UseProxy = false,
        AutomaticDecompression = DecompressionMethods.None,
    })
    {
        Timeout = MetricsReporter.PushTimeout,
    };

    /// <summary>The URL without its user:password part, for logs and the stats JSON.</summary>
    public static string Redacted(Uri u) => u.UserInfo.Length == 0 ? u.ToString() : new UriBuilder(u) { UserName = "", Password = "" }.Uri.ToString();

    /// <summary>Throws, with the status and the start of the body, unless the answer is 2xx.</summary>
    public static async Task EnsureSuccessAsync(HttpResponseMessage rsp, CancellationToken ct)
    {
        if (rsp.IsSuccessStatusCode) return;
        string body = "";
        try { body = await rsp.Content.ReadAsStringAsync(ct).ConfigureAwait(false); }
        catch (HttpRequestException) { }
        if (body.Length > 200) body = body[..200] + "…";
        throw new HttpRequestException($"HTTP {(int)rsp.StatusCode} {rsp.ReasonPhrase}{(body.Length > 0 ? ": " + body.Trim() : "")}");
    }
}
