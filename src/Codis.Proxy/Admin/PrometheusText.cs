using System.Globalization;
using System.Text;

namespace Codis.Proxy.Admin;

/// <summary>The proxy's counters in the Prometheus text exposition format (version 0.0.4), for GET /metrics.</summary>
internal static class PrometheusText
{
    public static string Render(ProxyServer proxy)
    {
        var sb = new StringBuilder(4096);
        string common = $"product=\"{Escape(proxy.ProductName)}\",proxy=\"{Escape(proxy.ProxyId)}\"";
        void Header(string name, string help, string type) =>
            sb.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n')
              .Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
        void Sample(string name, string labels, double value) =>
            sb.Append(name).Append('{').Append(labels).Append("} ").Append(value.ToString("R", CultureInfo.InvariantCulture)).Append('\n');
        void One(string name, string help, string type, double value)
        {
            Header(name, help, type);
            Sample(name, common, value);
        }

        var st = proxy.Stats;
        One("codis_proxy_online", "1 when the proxy serves clients.", "gauge", proxy.Online ? 1 : 0);
        One("codis_proxy_ops_total", "Requests answered.", "counter", st.Total);
        One("codis_proxy_ops_fails_total", "Requests the proxy failed (no backend, backend down, refused).", "counter", st.Fails);
        One("codis_proxy_ops_redis_errors_total", "Error replies from the backends.", "counter", st.RedisErrors);
        One("codis_proxy_ops_qps", "Requests per second over the last second.", "gauge", st.Qps);
        One("codis_proxy_sessions_total", "Client connections accepted since start.", "counter", st.SessionsTotal);
        One("codis_proxy_sessions_alive", "Connected clients.", "gauge", proxy.SessionCount);
        One("codis_proxy_rusage_cpu_ratio", "CPU used over the last second (1 = one core).", "gauge", st.CpuFraction);
        One("codis_proxy_rusage_mem_bytes", "Resident memory.", "gauge", Environment.WorkingSet);
        One("codis_proxy_backend_connections", "Backend connections that are up.", "gauge", proxy.Router.ConnectedBackends);

        if (proxy.Metrics is { All.Count: > 0 } metrics)
        {
            Header("codis_proxy_metrics_report_pushes_total", "Successful metrics_report_* pushes, per pusher.", "counter");
            foreach (var r in metrics.All) Sample("codis_proxy_metrics_report_pushes_total", $"{common},kind=\"{r.Kind}\"", r.Pushes);
            Header("codis_proxy_metrics_report_fails_total", "Failed metrics_report_* pushes (target down, refused, timed out), per pusher.", "counter");
            foreach (var r in metrics.All) Sample("codis_proxy_metrics_report_fails_total", $"{common},kind=\"{r.Kind}\"", r.Fails);
        }

        var cmds = st.Commands.ToList();
        void PerCommand(string name, string help, string type, Func<Stats.ProxyStats.CommandStats, double> value)
        {
            Header(name, help, type);
            foreach (var (cmd, c) in cmds) Sample(name, $"{common},cmd=\"{Escape(cmd)}\"", value(c));
        }
        PerCommand("codis_proxy_cmd_calls_total", "Calls per command.", "counter", c => c.Calls);
        PerCommand("codis_proxy_cmd_fails_total", "Proxy failures per command.", "counter", c => c.Fails);
        PerCommand("codis_proxy_cmd_redis_errors_total", "Backend error replies per command.", "counter", c => c.RedisErrors);
        PerCommand("codis_proxy_cmd_latency_seconds_total", "Time from dispatch to reply, summed, per command.", "counter", c => c.Usecs / 1e6);
        PerCommand("codis_proxy_cmd_latency_seconds_avg", "Mean time from dispatch to reply per command.", "gauge", c => c.Calls == 0 ? 0 : c.Usecs / 1e6 / c.Calls);
        return sb.ToString();
    }

    private static string Escape(string v) => v.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n");
}
