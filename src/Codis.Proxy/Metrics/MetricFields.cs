using Codis.Proxy.Stats;

namespace Codis.Proxy.Metrics;

/// <summary>
/// The figures the original pushes to InfluxDB and statsd (reference/codis.md, "Metric fields pushed"), in its
/// order and with its names. The Go runtime ones are mapped to .NET's nearest (see <see cref="RuntimeFigures"/>):
/// goroutines → OS threads, cgo calls → 0 (no such thing here), off-heap memory → memory outside the GC heap.
/// </summary>
internal static class MetricFields
{
    public static MetricField[] Collect(ProxyServer proxy)
    {
        var st = proxy.Stats;
        return
        [
            MetricField.Of("ops_total", Interlocked.Read(ref st.Total)),
            MetricField.Of("ops_fails", Interlocked.Read(ref st.Fails)),
            MetricField.Of("ops_redis_errors", Interlocked.Read(ref st.RedisErrors)),
            MetricField.Of("ops_qps", st.Qps),
            MetricField.Of("sessions_total", Interlocked.Read(ref st.SessionsTotal)),
            MetricField.Of("sessions_alive", (long)proxy.SessionCount),
            MetricField.Of("rusage_mem", Environment.WorkingSet),
            MetricField.Of("rusage_cpu", st.CpuFraction),
            MetricField.Of("runtime_gc_num", RuntimeFigures.GcCount),
            MetricField.Of("runtime_gc_total_pausems", RuntimeFigures.GcTotalPauseMs),
            MetricField.Of("runtime_num_procs", (long)Environment.ProcessorCount),
            MetricField.Of("runtime_num_goroutines", (long)RuntimeFigures.ThreadCount()),
            MetricField.Of("runtime_num_cgo_call", 0L),
            MetricField.Of("runtime_num_mem_offheap", RuntimeFigures.NonGcMemory()),
        ];
    }
}
