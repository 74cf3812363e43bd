namespace Codis.Server.Introspection;

/// <summary>
/// The memory figures of INFO memory. used_memory is the managed heap the GC counts as allocated (the .NET
/// equivalent of Redis's allocator total) less what eviction deleted and the GC has not reclaimed yet; RSS is read
/// from /proc like Redis does, and includes that garbage until a collection returns it.
/// </summary>
internal sealed class MemoryStats
{
    private long peak;

    public MemoryStats() => Startup = Used();

    /// <summary>used_memory right after start-up, before any data (used_memory_startup).</summary>
    public long Startup { get; }

    public long Peak => Math.Max(peak, Used());

    /// <summary>Set by the server: keys it evicted count as freed at once, as in Redis, not when the GC reclaims them.</summary>
    public Storage.Eviction.Evictor? Evictor { get; set; }

    public long Used()
    {
        long used = GC.GetTotalMemory(forceFullCollection: false);
        if (Evictor is { PendingBytes: > 0 } evictor) used = evictor.UsedForLimit(used);
        if (used > peak) peak = used;
        return used;
    }

    /// <summary>The longest GC pauses since start (INFO memory).</summary>
    public GcPauses Pauses { get; } = new();

    /// <summary>Called by the cron, so a short spike between two INFO calls still shows in the peak.</summary>
    public void Sample()
    {
        Used();
        Pauses.Sample();
    }

    public void ResetPeak() => peak = 0;

    private long idleSince = Environment.TickCount64;
    private long lastCommands = -1;
    private long allocatedAtCompaction;

    /// <summary>
    /// Called by the cron. After a burst of work (32 MB allocated since the last compaction) followed by a second
    /// without commands, compacts the heap and returns the freed memory to the OS, so an idle server's RSS
    /// reflects its data rather than the GC's allocation budget. Never runs while commands keep arriving.
    /// </summary>
    public void CompactWhenIdle(long commandsProcessed)
    {
        long now = Environment.TickCount64;
        if (commandsProcessed != lastCommands)
        {
            lastCommands = commandsProcessed;
            idleSince = now;
            return;
        }
        if (now - idleSince < 1000) return;
        if (GC.GetTotalAllocatedBytes() - allocatedAtCompaction < 32L << 20) return;
        Compact();
    }

    /// <summary>MEMORY PURGE and idle compaction: a full compacting collection that decommits freed memory.</summary>
    public void Compact()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        allocatedAtCompaction = GC.GetTotalAllocatedBytes();
        Used();
    }

    /// <summary>Resident set size in bytes (second field of /proc/self/statm, in pages).</summary>
    public static long Rss()
    {
        try
        {
            var fields = File.ReadAllText("/proc/self/statm").Split(' ');
            return long.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture) * Environment.SystemPageSize;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return Environment.WorkingSet;
        }
    }

    public static long TotalSystemMemory()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/meminfo"))
            {
                if (!line.StartsWith("MemTotal:", StringComparison.Ordinal)) continue;
                var kb = line["MemTotal:".Length..].Trim().Split(' ')[0];
                return long.Parse(kb, System.Globalization.CultureInfo.InvariantCulture) * 1024;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException) { }
        return GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
    }
}
