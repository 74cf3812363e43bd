using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Codis.Core.Logging;
using Codis.Core.Models;
using Codis.Proxy.Stats;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using LogLevel = Codis.Core.Logging.LogLevel;

namespace Codis.Proxy.Admin;

/// <summary>
/// The proxy's admin HTTP API, with the original's routes and conventions (reference/codis.md §4.10):
/// 200 + indented JSON on success, HTTP 800 + {"Cause": ...} on failure, /api/proxy/* guarded by the xauth,
/// non-GET calls logged with the caller's address. Also GET /metrics in the Prometheus text format.
/// </summary>
internal static class AdminApi
{
    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        IndentSize = 4,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>Stats flag bits of GET /api/proxy/stats/:xauth/:flags, as the original.</summary>
    public const int StatsCmds = 1, StatsSlots = 2, StatsRuntime = 4, StatsFull = 7;

    public static async Task<WebApplication> StartAsync(ProxyServer proxy, string address)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://" + NormalizeHost(address));
        var app = builder.Build();
        app.Use(async (ctx, next) =>
        {
            if (!HttpMethods.IsGet(ctx.Request.Method) && ctx.Request.Path.StartsWithSegments("/api"))
                Log.Info("admin API call", ("method", ctx.Request.Method), ("path", Redact(ctx.Request.Path.Value ?? "")),
                    ("remote", ctx.Connection.RemoteIpAddress?.ToString()));
            await next(ctx);
        });

        app.MapGet("/", () => Results.Redirect("/proxy"));
        app.MapGet("/proxy", () => Ok(Overview(proxy, StatsFull)));
        app.MapGet("/proxy/model", () => Ok(Model(proxy)));
        app.MapGet("/api/proxy/model", () => Ok(Model(proxy)));
        app.MapGet("/proxy/stats", () => Ok(Stats(proxy, StatsFull)));
        app.MapGet("/proxy/slots", () => Ok(proxy.Router.Slots.ToArray()));
        app.MapGet("/metrics", () => Results.Text(PrometheusText.Render(proxy), "text/plain; version=0.0.4; charset=utf-8"));
        app.MapGet("/api/proxy/xping/{xauth}", (string xauth) => Guard(proxy, xauth) ?? Ok("OK"));
        app.MapGet("/api/proxy/stats/{xauth}", (string xauth) => Guard(proxy, xauth) ?? Ok(Stats(proxy, 0)));
        app.MapGet("/api/proxy/stats/{xauth}/{flags:int}", (string xauth, int flags) => Guard(proxy, xauth) ?? Ok(Stats(proxy, flags)));
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
            // as the original's runtime.GC + FreeOSMemory: collect, compact and give the freed memory back to the OS
            System.Runtime.GCSettings.LargeObjectHeapCompactionMode = System.Runtime.GCLargeObjectHeapCompactionMode.CompactOnce;
            GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
            return Ok("OK");
        });
        app.MapPut("/api/proxy/shutdown/{xauth}", (string xauth) =>
        {
            if (Guard(proxy, xauth) is { } g) return g;
            // Reply first, then close: the caller (dashboard, codis-admin) waits for this answer.
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
            if (!Log.TryParseLevel(value, out var level)) return Fail($"invalid log level '{value}' (want DEBUG, INFO, WARN or ERROR)");
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
        app.MapPut("/api/proxy/sentinels/{xauth}", async (string xauth, HttpRequest req) =>
        {
            if (Guard(proxy, xauth) is { } g) return g;
            SentinelModel? model;
            try { model = await JsonSerializer.DeserializeAsync<SentinelModel>(req.Body, Json); }
            catch (JsonException e) { return Fail("bad sentinel JSON: " + e.Message); }
            if (model == null) return Fail("missing sentinel model");
            try { proxy.Sentinels.Set(model); }
            catch (ArgumentException e) { return Fail(e.Message); }
            return Ok("OK");
        });
        app.MapPut("/api/proxy/sentinels/{xauth}/rewatch", (string xauth) =>
        {
            if (Guard(proxy, xauth) is { } g) return g;
            proxy.Sentinels.Rewatch();
            return Ok("OK");
        });

        await app.StartAsync();
        return app;
    }

    /// <summary>The admin listener's real address (the port the OS picked when asked for 0), as host:port.</summary>
    public static string BoundAddress(WebApplication app, string configured)
    {
        var url = app.Services.GetService(typeof(Microsoft.AspNetCore.Hosting.Server.IServer)) is Microsoft.AspNetCore.Hosting.Server.IServer server
            ? server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
            : null;
        if (url == null) return configured;
        var uri = new Uri(url.Replace("://*", "://0.0.0.0").Replace("://+", "://0.0.0.0"));
        string host = uri.Host is "[::]" or "::" ? "0.0.0.0" : uri.Host;
        return $"{host}:{uri.Port}";
    }

    private static string Redact(string path)
    {
        // The xauth is a credential: keep its first characters only in logs.
        var parts = path.Split('/');
        for (int i = 0; i < parts.Length; i++)
            if (parts[i].Length == 32 && parts[i].All(char.IsAsciiHexDigitLower)) parts[i] = parts[i][..6] + "…";
        return string.Join('/', parts);
    }

    private static string NormalizeHost(string address) =>
        address.StartsWith("0.0.0.0:", StringComparison.Ordinal) ? "*:" + address[8..]
        : address.StartsWith(':') ? "*" + address : address;

    public static IResult Ok(object value) => Results.Text(JsonSerializer.Serialize(value, Json), "application/json; charset=utf-8", Encoding.UTF8, 200);

    public static IResult Fail(string cause) =>
        Results.Text(JsonSerializer.Serialize(new { Cause = cause, Stack = Array.Empty<object>() }, Json), "application/json; charset=utf-8", Encoding.UTF8, 800);

    private static IResult? Guard(ProxyServer proxy, string xauth) =>
        string.IsNullOrEmpty(xauth) ? Fail("missing xauth, please check product name & auth")
        : !System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(xauth), Encoding.ASCII.GetBytes(proxy.XAuth))
            ? Fail("invalid xauth, please check product name & auth")
        : null;

    public static ProxyModel Model(ProxyServer proxy) => new()
    {
        Token = proxy.Token,
        StartTime = proxy.StartTime.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss.fffffff zzz"),
        AdminAddr = proxy.AdminAddr,
        ProtoType = proxy.Settings["proto_type"].Value,
        ProxyAddr = proxy.ProxyAddr,
        JodisPath = proxy.JodisPath,
        ProductName = proxy.ProductName,
        Pid = Environment.ProcessId,
        Pwd = Environment.CurrentDirectory,
        Sys = Environment.OSVersion.VersionString,
        Hostname = Environment.MachineName,
        Datacenter = proxy.Settings["proxy_datacenter"].Value,
        ProxyId = proxy.ProxyId,
    };

    /// <summary>
    /// The original's Overview: GET /proxy gives it with every stats flag; metrics_report_server pushes it with the
    /// runtime stats only (no per-command list, no slots), as the original does.
    /// </summary>
    public static object Overview(ProxyServer proxy, int flags) => new
    {
        version = typeof(ProxyServer).Assembly.GetName().Version?.ToString(),
        compile = File.GetLastWriteTimeUtc(typeof(ProxyServer).Assembly.Location).ToString("yyyy-MM-dd HH:mm:ss") + " UTC, .NET " + Environment.Version,
        config = proxy.Settings.All.Where(s => !s.Name.Contains("auth") && !s.Name.Contains("password"))
            .OrderBy(s => s.Name, StringComparer.Ordinal).ToDictionary(s => s.Name, s => s.Value),
        model = Model(proxy),
        stats = Stats(proxy, flags),
        slots = (flags & StatsSlots) != 0 ? proxy.Router.Slots.ToArray() : null,
    };

    /// <summary>The original's Stats JSON; <paramref name="flags"/>: 1 = per-command list, 2 = slots, 4 = runtime.</summary>
    public static object Stats(ProxyServer proxy, int flags)
    {
        var st = proxy.Stats;
        return new
        {
            online = proxy.Online,
            closed = proxy.Closed,
            sentinels = new
            {
                servers = proxy.Sentinels.Model.Servers,
                masters = proxy.Sentinels.Masters,
                switched = proxy.Router.Slots.Any(s => s.Switched),
            },
            ops = new
            {
                total = st.Total,
                fails = st.Fails,
                redis = new { errors = st.RedisErrors },
                qps = st.Qps,
                cmd = (flags & StatsCmds) != 0
                    ? st.Commands.Select(c => new
                    {
                        opstr = c.Key,
                        calls = c.Value.Calls,
                        usecs = c.Value.Usecs,
                        usecs_percall = c.Value.Calls == 0 ? 0 : c.Value.Usecs / c.Value.Calls,
                        fails = c.Value.Fails,
                        redis_errtype = c.Value.RedisErrors,
                    }).ToArray()
                    : null,
            },
            sessions = new { total = st.SessionsTotal, alive = proxy.SessionCount },
            rusage = new
            {
                now = DateTimeOffset.Now.ToString("yyyy-MM-dd HH:mm:ss.fffffff zzz"),
                cpu = st.CpuFraction,
                mem = Environment.WorkingSet,
                raw = new
                {
                    utime = Environment.CpuUsage.UserTime.TotalSeconds,
                    stime = Environment.CpuUsage.PrivilegedTime.TotalSeconds,
                    cpu_total = Environment.CpuUsage.TotalTime.TotalSeconds,
                    num_threads = System.Diagnostics.Process.GetCurrentProcess().Threads.Count,
                    vm_rss = Environment.WorkingSet,
                },
            },
            backend = new { primary_only = proxy.Router.PrimaryOnly },
            slots = (flags & StatsSlots) != 0 ? proxy.Router.Slots.ToArray() : null,
            runtime = (flags & StatsRuntime) != 0
                ? new
                {
                    general = new { alloc = GC.GetTotalMemory(false), sys = GC.GetGCMemoryInfo().TotalCommittedBytes, total_allocated = GC.GetTotalAllocatedBytes() },
                    heap = new { size = GC.GetGCMemoryInfo().HeapSizeBytes, fragmented = GC.GetGCMemoryInfo().FragmentedBytes },
                    gc = new
                    {
                        num = RuntimeFigures.GcCount,
                        num_gen2 = GC.CollectionCount(2),
                        total_pausems = RuntimeFigures.GcTotalPauseMs,
                    },
                    num_procs = Environment.ProcessorCount,
                    // Go's figures, mapped to the nearest .NET one (the pushed runtime_num_* metrics are these)
                    num_goroutines = RuntimeFigures.ThreadCount(),
                    num_cgo_call = 0,
                    mem_offheap = RuntimeFigures.NonGcMemory(),
                    num_threads = ThreadPool.ThreadCount,
                    pending_work_items = ThreadPool.PendingWorkItemCount,
                }
                : null,
            // Not in the original: the metrics_report_* pushers' pushes and failures (absent when none is set).
            metrics_report = proxy.Metrics?.StatsJson(),
        };
    }
}
