using System.Net;
using System.Net.Sockets;
using Codis.Core.Config;
using Codis.Core.Logging;

namespace Codis.Proxy.Metrics;

/// <summary>
/// The metrics_report_* pushes of the original (pkg/proxy/metrics.go): the JSON overview, InfluxDB and statsd, each
/// on its own timer, started once the proxy's identity is known and stopped on shutdown. Settings are checked at
/// start (<see cref="Parse"/>): a bad address stops the proxy with a clear error instead of pushing nowhere.
/// </summary>
internal sealed class MetricsReporters : IAsyncDisposable
{
    /// <summary>The original's floor for every period.</summary>
    public static readonly TimeSpan MinPeriod = TimeSpan.FromSeconds(1);

    /// <summary>The checked settings, before the proxy exists.</summary>
    internal sealed record Plan(
        Uri? JsonUrl, TimeSpan JsonPeriod,
        Uri? InfluxUrl, TimeSpan InfluxPeriod, string InfluxDatabase, string InfluxUsername, string InfluxPassword,
        IPEndPoint? Statsd, TimeSpan StatsdPeriod, string StatsdPrefix);

    private readonly List<MetricsReporter> reporters;
    private MetricsReporters(List<MetricsReporter> reporters) => this.reporters = reporters;

    public IReadOnlyList<MetricsReporter> All => reporters;

    /// <summary>Checks the metrics_report_* settings; problems go to <paramref name="errors"/> (the start-up's list).</summary>
    public static Plan Parse(Settings s, List<string> errors)
    {
        TimeSpan Period(string name) => s[name].AsDuration < MinPeriod ? MinPeriod : s[name].AsDuration;

        Uri? json = HttpUrl(s, "metrics_report_server", errors);
        Uri? influx = HttpUrl(s, "metrics_report_influxdb_server", errors);
        string database = s["metrics_report_influxdb_database"].Value;
        if (influx != null && database.Length == 0)
            errors.Add("metrics_report_influxdb_database must be set with metrics_report_influxdb_server (the database written to)");
        if (influx != null && influx.UserInfo.Length > 0)
            errors.Add("metrics_report_influxdb_server: give the credentials in metrics_report_influxdb_username / _password, not in the URL");
        string user = s["metrics_report_influxdb_username"].Value;
        if (user.Contains(':')) errors.Add("metrics_report_influxdb_username must not contain ':' (HTTP basic auth)");
        IPEndPoint? statsd = UdpAddress(s, "metrics_report_statsd_server", errors);
        return new Plan(json, Period("metrics_report_period"),
            influx, Period("metrics_report_influxdb_period"), database, user, s["metrics_report_influxdb_password"].Value,
            statsd, Period("metrics_report_statsd_period"), s["metrics_report_statsd_prefix"].Value);
    }

    /// <summary>An http(s) URL; host:port[/path] without a scheme means http://.</summary>
    internal static Uri? HttpUrl(Settings s, string name, List<string> errors)
    {
        string v = s[name].Value.Trim();
        if (v.Length == 0) return null;
        string text = v.Contains("://", StringComparison.Ordinal) ? v : "http://" + v;
        if (Uri.TryCreate(text, UriKind.Absolute, out var u) && u.Scheme is "http" or "https" && u.Host.Length > 0) return u;
        errors.Add($"{name} '{v}' is not an HTTP URL (want host:port[/path] or http://host:port[/path])");
        return null;
    }

    /// <summary>host:port (IPv6 as [addr]:port) for UDP, resolved now: a name that does not resolve is an error at start.</summary>
    internal static IPEndPoint? UdpAddress(Settings s, string name, List<string> errors)
    {
        string v = s[name].Value.Trim();
        if (v.Length == 0) return null;
        int colon = v.LastIndexOf(':');
        string host = colon > 0 ? v[..colon].Trim('[', ']') : "";
        if (colon <= 0 || host.Length == 0 || !int.TryParse(v.AsSpan(colon + 1), out int port) || port is < 1 or > 65535)
        {
            errors.Add($"{name} '{v}' is not an address (want host:port, e.g. 127.0.0.1:8125)");
            return null;
        }
        if (IPAddress.TryParse(host, out var ip)) return new IPEndPoint(ip, port);
        try
        {
            var addrs = Dns.GetHostAddresses(host);
            var pick = addrs.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? addrs.FirstOrDefault();
            if (pick != null) return new IPEndPoint(pick, port);
            errors.Add($"{name} '{v}': host '{host}' has no address");
        }
        catch (SocketException e)
        {
            errors.Add($"{name} '{v}': can't resolve '{host}': {e.Message}");
        }
        return null;
    }

    /// <summary>Starts the configured pushers (none: nothing runs).</summary>
    public static MetricsReporters Start(ProxyServer proxy, Plan plan)
    {
        var list = new List<MetricsReporter>();
        if (plan.JsonUrl != null) list.Add(new JsonReporter(proxy, plan.JsonUrl, plan.JsonPeriod));
        if (plan.InfluxUrl != null)
            list.Add(new InfluxDbReporter(proxy, plan.InfluxUrl, plan.InfluxDatabase, plan.InfluxUsername, plan.InfluxPassword, plan.InfluxPeriod));
        if (plan.Statsd != null) list.Add(new StatsdReporter(proxy, plan.Statsd, plan.StatsdPrefix, plan.StatsdPeriod));
        foreach (var r in list)
        {
            r.Start();
            Log.Info("metrics push started", ("kind", r.Kind), ("target", r.Target), ("period", Settings.FormatDuration(r.Period)));
        }
        return new MetricsReporters(list);
    }

    /// <summary>The stats JSON's metrics_report block: per pusher its target, pushes and failures (null: none configured).</summary>
    public object? StatsJson() => reporters.Count == 0 ? null
        : reporters.ToDictionary(r => r.Kind, r => (object)new
        {
            target = r.Target,
            period = Settings.FormatDuration(r.Period),
            pushes = r.Pushes,
            fails = r.Fails,
            last_error = r.LastError,
        });

    public async ValueTask DisposeAsync()
    {
        foreach (var r in reporters) await r.DisposeAsync().ConfigureAwait(false);
    }
}
