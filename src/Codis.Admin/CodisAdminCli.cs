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
          (none) | config | model | stats | slots | group | proxy | --overview | --slots-status | --list-group | --group-status | --list-proxy | --proxy-status | --failovers | --promotions
          --create-group --gid=N | --remove-group --gid=N | --resync-group (--gid=N | --all)
          --group-weight --gid=N --weight=W   (rebalance shares slots by weight; 0 drains the group)
          --group-add --gid=N --addr=HOST:PORT [--role=master|slave] [--datacenter=DC] | --group-del --gid=N --addr=HOST:PORT
          --promote-server --gid=N --addr=HOST:PORT [--force]   (--force: switch even if the replica has not caught up; its missing writes are lost)
          --replica-groups --gid=N --addr=HOST:PORT (--enable | --disable) | --replica-groups-all (--enable | --disable)
                                                    (servers that serve the proxies' reads; in effect at once)
          --sync-action (--create | --remove) --addr=HOST:PORT   (make a server follow its group's master again)
          --log-level=debug|info|warn|error
          --create-proxy --addr=ADMIN | --register-proxy --addr=ADMIN | --online-proxy --addr=ADMIN
          --remove-proxy (--addr=ADMIN | --token=T | --id=PROXY_ID | --pid=N) [--force] | --reinit-proxy (--addr | --token | --pid | --all)
          --slots-init [--force] | --slots-range --beg=N --end=N (--gid=N | --offline)
          --slots-assign --beg=N --end=N (--gid=N | --offline) [--confirm]     (force, the escape hatch)
          --slot-action                                                          (alone: the actions in progress)
          --slot-action --create --sid=N --gid=N | --create-range --beg=N --end=N --gid=N
                        --create-some --gid-from=N --gid-to=N --num-slots=N | --remove --sid=N | --remove-pending
                        --interval=MICROS | --disabled=0|1
          --rebalance [--confirm] | --reload | --shutdown
          --sentinel-add --addr=HOST:PORT | --sentinel-del --addr=HOST:PORT [--force] | --sentinel-resync   (Redis Sentinel HA)
          --sentinel-info --addr=HOST:PORT [--monitored]
        proxy:      codis-admin --proxy=ADDR [--product=NAME] [--auth=AUTH] [model|stats|slots] | --start | --shutdown | --reset-stats | --forcegc | --log-level=LEVEL | --fillslots=FILE [--locked]
        coordinator (no dashboard needed; COORD = --zookeeper=ADDR | --etcd=ADDR | --filesystem=ROOT, [--zookeeper-auth=U:P | --etcd-auth=U:P]):
                    codis-admin --remove-lock --product=NAME COORD
                    codis-admin --config-dump --product=NAME COORD [-1]        (the topology as JSON; -1: a Codis 1/2 product's tree)
                    codis-admin --config-convert=FILE                           (a Codis 2 dump (-1) into the Codis 3 shape, on stdout)
                    codis-admin --config-restore=FILE --product=NAME COORD [--confirm]   (write a dump's slots and groups; no dashboard running)
                    codis-admin --dashboard-list COORD                          (products and their dashboards, codis-fe's list format)
        Short forms as the original's: -a = --auth, -x = --addr, -t = --token, -g = --gid.
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
        for (int i = 0; i < args.Length; i++)
        {
            var a = args[i];
            // the original's short forms: -a AUTH, -x ADDR, -t TOKEN, -g GID
            if (a is "-a" or "-x" or "-t" or "-g" && i + 1 < args.Length)
            {
                f[a switch { "-a" => "auth", "-x" => "addr", "-t" => "token", _ => "gid" }] = args[++i];
                continue;
            }
            if (a.StartsWith("--", StringComparison.Ordinal)) { var p = a[2..].Split('=', 2); f[p[0]] = p.Length > 1 ? p[1] : ""; }
            else if (a == "-v") { }
            else words.Add(a);
        }
        bool Has(string k) => f.ContainsKey(k);
        bool EnableOrDisable() => Has("enable") != Has("disable") ? Has("enable") : throw new AdminException("say --enable or --disable");
        string Str(string k) => f.TryGetValue(k, out var v) && v.Length > 0 ? v : throw new AdminException($"--{k}=... is required here");
        int Int(string k) => int.TryParse(Str(k), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int v) ? v : throw new AdminException($"--{k} must be an integer, got '{f[k]}'");

        CoordinatorOptions Coordinator(string op)
        {
            var (name, addr) = Has("zookeeper") ? ("zookeeper", Str("zookeeper")) : Has("etcd") ? ("etcd", Str("etcd")) : Has("filesystem") ? ("filesystem", Str("filesystem"))
                : throw new AdminException($"--{op} needs the coordinator: --zookeeper=ADDR, --etcd=ADDR or --filesystem=ROOT");
            return new CoordinatorOptions { Name = name, Address = addr, Auth = f.GetValueOrDefault("zookeeper-auth") ?? f.GetValueOrDefault("etcd-auth") ?? "" };
        }
        if (Has("remove-lock"))
        {
            e.WriteLine(await LockRemover.RemoveAsync(Coordinator("remove-lock"), Str("product"), CoordinatorAccess.OpenAsync).ConfigureAwait(false));
            return 0;
        }
        if (Has("config-convert"))
        {
            var notes = new List<string>();
            o.WriteLine(TopologyBackup.Format(TopologyBackup.ConvertV2(ReadJsonFile(Str("config-convert")), notes)));
            foreach (var n in notes) e.WriteLine("codis-admin: note: " + n);
            return 0;
        }
        if (Has("config-dump") || Has("config-restore") || Has("dashboard-list"))
        {
            string op = Has("config-dump") ? "config-dump" : Has("config-restore") ? "config-restore" : "dashboard-list";
            var options = Coordinator(op);
            string product = op == "dashboard-list" ? "" : Str("product");
            if (product.Length > 0)
            {
                try { CoordinatorPaths.ValidProduct(product); }
                catch (ArgumentException ex) { throw new AdminException(ex.Message); }
            }
            var dump = op == "config-restore" ? ReadJsonFile(Str("config-restore")) : null;
            ICoordinator c;
            try { c = await CoordinatorAccess.OpenAsync(options, CancellationToken.None).ConfigureAwait(false); }
            catch (Exception ex) when (ex is CoordinatorException or NotSupportedException or ArgumentException or IOException)
            {
                throw new AdminException($"can't open the {options.Name} coordinator at {options.Address}: {ex.Message}");
            }
            await using (c.ConfigureAwait(false))
            {
                try
                {
                    if (op == "dashboard-list") o.WriteLine(TopologyBackup.Format(await TopologyBackup.DashboardListAsync(c).ConfigureAwait(false)));
                    else if (op == "config-dump")
                        o.WriteLine(TopologyBackup.Format(words.Contains("-1") ? await TopologyBackup.DumpV2Async(c, product).ConfigureAwait(false)
                            : await TopologyBackup.DumpAsync(c, product).ConfigureAwait(false)));
                    else e.WriteLine("codis-admin: " + await TopologyBackup.RestoreAsync(c, product, dump!, Has("confirm")).ConfigureAwait(false));
                }
                catch (CoordinatorException ex) { throw new AdminException($"coordinator {c.Kind} {c.Address}: {ex.Message}"); }
            }
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
        else if (Has("replica-groups")) r = await d.PutAsync(x => DashboardRoutes.GroupReplicaGroups(x, Int("gid"), Str("addr"), EnableOrDisable())).ConfigureAwait(false);
        else if (Has("replica-groups-all")) r = await d.PutAsync(x => DashboardRoutes.GroupReplicaGroupsAll(x, EnableOrDisable())).ConfigureAwait(false);
        else if (Has("sync-action"))
        {
            if (Has("create")) r = await d.PutAsync(x => DashboardRoutes.SyncActionCreate(x, Str("addr"))).ConfigureAwait(false);
            else if (Has("remove")) r = await d.PutAsync(x => DashboardRoutes.SyncActionRemove(x, Str("addr"))).ConfigureAwait(false);
            else throw new AdminException("--sync-action needs --create or --remove, and --addr=HOST:PORT");
        }
        else if (Has("log-level")) r = await d.PutAsync(x => DashboardRoutes.LogLevel(x, Str("log-level"))).ConfigureAwait(false);
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
            string key = Has("token") ? Str("token") : Has("id") ? Str("id") : Has("pid") ? Str("pid") : Str("addr");
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
            else r = await d.PutAsync(x => DashboardRoutes.ProxyReinit(x, Has("token") ? Str("token") : Has("pid") ? Str("pid") : Str("addr"))).ConfigureAwait(false);
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
        else
        {
            // the original's views: codis-admin --dashboard=ADDR [config|model|stats|slots|group|proxy]
            string? view = words.FirstOrDefault();
            r = view switch
            {
                null => await d.SendAsync(HttpMethod.Get, DashboardRoutes.Overview).ConfigureAwait(false),
                "config" => (await d.SendAsync(HttpMethod.Get, DashboardRoutes.Overview).ConfigureAwait(false))?["config"],
                "model" => await d.SendAsync(HttpMethod.Get, DashboardRoutes.Model).ConfigureAwait(false),
                "stats" => (await d.SendAsync(HttpMethod.Get, DashboardRoutes.Overview).ConfigureAwait(false))?["stats"],
                "slots" => await d.GetAsync(DashboardRoutes.Slots).ConfigureAwait(false),
                "group" => await d.GetAsync(DashboardRoutes.Groups).ConfigureAwait(false),
                "proxy" => await d.GetAsync(DashboardRoutes.Proxies).ConfigureAwait(false),
                _ => throw new AdminException($"unknown dashboard view '{view}': use config, model, stats, slots, group or proxy"),
            };
        }
        o.WriteLine(r?.ToJsonString(PrintJson) ?? "null");
        return 0;
    }

    private static JsonNode ReadJsonFile(string file)
    {
        if (!File.Exists(file)) throw new AdminException($"file '{file}' not found");
        try { return JsonNode.Parse(File.ReadAllText(file)) ?? throw new AdminException($"{file}: empty JSON"); }
        catch (JsonException ex) { throw new AdminException($"{file} is not JSON: {ex.Message}"); }
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
        else if (f.ContainsKey("forcegc")) result = await Send(HttpMethod.Put, $"/api/proxy/forcegc/{x}").ConfigureAwait(false);
        else if (f.TryGetValue("log-level", out var level))
        {
            if (level.Length == 0) throw new AdminException("--log-level=LEVEL: say debug, info, warn or error");
            result = await Send(HttpMethod.Put, $"/api/proxy/loglevel/{x}/{Uri.EscapeDataString(level)}").ConfigureAwait(false);
        }
        else if (f.TryGetValue("fillslots", out var file))
        {
            if (!File.Exists(file)) throw new AdminException($"--fillslots: file '{file}' not found");
            string body = await File.ReadAllTextAsync(file).ConfigureAwait(false);
            if (f.ContainsKey("locked"))
            {
                // --locked: every slot of the file is filled locked (requests to it wait until a fill unlocks it)
                JsonArray slots;
                try { slots = JsonNode.Parse(body) as JsonArray ?? throw new AdminException($"--fillslots: {file} is not a JSON array of slots"); }
                catch (JsonException ex) { throw new AdminException($"--fillslots: {file} is not JSON: {ex.Message}"); }
                foreach (var slot in slots) if (slot is JsonObject o2) o2["locked"] = true;
                body = slots.ToJsonString();
            }
            result = await Send(HttpMethod.Put, $"/api/proxy/fillslots/{x}", body).ConfigureAwait(false);
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
