using System.Net;
using System.Text;
using System.Text.Json;
using Codis.Core.Logging;
using Codis.Core.Models;
using Codis.Core.Sentinel;
using Codis.Dashboard.Failover;
using Codis.Dashboard.Migration;
using Codis.Dashboard.Topology;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Codis.Dashboard.Api;

/// <summary>
/// The dashboard's HTTP API (reference/codis.md §8.1 and <see cref="DashboardRoutes"/>): every read and every
/// operation, 200 + indented JSON on success, HTTP 800 + {"Cause": ...} on failure. Mutations carry the
/// product's xauth in the path; when an admin token is configured every request must carry it too.
/// </summary>
internal sealed class DashboardApi
{
    public static readonly JsonSerializerOptions Json = new(ModelJson.Options) { IndentSize = 2 };

    private Topom topom = null!;
    private SlotMigrator migrator = null!;
    private HealthMonitor health = null!;
    private OpsHistory history = null!;
    private Action<string> shutdown = _ => { };
    private volatile bool active;

    /// <summary>While waiting for the lock: who holds it (for the refusal message).</summary>
    public Func<TopomModel?>? Standby { get; set; }

    /// <summary>The address the listener actually bound (port 0 resolved).</summary>
    public string? BoundAddress { get; private set; }

    /// <summary>From now on the API serves: this dashboard holds the lock and has loaded the topology.</summary>
    public void Activate(Topom t, SlotMigrator m, HealthMonitor h, Action<string> stop)
    {
        (topom, migrator, health, shutdown) = (t, m, h, stop);
        history = OpsHistory.Start(h);
        active = true;
    }

    public async Task<WebApplication> StartAsync(string address, string token)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://" + (address.StartsWith("0.0.0.0:", StringComparison.Ordinal) ? "*:" + address[8..] : address));
        var app = builder.Build();
        // the web UI's files hold no data: served before the token and standby checks, so the page can ask for
        // the token and show a standby's answer in words
        app.Use(WebUi.WebUiAssets.Middleware);
        if (token.Length > 0)
        {
            app.Use(async (ctx, next) =>
            {
                var given = ctx.Request.Headers[DashboardRoutes.TokenHeader].ToString();
                if (given.Length == 0) given = ctx.Request.Query["token"].ToString();
                if (!CryptographicEquals(given, token))
                {
                    await Fail(given.Length == 0 ? $"missing admin token (header {DashboardRoutes.TokenHeader})" : "invalid admin token").ExecuteAsync(ctx);
                    return;
                }
                await next(ctx);
            });
        }
        app.Use(async (ctx, next) =>
        {
            if (!active)
            {
                var holder = Standby?.Invoke();
                await Fail(holder == null ? "dashboard is starting" : $"this dashboard is a standby; the active one is {holder.Describe()}").ExecuteAsync(ctx);
                return;
            }
            if (!HttpMethods.IsGet(ctx.Request.Method)) Log.Info("api call", ("method", ctx.Request.Method), ("path", ctx.Request.Path.ToString()), ("remote", ctx.Connection.RemoteIpAddress?.ToString()));
            await next(ctx);
        });
        Map(app);
        await app.StartAsync();
        var url = app.Urls.FirstOrDefault() ?? ("http://" + address);
        BoundAddress = new Uri(url).Authority;
        return app;
    }

    private void Map(WebApplication app)
    {
        var ct = CancellationToken.None;
        app.MapGet("/", () => Results.Redirect("/topom"));
        app.MapGet("/topom", () => Ok(Overview()));
        app.MapGet("/topom/model", () => Ok(topom.Model));
        app.MapGet("/api/topom/model", () => Ok(topom.Model));
        app.MapGet("/topom/stats", () => Ok(Stats()));
        app.MapGet("/topom/slots", () => Ok(topom.RoutingSnapshot()));
        app.MapGet(DashboardRoutes.Products, async () =>
        {
            var (products, error) = await ProductList.ReadAsync(topom, ct);
            return Ok(new
            {
                products = products.Select(p => new { name = p.Name, xauth = p.XAuth, dashboard = p.DashboardAddr, pid = p.Pid, current = p.Current }),
                error,
            });
        });
        Get(app, "/api/topom/xping/{xauth}", _ => "OK");
        Get(app, "/api/topom/stats/{xauth}", _ => Stats());
        Get(app, "/api/topom/overview/{xauth}", _ => Overview());
        Get(app, "/api/topom/slots/{xauth}", _ => topom.SlotsSnapshot());
        Get(app, "/api/topom/routing/{xauth}", _ => topom.RoutingSnapshot());
        Get(app, "/api/topom/groups/{xauth}", _ => Groups());
        Get(app, "/api/topom/proxies/{xauth}", _ => Proxies());
        Get(app, "/api/topom/actions/{xauth}", _ => Actions());
        Get(app, "/api/topom/failover/{xauth}", _ => health.Events);
        Get(app, "/api/topom/promotions/{xauth}", _ => topom.Promotions);
        Get(app, "/api/topom/ops-history/{xauth}", _ => new
        {
            interval_ms = (long)OpsHistory.Interval.TotalMilliseconds,
            samples = history.Samples().Select(s => new { t = s.UnixMs, qps = s.Total, proxies = s.Proxies }),
        });
        app.MapGet("/api/topom/group/info/{addr}", async (string addr) =>
        {
            try { return Ok(await topom.Redis.InfoAsync(WebUtility.UrlDecode(addr))); }
            catch (Exception e) when (e is IOException or InvalidOperationException or ArgumentException) { return Fail(e.Message); }
        });

        Put(app, "/api/topom/shutdown/{xauth}", async _ => { shutdown("API shutdown"); await Task.CompletedTask; return "OK"; });
        Put(app, "/api/topom/reload/{xauth}", async _ => { await topom.LoadAsync(ct); return "OK"; });

        Put(app, "/api/topom/proxy/create/{xauth}/{addr}", async r => await topom.OnlineProxyAsync(Str(r, "addr"), ct));
        Put(app, "/api/topom/proxy/register/{xauth}/{addr}", async r => await topom.RegisterProxyAsync(Str(r, "addr"), ct));
        Put(app, "/api/topom/proxy/online/{xauth}/{addr}", async r => await topom.OnlineProxyAsync(Str(r, "addr"), ct));
        Put(app, "/api/topom/proxy/online-id/{xauth}/{id}", async r => await topom.OnlineProxyByIdAsync(Str(r, "id"), ct));
        Put(app, "/api/topom/proxy/offline-id/{xauth}/{id}", async r => { await topom.RemoveProxyAsync(Str(r, "id"), true, ct); return "OK"; });
        Put(app, "/api/topom/proxy/reinit/{xauth}/{token}", async r => await topom.ReinitProxyAsync(Str(r, "token"), ct));
        Put(app, "/api/topom/proxy/remove/{xauth}/{token}/{force}", async r => { await topom.RemoveProxyAsync(Str(r, "token"), Int(r, "force") != 0, ct); return "OK"; });

        Put(app, "/api/topom/group/create/{xauth}/{gid}", async r => { await topom.CreateGroupAsync(Int(r, "gid"), ct); return "OK"; });
        Put(app, "/api/topom/group/weight/{xauth}/{gid}/{weight}", async r => { await topom.SetGroupWeightAsync(Int(r, "gid"), Int(r, "weight"), ct); return "OK"; });
        Put(app, "/api/topom/group/remove/{xauth}/{gid}", async r => { await topom.RemoveGroupAsync(Int(r, "gid"), ct); return "OK"; });
        Put(app, "/api/topom/group/resync/{xauth}/{gid}", async r => { await topom.ResyncGroupAsync(Int(r, "gid"), ct); return "OK"; });
        Put(app, "/api/topom/group/resync-all/{xauth}", async _ => { await topom.ResyncAllAsync(ct); return "OK"; });
        Put(app, "/api/topom/group/add/{xauth}/{gid}/{addr}", async r =>
        {
            await topom.AddServerAsync(Int(r, "gid"), Str(r, "addr"), r.Query["role"].ToString(), r.Query["datacenter"].ToString(), ct);
            return "OK";
        });
        Put(app, "/api/topom/group/add/{xauth}/{gid}/{addr}/{datacenter}", async r =>
        {
            await topom.AddServerAsync(Int(r, "gid"), Str(r, "addr"), r.Query["role"].ToString(), Str(r, "datacenter"), ct);
            return "OK";
        });
        Put(app, "/api/topom/group/del/{xauth}/{gid}/{addr}", async r => { await topom.RemoveServerAsync(Int(r, "gid"), Str(r, "addr"), ct); return "OK"; });
        // the original's call (no force) answers with the promotion's record, as the forced form does
        Put(app, "/api/topom/group/promote/{xauth}/{gid}/{addr}", async r => await topom.PromoteAsync(Int(r, "gid"), Str(r, "addr"), false, ct));
        Put(app, "/api/topom/group/promote/{xauth}/{gid}/{addr}/{force}", async r => await topom.PromoteAsync(Int(r, "gid"), Str(r, "addr"), Int(r, "force") != 0, ct));

        Put(app, "/api/topom/group/replica-groups/{xauth}/{gid}/{addr}/{value}", async r =>
        {
            await topom.SetReplicaGroupAsync(Int(r, "gid"), Str(r, "addr"), Int(r, "value") != 0, ct);
            return "OK";
        });
        Put(app, "/api/topom/group/replica-groups-all/{xauth}/{value}", async r => { await topom.SetReplicaGroupAllAsync(Int(r, "value") != 0, ct); return "OK"; });
        Put(app, "/api/topom/group/action/create/{xauth}/{addr}", async r => { await topom.CreateSyncActionAsync(Str(r, "addr"), ct); return "OK"; });
        Put(app, "/api/topom/group/action/remove/{xauth}/{addr}", async r => { await topom.RemoveSyncActionAsync(Str(r, "addr"), ct); return "OK"; });
        Put(app, "/api/topom/loglevel/{xauth}/{value}", async r =>
        {
            if (!Log.TryParseLevel(Str(r, "value"), out var level)) throw new TopomException($"invalid log level '{Str(r, "value")}' (want DEBUG, INFO, WARN or ERROR)");
            Log.MinLevel = level;
            Log.Info("log level set", ("level", level));
            await Task.CompletedTask;
            return "OK";
        });
        Put(app, "/api/topom/sentinels/add/{xauth}/{addr}", async r => { await topom.AddSentinelAsync(Str(r, "addr"), ct); return "OK"; });
        Put(app, "/api/topom/sentinels/del/{xauth}/{addr}/{force}", async r => { await topom.DelSentinelAsync(Str(r, "addr"), Int(r, "force") != 0, ct); return "OK"; });
        Put(app, "/api/topom/sentinels/resync-all/{xauth}", async _ => { await topom.ResyncSentinelsAsync(ct); return "OK"; });
        app.MapGet("/api/topom/sentinels/info/{addr}", async (string addr) =>
        {
            try { return Ok(Servers.RedisOps.ParseInfo((await Task.Run(() => SentinelQuery.Call(WebUtility.UrlDecode(addr), TimeSpan.FromSeconds(5), "INFO"))).Text ?? "")); }
            catch (Exception e) when (e is IOException or InvalidOperationException or TimeoutException or ArgumentException) { return Fail(e.Message); }
        });
        app.MapGet("/api/topom/sentinels/info/{addr}/monitored", async (string addr) =>
        {
            try { return Ok(await Task.Run(() => Monitored(WebUtility.UrlDecode(addr)))); }
            catch (Exception e) when (e is IOException or InvalidOperationException or TimeoutException or ArgumentException) { return Fail(e.Message); }
        });

        Put(app, "/api/topom/slots/init/{xauth}/{force}", async r => { await topom.SlotsInitAsync(Int(r, "force") != 0, ct); return "OK"; });
        Put(app, "/api/topom/slots/assign-range/{xauth}/{beg}/{end}/{gid}", async r =>
        {
            await topom.AssignRangeAsync(Int(r, "beg"), Int(r, "end"), Int(r, "gid"), ct);
            return "OK";
        });
        Put(app, "/api/topom/slots/assign/{xauth}", async r =>
        {
            SlotMapping[]? ms;
            try { ms = await JsonSerializer.DeserializeAsync<SlotMapping[]>(r.Body, ModelJson.Options); }
            catch (JsonException e) { throw new TopomException("bad slot mappings JSON: " + e.Message); }
            await topom.AssignForceAsync(ms ?? [], ct);
            return "OK";
        });
        Put(app, "/api/topom/slots/action/create/{xauth}/{sid}/{gid}", async r => { await topom.CreateActionsAsync([Int(r, "sid")], Int(r, "gid"), ct); return "OK"; });
        Put(app, "/api/topom/slots/action/create-range/{xauth}/{beg}/{end}/{gid}", async r =>
        {
            int beg = Int(r, "beg"), end = Int(r, "end");
            if (beg < 0 || end > 1023 || beg > end) throw new TopomException($"invalid slot range {beg}-{end}: want 0 <= begin <= end <= 1023");
            await topom.CreateActionsAsync(Enumerable.Range(beg, end - beg + 1).ToList(), Int(r, "gid"), ct);
            return "OK";
        });
        Put(app, "/api/topom/slots/action/create-some/{xauth}/{src}/{dst}/{num}", async r => { await topom.CreateSomeAsync(Int(r, "src"), Int(r, "dst"), Int(r, "num"), ct); return "OK"; });
        Put(app, "/api/topom/slots/action/remove/{xauth}/{sid}", async r => { await topom.RemoveActionAsync(Int(r, "sid"), ct); return "OK"; });
        Put(app, "/api/topom/slots/action/remove-pending/{xauth}", async _ => await topom.RemovePendingAsync(ct));
        Put(app, "/api/topom/slots/action/interval/{xauth}/{value}", async r =>
        {
            int v = Int(r, "value");
            if (v is < 0 or > 1_000_000) throw new TopomException("interval must be 0..1000000 microseconds");
            await topom.SetActionSettingsAsync(null, v, ct);
            return "OK";
        });
        Put(app, "/api/topom/slots/action/disabled/{xauth}/{value}", async r => { await topom.SetActionSettingsAsync(Int(r, "value") != 0, null, ct); return "OK"; });
        Put(app, "/api/topom/slots/rebalance/{xauth}/{confirm}", async r =>
            (await topom.RebalanceAsync(Int(r, "confirm") != 0, ct)).ToDictionary(kv => kv.Key.ToString(), kv => kv.Value));
    }

    // ---- reads ----

    private object Overview() => new
    {
        version = typeof(DashboardApi).Assembly.GetName().Version?.ToString(),
        config = topom.Settings.All.Where(s => !s.Name.Contains("auth") && !s.Name.Contains("token")).ToDictionary(s => s.Name, s => s.Value),
        model = topom.Model,
        stats = Stats(),
    };

    private object Stats()
    {
        var groups = Groups();
        var proxies = Proxies();
        var infos = health.Servers;
        long Sum(string field) => infos.Values.Sum(h => long.TryParse(h.Info?.GetValueOrDefault(field), out long n) ? n : 0);
        long keys = infos.Values.Sum(h => h.Info?.Where(kv => kv.Key.StartsWith("db")).Sum(kv => Servers.RedisOps.KeyCount(kv.Value)) ?? 0);
        return new
        {
            closed = false,
            product_name = topom.Product,
            coordinator = new { name = topom.Store.Coordinator.Kind, addr = topom.Store.Coordinator.Address },
            slots = topom.SlotsSnapshot(),
            group = groups,
            proxy = proxies,
            slot_action = Actions(),
            summary = new
            {
                groups = topom.GroupsSnapshot().Length,
                servers = topom.GroupsSnapshot().Sum(g => g.Servers.Length),
                proxies = topom.ProxiesSnapshot().Length,
                online_proxies = topom.ProxiesSnapshot().Count(p => p.Online),
                assigned_slots = topom.SlotsSnapshot().Count(s => s.GroupId != 0),
                used_memory = Sum("used_memory"),
                keys,
                qps = health.Proxies.Values.Sum(p => p.Stats?["ops"]?["qps"]?.GetValue<long>() ?? 0),
            },
            failovers = health.Events,
            sentinels = Sentinels(),
        };
    }

    /// <summary>The sentinels: the stored model, INFO of each, and the masters the watcher last read ({gid: addr}).</summary>
    private object Sentinels() => new
    {
        model = topom.SentinelSnapshot(),
        stats = health.Sentinels.ToDictionary(kv => kv.Key, kv => new
        {
            stats = kv.Value.Info,
            error = kv.Value.Error,
            sentinel = kv.Value.Info?.Where(i => i.Key.StartsWith("master", StringComparison.Ordinal) && i.Key.Length > 6 && char.IsAsciiDigit(i.Key[6]))
                .ToDictionary(i => i.Key, i => i.Value),
            unixtime = kv.Value.At.ToUnixTimeSeconds(),
        }),
        masters = topom.SentinelMasters.ToDictionary(kv => kv.Key.ToString(System.Globalization.CultureInfo.InvariantCulture), kv => kv.Value.Addr),
    };

    /// <summary>The Codis-owned masters one sentinel monitors, each with its replicas (SENTINEL REPLICAS).</summary>
    private object Monitored(string addr)
    {
        var timeout = TimeSpan.FromSeconds(5);
        return SentinelQuery.MastersRaw(addr, timeout)
            .Where(m => SentinelNames.GroupOf(topom.Product, m.GetValueOrDefault("name") ?? "") != null)
            .Select(m => new
            {
                master = m,
                slaves = (SentinelQuery.Call(addr, timeout, "SENTINEL", "REPLICAS", m["name"]).Items ?? []).Select(SentinelQuery.Fields).ToList(),
            }).ToList();
    }

    private object Groups() => new
    {
        models = topom.GroupsSnapshot(),
        stats = health.Servers.ToDictionary(kv => kv.Key, kv => new
        {
            stats = kv.Value.Info,
            error = kv.Value.Error,
            unixtime = kv.Value.At.ToUnixTimeSeconds(),
            role = kv.Value.Info?.GetValueOrDefault("role"),
            link = kv.Value.Info?.GetValueOrDefault("master_link_status"),
            used_memory = kv.Value.Info?.GetValueOrDefault("used_memory"),
            keys = kv.Value.Info?.Where(i => i.Key.StartsWith("db")).Sum(i => Servers.RedisOps.KeyCount(i.Value)) ?? 0,
        }),
    };

    private object Proxies() => new
    {
        models = topom.ProxiesSnapshot().Select(p => new { model = p.Model, online = p.Online }),
        stats = health.Proxies.ToDictionary(kv => kv.Key, kv => new { stats = kv.Value.Stats, error = kv.Value.Error, unixtime = kv.Value.At.ToUnixTimeSeconds() }),
    };

    private object Actions() => new
    {
        interval = topom.ActionIntervalMicros,
        disabled = topom.ActionsDisabled,
        method = topom.Settings["migration_method"].Value,
        status = migrator.Status,
        moved_keys = migrator.TotalMoved,
        pacer = Pacer(migrator.Pacer.Status()),
        actions = topom.SlotsSnapshot().Where(s => !s.Action.IsEmpty).OrderBy(s => s.Action.Index)
            .Select(s => new { slot = s.Id, from = s.GroupId, to = s.Action.TargetId, index = s.Action.Index, state = s.Action.State }),
        progress = migrator.Progress.Select(p => new
        {
            slot = p.Slot, from = p.From, to = p.To, state = p.State, db = p.Db, moved = p.Moved, remaining = p.Remaining,
            keys_per_sec = Math.Round(p.KeysPerSecond), error = p.Error,
        }),
    };

    /// <summary>The migration latency guard (docs/DASHBOARD.md): microseconds per client call, the pause after each migration call.</summary>
    private static object Pacer(PacerStatus p) => new
    {
        guard = p.Guard, state = p.State, factor = p.Factor, pause_us = p.PauseMicros, max_pause_us = p.MaxPauseMicros,
        baseline_usecs_percall = p.BaselineMicros, current_usecs_percall = p.CurrentMicros, ratio = p.Ratio, window_calls = p.WindowCalls,
        windows = p.Windows, paced_windows = p.PacedWindows, baselines = p.Baselines, baseline_hold_ms = p.BaselineCostMs,
    };

    // ---- plumbing ----

    private void Get(WebApplication app, string pattern, Func<HttpRequest, object> read) =>
        app.MapGet(pattern, (HttpRequest r) => Guard(r) ?? Ok(read(r)));

    private void Put(WebApplication app, string pattern, Func<HttpRequest, Task<object>> op) =>
        app.MapPut(pattern, async (HttpRequest r) =>
        {
            if (Guard(r) is { } g) return g;
            try { return Ok(await op(r)); }
            catch (TopomException e)
            {
                Log.Warn("api call refused", ("path", r.Path.ToString()), ("cause", e.Message));
                return Fail(e.Message);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Log.Error("api call failed", ("path", r.Path.ToString()), ("error", e.ToString()));
                return Fail($"{e.GetType().Name}: {e.Message}");
            }
        });

    private IResult? Guard(HttpRequest r)
    {
        var x = r.RouteValues["xauth"]?.ToString() ?? "";
        return x.Length == 0 ? Fail("missing xauth, please check product name")
            : x != topom.XAuth ? Fail("invalid xauth, please check product name")
            : null;
    }

    private static string Str(HttpRequest r, string name) => WebUtility.UrlDecode(r.RouteValues[name]?.ToString() ?? "");

    private static int Int(HttpRequest r, string name) =>
        int.TryParse(r.RouteValues[name]?.ToString(), out int v) ? v : throw new TopomException($"'{name}' must be an integer, got '{r.RouteValues[name]}'");

    private static bool CryptographicEquals(string a, string b) =>
        System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(a), Encoding.UTF8.GetBytes(b));

    public static IResult Ok(object? value) => Results.Text(JsonSerializer.Serialize(value, Json), "application/json; charset=utf-8", Encoding.UTF8, 200);

    public static IResult Fail(string cause) =>
        Results.Text(JsonSerializer.Serialize(new { Cause = cause }, Json), "application/json; charset=utf-8", Encoding.UTF8, DashboardRoutes.FailureStatus);
}
