using Codis.Core.Models;
using Codis.Testing;
using Codis.Testing.Cluster;

namespace Codis.Fault.Tests.Support;

/// <summary>
/// A local cluster built the way an operator does it (codis-config through <see cref="SeedEnv"/>): the dashboard,
/// groups of codis-server (a master, optionally a replica each), the slots spread evenly over the groups, and
/// proxies brought online. Processes can be killed and restarted on the same port and data folder.
/// </summary>
public sealed class FaultCluster : IDisposable
{
    private readonly string[] serverArgs;

    private FaultCluster(SeedEnv env, string[] serverArgs)
    {
        Env = env;
        this.serverArgs = serverArgs;
    }

    public SeedEnv Env { get; }
    public ManagedProcess Dashboard { get; set; } = null!;

    /// <summary>Servers per group as first added: [0] the master, [1] the replica if any (roles change on failover).</summary>
    public List<CodisServerProcess[]> Groups { get; } = [];
    public List<CodisProxyProcess> Proxies { get; } = [];

    public static string Addr(CodisServerProcess s) => $"127.0.0.1:{s.Port}";

    /// <param name="extraIni">config.ini lines for the dashboard (e.g. failover_down_after=2s)</param>
    /// <param name="proxyArgs">flags for every proxy (e.g. --backend_recv_timeout 3s)</param>
    /// <param name="serverArgs">flags for every codis-server (e.g. --appendonly yes)</param>
    public static FaultCluster Start(int groups, bool replicas, int proxies = 1, string extraIni = "",
        (string Name, string Address)? coordinator = null, string[]? proxyArgs = null, string[]? serverArgs = null)
    {
        var c = new FaultCluster(new SeedEnv(extraIni: extraIni, coordinator: coordinator), serverArgs ?? []);
        try
        {
            c.Dashboard = c.Env.StartDashboard();
            // the cluster is set up through the dashboard's API (what codis-config calls, without a process per step)
            c.Put(x => DashboardRoutes.SlotsInit(x, false));
            for (int g = 1; g <= groups; g++)
            {
                var master = c.StartServer();
                c.Put(x => DashboardRoutes.GroupAdd(x, g, Addr(master), "master"));
                CodisServerProcess[] servers = [master];
                if (replicas)
                {
                    var replica = c.StartServer();
                    c.Put(x => DashboardRoutes.GroupAdd(x, g, Addr(replica), "slave"));
                    servers = [master, replica];
                }
                c.Groups.Add(servers);
                int from = (g - 1) * 1024 / groups, to = g * 1024 / groups - 1;
                c.Put(x => DashboardRoutes.SlotsAssignRange(x, from, to, g));
            }
            for (int p = 1; p <= proxies; p++)
            {
                string id = $"proxy_{p}";
                var proxy = c.Env.Own(CodisProxyProcess.Start(Directory.CreateTempSubdirectory("codis-proxy-").FullName,
                    ["--product_name", c.Env.Product, "--proxy_id", id, .. proxyArgs ?? []], waitOnline: false));
                c.Put(x => DashboardRoutes.ProxyRegister(x, proxy.AdminAddr));
                c.Put(x => DashboardRoutes.ProxyOnlineById(x, id));
                c.Proxies.Add(proxy);
            }
            if (replicas)
                foreach (var g in c.Groups) WaitReplicating(g[1], g[0], TimeSpan.FromSeconds(30));
            return c;
        }
        catch
        {
            c.Dispose();
            throw;
        }
    }

    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(60) };

    /// <summary>A mutation of the dashboard's API; its failure (HTTP 800 + cause) fails the test.</summary>
    public void Put(Func<string, string> route)
    {
        var url = $"http://{Env.DashboardAddr}{route(XAuth.Dashboard(Env.Product))}";
        using var r = Http.PutAsync(url, null).GetAwaiter().GetResult();
        string body = r.Content.ReadAsStringAsync().GetAwaiter().GetResult();
        if (!r.IsSuccessStatusCode) throw new InvalidOperationException($"PUT {url}: {(int)r.StatusCode} {body}");
    }

    public CodisServerProcess StartServer() => Env.Own(CodisServerProcess.Start(serverArgs));

    /// <summary>Starts a killed server again on its port and data folder (as a restarted machine would).</summary>
    public CodisServerProcess Restart(CodisServerProcess dead)
    {
        var s = Env.Own(CodisServerProcess.StartIn(dead.DataDir, ["--port", dead.Port.ToString(), .. serverArgs]));
        foreach (var g in Groups)
            for (int i = 0; i < g.Length; i++)
                if (ReferenceEquals(g[i], dead)) g[i] = s;
        return s;
    }

    public static Dictionary<string, string> Info(CodisServerProcess s, string section = "replication")
    {
        using var c = s.Client(3000);
        return (c.Call("INFO", section).Text ?? "").Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0 && l[0] != '#')
            .Select(l => l.Split(':', 2)).Where(kv => kv.Length == 2).ToDictionary(kv => kv[0], kv => kv[1]);
    }

    /// <summary>True when <paramref name="replica"/> says it replicates <paramref name="master"/> with the link up.</summary>
    public static bool Replicates(CodisServerProcess replica, CodisServerProcess master)
    {
        try
        {
            var i = Info(replica);
            return i.GetValueOrDefault("role") == "slave" && i.GetValueOrDefault("master_port") == master.Port.ToString()
                && i.GetValueOrDefault("master_link_status") == "up";
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or TimeoutException) { return false; }
    }

    public static void WaitReplicating(CodisServerProcess replica, CodisServerProcess master, TimeSpan timeout) =>
        SeedEnv.Eventually(() => Replicates(replica, master), timeout, $"{Addr(replica)} replicates {Addr(master)}");

    public static long DbSize(CodisServerProcess s)
    {
        using var c = s.Client(5000);
        return c.Call("DBSIZE").Integer;
    }

    public void Dispose() => Env.Dispose();
}
