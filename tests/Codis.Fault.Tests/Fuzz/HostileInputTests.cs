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
[Collection(AloneCollection.Name)]
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
            connected: () => { using var c = server.Client(); return ConnectedClients(c); },
            release: () => { using var c = server.Client(); Assert.Equal("OK", c.Call("MEMORY", "PURGE").Text); }, alsoAlive: []);
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
            connected: () => ProxySessions(proxy), release: () => ForceGc(proxy), alsoAlive: [server]);
    }

    private async Task RunAsync(string name, ManagedProcess target, int port, int commandsFrom, HashSet<string> excluded,
        Func<long> connected, Action release, ManagedProcess[] alsoAlive)
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

        // 2. 10,000 idle connections at once, twice: the second round must not need more memory than the first (no per-connection leak)
        var rounds = new List<IdleRound>();
        for (int round = 0; round < 2; round++)
        {
            var r = await HoldIdleAsync(port, connected, good, target.Pid);
            release();
            await Task.Delay(1500);
            r = r with { RssAfterMiB = ProcessStats.RssMiB(target.Pid) };
            rounds.Add(r);
            output.WriteLine($"{name}: round {round + 1}: {r.Refused} of {IdleTarget} idle connections refused, {r.Dropped} dropped by the server; " +
                $"held {r.Held} sessions (opened in {r.OpenSeconds:0.0} s), RSS {r.RssMiB:0} MiB held, {r.RssAfterMiB:0} MiB after, well-behaved ops meanwhile {r.GoodOps}");
        }

        // 3. back near the baseline once the clients are gone and the process is asked to give memory back
        double after = rounds[^1].RssAfterMiB;
        good.Stop();
        output.WriteLine($"{name}: RSS baseline {baseline:0} MiB, after fuzzing {afterFuzz:0} MiB, with {IdleTarget} idle {rounds[0].RssMiB:0} / {rounds[1].RssMiB:0} MiB, peak {rss.PeakMiB:0} MiB, after {after:0} MiB");
        output.WriteLine($"{name}: well-behaved client: {good.Ops} operations, latency p50 {good.PercentileMs(0.5):0.0} ms, p99 {good.PercentileMs(0.99):0.0} ms, max {good.MaxLatencyMs:0} ms");
        File.AppendAllText(Path.Combine(Path.GetTempPath(), "codis-fuzz-figures.txt"),
            $"{DateTime.UtcNow:O} {name} seed={seed} seconds={fuzzSeconds:0} inputs={campaign.Inputs} idle={rounds[0].Held} rss_base={baseline:0} rss_fuzz={afterFuzz:0} rss_idle={rounds[0].RssMiB:0}/{rounds[1].RssMiB:0} rss_peak={rss.PeakMiB:0} rss_after={after:0} p99_ms={good.PercentileMs(0.99):0.0} max_ms={good.MaxLatencyMs:0}\n");

        Assert.True(Alive(), $"{Ctx()} the process exited");
        Assert.True(good.Failures.Count == 0, $"{Ctx()} the well-behaved client was not served:\n{string.Join('\n', good.Failures)}\nlast cases:\n{campaign.RecentCases()}");
        Assert.Empty(good.MissingBaseKeys());
        Assert.True(good.MaxLatencyMs < LatencyLimitMs, $"{Ctx()} a well-behaved request took {good.MaxLatencyMs:0} ms");
        Assert.True(campaign.SlowLorisServed > 0 && campaign.SlowLorisFailures.Count == 0, $"{Ctx()} slow-loris: served {campaign.SlowLorisServed}, {string.Join("; ", campaign.SlowLorisFailures)}");
        foreach (var r in rounds)
        {
            Assert.True(r.Refused == 0 && r.Dropped == 0, $"{Ctx()} of {IdleTarget} idle connections {r.Refused} were refused and {r.Dropped} dropped");
            Assert.True(r.GoodOps > 0, $"{Ctx()} the well-behaved client made no progress while {IdleTarget} connections were held");
        }
        Assert.True(rounds[1].RssAfterMiB < rounds[0].RssAfterMiB + 25, $"{Ctx()} after the second {IdleTarget} connections more memory stayed ({rounds[1].RssAfterMiB:0} MiB) than after the first ({rounds[0].RssAfterMiB:0} MiB): a leak");
        Assert.True(rss.PeakMiB < RssPeakLimitMiB, $"{Ctx()} RSS peaked at {rss.PeakMiB:0} MiB (baseline {baseline:0})\nlast cases:\n{campaign.RecentCases()}");
        Assert.True(after < baseline + 150, $"{Ctx()} RSS {after:0} MiB after the clients left, baseline {baseline:0} MiB");
    }

    private sealed record IdleRound(int Refused, int Dropped, long Held, double OpenSeconds, double RssMiB, long GoodOps, double RssAfterMiB = 0);

    /// <summary>Opens 10,000 connections, holds them for a few seconds while the well-behaved client runs, closes them and waits until the target has let them go.</summary>
    private static async Task<IdleRound> HoldIdleAsync(int port, Func<long> connected, WellBehavedClient good, int pid)
    {
        long before = connected();
        var sw = Stopwatch.StartNew();
        using var idle = await IdleConnections.OpenAsync("127.0.0.1", port, IdleTarget);
        double openSeconds = sw.Elapsed.TotalSeconds;
        long held = 0;
        SeedEnvEventually(() => (held = connected()) >= before + idle.Count - 5, TimeSpan.FromSeconds(30));
        long goodBefore = good.Ops;
        await Task.Delay(3000);
        var r = new IdleRound(idle.Refused, idle.ClosedByPeer(), held, openSeconds, ProcessStats.RssMiB(pid), good.Ops - goodBefore);
        idle.Dispose();
        SeedEnvEventually(() => connected() <= before + 5, TimeSpan.FromSeconds(30));
        return r;
    }

    private static void ForceGc(CodisProxyProcess proxy)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var reply = http.PutAsync($"http://{proxy.AdminAddr}/api/proxy/forcegc/{proxy.XAuth}", null).GetAwaiter().GetResult();
        Assert.True(reply.IsSuccessStatusCode, $"forcegc: {(int)reply.StatusCode}");
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
