using Codis.Core.Logging;

namespace Codis.Proxy.Metrics;

/// <summary>
/// One push target on its own background timer (as the original's startMetricsReporter: one goroutine and ticker per
/// target). A push runs on the thread pool, never on a session's thread, with a timeout; a failed push is counted and
/// the next tick tries again (no back-off: a target that comes back gets data within one period). Failures are logged
/// at most once a minute, with how many there were since the last warning.
/// </summary>
internal abstract class MetricsReporter : IAsyncDisposable
{
    /// <summary>How long one push may take (the original's InfluxDB client timeout).</summary>
    public static readonly TimeSpan PushTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan WarnEvery = TimeSpan.FromMinutes(1);

    private readonly CancellationTokenSource stopping = new();
    private readonly TimeProvider time;
    private Task? loop;
    private long pushes, fails, failsSinceWarning;
    private long lastWarning = long.MinValue;
    private bool failing;

    protected MetricsReporter(string kind, string target, TimeSpan period, TimeProvider? time = null)
    {
        Kind = kind;
        Target = target;
        Period = period;
        this.time = time ?? TimeProvider.System;
    }

    /// <summary>json, influxdb or statsd.</summary>
    public string Kind { get; }
    /// <summary>Where it pushes (the URL or address, without credentials).</summary>
    public string Target { get; }
    public TimeSpan Period { get; }
    public long Pushes => Interlocked.Read(ref pushes);
    public long Fails => Interlocked.Read(ref fails);
    public string? LastError { get; private set; }
    /// <summary>Warnings logged about failed pushes (at most one a minute).</summary>
    public long Warnings => Interlocked.Read(ref warnings);
    private long warnings;

    public void Start() => loop = Task.Run(RunAsync);

    /// <summary>Sends one round of metrics; throws on failure.</summary>
    protected abstract Task PushAsync(CancellationToken ct);

    private async Task RunAsync()
    {
        using var timer = new PeriodicTimer(Period, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stopping.Token).ConfigureAwait(false))
                await PushOnceAsync().ConfigureAwait(false);
        }
        catch (OperationCanceledException) { }
    }

    /// <summary>One push with its timeout, counted and logged; never throws (but for shutdown).</summary>
    internal async Task PushOnceAsync()
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(stopping.Token);
        cts.CancelAfter(PushTimeout);
        try
        {
            await PushAsync(cts.Token).ConfigureAwait(false);
            Interlocked.Increment(ref pushes);
            if (failing)
            {
                failing = false;
                Log.Info("metrics push recovered", ("kind", Kind), ("target", Target), ("failed_pushes", Interlocked.Exchange(ref failsSinceWarning, 0)));
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e)
        {
            // Anything a target can do to us (refused, reset, timeout, bad status, DNS) is one failed push.
            Failed(e is OperationCanceledException ? $"timed out after {PushTimeout.TotalSeconds:0}s" : e.Message);
        }
    }

    private void Failed(string error)
    {
        Interlocked.Increment(ref fails);
        Interlocked.Increment(ref failsSinceWarning);
        LastError = error;
        failing = true;
        long now = time.GetTimestamp();
        if (lastWarning != long.MinValue && time.GetElapsedTime(lastWarning, now) < WarnEvery) return;
        lastWarning = now;
        Interlocked.Increment(ref warnings);
        Log.Warn("metrics push failed (next warning in 1m at the earliest)", ("kind", Kind), ("target", Target), ("error", error),
            ("failed_pushes", Interlocked.Exchange(ref failsSinceWarning, 0)));
    }

    public async ValueTask DisposeAsync()
    {
        stopping.Cancel();
        if (loop != null)
        {
            try { await loop.WaitAsync(PushTimeout).ConfigureAwait(false); }
            catch (TimeoutException) { }
        }
        await DisposeCoreAsync().ConfigureAwait(false);
        stopping.Dispose();
    }

    protected virtual ValueTask DisposeCoreAsync() => ValueTask.CompletedTask;
}
