using System.Diagnostics;
using Codis.Core.Resp;

namespace Codis.Fault.Tests.MultiHost;

/// <summary>
/// A client on one host (its thread lives in that host's network namespace) writing w:&lt;host&gt;:&lt;i&gt; = i
/// through the host's local proxy, one at a time, recording when each write was acknowledged and what refused
/// the others.
/// </summary>
public sealed class HostWriter(ThreeHosts hosts, int host, int proxyPort)
{
    private volatile bool stop;
    private Thread? thread;
    private readonly List<(long I, TimeSpan At)> acked = [];
    private readonly Dictionary<string, int> errors = [];
    public Stopwatch Clock { get; set; } = Stopwatch.StartNew();
    /// <summary>How long one write may take before the client gives up on it (counted as refused).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(1);

    public string Key(long i) => $"w:{ThreeHosts.Names[host]}:{i}";
    public IReadOnlyList<(long I, TimeSpan At)> Acked { get { lock (acked) return acked.ToList(); } }
    public Dictionary<string, int> Errors { get { lock (errors) return new(errors); } }
    public TimeSpan? LastAck { get { lock (acked) return acked.Count == 0 ? null : acked[^1].At; } }

    public void Start() => thread = hosts.StartThreadOn(host, Run);

    private void Run()
    {
        RespClient? c = null;
        for (long i = 0; !stop; i++)
        {
            try
            {
                c ??= new RespClient(hosts.Ip(host), proxyPort, Timeout);
                var r = c.Call("SET", Key(i), i.ToString());
                if (r.Text == "OK") lock (acked) acked.Add((i, Clock.Elapsed));
                else Count(r.Text?.Split(' ')[0] ?? r.ToString());
            }
            catch (Exception e) // a test thread must not throw: every failure is counted as a refused write
            {
                Count(e is AggregateException { InnerException: { } inner } ? inner.GetType().Name + ": " + inner.Message : e.GetType().Name + ": " + e.Message);
                c?.Dispose();
                c = null;
                Thread.Sleep(100);
            }
            Thread.Sleep(10);
        }
        c?.Dispose();
    }

    private void Count(string what)
    {
        lock (errors) errors[what] = errors.GetValueOrDefault(what) + 1;
    }

    public void Stop()
    {
        stop = true;
        thread?.Join(TimeSpan.FromSeconds(10));
    }
}
