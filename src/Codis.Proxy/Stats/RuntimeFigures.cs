using System.Diagnostics;

namespace Codis.Proxy.Stats;

/// <summary>
/// The .NET figures that stand for the original's Go runtime stats (its <c>runtime</c> block and the pushed
/// <c>runtime_*</c> metrics): the nearest equivalent of each, read the same way by the stats JSON and the pushers.
/// </summary>
internal static class RuntimeFigures
{
    /// <summary>Garbage collections since start (every GC counts in generation 0's count); Go's gc.num.</summary>
    public static long GcCount => GC.CollectionCount(0);

    /// <summary>Total time the GC paused the process, in ms; Go's gc.total_pausems.</summary>
    public static long GcTotalPauseMs => (long)GC.GetTotalPauseDuration().TotalMilliseconds;

    /// <summary>The process's OS threads: what stands for Go's goroutine count (our concurrency is threads + async).</summary>
    public static int ThreadCount()
    {
        try
        {
            using var p = Process.GetCurrentProcess();
            return p.Threads.Count;
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception or NotSupportedException)
        {
            return ThreadPool.ThreadCount;
        }
    }

    /// <summary>
    /// Resident memory the GC heap does not account for (native buffers, the runtime, code): the nearest figure to the
    /// original's mem_offheap (jemalloc's off-heap allocations). Working set minus GC-committed bytes, never below 0.
    /// </summary>
    public static long NonGcMemory() => Math.Max(0, Environment.WorkingSet - GC.GetGCMemoryInfo().TotalCommittedBytes);
}
