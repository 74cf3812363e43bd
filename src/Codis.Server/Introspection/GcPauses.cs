namespace Codis.Server.Introspection;

/// <summary>
/// The longest garbage-collection pauses since start, by kind (ephemeral = gen0/gen1, background = the blocking
/// phases of a concurrent gen2, full blocking = a stop-the-world gen2), for INFO memory. Every client waits while
/// the GC pauses the process, so these are the server's own share of a client's worst latency. Sampled by the cron:
/// the runtime keeps the latest collection of each kind, so two collections of one kind between two samples count
/// as one (the cron runs every 100 ms, collections of one kind are rarely that close).
/// </summary>
internal sealed class GcPauses
{
    private static readonly GCKind[] Kinds = [GCKind.Ephemeral, GCKind.Background, GCKind.FullBlocking];
    private readonly long[] lastIndex = new long[Kinds.Length];
    private readonly double[] maxMs = new double[Kinds.Length];
    private readonly long[] count = new long[Kinds.Length];

    public void Sample()
    {
        for (int k = 0; k < Kinds.Length; k++)
        {
            var info = GC.GetGCMemoryInfo(Kinds[k]);
            if (info.Index == 0 || info.Index == lastIndex[k]) continue;
            lastIndex[k] = info.Index;
            count[k]++;
            double ms = 0;
            foreach (var pause in info.PauseDurations) ms += pause.TotalMilliseconds;
            if (ms > maxMs[k]) maxMs[k] = ms;
        }
    }

    public void Reset() => Array.Clear(maxMs);

    public void Write(InfoBuilder info)
    {
        info.Field("gc_gen0_budget", Codis.Core.Runtime.Gen0Budget.Current)
            .Field("gc_pause_total_ms", (long)GC.GetTotalPauseDuration().TotalMilliseconds)
            .Field("gc_pause_max_ephemeral_ms", maxMs[0], 1)
            .Field("gc_pause_max_background_ms", maxMs[1], 1)
            .Field("gc_pause_max_full_blocking_ms", maxMs[2], 1)
            .Field("gc_full_blocking_collections", count[2])
            .Field("gc_collections_gen0", GC.CollectionCount(0))
            .Field("gc_collections_gen1", GC.CollectionCount(1))
            .Field("gc_collections_gen2", GC.CollectionCount(2));
    }
}
