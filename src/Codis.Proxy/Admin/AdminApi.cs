using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Codis.Core.Logging;
using Codis.Core.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using LogLevel = Codis.Core.Logging.LogLevel;

namespace Codis.Proxy.Admin;

/// <summary>
/// The proxy's admin HTTP API, with the original's routes and conventions (reference/codis.md §4.10):
/// 200 + indented JSON on success, HTTP 800 + {"Cause": ...} on failure, mutations guarded by the xauth.
/// </summary>
internal static class AdminApi
{
    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    public static async Task<WebApplication> StartAsync(ProxyServer proxy, string address)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://" + NormalizeHost(address));
        var app = builder.Build();

        app.MapGet("/", () => Results.Redirect("/proxy"));
        app.MapGet("/proxy", () => Ok(Overview(proxy)));
        app.MapGet("/proxy/model", () => Ok(Model(proxy)));
        app.MapGet("/api/proxy/model", () => Ok(Model(proxy)));
        app.MapGet("/proxy/stats", () => Ok(StatsJson(proxy, full: true)));
        app.MapGet("/proxy/slots", () => Ok(proxy.Router.Slots.ToArray()));
        app.MapGet("/metrics", () => Results.Text(Metrics(proxy), "text/plain; version=0.0.4"));
        app.MapGet("/api/proxy/xping/{xauth}", (string xauth) => Guard(proxy, xauth) ?? Ok("OK"));
        app.MapGet("/api/proxy/stats/{xauth}", (string xauth) => Guard(proxy, xauth) ?? Ok(StatsJson(proxy, full: false)));
        app.MapGet("/api/proxy/stats/{xauth}/{flags:int}", (string xauth, int flags) => Guard(proxy, xauth) ?? Ok(StatsJson(proxy, full: flags != 0)));
        app.MapGet("/api/proxy/slots/{xauth}", (string xauth) => Guard(proxy, xauth) ?? Ok(proxy.Router.Slots.ToArray()));
        app.MapPut("/api/proxy/start/{xauth}", (string xauth) =>
        {
            if (Guard(proxy, xauth) is { } g) return g;
            try { proxy.SetOnline(); }
            catch (InvalidOperationException e) { return Fail(e.Message); }
            return Ok("OK");
        });
        app.MapPut("/api/proxy/stats/reset/{xauth}", (string xauth) =>
        {
            if (Guard(proxy, xauth) is { } g) return g;
            proxy.Stats.Reset();
            return Ok("OK");
        });
        app.MapPut("/api/proxy/forcegc/{xauth}", (string xauth) =>
        {
            if (Guard(proxy, xauth) is { } g) return g;
            GC.Collect();
            return Ok("OK");
        });
        app.MapPut("/api/proxy/shutdown/{xauth}", (string xauth) =>
        {
            if (Guard(proxy, xauth) is { } g) return g;
            _ = Task.Run(async () =>
            {
                await Task.Delay(100);
                proxy.Shutdown("admin API shutdown");
            });
            return Ok("OK");
        });
        app.MapPut("/api/proxy/loglevel/{xauth}/{value}", (string xauth, string value) =>
        {
            if (Guard(proxy, xauth) is { } g) return g;
            if (!Enum.TryParse<LogLevel>(value, true, out var level) && !TryLevel(value, out level)) return Fail($"invalid log level '{value}'");
            Log.MinLevel = level;
            return Ok("OK");
        });
        app.MapPut("/api/proxy/fillslots/{xauth}", async (string xauth, HttpRequest req) =>
        {
            if (Guard(proxy, xauth) is { } g) return g;
            SlotModel[]? slots;
            try { slots = await JsonSerializer.DeserializeAsync<SlotModel[]>(req.Body, Json); }
            catch (JsonException e) { return Fail("bad slots JSON: " + e.Message); }
            if (slots == null) return Fail("missing slots");
            try { await proxy.Router.FillAsync(slots); }
            catch (ArgumentException e) { return Fail(e.Message); }
            Log.Info("slots filled", ("count", slots.Length), ("remote", req.HttpContext.Connection.RemoteIpAddress?.ToString()));
            return Ok("OK");
        });

        await app.StartAsync();
        return app;
    }

    private static bool TryLevel(string v, out LogLevel level)
    {
        level = v.ToLowerInvariant() switch { "warn" or "warning" => LogLevel.Warning, "err" => LogLevel.Error, _ => LogLevel.Info };
        return v.ToLowerInvariant() is "warn" or "warning" or "err";
    }

    private static string NormalizeHost(string address) =>
        address.StartsWith("0.0.0.0:", StringComparison.Ordinal) ? "*:" + address[8..] : address;

    public static IResult Ok(object value) => Results.Text(JsonSerializer.Serialize(value, Json), "application/json; charset=utf-8", Encoding.UTF8, 200);

    public static IResult Fail(string cause) =>
        Results.Text(JsonSerializer.Serialize(new { Cause = cause }, Json), "application/json; charset=utf-8", Encoding.UTF8, 800);

    private static IResult? Guard(ProxyServer proxy, string xauth) =>
        string.IsNullOrEmpty(xauth) ? Fail("missing xauth, please check product name & auth")
        : xauth != proxy.XAuth ? Fail("invalid xauth, please check product name & auth")
        : null;

    public static ProxyModel Model(ProxyServer proxy) => new()
    {
        Token = proxy.Token,
        StartTime = proxy.StartTime.ToString("yyyy-MM-dd HH:mm:ss"),
        AdminAddr = proxy.AdminAddr,
        ProxyAddr = proxy.ProxyAddr,
        ProductName = proxy.ProductName,
        Pid = Environment.ProcessId,
        Pwd = Environment.CurrentDirectory,
        Sys = Environment.OSVersion.VersionString,
        Hostname = Environment.MachineName,
        Datacenter = proxy.Settings["proxy_datacenter"].Value,
        ProxyId = proxy.ProxyId,
    };

    private static object Overview(ProxyServer proxy) => new
    {
        version = typeof(ProxyServer).Assembly.GetName().Version?.ToString(),
        config = proxy.Settings.All.Where(s => !s.Name.Contains("auth")).ToDictionary(s => s.Name, s => s.Value),
        model = Model(proxy),
        stats = StatsJson(proxy, full: true),
        slots = proxy.Router.Slots.ToArray(),
    };

    public static object StatsJson(ProxyServer proxy, bool full) => new
    {
        online = proxy.Online,
        closed = proxy.Closed,
        ops = new
        {
            total = proxy.Stats.Total,
            fails = proxy.Stats.Fails,
            redis = new { errors = proxy.Stats.RedisErrors },
            qps = proxy.Stats.Qps,
            cmd = full ? proxy.Stats.Commands.Select(c => new
            {
                opstr = c.Key,
                calls = c.Value.Calls,
                usecs = c.Value.Usecs,
                usecs_percall = c.Value.Calls == 0 ? 0 : c.Value.Usecs / c.Value.Calls,
                fails = c.Value.Fails,
                redis_errtype = c.Value.RedisErrors,
            }).ToArray() : null,
        },
        sessions = new { total = proxy.Stats.SessionsTotal, alive = proxy.SessionCount },
        rusage = new
        {
            now = DateTimeOffset.UtcNow.ToString("O"),
            cpu = Environment.CpuUsage.TotalTime.TotalSeconds,
            mem = Environment.WorkingSet,
        },
        backend = new { primary_only = proxy.Router.PrimaryOnly },
    };

    private static string Metrics(ProxyServer proxy)
    {
        var sb = new StringBuilder();
        void M(string name, string help, string type, IEnumerable<(string Labels, double Value)> samples)
        {
            sb.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n');
            sb.Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
            foreach (var (labels, value) in samples)
                sb.Append(name).Append(labels).Append(' ').Append(value.ToString(System.Globalization.CultureInfo.InvariantCulture)).Append('\n');
        }
        string p = $"{{product=\"{proxy.ProductName}\",proxy=\"{proxy.ProxyId}\"}}";
        M("codis_proxy_ops_total", "Requests answered.", "counter", [(p, proxy.Stats.Total)]);
        M("codis_proxy_ops_fails_total", "Requests the proxy failed.", "counter", [(p, proxy.Stats.Fails)]);
        M("codis_proxy_redis_errors_total", "Error replies from backends.", "counter", [(p, proxy.Stats.RedisErrors)]);
        M("codis_proxy_qps", "Requests per second (last second).", "gauge", [(p, proxy.Stats.Qps)]);
        M("codis_proxy_sessions_alive", "Connected clients.", "gauge", [(p, proxy.SessionCount)]);
        M("codis_proxy_online", "1 when serving clients.", "gauge", [(p, proxy.Online ? 1 : 0)]);
        var cmds = proxy.Stats.Commands.ToList();
        M("codis_proxy_command_calls_total", "Calls per command.", "counter",
            cmds.Select(c => ($"{{product=\"{proxy.ProductName}\",proxy=\"{proxy.ProxyId}\",cmd=\"{c.Key}\"}}", (double)c.Value.Calls)));
        M("codis_proxy_command_usecs_total", "Microseconds spent per command.", "counter",
            cmds.Select(c => ($"{{product=\"{proxy.ProductName}\",proxy=\"{proxy.ProxyId}\",cmd=\"{c.Key}\"}}", (double)c.Value.Usecs)));
        M("codis_proxy_command_fails_total", "Failures per command.", "counter",
            cmds.Select(c => ($"{{product=\"{proxy.ProductName}\",proxy=\"{proxy.ProxyId}\",cmd=\"{c.Key}\"}}", (double)c.Value.Fails)));
        return sb.ToString();
    }
}
