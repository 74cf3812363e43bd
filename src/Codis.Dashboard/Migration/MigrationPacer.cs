using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Codis.Core.Logging;
using Codis.Dashboard.Topology;

namespace Codis.Dashboard.Migration;

/// <summary>What the latency guard shows in the migration status.</summary>
internal sealed record PacerStatus(
    double Guard, string State, double Factor, long PauseMicros, long MaxPauseMicros, double? BaselineMicros, double? CurrentMicros,
    double? Ratio, long WindowCalls, long Windows, long PacedWindows, long Baselines, long BaselineCostMs);

/// <summary>
/// The client-latency guard of a migration (docs/DASHBOARD.md, "Migration latency guard"). While keys move it reads
/// every online proxy's per-command counters each <see cref="Window"/> and gives the clients' mean latency per call
/// over the window to a <see cref="PacingController"/>, whose factor sets the pause after each migration call. The
/// baseline (the latency with no key moving) is taken before the first call of a migration, while the first batch is
/// prepared, and again every <see cref="RefreshEvery"/> while it had clients, by holding every source's next call
/// for one window: a change of the client load does not leave a stale baseline. With no clients nothing is held: the
/// first baseline is skipped when the proxies report fewer than <see cref="PacingController.MinCalls"/> requests a
/// second, and one is taken as soon as a window shows clients.
/// </summary>
internal sealed class MigrationPacer
{
    public static readonly TimeSpan Window = TimeSpan.FromMilliseconds(250);
    public static readonly TimeSpan RefreshEvery = TimeSpan.FromSeconds(5);
    /// <summary>A baseline that looks stale (<see cref="PacingController.BaselineLooksStale"/>) is measured again, at most this often.</summary>
    public static readonly TimeSpan StaleRefreshEvery = TimeSpan.FromSeconds(2);
    /// <summary>After the last call in flight returns, before the baseline window opens (the target's last acks).</summary>
    private static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(20);
    private static readonly TimeSpan StatsTimeout = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Commands whose time is the client's own wait, not service: a blocked BLPOP's seconds would swamp the mean.
    /// XREAD / XREADGROUP may carry BLOCK; the per-command counters cannot tell, so they are left out too.
    /// </summary>
    private static readonly HashSet<string> Excluded = new(StringComparer.OrdinalIgnoreCase)
    {
        "BLPOP", "BRPOP", "BRPOPLPUSH", "BLMOVE", "BZPOPMIN", "BZPOPMAX", "BLMPOP", "BZMPOP", "XREAD", "XREADGROUP",
    };

    private readonly Topom topom;
    private readonly PacingController control;
    private readonly TimeSpan maxPause;
    private readonly Lock stateLock = new();
    // the gate: closed while a baseline is measured; callers count themselves in flight under the same lock
    private readonly object gateLock = new(); // Monitor.Wait/PulseAll: not a System.Threading.Lock
    private bool gateClosed;
    private int inFlight;
    private CancellationTokenSource? running;
    private Task loop = Task.CompletedTask;
    private long lastPauseTicks, maxPauseTicks, windows, pacedWindows, baselines, baselineCostMs;
    private double lastLoggedFactor;
    private string lastLoggedState = "";
    private readonly Stopwatch lastLogged = new();

    public MigrationPacer(Topom topom)
    {
        this.topom = topom;
        control = new PacingController(ParseGuard(topom.Settings["migration_latency_guard"].Value));
        maxPause = topom.Settings["migration_latency_guard_max_pause"].AsDuration;
        control.Stop();
    }

    public bool Enabled => control.Enabled;

    /// <summary>The setting's value: 0 (off) or a ratio of at least 1.</summary>
    public static double ParseGuard(string v) => double.Parse(v, NumberStyles.Float, CultureInfo.InvariantCulture);

    /// <summary>A migration has slots to move: starts sampling (and the first baseline), unless already running.</summary>
    public void Begin(CancellationToken ct)
    {
        if (!Enabled || running != null) return;
        lock (stateLock)
        {
            control.Reset();
            lastPauseTicks = maxPauseTicks = windows = pacedWindows = baselines = baselineCostMs = 0;
            lastLoggedFactor = 0;
            lastLoggedState = "";
            lastLogged.Reset();
        }
        running = CancellationTokenSource.CreateLinkedTokenSource(ct);
        CloseGate(); // the first baseline: before any key moves
        var token = running.Token;
        loop = Task.Run(() => LoopAsync(token), token);
    }

    /// <summary>No slot left to move: stops sampling, opens the gate; the last figures stay in the status.</summary>
    public async Task EndAsync()
    {
        if (running == null) return;
        await running.CancelAsync().ConfigureAwait(false);
        try { await loop.ConfigureAwait(false); }
        catch (OperationCanceledException) { }
        running.Dispose();
        running = null;
        OpenGate();
        lock (stateLock) control.Stop();
        Log.Info("migration latency guard stopped", Fields());
    }

    /// <summary>Before a migration call: waits while a baseline is measured, then counts the call in flight.</summary>
    public void BeforeCall(CancellationToken ct)
    {
        lock (gateLock)
        {
            while (gateClosed)
            {
                ct.ThrowIfCancellationRequested();
                Monitor.Wait(gateLock, 100);
            }
            inFlight++;
        }
    }

    /// <summary>After a migration call that took <paramref name="call"/>: the pause the source keeps before its next one.</summary>
    public TimeSpan AfterCall(TimeSpan call, TimeSpan interval)
    {
        lock (gateLock) inFlight--;
        double factor;
        lock (stateLock) factor = control.Factor;
        var pause = PacingController.PauseAfter(call, factor, interval, maxPause);
        Interlocked.Exchange(ref lastPauseTicks, pause.Ticks);
        if (pause.Ticks > Interlocked.Read(ref maxPauseTicks)) Interlocked.Exchange(ref maxPauseTicks, pause.Ticks);
        return pause;
    }

    public PacerStatus Status()
    {
        lock (stateLock)
        {
            return new PacerStatus(control.Limit, control.State, Math.Round(control.Factor, 3),
                Interlocked.Read(ref lastPauseTicks) / TimeSpan.TicksPerMicrosecond, Interlocked.Read(ref maxPauseTicks) / TimeSpan.TicksPerMicrosecond,
                Round(control.BaselineMicros), Round(control.CurrentMicros), control.Ratio is { } r ? Math.Round(r, 3) : null,
                control.LastCalls, windows, pacedWindows, baselines, baselineCostMs);
        }
    }

    private static double? Round(double? v) => v is { } x ? Math.Round(x, 1) : null;

    private async Task LoopAsync(CancellationToken ct)
    {
        try
        {
            var first = await SampleAsync(ct).ConfigureAwait(false);
            if (first.Qps >= PacingController.MinCalls) await BaselineAsync(gateAlreadyClosed: true, ct).ConfigureAwait(false);
            else
            {
                OpenGate(); // nobody to protect: no hold (a window with clients brings a baseline)
                Log.Info("migration latency guard: no clients, no baseline", ("qps", first.Qps));
            }
            var last = await SampleAsync(ct).ConfigureAwait(false);
            var baselineAt = Stopwatch.StartNew();
            while (!ct.IsCancellationRequested)
            {
                await Task.Delay(Window, ct).ConfigureAwait(false);
                var now = await SampleAsync(ct).ConfigureAwait(false);
                var w = Delta(last.Counters, now.Counters);
                last = now;
                bool needBaseline;
                lock (stateLock)
                {
                    control.Observe(w);
                    windows++;
                    if (control.Factor > 0) pacedWindows++;
                    // clients appeared (no baseline yet), or the baseline had clients and is stale: if they left, the
                    // refresh finds too few calls, and the refreshes stop until a window shows clients again
                    needBaseline = control.BaselineMicros == null ? w.Calls >= PacingController.MinCalls
                        : baselineAt.Elapsed >= RefreshEvery || (control.BaselineLooksStale && baselineAt.Elapsed >= StaleRefreshEvery);
                }
                LogIfChanged();
                if (needBaseline)
                {
                    await BaselineAsync(gateAlreadyClosed: false, ct).ConfigureAwait(false);
                    last = await SampleAsync(ct).ConfigureAwait(false);
                    baselineAt.Restart();
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
        catch (Exception e)
        {
            // the guard must never stop a migration: without it the migration goes on unpaced
            lock (stateLock)
            {
                control.Reset();
                control.Stop();
            }
            Log.Error("migration latency guard failed; the migration goes on without it", ("error", e.ToString()));
        }
        finally { OpenGate(); }
    }

    /// <summary>Holds the sources' next calls, lets the calls in flight return, and measures one window with no key moving.</summary>
    private async Task BaselineAsync(bool gateAlreadyClosed, CancellationToken ct)
    {
        var sw = Stopwatch.StartNew();
        if (!gateAlreadyClosed) CloseGate();
        try
        {
            // a call moves at most a few thousand keys; one stuck in a timeout does not hold the migration longer
            while (InFlight() > 0 && sw.Elapsed < TimeSpan.FromSeconds(1)) await Task.Delay(2, ct).ConfigureAwait(false);
            await Task.Delay(Settle, ct).ConfigureAwait(false);
            var before = await SampleAsync(ct).ConfigureAwait(false);
            await Task.Delay(Window, ct).ConfigureAwait(false);
            var after = await SampleAsync(ct).ConfigureAwait(false);
            var w = Delta(before.Counters, after.Counters);
            double? old;
            lock (stateLock)
            {
                old = control.BaselineMicros;
                control.SetBaseline(w);
                baselines++;
            }
            var fresh = Status();
            if (old == null || fresh.BaselineMicros == null || Math.Abs(fresh.BaselineMicros.Value / old.Value - 1) > 0.25)
                Log.Info("migration latency guard baseline", ("calls", w.Calls), ("baseline_us", fresh.BaselineMicros), ("previous_us", Round(old)));
        }
        finally
        {
            OpenGate();
            lock (stateLock) baselineCostMs += (long)sw.Elapsed.TotalMilliseconds;
        }
    }

    /// <summary>A log line when the state changes or the factor doubles or halves, at most one a second (a change waits for the next).</summary>
    private void LogIfChanged()
    {
        double f;
        string state;
        lock (stateLock) (f, state) = (control.Factor, control.State);
        bool changed = state != lastLoggedState || (f > 0) != (lastLoggedFactor > 0)
            || (f > 0 && lastLoggedFactor > 0 && (f / lastLoggedFactor >= 2 || lastLoggedFactor / f >= 2));
        if (!changed || (lastLogged.IsRunning && lastLogged.Elapsed < TimeSpan.FromSeconds(1))) return;
        (lastLoggedFactor, lastLoggedState) = (f, state);
        lastLogged.Restart();
        Log.Info("migration latency guard", Fields());
    }

    private (string, object?)[] Fields()
    {
        var s = Status();
        return [("state", s.State), ("factor", s.Factor), ("pause_us", s.PauseMicros), ("ratio", s.Ratio), ("baseline_us", s.BaselineMicros),
            ("current_us", s.CurrentMicros), ("calls", s.WindowCalls), ("limit", s.Guard)];
    }

    private int InFlight() { lock (gateLock) return inFlight; }

    private void CloseGate() { lock (gateLock) gateClosed = true; }

    private void OpenGate()
    {
        lock (gateLock)
        {
            gateClosed = false;
            Monitor.PulseAll(gateLock);
        }
    }

    /// <summary>One reading of the proxies: each one's (calls, usecs) summed over its commands, and their requests a second.</summary>
    private sealed record Sample(Dictionary<string, (long Calls, long Usecs)> Counters, long Qps);

    /// <summary>Reads every online proxy; one that does not answer is left out of this window.</summary>
    private async Task<Sample> SampleAsync(CancellationToken ct)
    {
        var online = topom.ProxiesSnapshot().Where(p => p.Online).ToArray();
        var results = await Task.WhenAll(online.Select(async p =>
        {
            try
            {
                var stats = await topom.Proxies.CommandStatsAsync(p.Model, ct).WaitAsync(StatsTimeout, ct).ConfigureAwait(false);
                return (p.Model.Token, Counters(stats), stats?["ops"]?["qps"]?.GetValue<long>() ?? 0);
            }
            catch (Exception e) when (e is Proxies.ProxyCallException or TimeoutException or System.Text.Json.JsonException or InvalidOperationException)
            {
                return (p.Model.Token, ((long, long)?)null, 0L);
            }
        })).ConfigureAwait(false);
        return new Sample(results.Where(r => r.Item2 != null).ToDictionary(r => r.Token, r => r.Item2!.Value), results.Sum(r => r.Item3));
    }

    /// <summary>Sums calls and usecs of a proxy's stats JSON (ops.cmd[]), leaving out the blocking commands.</summary>
    public static (long Calls, long Usecs) Counters(JsonNode? stats)
    {
        long calls = 0, usecs = 0;
        if (stats?["ops"]?["cmd"] is not JsonArray cmds) return (0, 0);
        foreach (var c in cmds)
        {
            if (c?["opstr"]?.GetValue<string>() is not { } op || Excluded.Contains(op)) continue;
            calls += c["calls"]?.GetValue<long>() ?? 0;
            usecs += c["usecs"]?.GetValue<long>() ?? 0;
        }
        return (calls, usecs);
    }

    /// <summary>The window between two samples, over the proxies in both whose counters did not go back (a restart or a reset).</summary>
    public static LatencyWindow Delta(IReadOnlyDictionary<string, (long Calls, long Usecs)> before, IReadOnlyDictionary<string, (long Calls, long Usecs)> after)
    {
        long calls = 0, usecs = 0;
        foreach (var (token, a) in after)
        {
            if (!before.TryGetValue(token, out var b) || a.Calls < b.Calls || a.Usecs < b.Usecs) continue;
            calls += a.Calls - b.Calls;
            usecs += a.Usecs - b.Usecs;
        }
        return new LatencyWindow(calls, usecs);
    }
}
