using System.Collections.Concurrent;
using System.Diagnostics;
using Codis.Core.Resp;

namespace Codis.Fault.Tests.Support;

/// <summary>A failed request of the load: when it was sent, how long it took to fail, and why.</summary>
public readonly record struct LoadError(int Worker, string Key, TimeSpan At, TimeSpan Took, string Message);

/// <summary>
/// A bounded write load: <c>workers</c> threads, each SETting its own keys ("{prefix}{worker}:{n}") to growing
/// sequence numbers at a paced rate, every OK recorded in an <see cref="AckRecorder"/>. An error reply or an I/O
/// failure (closed, timed out) is recorded as a <see cref="LoadError"/>; the worker reconnects and goes on.
/// </summary>
public sealed class RecordedLoad : IAsyncDisposable
{
    private readonly CancellationTokenSource stop = new();
    private readonly ConcurrentQueue<LoadError> errors = new();
    private readonly Task[] tasks;
    private readonly ConcurrentQueue<TimeSpan> ackTimes = new();
    private long requests;
    private long okCount;
    private long maxLatencyTicks;

    public RecordedLoad(AckRecorder recorder, Func<RespClient> connect, string prefix, int workers = 2, int keysPerWorker = 500,
        TimeSpan? pace = null)
    {
        Recorder = recorder;
        Prefix = prefix;
        var wait = pace ?? TimeSpan.FromMilliseconds(2);
        tasks = Enumerable.Range(0, workers).Select(w => Task.Factory.StartNew(() => Run(w, connect, keysPerWorker, wait),
            TaskCreationOptions.LongRunning)).ToArray();
    }

    public AckRecorder Recorder { get; }
    public string Prefix { get; }
    public long Requests => Interlocked.Read(ref requests);
    public IReadOnlyList<LoadError> Errors => errors.ToList();

    /// <summary>The slowest request that succeeded (a hang shows up here or as a timeout error).</summary>
    public TimeSpan MaxLatency => TimeSpan.FromTicks(Interlocked.Read(ref maxLatencyTicks));

    /// <summary>When the first write sent after <paramref name="t"/> that was acknowledged went out (null: none yet).</summary>
    public TimeSpan? FirstAckSentAfter(TimeSpan t)
    {
        TimeSpan? best = null;
        foreach (var a in ackTimes)
            if (a > t && (best == null || a < best)) best = a;
        return best;
    }

    /// <summary>Forgets the slowest request so far (e.g. the first ones, which connect and warm up).</summary>
    public void ResetMaxLatency() => Interlocked.Exchange(ref maxLatencyTicks, 0);

    /// <summary>Acknowledged writes so far (how many keys have one is <see cref="AckRecorder.Count"/>).</summary>
    public long Acks => Interlocked.Read(ref okCount);

    private void Run(int worker, Func<RespClient> connect, int keys, TimeSpan pace)
    {
        var clock = Recorder.Clock;
        RespClient? c = null;
        try
        {
            for (long seq = 1; !stop.IsCancellationRequested; seq++)
            {
                string key = $"{Prefix}{worker}:{seq % keys}";
                var at = clock.Elapsed;
                try
                {
                    c ??= connect();
                    var r = c.Call("SET", key, seq.ToString(System.Globalization.CultureInfo.InvariantCulture));
                    var took = clock.Elapsed - at;
                    if (r.Text == "OK" && !r.IsError)
                    {
                        Recorder.Record(key, seq);
                        ackTimes.Enqueue(at);
                        Interlocked.Increment(ref okCount);
                        long t = took.Ticks, m;
                        while (t > (m = Interlocked.Read(ref maxLatencyTicks)) && Interlocked.CompareExchange(ref maxLatencyTicks, t, m) != m) { }
                    }
                    else errors.Enqueue(new LoadError(worker, key, at, took, r.ToString() ?? "?"));
                }
                catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or TimeoutException or AggregateException)
                {
                    errors.Enqueue(new LoadError(worker, key, at, clock.Elapsed - at, e.GetType().Name + ": " + e.Message));
                    c?.Dispose();
                    c = null;
                    stop.Token.WaitHandle.WaitOne(50);
                }
                Interlocked.Increment(ref requests);
                if (pace > TimeSpan.Zero) stop.Token.WaitHandle.WaitOne(pace);
            }
        }
        finally
        {
            c?.Dispose();
        }
    }

    /// <summary>Waits until the load has made <paramref name="more"/> more acknowledged writes (proof it is flowing).</summary>
    public void WaitForAcks(int more, TimeSpan timeout)
    {
        long start = Interlocked.Read(ref okCount);
        var sw = Stopwatch.StartNew();
        while (Interlocked.Read(ref okCount) - start < more)
        {
            if (sw.Elapsed > timeout)
                throw new TimeoutException($"the load got {Interlocked.Read(ref okCount) - start} of {more} OKs in {timeout}; errors: {string.Join("; ", Errors.TakeLast(5))}");
            Thread.Sleep(20);
        }
    }

    /// <summary>Stops the workers and waits for them (bounded by the clients' own timeouts).</summary>
    public async Task StopAsync()
    {
        stop.Cancel();
        await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(60));
    }

    public async ValueTask DisposeAsync()
    {
        if (!stop.IsCancellationRequested) await StopAsync();
        stop.Dispose();
    }
}
