using System.Net.Http.Headers;
using System.Text;

namespace Codis.Proxy.Metrics;

/// <summary>
/// metrics_report_influxdb_*: writes one point of the measurement <c>codis_usage</c> every period to an InfluxDB 1.x
/// HTTP API, as the original's influxdb client does: POST &lt;server&gt;/write?db=&lt;database&gt;&amp;precision=ns, the line
/// protocol as body, HTTP basic auth when a username is set (InfluxDB 1.x reads it as it reads u= and p=, and it
/// keeps the password out of URLs and access logs). Tags token, product_name, admin_addr, proxy_addr, hostname.
/// </summary>
internal sealed class InfluxDbReporter : MetricsReporter
{
    public const string Measurement = "codis_usage";
    private static readonly MediaTypeHeaderValue TextType = MediaTypeHeaderValue.Parse("text/plain; charset=utf-8");
    private readonly ProxyServer proxy;
    private readonly Uri writeUrl;
    private readonly AuthenticationHeaderValue? auth;
    private readonly HttpClient http;

    public InfluxDbReporter(ProxyServer proxy, Uri server, string database, string username, string password, TimeSpan period)
        : base("influxdb", server.ToString(), period)
    {
        this.proxy = proxy;
        writeUrl = WriteUrl(server, database);
        if (username.Length > 0)
            auth = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(username + ":" + password)));
        http = MetricsHttp.Client();
    }

    /// <summary>&lt;server&gt;/write?db=...&amp;precision=ns, below the server URL's own path (an InfluxDB behind a prefix).</summary>
    public static Uri WriteUrl(Uri server, string database)
    {
        string basePath = server.AbsolutePath.TrimEnd('/');
        var b = new UriBuilder(server) { Path = basePath + "/write", Query = "db=" + Uri.EscapeDataString(database) + "&precision=ns" };
        return b.Uri;
    }

    /// <summary>The point as the original builds it: the model's identity as tags, the pushed figures as fields.</summary>
    public static string Point(ProxyServer proxy, DateTimeOffset at) =>
        InfluxLineProtocol.Line(Measurement,
        [
            new("token", proxy.Token),
            new("product_name", proxy.ProductName),
            new("admin_addr", proxy.AdminAddr),
            new("proxy_addr", proxy.ProxyAddr),
            new("hostname", Environment.MachineName),
        ], MetricFields.Collect(proxy), at);

    protected override async Task PushAsync(CancellationToken ct)
    {
        using var req = new HttpRequestMessage(HttpMethod.Post, writeUrl);
        req.Headers.Authorization = auth;
        req.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(Point(proxy, DateTimeOffset.UtcNow) + "\n"));
        req.Content.Headers.ContentType = TextType;
        using var rsp = await http.SendAsync(req, ct).ConfigureAwait(false);
        await MetricsHttp.EnsureSuccessAsync(rsp, ct).ConfigureAwait(false);
    }

    protected override ValueTask DisposeCoreAsync()
    {
        http.Dispose();
        return ValueTask.CompletedTask;
    }
}
