using System.Text;
using System.Text.Json.Nodes;
using Codis.Core.Models;
using Codis.Core.Slots;
using Codis.Testing;
using Codis.Testing.Cluster;
using Xunit.Abstractions;

namespace Codis.Dashboard.Tests.Cluster;

/// <summary>
/// The migration latency guard with real processes: an idle migration is never paced; a migration under clients
/// through the proxy is paced (a ratio, a non-zero pause) and still moves every key.
/// </summary>
public class MigrationGuardTests(ITestOutputHelper output)
{
    /// <summary>
    /// Keys per hash tag; the tags sit in slots 0-63, so a few slots hold many keys: each takes long enough for the
    /// guard to take a baseline and watch windows even when the suite loads the machine (15,000 was too few once).
    /// </summary>
    private const int PerTag = 30_000;
    private static readonly string[] Tags = TagsInFirstSlots(4, 64);

    private static string[] TagsInFirstSlots(int count, int below) =>
        Enumerable.Range(0, 10_000).Select(i => "g" + i).Where(t => SlotHash.Slot(Encoding.ASCII.GetBytes("{" + t + "}")) < below).Take(count).ToArray();

    private static (CodisServerProcess G2, CodisProxyProcess Proxy) Cluster(SeedEnv env)
    {
        var (_, g2, proxy) = env.StartTwoGroups();
        using var c = proxy.Client();
        foreach (var t in Tags) LoadClient.Load(c, "{" + t + "}:", PerTag, batch: 500);
        return (g2, proxy);
    }

    /// <summary>Runs the migration of slots 0-63 to group 2, reading the guard's status every 100 ms meanwhile.</summary>
    private static async Task<(CliResult Migrate, List<JsonNode> Seen, JsonNode Final)> MigrateWatchingAsync(SeedEnv env)
    {
        var seen = new List<JsonNode>();
        var migrate = Task.Run(() => env.Config("slot", "migrate", "0", "63", "2"));
        while (!migrate.IsCompleted)
        {
            var pacer = (await env.GetAsync(DashboardRoutes.Actions))!["pacer"];
            if (pacer != null) seen.Add(pacer);
            await Task.WhenAny(migrate, Task.Delay(100));
        }
        await Task.Delay(500); // the migrator notices the empty queue within 200 ms and stops the guard
        return (await migrate, seen, (await env.GetAsync(DashboardRoutes.Actions))!["pacer"]!);
    }

    private static void AllKeysOn(CodisServerProcess target)
    {
        using var c = target.Client();
        foreach (var t in Tags) Assert.Empty(LoadClient.Missing(c, "{" + t + "}:", PerTag, batch: 500));
    }

    [Fact]
    public async Task IdleMigrationIsNeverPaced()
    {
        using var env = new SeedEnv(); // the default guard: 1.3
        env.StartDashboard();
        var (g2, _) = Cluster(env);
        await Task.Delay(2500); // the proxy's requests a second (over its last full second) forget the loading

        var (migrate, seen, final) = await MigrateWatchingAsync(env);
        output.WriteLine("final: " + final.ToJsonString());
        Assert.True(migrate.ExitCode == 0, migrate.ToString());
        Assert.All(seen, p => Assert.Equal(0, p["pause_us"]!.GetValue<long>()));
        Assert.Equal(1.3, final["guard"]!.GetValue<double>());
        Assert.Equal("idle", final["state"]!.GetValue<string>());
        Assert.Equal(0, final["max_pause_us"]!.GetValue<long>());
        Assert.Equal(0, final["paced_windows"]!.GetValue<long>());
        Assert.True(final["windows"]!.GetValue<long>() >= 1, final.ToJsonString()); // it did watch
        // no clients: no baseline taken, so no key move was ever held for one
        Assert.Equal(0, final["baselines"]!.GetValue<long>());
        Assert.Equal(0, final["baseline_hold_ms"]!.GetValue<long>());
        Assert.Null(final["baseline_usecs_percall"]);
        AllKeysOn(g2);
    }

    [Fact]
    public async Task MigrationUnderClientLoadIsPacedAndMovesEveryKey()
    {
        // a tight limit and a short cap: the guard acts on any measurable slowdown, and the test stays short
        using var env = new SeedEnv(extraIni: "migration_latency_guard=1.1\nmigration_latency_guard_max_pause=20ms");
        var dash = env.StartDashboard();
        var (g2, proxy) = Cluster(env);
        using var stop = new CancellationTokenSource();
        var loads = Enumerable.Range(0, 4).Select(i => LoadClient.RunAsync(() => proxy.Client(), stop.Token, $"live{i}:")).ToArray();
        await Task.Delay(500); // the clients run before the baseline is taken

        var (migrate, seen, final) = await MigrateWatchingAsync(env);
        stop.Cancel();
        Assert.True(migrate.ExitCode == 0, migrate.ToString());
        foreach (var (ops, failures) in await Task.WhenAll(loads))
        {
            Assert.True(failures.Count == 0, string.Join("\n", failures));
            Assert.True(ops > 0);
        }

        string trace = string.Join("\n", seen.Select(p => p.ToJsonString())) + "\nfinal: " + final.ToJsonString();
        output.WriteLine(trace);
        Assert.True(final["baseline_usecs_percall"] is JsonValue, trace); // clients were there when the baseline was taken
        Assert.Contains(seen, p => p["ratio"] is JsonValue);
        Assert.True(final["paced_windows"]!.GetValue<long>() >= 1, trace);
        Assert.True(final["max_pause_us"]!.GetValue<long>() > 0, trace);
        Assert.True(final["max_pause_us"]!.GetValue<long>() <= 20_000, trace); // the cap
        dash.WaitForOutput(@"migration latency guard baseline calls=\d+ baseline_us=[0-9.]+", TimeSpan.FromSeconds(5));
        AllKeysOn(g2);
        using var c = proxy.Client();
        foreach (var t in Tags) Assert.Empty(LoadClient.Missing(c, "{" + t + "}:", PerTag, batch: 500));
    }
}
