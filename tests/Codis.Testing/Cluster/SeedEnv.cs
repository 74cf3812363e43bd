using System.Diagnostics;
using System.Text.Json.Nodes;
using Codis.Core.Models;
using Codis.Testing;
using Xunit;

namespace Codis.Testing.Cluster;

/// <summary>
/// A folder with the seed's config.ini (filesystem coordinator in a temp folder, or the given coordinator, e.g.
/// the seed's zookeeper; a free dashboard port; proxy_id=proxy_1), and helpers to run codis-config / codis-admin
/// there and start the dashboard.
/// </summary>
public sealed class SeedEnv : IDisposable
{
    private readonly List<IDisposable> owned = [];

    public SeedEnv(string product = "test", string extraIni = "", (string Name, string Address)? coordinator = null)
    {
        Dir = Directory.CreateTempSubdirectory("codis-seed-").FullName;
        CoordinatorDir = Path.Combine(Dir, "coordinator");
        Directory.CreateDirectory(CoordinatorDir);
        Product = product;
        DashboardAddr = $"127.0.0.1:{ManagedProcess.FreePort()}";
        File.WriteAllText(Path.Combine(Dir, "config.ini"), $"""
            coordinator={coordinator?.Name ?? "filesystem"}
            zk={coordinator?.Address ?? CoordinatorDir}
            product={product}
            dashboard_addr={DashboardAddr}
            password=
            backend_ping_period=5
            session_max_timeout=1800
            session_max_bufsize=131072
            session_max_pipeline=1024
            zk_session_timeout=30
            proxy_id=proxy_1
            {extraIni}
            """);
    }

    public string Dir { get; }
    public string CoordinatorDir { get; }
    public string Product { get; }
    public string DashboardAddr { get; }

    public T Own<T>(T d) where T : IDisposable
    {
        owned.Add(d);
        return d;
    }

    /// <summary>`codis-config dashboard` as the seed starts it; returns once the dashboard holds the lock.</summary>
    public ManagedProcess StartDashboard(params string[] extra)
    {
        var p = Own(new ManagedProcess("dotnet", [Binaries.Dll(BinaryNames.Config), "dashboard", .. extra], Dir));
        p.WaitForOutput("dashboard ready", TimeSpan.FromSeconds(30));
        return p;
    }

    /// <summary>The pid of the codis-dashboard process (the lock names it), not of the codis-config wrapper.</summary>
    public static int DashboardPid(ManagedProcess p) =>
        int.Parse(p.WaitForOutput(@"lock acquired[^\n]* pid=(\d+)", TimeSpan.FromSeconds(5)).Groups[1].Value);

    public CliResult Config(params string[] args) => CliRunner.CodisConfig(Dir, args);

    public CliResult Admin(params string[] args) => CliRunner.CodisAdmin(Dir, ["--dashboard=" + DashboardAddr, .. args]);

    /// <summary>Runs codis-config and asserts the seed's OK reply.</summary>
    public void Ok(params string[] args)
    {
        var r = Config(args);
        Assert.True(r.ExitCode == 0, $"codis-config {string.Join(' ', args)}: {r}");
        Assert.Equal("{\n  \"msg\": \"OK\",\n  \"ret\": 0\n}", r.Stdout.Trim().Replace("\r", ""));
    }

    /// <summary>Runs codis-config and asserts it failed with a message containing <paramref name="expected"/>.</summary>
    public void Refused(string expected, params string[] args)
    {
        var r = Config(args);
        Assert.True(r.ExitCode != 0, $"codis-config {string.Join(' ', args)} should have failed: {r}");
        Assert.Contains(expected, r.Stderr);
    }

    public JsonNode Json(params string[] args)
    {
        var r = Config(args);
        Assert.True(r.ExitCode == 0, r.ToString());
        return JsonNode.Parse(r.Stdout)!;
    }

    public async Task<JsonNode?> GetAsync(Func<string, string> route)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var text = await http.GetStringAsync($"http://{DashboardAddr}{route(XAuth.Dashboard(Product))}");
        return JsonNode.Parse(text);
    }

    /// <summary>
    /// The dashboard's failover events once at least <paramref name="atLeast"/> are recorded. An event is recorded
    /// when the whole promotion returns (repointing and coordinator writes included), which can be after the
    /// proxies already route to the new master, so a client's first write is no sign the event is there yet.
    /// </summary>
    public async Task<JsonArray> FailoversAsync(int atLeast = 1, int timeoutSeconds = 30)
    {
        var sw = Stopwatch.StartNew();
        while (true)
        {
            var events = (await GetAsync(DashboardRoutes.Failovers))!.AsArray();
            if (events.Count >= atLeast || sw.Elapsed > TimeSpan.FromSeconds(timeoutSeconds)) return events;
            await Task.Delay(100);
        }
    }

    /// <summary>
    /// Groups 1 and 2 with one codis-server master each, every slot online on group 1, and a proxy online in front
    /// (the start of the migration tests).
    /// </summary>
    public (CodisServerProcess G1, CodisServerProcess G2, CodisProxyProcess Proxy) StartTwoGroups()
    {
        var g1 = Own(CodisServerProcess.Start());
        var g2 = Own(CodisServerProcess.Start());
        Ok("slot", "init");
        Ok("server", "add", "1", $"127.0.0.1:{g1.Port}", "master");
        Ok("server", "add", "2", $"127.0.0.1:{g2.Port}", "master");
        Ok("slot", "range-set", "0", "1023", "1", "online");
        var proxy = StartProxy();
        Ok("proxy", "online", "proxy_1");
        return (g1, g2, proxy);
    }

    /// <summary>A proxy of this product, registered with the dashboard (as it will announce itself), still offline.</summary>
    public CodisProxyProcess StartProxy(string proxyId = "proxy_1", params string[] extraArgs)
    {
        var proxy = Own(CodisProxyProcess.Start(Directory.CreateTempSubdirectory("codis-proxy-").FullName,
            ["--product_name", Product, "--proxy_id", proxyId, .. extraArgs], waitOnline: false));
        var r = Admin("--register-proxy", "--addr=" + proxy.AdminAddr);
        Assert.True(r.ExitCode == 0, r.ToString());
        return proxy;
    }

    public static void Eventually(Func<bool> condition, TimeSpan timeout, string what)
    {
        var sw = Stopwatch.StartNew();
        while (!condition())
        {
            if (sw.Elapsed > timeout) throw new TimeoutException($"{what}: not within {timeout}");
            Thread.Sleep(100);
        }
    }

    public void Dispose()
    {
        for (int i = owned.Count - 1; i >= 0; i--)
        {
            try { owned[i].Dispose(); } catch (InvalidOperationException) { }
        }
        try { Directory.Delete(Dir, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
