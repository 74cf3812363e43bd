using System.Net.Http.Headers;
using System.Text.Json;
using Codis.Proxy.Admin;

namespace Codis.Proxy.Metrics;

/// <summary>
/// metrics_report_server: POSTs the proxy's overview to that URL every period, as the original does
/// (Overview with the runtime stats: version, compile, config without passwords, model, stats; no slots). The
/// URL is used as given; one without a scheme gets http://. Any 2xx answer is a success.
/// </summary>
internal sealed class JsonReporter : MetricsReporter
{
    private static readonly MediaTypeHeaderValue JsonType = MediaTypeHeaderValue.Parse("application/json; charset=utf-8");
    private readonly ProxyServer proxy;
    private readonly Uri url;
    private readonly HttpClient http;

    public JsonReporter(ProxyServer proxy, Uri url, TimeSpan period) : base("json", MetricsHttp.Redacted(url), period)
    {
        this.proxy = proxy;
        this.url = url;
        http = MetricsHttp.Client();
    }

    protected override async Task PushAsync(CancellationToken ct)
    {
        byte[] body = JsonSerializer.SerializeToUtf8Bytes(AdminApi.Overview(proxy, AdminApi.StatsRuntime), AdminApi.Json);
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = JsonType;
        using var rsp = await http.PostAsync(url, content, ct).ConfigureAwait(false);
        await MetricsHttp.EnsureSuccessAsync(rsp, ct).ConfigureAwait(false);
    }

    protected override ValueTask DisposeCoreAsync()
    {
        http.Dispose();
        return ValueTask.CompletedTask;
    }
}
