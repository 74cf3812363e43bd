using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Codis.Coordinator;
using Codis.Core.Models;

namespace Codis.Admin;

/// <summary>
/// codis-admin, the original's flag-style admin tool (reference/codis.md §1.3): dashboard operations with
/// --dashboard=ADDR, proxy operations with --proxy=ADDR, and --remove-lock straight on the coordinator.
/// </summary>
public static class CodisAdminCli
{
    private const string Usage = """
        codis-admin — admin tool for codis-dashboard and codis-proxy

        dashboard:  codis-admin --dashboard=ADDR [--admin-token=T] <operation>
          (none) | --overview | --slots-status | --list-group | --group-status | --list-proxy | --proxy-status | --failovers | --promotions
          --create-group --gid=N | --remove-group --gid=N | --resync-group (--gid=N | --all)
          --group-weight --gid=N --weight=W   (rebalance shares slots by weight; 0 drains the group)
          --group-add --gid=N --addr=HOST:PORT [--role=master|slave] [--datacenter=DC] | --group-del --gid=N --addr=HOST:PORT
          --promote-server --gid=N --addr=HOST:PORT [--force]   (--force: switch even if the replica has not caught up; its missing writes are lost)
          --create-proxy --addr=ADMIN | --register-proxy --addr=ADMIN | --online-proxy --addr=ADMIN
          --remove-proxy (--addr=ADMIN | --token=T | --id=PROXY_ID) [--force] | --reinit-proxy (--addr | --token | --all)
          --slots-init [--force] | --slots-range --beg=N --end=N (--gid=N | --offline)
          --slots-assign --beg=N --end=N (--gid=N | --offline) [--confirm]     (force, the escape hatch)
          --slot-action                                                          (alone: the actions in progress)
          --slot-action --create --sid=N --gid=N | --create-range --beg=N --end=N --gid=N
                        --create-some --gid-from=N --gid-to=N --num-slots=N | --remove --sid=N | --remove-pending
                        --interval=MICROS | --disabled=0|1
          --rebalance [--confirm] | --reload | --shutdown
          --sentinel-add --addr=HOST:PORT | --sentinel-del --addr=HOST:PORT [--force] | --sentinel-resync   (Redis Sentinel HA)
          --sentinel-info --addr=HOST:PORT [--monitored]
        proxy:      codis-admin --proxy=ADDR [--product=NAME] [--auth=AUTH] [model|stats|slots] | --start | --shutdown | --reset-stats | --fillslots=FILE
        lock:       codis-admin --remove-lock --product=NAME (--zookeeper=ADDR | --etcd=ADDR | --filesystem=ROOT)
        The admin token may also come from CODIS_ADMIN_TOKEN.
        """;

    public static async Task<int> RunAsync(string[] args, TextWriter? stdout = null, TextWriter? stderr = null)
    {
        var o = stdout ?? Console.Out;
        var e = stderr ?? Console.Error;
        try { return await RunCoreAsync(args, o, e).ConfigureAwait(false); }
        catch (AdminException ex)
        {
            e.WriteLine("codis-admin: " + ex.Message);
            return 1;
        }
    }

    private static async Task<int> RunCoreAsync(string[] args, TextWriter o, TextWriter e)
    {
        if (args.Length == 0 || args.Any(a => a is "-h" or "--help")) { o.WriteLine(Usage); return args.Length == 0 ? 1 : 0; }
        var f = new Dictionary<string, string>(StringComparer.Ordinal);
        var words = new List<string>();
        foreach (var a in args)
        {
            if (a.StartsWith("--", StringComparison.Ordinal)) { var p = a[2..].Split('=', 2); f[p[0]] = p.Length > 1 ? p[1] : ""; }
            else if (a == "-v") { }
            else words.Add(a);
        }
        bool Has(string k) => f.ContainsKey(k);
        string Str(string k) => f.TryGetValue(k, out var v) && v.Length > 0 ? v : throw new AdminException($"--{k}=... is required here");
        int Int(string k) => int.TryParse(Str(k), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int v) ? v : throw new AdminException($"--{k} must be an integer, got '{f[k]}'");

        if (Has("remove-lock"))
        {
            var (name, addr) = Has("zookeeper") ? ("zookeeper", Str("zookeeper")) : Has("etcd") ? ("etcd", Str("etcd")) : Has("filesystem") ? ("filesystem", Str("filesystem"))
                : throw new AdminException("--remove-lock needs the coordinator: --zookeeper=ADDR, --etcd=ADDR or --filesystem=ROOT");
            e.WriteLine(await LockRemover.RemoveAsync(new CoordinatorOptions { Name = name, Address = addr }, Str("product"), CoordinatorAccess.OpenAsync).ConfigureAwait(false));
            return 0;
        }
        if (Has("proxy")) return await ProxyAsync(Str("proxy"), f, words, o).ConfigureAwait(false);
        if (!Has("dashboard")) throw new AdminException("say which dashboard (--dashboard=ADDR), proxy (--proxy=ADDR) or --remove-lock; see --help");

        string token = f.GetValueOrDefault("admin-token") ?? Environment.GetEnvironmentVariable("CODIS_ADMIN_TOKEN") ?? "";
        using var d = new DashboardClient(Str("dashboard"), token);
        JsonNode? r;
        if (Has("slots-status")) r = await d.GetAsync(DashboardRoutes.Slots).ConfigureAwait(false);
        else if (Has("list-group") || Has("group-status")) r = await d.GetAsync(DashboardRoutes.Groups).ConfigureAwait(false);
        else if (Has("list-proxy") || Has("proxy-status")) r = await d.GetAsync(DashboardRoutes.Proxies).ConfigureAwait(false);
        else if (Has("failovers")) r = await d.GetAsync(DashboardRoutes.Failovers).ConfigureAwait(false);
        else if (Has("promotions")) r = await d.GetAsync(DashboardRoutes.Promotions).ConfigureAwait(false);
        else if (Has("create-group")) r = await d.PutAsync(x => DashboardRoutes.GroupCreate(x, Int("gid"))).ConfigureAwait(false);
        else if (Has("group-weight")) r = await d.PutAsync(x => DashboardRoutes.GroupWeight(x, Int("gid"), Int("weight"))).ConfigureAwait(false);
        else if (Has("remove-group")) r = await d.PutAsync(x => DashboardRoutes.GroupRemove(x, Int("gid"))).ConfigureAwait(false);
        else if (Has("resync-group")) r = Has("all") ? await d.PutAsync(DashboardRoutes.GroupResyncAll).ConfigureAwait(false)
            : await d.PutAsync(x => DashboardRoutes.GroupResync(x, Int("gid"))).ConfigureAwait(false);
        else if (Has("group-add")) r = await d.PutAsync(x => DashboardRoutes.GroupAdd(x, Int("gid"), Str("addr"), f.GetValueOrDefault("role") ?? "")).ConfigureAwait(false);
        else if (Has("group-del")) r = await d.PutAsync(x => DashboardRoutes.GroupDel(x, Int("gid"), Str("addr"))).ConfigureAwait(false);
        else if (Has("promote-server")) r = await d.PutAsync(x => DashboardRoutes.GroupPromote(x, Int("gid"), Str("addr"), Has("force"))).ConfigureAwait(false);
        else if (Has("sentinel-add")) r = await d.PutAsync(x => DashboardRoutes.SentinelAdd(x, Str("addr"))).ConfigureAwait(false);
        else if (Has("sentinel-del")) r = await d.PutAsync(x => DashboardRoutes.SentinelDel(x, Str("addr"), Has("force"))).ConfigureAwait(false);
        else if (Has("sentinel-resync")) r = await d.PutAsync(DashboardRoutes.SentinelResyncAll).ConfigureAwait(false);
        else if (Has("sentinel-info"))
            r = await d.SendAsync(HttpMethod.Get, Has("monitored") ? DashboardRoutes.SentinelMonitored(Str("addr")) : DashboardRoutes.SentinelInfo(Str("addr"))).ConfigureAwait(false);
        else if (Has("create-proxy")) r = await d.PutAsync(x => DashboardRoutes.ProxyCreate(x, Str("addr"))).ConfigureAwait(false);
        else if (Has("register-proxy")) r = await d.PutAsync(x => DashboardRoutes.ProxyRegister(x, Str("addr"))).ConfigureAwait(false);
        else if (Has("online-proxy")) r = await d.PutAsync(x => DashboardRoutes.ProxyOnline(x, Str("addr"))).ConfigureAwait(false);
        else if (Has("remove-proxy"))
        {
            string key = Has("token") ? Str("token") : Has("id") ? Str("id") : Str("addr");
            r = await d.PutAsync(x => DashboardRoutes.ProxyRemove(x, key, Has("force"))).ConfigureAwait(false);
        }
        else if (Has("reinit-proxy"))
        {
            if (Has("all"))
            {
                var list = new JsonArray();
                foreach (var p in (await d.GetAsync(DashboardRoutes.Proxies).ConfigureAwait(false))?["models"] as JsonArray ?? [])
                {
                    string t = p!["model"]!["token"]!.GetValue<string>();
                    list.Add(await d.PutAsync(x => DashboardRoutes.ProxyReinit(x, t)).ConfigureAwait(false));
                }
                r = list;
            }
            else r = await d.PutAsync(x => DashboardRoutes.ProxyReinit(x, Has("token") ? Str("token") : Str("addr"))).ConfigureAwait(false);
        }
        else if (Has("slots-init")) r = await d.PutAsync(x => DashboardRoutes.SlotsInit(x, Has("force"))).ConfigureAwait(false);
        else if (Has("slots-range")) r = await d.PutAsync(x => DashboardRoutes.SlotsAssignRange(x, Int("beg"), Int("end"), Has("offline") ? 0 : Int("gid"))).ConfigureAwait(false);
        else if (Has("slots-assign"))
        {
            int beg = Int("beg"), end = Int("end"), gid = Has("offline") ? 0 : Int("gid");
            var ms = Enumerable.Range(beg, Math.Max(0, end - beg + 1)).Select(i => new SlotMapping { Id = i, GroupId = gid }).ToArray();
            if (!Has("confirm"))
            {
                o.WriteLine(JsonSerializer.Serialize(ms, ModelJson.Options));
                e.WriteLine("codis-admin: this only shows the mappings; add --confirm to overwrite them (keys of a slot moved this way are not migrated)");
                return 0;
            }
            r = await d.PutAsync(DashboardRoutes.SlotsAssign, ms).ConfigureAwait(false);
        }
        else if (Has("slot-action"))
        {
            if (Has("create")) r = await d.PutAsync(x => DashboardRoutes.ActionCreate(x, Int("sid"), Int("gid"))).ConfigureAwait(false);
            else if (Has("create-range")) r = await d.PutAsync(x => DashboardRoutes.ActionCreateRange(x, Int("beg"), Int("end"), Int("gid"))).ConfigureAwait(false);
            else if (Has("create-some")) r = await d.PutAsync(x => DashboardRoutes.ActionCreateSome(x, Int("gid-from"), Int("gid-to"), Int("num-slots"))).ConfigureAwait(false);
            else if (Has("remove")) r = await d.PutAsync(x => DashboardRoutes.ActionRemove(x, Int("sid"))).ConfigureAwait(false);
            else if (Has("remove-pending")) r = await d.PutAsync(x => "/api/topom/slots/action/remove-pending/" + x).ConfigureAwait(false);
            else if (Has("interval")) r = await d.PutAsync(x => DashboardRoutes.ActionInterval(x, Int("interval"))).ConfigureAwait(false);
            else if (Has("disabled")) r = await d.PutAsync(x => DashboardRoutes.ActionDisabled(x, Int("disabled") != 0)).ConfigureAwait(false);
            else r = await d.GetAsync(DashboardRoutes.Actions).ConfigureAwait(false);
        }
        else if (Has("rebalance")) r = await d.PutAsync(x => DashboardRoutes.Rebalance(x, Has("confirm"))).ConfigureAwait(false);
        else if (Has("reload")) r = await d.PutAsync(DashboardRoutes.Reload).ConfigureAwait(false);
        else if (Has("shutdown")) r = await d.PutAsync(DashboardRoutes.Shutdown).ConfigureAwait(false);
        else r = await d.SendAsync(HttpMethod.Get, DashboardRoutes.Overview).ConfigureAwait(false);
        o.WriteLine(r?.ToJsonString(PrintJson) ?? "null");
        return 0;
    }

    private static readonly JsonSerializerOptions PrintJson = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Proxy operations over its admin API; the xauth comes from the proxy's product (its model) and --auth.</summary>
    private static async Task<int> ProxyAsync(string addr, Dictionary<string, string> f, List<string> words, TextWriter o)
    {
        using var http = new HttpClient { BaseAddress = new Uri("http://" + addr), Timeout = TimeSpan.FromSeconds(30) };
        async Task<string> Send(HttpMethod m, string path, string? body = null)
        {
            using var req = new HttpRequestMessage(m, path);
            if (body != null) req.Content = new StringContent(body, Encoding.UTF8, new MediaTypeHeaderValue("application/json"));
            try
            {
                using var resp = await http.SendAsync(req).ConfigureAwait(false);
                string text = await resp.Content.ReadAsStringAsync().ConfigureAwait(false);
                if ((int)resp.StatusCode == 200) return text;
                try { if (JsonNode.Parse(text) is JsonObject ob && ob["Cause"] is JsonValue c) text = c.ToString(); } catch (JsonException) { }
                throw new AdminException($"proxy {addr}: {text}");
            }
            catch (HttpRequestException ex) { throw new AdminException($"can't reach the proxy admin API at {addr}: {ex.Message}"); }
        }
        var model = JsonNode.Parse(await Send(HttpMethod.Get, "/api/proxy/model").ConfigureAwait(false));
        string product = f.GetValueOrDefault("product") is { Length: > 0 } p ? p : model?["product_name"]?.GetValue<string>() ?? "";
        string x = XAuth.Proxy(product, f.GetValueOrDefault("auth") ?? "", model?["token"]?.GetValue<string>() ?? "");
        string result;
        if (f.ContainsKey("start")) result = await Send(HttpMethod.Put, $"/api/proxy/start/{x}").ConfigureAwait(false);
        else if (f.ContainsKey("shutdown")) result = await Send(HttpMethod.Put, $"/api/proxy/shutdown/{x}").ConfigureAwait(false);
        else if (f.ContainsKey("reset-stats")) result = await Send(HttpMethod.Put, $"/api/proxy/stats/reset/{x}").ConfigureAwait(false);
        else if (f.TryGetValue("fillslots", out var file))
        {
            if (!File.Exists(file)) throw new AdminException($"--fillslots: file '{file}' not found");
            result = await Send(HttpMethod.Put, $"/api/proxy/fillslots/{x}", await File.ReadAllTextAsync(file).ConfigureAwait(false)).ConfigureAwait(false);
        }
        else result = await Send(HttpMethod.Get, words.FirstOrDefault() switch
        {
            "model" => "/api/proxy/model",
            "stats" => $"/api/proxy/stats/{x}",
            "slots" => $"/api/proxy/slots/{x}",
            null or "config" => "/proxy",
            var w => throw new AdminException($"unknown proxy view '{w}': use model, stats or slots"),
        }).ConfigureAwait(false);
        o.WriteLine(result);
        return 0;
    }
}
