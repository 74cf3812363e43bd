using System.Collections.Concurrent;
using Codis.Proxy.Sessions;

namespace Codis.Proxy.Stats;

/// <summary>Proxy counters: operations, failures, per-command calls and latency, QPS (the original's §4.9).</summary>
internal sealed class ProxyStats
{
    public sealed class CommandStats
    {
        public long Calls;
        public long Usecs;
        public long Fails;
        public long RedisErrors;
    }

    // Known commands count in a slot of their own (no lookup per request); unknown ones by name.
    private CommandStats?[] known = new CommandStats?[Routing.OpTable.Count];
    private readonly ConcurrentDictionary<string, CommandStats> commands = new(StringComparer.Ordinal);
    public long Total;
    public long Fails;
    public long RedisErrors;
    public long SessionsTotal;
    private long lastTotal;
    private long lastTicks = Environment.TickCount64;
    public long Qps { get; private set; }
    /// <summary>CPU used over the last sample period (1.0 = one core busy).</summary>
    public double CpuFraction { get; private set; }
    private TimeSpan lastCpu = Environment.CpuUsage.TotalTime;

    public IEnumerable<KeyValuePair<string, CommandStats>> Commands =>
        commands.Concat(Routing.OpTable.All.Where(o => Volatile.Read(ref known)[o.Index] != null).Select(o => KeyValuePair.Create(o.Name, known[o.Index]!)))
            .OrderBy(c => c.Key, StringComparer.Ordinal);

    private CommandStats For(Routing.OpInfo? op, PendingRequest p)
    {
        if (op == null) return commands.GetOrAdd(p.UnknownName ?? "UNKNOWN", _ => new CommandStats());
        var table = Volatile.Read(ref known);
        return table[op.Index] ?? Interlocked.CompareExchange(ref table[op.Index], new CommandStats(), null) ?? table[op.Index]!;
    }

    /// <summary>
    /// Counts a session's answered batch; true when the proxy itself failed any of its requests. Calls and latency
    /// go to each command's counters once per run of the same command (a client mostly repeats one), not per request.
    /// </summary>
    public bool Record(List<PendingRequest> answered, long nowTicks)
    {
        Interlocked.Add(ref Total, answered.Count);
        bool proxyFailed = false;
        CommandStats? run = null;
        long calls = 0, usecs = 0;
        foreach (var p in answered)
        {
            var c = For(p.Op, p);
            if (!ReferenceEquals(c, run))
            {
                Add(run, calls, usecs);
                run = c;
                calls = usecs = 0;
            }
            calls++;
            if (p.StartTicks > 0) usecs += (nowTicks - p.StartTicks) * 1_000_000 / System.Diagnostics.Stopwatch.Frequency;
            var reply = p.Reply!;
            if (reply.Length > 0 && reply[0] == (byte)'-') proxyFailed |= CountError(c, reply);
        }
        Add(run, calls, usecs);
        return proxyFailed;
    }

    private static void Add(CommandStats? c, long calls, long usecs)
    {
        if (c == null || calls == 0) return;
        Interlocked.Add(ref c.Calls, calls);
        if (usecs != 0) Interlocked.Add(ref c.Usecs, usecs);
    }

    /// <summary>Counts an error reply; true when the proxy made it (a failure), false for the server's own errors.</summary>
    private bool CountError(CommandStats c, byte[] reply)
    {
        // Errors made by the proxy ("handle request/response") are failures; the rest are the server's replies.
        if (reply.AsSpan().StartsWith("-ERR handle "u8))
        {
            Interlocked.Increment(ref Fails);
            Interlocked.Increment(ref c.Fails);
            return true;
        }
        Interlocked.Increment(ref RedisErrors);
        Interlocked.Increment(ref c.RedisErrors);
        return false;
    }

    public void Sample()
    {
        long now = Environment.TickCount64;
        long elapsed = now - lastTicks;
        if (elapsed < 1000) return;
        long total = Interlocked.Read(ref Total);
        Qps = (total - lastTotal) * 1000 / elapsed;
        var cpu = Environment.CpuUsage.TotalTime;
        CpuFraction = Math.Round((cpu - lastCpu).TotalMilliseconds / elapsed, 3);
        lastCpu = cpu;
        lastTotal = total;
        lastTicks = now;
    }

    public void Reset()
    {
        commands.Clear();
        Volatile.Write(ref known, new CommandStats?[Routing.OpTable.Count]);
        Total = Fails = RedisErrors = 0;
        lastTotal = 0;
    }
}
