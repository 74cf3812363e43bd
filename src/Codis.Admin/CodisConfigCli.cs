using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Codis.Core.Models;

namespace Codis.Admin;

/// <summary>
/// codis-config, the seed's tool: `codis-config [-c config.ini] [-L log] [--log-level=L] &lt;command&gt; [&lt;args&gt;]`.
/// Every verb but `dashboard` and `action remove-lock` is a call to the dashboard at dashboard_addr; mutations
/// answer {"msg": "OK", "ret": 0} as the seed shows, failures print the cause on stderr and exit 1.
/// </summary>
public static class CodisConfigCli
{
    private const string Usage = """
        codis-config — the Codis 2 style admin tool (reads config.ini from the current folder, or -c FILE)

        usage: codis-config [-c config.ini] [-L log] [--log-level=LEVEL] <command> [<args>...]
               (-L and --log-level are accepted for the seed's command lines and ignored: output goes to stdout/stderr)

          dashboard [--addr=HOST:PORT] [--standby] [--remove-lock]
                                                      start the dashboard (codis-dashboard with this config)
          slot init [-f]                              record all 1024 slots offline (-f: reset them all)
          slot info <slot>                            one slot's mapping (group and action)
          slot set <slot> <gid> online|offline        assign one offline slot
          slot range-set <from> <to> <gid> online|offline
          slot migrate <from> <to> <gid> [--delay=MS] [--no-wait]
          slot rebalance [--delay=MS] [--dry-run] [--no-wait]
          slot status                                 actions in progress
          server list
          server add <gid> <host:port> master|slave
          server remove <gid> <host:port>
          server promote <gid> <host:port> [--force]  (--force: even if the replica has not caught up; what it lacks is lost)
          server add-group <gid> | remove-group <gid> | resync <gid>
          proxy list | proxy online <proxy_id> | proxy offline <proxy_id>
          action remove-lock                          remove the dashboard lock from the coordinator (says whose it was)
          action remove-fence | action gc [-n N | -s S]   Codis 2's clean-ups: say why there is nothing to clean here
        """;

    public static async Task<int> RunAsync(string[] args, TextWriter? stdout = null, TextWriter? stderr = null)
    {
        var o = stdout ?? Console.Out;
        var e = stderr ?? Console.Error;
        try { return await RunCoreAsync(args, o, e).ConfigureAwait(false); }
        catch (AdminException ex)
        {
            e.WriteLine("codis-config: " + ex.Message);
            return 1;
        }
    }

    private static async Task<int> RunCoreAsync(string[] args, TextWriter o, TextWriter e)
    {
        string config = "config.ini";
        var rest = new List<string>();
        for (int i = 0; i < args.Length; i++)
        {
            string a = args[i];
            if (a is "-h" or "--help") { o.WriteLine(Usage); return 0; }
            if (rest.Count == 0 && a is "-c" or "--config") { config = i + 1 < args.Length ? args[++i] : throw new AdminException("-c needs a file"); continue; }
            if (rest.Count == 0 && a.StartsWith("--config=", StringComparison.Ordinal)) { config = a[9..]; continue; }
            if (rest.Count == 0 && a is "-L") { i++; continue; }
            if (rest.Count == 0 && (a.StartsWith("--log-level", StringComparison.Ordinal) || a.StartsWith("-L", StringComparison.Ordinal))) continue;
            rest.Add(a);
        }
        if (rest.Count == 0) { e.WriteLine(Usage); return 1; }
        var cfg = SeedConfig.Load(config);
        string verb = rest[0], sub = rest.Count > 1 ? rest[1] : "";
        var pos = rest.Skip(1).Where(a => !a.StartsWith("--", StringComparison.Ordinal) && a != "-f").ToList();
        var flags = rest.Where(a => a.StartsWith("--", StringComparison.Ordinal)).Select(a => a.Split('=', 2)).ToDictionary(p => p[0], p => p.Length > 1 ? p[1] : "");

        if (verb == "dashboard") return RunDashboard(cfg, flags, e);
        if (verb == "action" && sub == "remove-lock")
        {
            e.WriteLine(await LockRemover.RemoveAsync(cfg.CoordinatorOptions, cfg.Product, CoordinatorAccess.OpenAsync).ConfigureAwait(false));
            return Ok(o);
        }

        // Codis 2's clean-ups of its ZooKeeper tree: Codis.NET leaves nothing of the kind behind, so there is nothing to do
        if (verb == "action" && sub is "remove-fence" or "gc")
        {
            e.WriteLine(sub == "remove-fence"
                ? "codis-config: nothing to remove: Codis.NET keeps no proxy fences (a proxy's registration is an ephemeral node that goes when the proxy does; remove a dead proxy with `codis-config proxy offline <proxy_id>`)"
                : "codis-config: nothing to prune: Codis.NET keeps no action log in the coordinator (each topology change is pushed to every online proxy and confirmed, not queued under actions/)");
            return 0;
        }

        using var d = new DashboardClient(cfg.DashboardAddr, cfg.DashboardToken);
        switch (verb, sub)
        {
            case ("slot", "init"):
                await d.PutAsync(x => DashboardRoutes.SlotsInit(x, rest.Contains("-f"))).ConfigureAwait(false);
                return Ok(o);
            case ("slot", "info"):
            {
                int sid = Int(pos, 1, "slot");
                var mappings = await d.GetAsync(DashboardRoutes.Slots).ConfigureAwait(false) as JsonArray;
                var node = mappings?.FirstOrDefault(m => m?["id"]?.GetValue<int>() == sid) ?? throw new AdminException($"no slot {sid}");
                return Print(o, node);
            }
            case ("slot", "set"):
                Need(pos, 4, "slot set <slot> <gid> online|offline");
                await RangeSet(d, Int(pos, 1, "slot"), Int(pos, 1, "slot"), Int(pos, 2, "group id"), pos[3]).ConfigureAwait(false);
                return Ok(o);
            case ("slot", "range-set"):
                Need(pos, 5, "slot range-set <from> <to> <gid> online|offline");
                await RangeSet(d, Int(pos, 1, "from"), Int(pos, 2, "to"), Int(pos, 3, "group id"), pos[4]).ConfigureAwait(false);
                return Ok(o);
            case ("slot", "migrate"):
            {
                Need(pos, 4, "slot migrate <from> <to> <gid>");
                int beg = Int(pos, 1, "from"), end = Int(pos, 2, "to"), gid = Int(pos, 3, "group id");
                await Delay(d, flags).ConfigureAwait(false);
                await d.PutAsync(x => DashboardRoutes.ActionCreateRange(x, beg, end, gid)).ConfigureAwait(false);
                if (!flags.ContainsKey("--no-wait"))
                    await MigrationProgress.WaitAsync(d, Enumerable.Range(beg, end - beg + 1).ToList(), e, !Console.IsErrorRedirected && e == Console.Error).ConfigureAwait(false);
                return Ok(o);
            }
            case ("slot", "rebalance"):
            {
                var plan = await d.PutAsync(x => DashboardRoutes.Rebalance(x, false)).ConfigureAwait(false) as JsonObject ?? [];
                if (flags.ContainsKey("--dry-run")) return Print(o, plan);
                e.WriteLine(DescribePlan(plan));
                if (plan.Count == 0) return Ok(o);
                await Delay(d, flags).ConfigureAwait(false);
                var done = await d.PutAsync(x => DashboardRoutes.Rebalance(x, true)).ConfigureAwait(false) as JsonObject ?? [];
                if (!flags.ContainsKey("--no-wait"))
                    await MigrationProgress.WaitAsync(d, done.Select(kv => int.Parse(kv.Key, CultureInfo.InvariantCulture)).ToList(), e, !Console.IsErrorRedirected && e == Console.Error).ConfigureAwait(false);
                return Ok(o);
            }
            case ("slot", "status"):
                return Print(o, await d.GetAsync(DashboardRoutes.Actions).ConfigureAwait(false));
            case ("server", "list"):
                return Print(o, ServerGroups(await d.GetAsync(DashboardRoutes.Groups).ConfigureAwait(false), cfg.Product));
            case ("server", "add"):
            {
                Need(pos, 4, "server add <gid> <host:port> master|slave");
                int gid = Int(pos, 1, "group id");
                string role = pos[3].ToLowerInvariant();
                if (role is not ("master" or "slave" or "replica")) throw new AdminException($"role must be master or slave, got '{pos[3]}'");
                await d.PutAsync(x => DashboardRoutes.GroupAdd(x, gid, pos[2], role)).ConfigureAwait(false);
                return Ok(o);
            }
            case ("server", "remove"):
                Need(pos, 3, "server remove <gid> <host:port>");
                await d.PutAsync(x => DashboardRoutes.GroupDel(x, Int(pos, 1, "group id"), pos[2])).ConfigureAwait(false);
                return Ok(o);
            case ("server", "promote"):
                Need(pos, 3, "server promote <gid> <host:port> [--force]");
                await d.PutAsync(x => DashboardRoutes.GroupPromote(x, Int(pos, 1, "group id"), pos[2], flags.ContainsKey("--force"))).ConfigureAwait(false);
                return Ok(o);
            case ("server", "add-group"):
                await d.PutAsync(x => DashboardRoutes.GroupCreate(x, Int(pos, 1, "group id"))).ConfigureAwait(false);
                return Ok(o);
            case ("server", "remove-group"):
                await d.PutAsync(x => DashboardRoutes.GroupRemove(x, Int(pos, 1, "group id"))).ConfigureAwait(false);
                return Ok(o);
            case ("server", "resync"):
                await d.PutAsync(x => DashboardRoutes.GroupResync(x, Int(pos, 1, "group id"))).ConfigureAwait(false);
                return Ok(o);
            case ("proxy", "list"):
                return Print(o, (await d.GetAsync(DashboardRoutes.Proxies).ConfigureAwait(false))?["models"]);
            case ("proxy", "online"):
            {
                string id = pos.Count > 1 ? pos[1] : cfg.ProxyId.Length > 0 ? cfg.ProxyId : throw new AdminException("usage: proxy online <proxy_id>");
                await d.PutAsync(x => DashboardRoutes.ProxyOnlineById(x, id)).ConfigureAwait(false);
                return Ok(o);
            }
            case ("proxy", "offline"):
            {
                string id = pos.Count > 1 ? pos[1] : cfg.ProxyId.Length > 0 ? cfg.ProxyId : throw new AdminException("usage: proxy offline <proxy_id>");
                await d.PutAsync(x => DashboardRoutes.ProxyOfflineById(x, id)).ConfigureAwait(false);
                return Ok(o);
            }
            default:
                throw new AdminException($"unknown command '{string.Join(' ', rest.Take(2))}'; run codis-config --help");
        }
    }

    private static async Task RangeSet(DashboardClient d, int beg, int end, int gid, string status)
    {
        int target = status.ToLowerInvariant() switch
        {
            "online" => gid,
            "offline" => 0,
            _ => throw new AdminException($"status must be online or offline, got '{status}'"),
        };
        await d.PutAsync(x => DashboardRoutes.SlotsAssignRange(x, beg, end, target)).ConfigureAwait(false);
    }

    private static async Task Delay(DashboardClient d, Dictionary<string, string> flags)
    {
        if (!flags.TryGetValue("--delay", out var v)) return;
        if (!int.TryParse(v, out int ms) || ms < 0 || ms > 1000) throw new AdminException($"--delay must be 0..1000 ms, got '{v}'");
        await d.PutAsync(x => DashboardRoutes.ActionInterval(x, ms * 1000)).ConfigureAwait(false);
    }

    /// <summary>The 2.x ServerGroup list: [{id, product_name, servers: [{addr, group_id, type}]}].</summary>
    internal static JsonArray ServerGroups(JsonNode? groups, string product)
    {
        var list = new JsonArray();
        foreach (var g in groups?["models"] as JsonArray ?? [])
        {
            int id = g!["id"]!.GetValue<int>();
            var servers = new JsonArray();
            int i = 0;
            foreach (var s in g["servers"] as JsonArray ?? [])
                servers.Add(new JsonObject { ["addr"] = s!["server"]!.GetValue<string>(), ["group_id"] = id, ["type"] = i++ == 0 ? "master" : "slave" });
            list.Add(new JsonObject { ["id"] = id, ["product_name"] = product, ["servers"] = servers });
        }
        return list;
    }

    internal static string DescribePlan(JsonObject plan)
    {
        if (plan.Count == 0) return "rebalance: the slots are already balanced; nothing to move";
        var byGroup = plan.GroupBy(kv => kv.Value!.GetValue<int>()).OrderBy(g => g.Key)
            .Select(g => $"  to group {g.Key}: {g.Count()} slots ({Ranges(g.Select(kv => int.Parse(kv.Key, CultureInfo.InvariantCulture)))})");
        return $"rebalance plan: {plan.Count} slots move\n" + string.Join("\n", byGroup);
    }

    internal static string Ranges(IEnumerable<int> ids)
    {
        var s = ids.Order().ToList();
        var parts = new List<string>();
        for (int i = 0; i < s.Count;)
        {
            int j = i;
            while (j + 1 < s.Count && s[j + 1] == s[j] + 1) j++;
            parts.Add(i == j ? $"{s[i]}" : $"{s[i]}-{s[j]}");
            i = j + 1;
        }
        return string.Join(",", parts);
    }

    /// <summary>`codis-config dashboard`: runs codis-dashboard with this config.ini (forwarding SIGTERM/SIGINT) and returns its exit code.</summary>
    private static int RunDashboard(SeedConfig cfg, Dictionary<string, string> flags, TextWriter e)
    {
        string dir = AppContext.BaseDirectory;
        string dll = Path.Combine(dir, "codis-dashboard.dll");
        string apphost = Path.Combine(dir, "codis-dashboard");
        if (!File.Exists(dll)) throw new AdminException($"codis-dashboard not found next to codis-config (looked for {dll}); install both into the same folder");
        var psi = File.Exists(apphost) && !OperatingSystem.IsWindows() ? new ProcessStartInfo(apphost) : new ProcessStartInfo("dotnet") { ArgumentList = { dll } };
        psi.UseShellExecute = false;
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(cfg.Path);
        if (flags.TryGetValue("--addr", out var addr) && addr.Length > 0)
        {
            psi.ArgumentList.Add("--admin_addr");
            psi.ArgumentList.Add(addr.StartsWith(':') ? "0.0.0.0" + addr : addr);
        }
        if (flags.ContainsKey("--standby")) psi.ArgumentList.Add("--standby");
        if (flags.ContainsKey("--remove-lock")) psi.ArgumentList.Add("--remove-lock");
        using var child = Process.Start(psi) ?? throw new AdminException("can't start codis-dashboard");
        void Forward(PosixSignalContext ctx)
        {
            ctx.Cancel = true;
            if (!child.HasExited) _ = Kill(child.Id, ctx.Signal == PosixSignal.SIGINT ? 2 : 15);
        }
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Forward);
        using var intr = PosixSignalRegistration.Create(PosixSignal.SIGINT, Forward);
        child.WaitForExit();
        return child.ExitCode;
    }

    [DllImport("libc", EntryPoint = "kill")]
    private static extern int Kill(int pid, int sig);

    private static int Ok(TextWriter o)
    {
        o.WriteLine("{\n  \"msg\": \"OK\",\n  \"ret\": 0\n}");
        return 0;
    }

    private static int Print(TextWriter o, JsonNode? node)
    {
        o.WriteLine(node?.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) ?? "null");
        return 0;
    }

    private static void Need(List<string> pos, int n, string usage)
    {
        if (pos.Count < n) throw new AdminException("usage: codis-config " + usage);
    }

    private static int Int(List<string> pos, int i, string what) =>
        i < pos.Count && int.TryParse(pos[i], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int v) ? v
        : throw new AdminException($"{what} must be an integer, got '{(i < pos.Count ? pos[i] : "")}'");
}
