using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Codis.Proxy.Metrics;
using Codis.Testing;

namespace Codis.Proxy.Tests;

/// <summary>One group server the metrics tests' proxies route to.</summary>
public sealed class MetricsGroup : IDisposable
{
    public CodisServerProcess Server { get; } = CodisServerProcess.Start();
    public IEnumerable<object> Slots => CodisProxyProcess.Range(0, 1023, $"127.0.0.1:{Server.Port}", 1);
    public void Dispose() => Server.Dispose();
}

/// <summary>
/// The original's metrics_report_* pushes from a real codis-proxy: statsd gauges over UDP, the InfluxDB line protocol
/// at /write, the JSON overview, a target that is down (clients unaffected, data once it is up), start-up checks.
/// </summary>
public class MetricsPushTests(MetricsGroup group) : IClassFixture<MetricsGroup>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);

    private static readonly string[] Fields =
    [
        "ops_total", "ops_fails", "ops_redis_errors", "ops_qps", "sessions_total", "sessions_alive", "rusage_mem", "rusage_cpu",
        "runtime_gc_num", "runtime_gc_total_pausems", "runtime_num_procs", "runtime_num_goroutines", "runtime_num_cgo_call",
        "runtime_num_mem_offheap",
    ];

    private static string Underscored(string addr) => addr.Replace('.', '_').Replace(':', '_');

    /// <summary>The gauges of every datagram received so far, in order: (name, value).</summary>
    private static List<(string Name, double Value)> Gauges(UdpSink sink) =>
        sink.Datagrams.SelectMany(d => d.Split('\n')).Select(l =>
        {
            var m = Regex.Match(l, @"^([^:|]+):([0-9]+(?:\.[0-9]+)?)\|g$");
            Assert.True(m.Success, $"not a statsd gauge: '{l}'");
            return (m.Groups[1].Value, double.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture));
        }).ToList();

    private static double? Last(UdpSink sink, string name) =>
        Gauges(sink).Where(g => g.Name == name).Select(g => (double?)g.Value).LastOrDefault();

    [Fact]
    public async Task Statsd_GaugesNamedAsTheOriginal_ValuesMoveWithCommands()
    {
        using var sink = new UdpSink();
        using var proxy = CodisProxyProcess.StartWithSlots(group.Slots, "--product_name", "metrics-demo",
            "--metrics_report_statsd_server", $"127.0.0.1:{sink.Port}", "--metrics_report_statsd_prefix", "codis",
            "--metrics_report_statsd_period", "1s");
        string bucket = $"codis.metrics-demo.{Underscored(proxy.AdminAddr)}.127_0_0_1_{proxy.Port}.";

        // A full round: every field of the original, under <prefix>.<product>.<admin>.<proxy>.
        Eventually.Get(() => Last(sink, bucket + "runtime_num_mem_offheap") is null ? null : "", Wait, "a full round of gauges");
        var names = Gauges(sink).Select(g => g.Name).ToHashSet();
        foreach (var f in Fields) Assert.Contains(bucket + f, names);
        Assert.All(names, n => Assert.StartsWith(bucket, n));
        Assert.All(sink.Datagrams, d => Assert.True(Encoding.UTF8.GetByteCount(d) <= StatsdReporter.MaxDatagram, $"datagram of {d.Length} bytes"));
        Assert.Equal(Environment.ProcessorCount, Last(sink, bucket + "runtime_num_procs"));
        Assert.True(Last(sink, bucket + "rusage_mem") > 1_000_000);
        Assert.True(Last(sink, bucket + "runtime_num_goroutines") >= 2);

        double before = Last(sink, bucket + "ops_total")!.Value;
        using (var c = proxy.Client())
        {
            for (int i = 0; i < 40; i++) Assert.Equal("OK", c.Call("SET", "m:" + i, "v").Text);
            // a Redis error reply (WRONGTYPE) counts as ops_redis_errors
            c.Call("LPUSH", "m:list", "x");
            Assert.StartsWith("WRONGTYPE", c.Call("GET", "m:list").Text);
            // still connected: sessions_alive counts it
            Eventually.Get(() => Last(sink, bucket + "ops_total") >= before + 42 && Last(sink, bucket + "sessions_alive") >= 1 ? "" : null,
                Wait, "ops_total to grow by 42 with the session alive");
        }
        Assert.True(Last(sink, bucket + "ops_redis_errors") >= 1);
        Assert.True(Last(sink, bucket + "sessions_total") >= 1);
        Assert.Equal(0, Last(sink, bucket + "ops_fails"));

        // The pushes are counted in the proxy's stats.
        var (_, stats) = await AdminHttp.GetAsync(proxy.AdminAddr, "/proxy/stats");
        var st = stats.GetProperty("metrics_report").GetProperty("statsd");
        Assert.True(st.GetProperty("pushes").GetInt64() >= 2);
        Assert.Equal(0, st.GetProperty("fails").GetInt64());
        Assert.Equal($"127.0.0.1:{sink.Port}", st.GetProperty("target").GetString());
        Assert.Contains("codis_proxy_metrics_report_pushes_total{", await AdminHttp.TextAsync(proxy.AdminAddr, "/metrics"));
    }

    [Fact]
    public async Task InfluxDb_LineProtocolAtWrite_WithTagsFieldsAndBasicAuth()
    {
        using var sink = new HttpSink();
        using var proxy = CodisProxyProcess.StartWithSlots(group.Slots, "--product_name", "influx-demo",
            "--metrics_report_influxdb_server", $"http://127.0.0.1:{sink.Port}", "--metrics_report_influxdb_database", "codis_db",
            "--metrics_report_influxdb_username", "writer", "--metrics_report_influxdb_password", "s3cret pw",
            "--metrics_report_influxdb_period", "1s");
        var (_, model) = await AdminHttp.GetAsync(proxy.AdminAddr, "/proxy/model");
        string token = model.GetProperty("token").GetString()!;
        string hostname = model.GetProperty("hostname").GetString()!;

        var first = Eventually.Get(() => sink.Requests.FirstOrDefault(), Wait, "a write");
        Assert.Equal("POST", first.Method);
        Assert.Equal("/write?db=codis_db&precision=ns", first.Target);
        Assert.Equal("Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("writer:s3cret pw")), first.Headers["authorization"]);
        Assert.StartsWith("text/plain", first.Headers["content-type"]);

        var line = Parse(first.Body);
        Assert.Equal("codis_usage", line.Measurement);
        Assert.Equal(new Dictionary<string, string>
        {
            ["admin_addr"] = proxy.AdminAddr,
            ["hostname"] = hostname,
            ["product_name"] = "influx-demo",
            ["proxy_addr"] = $"127.0.0.1:{proxy.Port}",
            ["token"] = token,
        }, line.Tags);
        Assert.Equal(Fields.Order(), line.Fields.Keys.Order());
        foreach (var (k, v) in line.Fields)
            Assert.Matches(k == "rusage_cpu" ? @"^[0-9]+(\.[0-9]+)?$" : @"^[0-9]+i$", v);
        var at = DateTimeOffset.UnixEpoch.AddTicks(line.TimestampNs / 100);
        Assert.InRange(at, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddSeconds(5));

        long before = long.Parse(line.Fields["ops_total"].TrimEnd('i'));
        using (var c = proxy.Client())
            for (int i = 0; i < 25; i++) Assert.Equal("OK", c.Call("SET", "i:" + i, "v").Text);
        Eventually.Get(() => sink.Requests.Select(r => Parse(r.Body)).Any(l => long.Parse(l.Fields["ops_total"].TrimEnd('i')) >= before + 25) ? "" : null,
            Wait, "ops_total to grow by 25");
        Assert.All(sink.Requests, r => Assert.Single(r.Body.TrimEnd('\n').Split('\n')));
    }

    [Fact]
    public async Task JsonPush_PostsTheOverview_ToTheUrlAsGiven()
    {
        using var sink = new HttpSink();
        // no scheme: http:// is implied; the path is kept as given
        using var proxy = CodisProxyProcess.StartWithSlots(group.Slots, "--product_name", "json-demo", "--product_auth", "",
            "--metrics_report_server", $"127.0.0.1:{sink.Port}/codis/overview", "--metrics_report_period", "1s");
        var first = Eventually.Get(() => sink.Requests.FirstOrDefault(), Wait, "a JSON post");
        Assert.Equal("POST", first.Method);
        Assert.Equal("/codis/overview", first.Target);
        Assert.StartsWith("application/json", first.Headers["content-type"]);

        // The overview of GET /proxy, with the runtime stats but neither the per-command list nor the slots.
        using var doc = JsonDocument.Parse(first.Body);
        var o = doc.RootElement;
        var (_, model) = await AdminHttp.GetAsync(proxy.AdminAddr, "/proxy/model");
        Assert.Equal(model.GetProperty("token").GetString(), o.GetProperty("model").GetProperty("token").GetString());
        Assert.Equal("json-demo", o.GetProperty("model").GetProperty("product_name").GetString());
        Assert.True(o.TryGetProperty("version", out _));
        Assert.True(o.TryGetProperty("compile", out _));
        Assert.Equal("json-demo", o.GetProperty("config").GetProperty("product_name").GetString());
        Assert.False(o.GetProperty("config").TryGetProperty("product_auth", out _));
        Assert.False(o.TryGetProperty("slots", out _));
        var stats = o.GetProperty("stats");
        Assert.True(stats.GetProperty("online").GetBoolean());
        Assert.True(stats.GetProperty("ops").TryGetProperty("total", out _));
        Assert.False(stats.GetProperty("ops").TryGetProperty("cmd", out _));
        var runtime = stats.GetProperty("runtime");
        foreach (var f in new[] { "gc", "num_procs", "num_goroutines", "num_cgo_call", "mem_offheap" }) Assert.True(runtime.TryGetProperty(f, out _), f);

        using (var c = proxy.Client())
            for (int i = 0; i < 10; i++) Assert.Equal("OK", c.Call("SET", "j:" + i, "v").Text);
        Eventually.Get(() => sink.Requests.Any(r => JsonDocument.Parse(r.Body).RootElement.GetProperty("stats").GetProperty("ops").GetProperty("total").GetInt64() >= 10) ? "" : null,
            Wait, "a post with ops.total >= 10");
    }

    [Fact]
    public async Task TargetsDown_ClientsUnaffected_FailuresCounted_ThenPushesOnceUp()
    {
        int httpPort = ManagedProcess.FreePort(), jsonPort = ManagedProcess.FreePort(), udpPort = UdpSink.FreePort();
        using var proxy = CodisProxyProcess.StartWithSlots(group.Slots, "--product_name", "down-demo",
            "--metrics_report_server", $"http://127.0.0.1:{jsonPort}/push",
            "--metrics_report_influxdb_server", $"127.0.0.1:{httpPort}", "--metrics_report_influxdb_database", "db",
            "--metrics_report_statsd_server", $"127.0.0.1:{udpPort}");

        // Commands keep working, and promptly, while every push fails.
        using (var c = proxy.Client(timeoutMs: 2000))
        {
            var sw = Stopwatch.StartNew();
            long worst = 0;
            int n = 0;
            while (sw.Elapsed < TimeSpan.FromSeconds(3.5))
            {
                long t = sw.ElapsedMilliseconds;
                Assert.Equal("OK", c.Call("SET", "d:" + n, "v").Text);
                Assert.Equal("v", c.Call("GET", "d:" + n++).Text);
                worst = Math.Max(worst, sw.ElapsedMilliseconds - t);
                Thread.Sleep(5);
            }
            Assert.True(worst < 1000, $"a command took {worst} ms while the targets were down");
        }
        var (_, stats) = await AdminHttp.GetAsync(proxy.AdminAddr, "/proxy/stats");
        var mr = stats.GetProperty("metrics_report");
        foreach (var kind in new[] { "json", "influxdb", "statsd" })
        {
            Assert.True(mr.GetProperty(kind).GetProperty("fails").GetInt64() >= 1, kind + " fails");
            Assert.False(string.IsNullOrEmpty(mr.GetProperty(kind).GetProperty("last_error").GetString()), kind + " last_error");
        }
        Assert.True(mr.GetProperty("json").GetProperty("fails").GetInt64() >= 2);
        Assert.Equal(0, mr.GetProperty("json").GetProperty("pushes").GetInt64());
        // Warned about once (at most once a minute), not once per failure.
        Assert.Single(Regex.Matches(proxy.Output, "metrics push failed.*kind=json"));
        Assert.Single(Regex.Matches(proxy.Output, "metrics push failed.*kind=influxdb"));

        // The targets come up: each starts receiving within a few periods.
        using var json = new HttpSink(jsonPort);
        using var influx = new HttpSink(httpPort);
        using var statsd = new UdpSink(udpPort);
        Eventually.Get(() => json.Requests.FirstOrDefault(r => r.Target == "/push"), Wait, "the JSON post once up");
        Eventually.Get(() => influx.Requests.FirstOrDefault(r => r.Target.StartsWith("/write?db=db", StringComparison.Ordinal)), Wait, "the InfluxDB write once up");
        Eventually.Get(() => statsd.Datagrams.FirstOrDefault(d => d.Contains(".ops_total:", StringComparison.Ordinal)), Wait, "the statsd gauges once up");
        proxy.WaitForOutput("metrics push recovered.*kind=json", Wait);
        using (var c = proxy.Client()) Assert.Equal("PONG", c.Call("PING").Text);
    }

    [Fact]
    public void HungTarget_DoesNotHoldUpShutdown()
    {
        using var sink = new HttpSink(hang: true);
        using var proxy = CodisProxyProcess.StartWithSlots(group.Slots,
            "--metrics_report_server", $"http://127.0.0.1:{sink.Port}/", "--metrics_report_period", "1s");
        Eventually.Get(() => sink.Requests.FirstOrDefault(), Wait, "a post to the hung target");
        var sw = Stopwatch.StartNew();
        Assert.True(proxy.Terminate(TimeSpan.FromSeconds(10)), "proxy did not exit on SIGTERM");
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(4), $"shutdown took {sw.Elapsed.TotalSeconds:0.0}s with a push in flight");
        Assert.True(proxy.WaitForExit(TimeSpan.FromSeconds(5)));
        Assert.Equal(0, proxy.ExitCode);
        Assert.Contains("bye", proxy.Output);
    }

    [Fact]
    public void BadMetricsSettings_StopTheProxyAtStart()
    {
        string dir = Directory.CreateTempSubdirectory("codis-proxy-metrics-").FullName;
        using var bad = new ManagedProcess("dotnet", [Binaries.Dll("codis-proxy"), "--addr=127.0.0.1:0", "--http-addr=127.0.0.1:0",
            "--metrics_report_statsd_server", "localhost-no-port", "--metrics_report_server", "ftp://x/y",
            "--metrics_report_influxdb_server", "http://127.0.0.1:8086"], dir);
        Assert.True(bad.WaitForExit(TimeSpan.FromSeconds(20)));
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains("metrics_report_statsd_server 'localhost-no-port' is not an address", bad.Output);
        Assert.Contains("metrics_report_server 'ftp://x/y' is not an HTTP URL", bad.Output);
        Assert.Contains("metrics_report_influxdb_database must be set", bad.Output);
        Assert.DoesNotContain("proxy listening", bad.Output);
    }

    [Fact]
    public void InfluxLineProtocol_EscapesTagsAndTypesFields()
    {
        string line = InfluxLineProtocol.Line("codis_usage",
            [new("product_name", "a,b c=d"), new("admin_addr", "10.0.0.1:11080"), new("hostname", "")],
            [MetricField.Of("ops_total", 42L), MetricField.Of("rusage_cpu", 0.125), MetricField.Of("runtime_num_procs", 2L)],
            DateTimeOffset.UnixEpoch.AddSeconds(2));
        // tags sorted, empty ones left out, ',', ' ' and '=' escaped; integers with i, floats plain; ns timestamp
        Assert.Equal(@"codis_usage,admin_addr=10.0.0.1:11080,product_name=a\,b\ c\=d ops_total=42i,rusage_cpu=0.125,runtime_num_procs=2i 2000000000", line);
    }

    [Fact]
    public void StatsdDatagrams_BatchedUnderTheMtu_NamesCleaned()
    {
        string bucket = StatsdReporter.Bucket("", "demo", "10.0.0.1:11080", "[::1]:19000");
        Assert.Equal("demo.10_0_0_1_11080.[__1]_19000.", bucket);
        Assert.Equal("pre.fix.demo.h_1.h_2.", StatsdReporter.Bucket("pre.fix", "demo", "h:1", "h.2"));
        var fields = Enumerable.Range(0, 100).Select(i => MetricField.Of("field_" + i, (long)i * 1000)).ToList();
        var packets = StatsdReporter.Datagrams(bucket, fields, max: 200);
        Assert.True(packets.Count > 1);
        Assert.All(packets, p => Assert.True(p.Length <= 200));
        var lines = packets.SelectMany(p => Encoding.UTF8.GetString(p).Split('\n')).ToList();
        Assert.Equal(fields.Select(f => $"{bucket}{f.Name}:{f.Text}|g"), lines);
        Assert.Equal("0.25", MetricField.Of("x", 0.25).Text);
        Assert.Equal("0.000001", MetricField.Of("x", 1e-6).Text);
    }

    private sealed record InfluxLine(string Measurement, Dictionary<string, string> Tags, Dictionary<string, string> Fields, long TimestampNs);

    /// <summary>One line of the line protocol, split on unescaped separators.</summary>
    private static InfluxLine Parse(string body)
    {
        string text = body.TrimEnd('\n');
        Assert.DoesNotContain('\n', text);
        var parts = Regex.Split(text, @"(?<!\\) ");
        Assert.Equal(3, parts.Length);
        var key = Regex.Split(parts[0], @"(?<!\\),");
        static string Unescape(string s) => Regex.Replace(s, @"\\([, =])", "$1");
        var tags = key.Skip(1).Select(t => Regex.Split(t, @"(?<!\\)=")).ToDictionary(p => Unescape(p[0]), p => Unescape(p[1]));
        var fields = Regex.Split(parts[1], @"(?<!\\),").Select(f => f.Split('=')).ToDictionary(p => p[0], p => p[1]);
        return new InfluxLine(key[0], tags, fields, long.Parse(parts[2]));
    }
}
