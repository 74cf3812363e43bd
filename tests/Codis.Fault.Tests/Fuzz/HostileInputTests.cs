using System.Diagnostics;
using System.Text.Json;
using Codis.Core.Resp;
using Codis.Testing;
using Xunit.Abstractions;

namespace Codis.Fault.Tests.Fuzz;

/// <summary>
/// Hostile input at codis-server and at codis-proxy (in front of a codis-server): a seeded fuzzer (random and
/// mutated RESP, huge lengths, deep nesting, embedded control bytes, huge argument counts, random valid
/// commands), slow-loris clients and clients that vanish halfway, then 10,000 idle connections held at once.
/// The process must never exit, its RSS must stay bounded and come back down, and a well-behaved client must be
/// served correctly, with bounded latency, the whole time, its data intact.
/// CODIS_FUZZ_SECONDS (default 20) sets the fuzzing time per target; CODIS_FUZZ_SEED replays a seed.
/// </summary>
public class HostileInputTests(ITestOutputHelper output)
{
    private const int IdleTarget = 10_000;
    private const double RssPeakLimitMiB = 600;
    private const double LatencyLimitMs = 3000;

    /// <summary>Commands the fuzzer leaves out at the server itself: they stop it, wipe or move every client's data, or turn it into a replica (through the proxy every command is fuzzed: it must refuse these).</summary>
    private static readonly HashSet<string> ServerOnlyExcluded = new(StringComparer.OrdinalIgnoreCase)
    {
        "shutdown", "debug", "flushall", "flushdb", "swapdb", "replicaof", "slaveof", "sync", "psync", "failover", "config",
        "client", "acl", "monitor", "save", "bgsave", "bgrewriteaof", "slotsdel", "slotsmgrtslot", "slotsmgrtone", "slotsmgrttagslot",
        "slotsmgrttagone", "slotsmgrtslot-async", "slotsmgrtone-async", "slotsmgrttagslot-async", "slotsmgrttagone-async",
        "slotsmgrtone-async-dump", "slotsmgrttagone-async-dump", "slotsmgrt-exec-wrapper", "slotsmgrt-async-fence", "migrate",
        "move", "rename", "renamenx", "copy", "select", "eval", "evalsha", "eval_ro", "evalsha_ro", "script", "function", "fcall", "fcall_ro",
        "keys", "scan", "randomkey", "sort", "sort_ro", "bitop", "sunionstore", "sinterstore", "sdiffstore", "zunionstore", "zinterstore",
        "zdiffstore", "zrangestore", "lmove", "rpoplpush", "smove", "pfmerge", "georadius", "georadiusbymember", "geosearchstore",
    };

    public static int FuzzSeconds => int.TryParse(Environment.GetEnvironmentVariable("CODIS_FUZZ_SECONDS"), out var s) && s > 0 ? s : 20;

    private static int Seed => int.TryParse(Environment.GetEnvironmentVariable("CODIS_FUZZ_SEED"), out var s) ? s : Environment.TickCount & 0x7fffffff;

    [Fact]
    public async Task CodisServerSurvivesHostileInput()
    {
        ProcessStats.RaiseFdLimit(40_000);
        using var server = CodisServerProcess.Start("--maxclients", "12000");
        await RunAsync("codis-server", server, server.Port, commandsFrom: server.Port, excluded: ServerOnlyExcluded,
            connected: () => { using var c = server.Client(); return ConnectedClients(c); }, alsoAlive: []);
    }

    [Fact]
    public async Task CodisProxySurvivesHostileInput()
    {
        ProcessStats.RaiseFdLimit(40_000);
        using var server = CodisServerProcess.Start("--maxclients", "12000");
        using var proxy = CodisProxyProcess.StartWithSlots(CodisProxyProcess.Range(0, 1023, $"127.0.0.1:{server.Port}", 1),
            "--proxy_max_clients", "12000", "--session_max_pipeline", "1024");
        // through the proxy the refused commands are fuzzed too: refusing them is part of what is tested
        await RunAsync("codis-proxy", proxy, proxy.Port, commandsFrom: server.Port, excluded: [],
            connected: () => ProxySessions(proxy), alsoAlive: [server]);
    }

    private async Task RunAsync(string name, ManagedProcess target, int port, int commandsFrom, HashSet<string> excluded,
        Func<long> connected, ManagedProcess[] alsoAlive)
    {
        int seed = Seed;
        output.WriteLine($"{name}: fuzz seed {seed} (replay: CODIS_FUZZ_SEED={seed}), {FuzzSeconds} s");
        string Ctx() => $"[{name}, CODIS_FUZZ_SEED={seed}]";
        bool Alive() => !target.HasExited && alsoAlive.All(p => !p.HasExited);

        List<string> commands;
        using (var c = new RespClient("127.0.0.1", commandsFrom, TimeSpan.FromSeconds(10)))
            commands = c.Call("COMMAND", "LIST").Items!.Select(i => i.Text!).Where(n => !n.Contains('|') && !excluded.Contains(n)).ToList();

        using var good = new WellBehavedClient("127.0.0.1", port);
        good.LoadBase();
        using var rss = new RssSampler(target.Pid);
        await Task.Delay(500);
        double baseline = ProcessStats.RssMiB(target.Pid);
        good.Start();

        // 1. the fuzzer
        var campaign = new FuzzCampaign("127.0.0.1", port, seed, commands);
        var sw = Stopwatch.StartNew();
        await campaign.RunAsync(TimeSpan.FromSeconds(FuzzSeconds), Alive);
        double fuzzSeconds = sw.Elapsed.TotalSeconds;
        double afterFuzz = ProcessStats.RssMiB(target.Pid);
        Assert.True(Alive(), $"{Ctx()} the process exited during fuzzing; last cases:\n{campaign.RecentCases()}\n{target.Output[^Math.Min(4000, target.Output.Length)..]}");
        output.WriteLine($"{name}: {campaign.Inputs} inputs ({campaign.BytesSent / 1e6:0.0} MB) in {fuzzSeconds:0.0} s: " +
            string.Join(", ", campaign.PerKind.Select(k => $"{k.Key} {k.Value}")) + $"; slow-loris requests served {campaign.SlowLorisServed}; refused connects {campaign.ConnectFailures}");

        // 2. 10,000 idle connections at once
        long before = connected();
        sw.Restart();
        var idle = await IdleConnections.OpenAsync("127.0.0.1", port, IdleTarget);
        double openSeconds = sw.Elapsed.TotalSeconds;
        long held = 0;
        SeedEnvEventually(() => (held = connected()) >= before + idle.Count - 5, TimeSpan.FromSeconds(30));
        await Task.Delay(2000);
        int dropped = idle.ClosedByPeer();
        double withIdle = ProcessStats.RssMiB(target.Pid);
        long goodOpsBefore = good.Ops;
        await Task.Delay(1000);
        Assert.True(good.Ops > goodOpsBefore, $"{Ctx()} the well-behaved client made no progress while 10,000 connections were held");
        idle.Dispose();
        output.WriteLine($"{name}: {idle.Refused} of {IdleTarget} idle connections refused, {dropped} dropped by the server; held {held} sessions (opened in {openSeconds:0.0} s)");
        SeedEnvEventually(() => connected() <= before + 5, TimeSpan.FromSeconds(30));

        // 3. back near the baseline once the clients are gone
        await Task.Delay(3000);
        double after = ProcessStats.RssMiB(target.Pid);
        good.Stop();
        output.WriteLine($"{name}: RSS baseline {baseline:0} MiB, after fuzzing {afterFuzz:0} MiB, with {IdleTarget} idle {withIdle:0} MiB, peak {rss.PeakMiB:0} MiB, after {after:0} MiB");
        output.WriteLine($"{name}: well-behaved client: {good.Ops} operations, latency p50 {good.PercentileMs(0.5):0.0} ms, p99 {good.PercentileMs(0.99):0.0} ms, max {good.MaxLatencyMs:0} ms");
        File.AppendAllText(Path.Combine(Path.GetTempPath(), "codis-fuzz-figures.txt"),
            $"{DateTime.UtcNow:O} {name} seed={seed} seconds={fuzzSeconds:0} inputs={campaign.Inputs} idle={idle.Count}/{IdleTarget} rss_base={baseline:0} rss_peak={rss.PeakMiB:0} rss_after={after:0} p99_ms={good.PercentileMs(0.99):0.0} max_ms={good.MaxLatencyMs:0}\n");

        Assert.True(Alive(), $"{Ctx()} the process exited");
        Assert.True(good.Failures.Count == 0, $"{Ctx()} the well-behaved client was not served:\n{string.Join('\n', good.Failures)}\nlast cases:\n{campaign.RecentCases()}");
        Assert.Empty(good.MissingBaseKeys());
        Assert.True(good.MaxLatencyMs < LatencyLimitMs, $"{Ctx()} a well-behaved request took {good.MaxLatencyMs:0} ms");
        Assert.True(campaign.SlowLorisServed > 0 && campaign.SlowLorisFailures.Count == 0, $"{Ctx()} slow-loris: served {campaign.SlowLorisServed}, {string.Join("; ", campaign.SlowLorisFailures)}");
        Assert.True(idle.Refused == 0 && dropped == 0, $"{Ctx()} of {IdleTarget} idle connections {idle.Refused} were refused and {dropped} dropped");
        Assert.True(rss.PeakMiB < RssPeakLimitMiB, $"{Ctx()} RSS peaked at {rss.PeakMiB:0} MiB (baseline {baseline:0})\nlast cases:\n{campaign.RecentCases()}");
        Assert.True(after < baseline + 150, $"{Ctx()} RSS {after:0} MiB after the clients left, baseline {baseline:0} MiB");
    }

    private static void SeedEnvEventually(Func<bool> condition, TimeSpan timeout) =>
        Codis.Testing.Cluster.SeedEnv.Eventually(condition, timeout, "connection count");

    private static long ConnectedClients(RespClient c)
    {
        var info = c.Call("INFO", "clients").Text ?? "";
        var line = info.Split('\n').First(l => l.StartsWith("connected_clients:", StringComparison.Ordinal));
        return long.Parse(line["connected_clients:".Length..].Trim());
    }

    private static long ProxySessions(CodisProxyProcess proxy)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        using var doc = JsonDocument.Parse(http.GetStringAsync($"http://{proxy.AdminAddr}/proxy/stats").GetAwaiter().GetResult());
        return doc.RootElement.GetProperty("sessions").GetProperty("alive").GetInt64();
    }
}

/// <summary>Samples a process's RSS every 100 ms and keeps the peak.</summary>
public sealed class RssSampler : IDisposable
{
    private readonly Timer timer;
    private double peak;

    public RssSampler(int pid) => timer = new Timer(_ =>
    {
        double now = ProcessStats.RssMiB(pid);
        lock (timer!) if (now > peak) peak = now;
    }, null, 0, 100);

    public double PeakMiB { get { lock (timer) return peak; } }

    public void Dispose() => timer.Dispose();
}
