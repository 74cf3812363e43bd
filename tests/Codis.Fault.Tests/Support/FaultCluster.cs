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
            c.Env.Ok("slot", "init");
            for (int g = 1; g <= groups; g++)
            {
                var master = c.StartServer();
                c.Env.Ok("server", "add", g.ToString(), Addr(master), "master");
                CodisServerProcess[] servers = [master];
                if (replicas)
                {
                    var replica = c.StartServer();
                    c.Env.Ok("server", "add", g.ToString(), Addr(replica), "slave");
                    servers = [master, replica];
                }
                c.Groups.Add(servers);
                int from = (g - 1) * 1024 / groups, to = g * 1024 / groups - 1;
                c.Env.Ok("slot", "range-set", from.ToString(), to.ToString(), g.ToString(), "online");
            }
            for (int p = 1; p <= proxies; p++)
            {
                c.Proxies.Add(c.Env.StartProxy($"proxy_{p}", proxyArgs ?? []));
                c.Env.Ok("proxy", "online", $"proxy_{p}");
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
