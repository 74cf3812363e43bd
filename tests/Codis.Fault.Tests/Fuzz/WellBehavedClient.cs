using System.Diagnostics;
using Codis.Core.Resp;

namespace Codis.Fault.Tests.Fuzz;

/// <summary>
/// The client that must keep being served while the fuzzer runs: SET then GET of its own keys in a loop, each
/// answer checked and each round trip timed. Its keys (good:*) are never named by the fuzzer.
/// </summary>
public sealed class WellBehavedClient(string host, int port) : IDisposable
{
    private readonly CancellationTokenSource stop = new();
    private readonly List<string> failures = [];
    private readonly List<double> latenciesMs = [];
    private Task? loop;

    public const int BaseKeys = 2000;

    public IReadOnlyList<string> Failures { get { lock (failures) return failures.ToList(); } }
    public long Ops { get; private set; }

    public double MaxLatencyMs { get { lock (latenciesMs) return latenciesMs.Count == 0 ? 0 : latenciesMs.Max(); } }

    public double PercentileMs(double p)
    {
        lock (latenciesMs)
        {
            if (latenciesMs.Count == 0) return 0;
            var sorted = latenciesMs.Order().ToList();
            return sorted[Math.Min(sorted.Count - 1, (int)(p * sorted.Count))];
        }
    }

    /// <summary>Writes good:base:0..BaseKeys-1, checked again at the end with <see cref="MissingBaseKeys"/>.</summary>
    public void LoadBase()
    {
        using var c = new RespClient(host, port, TimeSpan.FromSeconds(10));
        Codis.Testing.Cluster.LoadClient.Load(c, "good:base:", BaseKeys);
    }

    public List<string> MissingBaseKeys()
    {
        using var c = new RespClient(host, port, TimeSpan.FromSeconds(10));
        return Codis.Testing.Cluster.LoadClient.Missing(c, "good:base:", BaseKeys);
    }

    public void Start() => loop = Task.Factory.StartNew(Run, TaskCreationOptions.LongRunning);

    private void Run()
    {
        RespClient? c = null;
        var sw = new Stopwatch();
        for (long i = 0; !stop.IsCancellationRequested; i++)
        {
            try
            {
                c ??= new RespClient(host, port, TimeSpan.FromSeconds(5));
                sw.Restart();
                var w = c.Call("SET", $"good:live:{i % 500}", $"v{i}");
                var r = c.Call("GET", $"good:live:{i % 500}");
                sw.Stop();
                lock (latenciesMs) latenciesMs.Add(sw.Elapsed.TotalMilliseconds / 2);
                if (w.Text != "OK" || r.Text != $"v{i}") Fail($"good:live:{i % 500}: SET → {w}, GET → {r}");
                Ops += 2;
            }
            catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or InvalidOperationException)
            {
                Fail($"{DateTime.UtcNow:HH:mm:ss.fff} I/O: {e.Message}");
                c?.Dispose();
                c = null;
                Thread.Sleep(100);
            }
            Thread.Sleep(2); // a steady trickle, not a benchmark
        }
        c?.Dispose();
    }

    private void Fail(string what)
    {
        lock (failures) if (failures.Count < 50) failures.Add(what);
    }

    public void Stop()
    {
        stop.Cancel();
        loop?.Wait(TimeSpan.FromSeconds(15));
    }

    public void Dispose()
    {
        Stop();
        stop.Dispose();
    }
}
