using System.Globalization;
using System.Runtime;
using System.Text;
using Codis.Server.Introspection;

namespace Codis.Server.Commands;

/// <summary>
/// MEMORY STATS | DOCTOR | MALLOC-STATS | USAGE | PURGE | HELP. codis-server's memory is .NET's managed heap: STATS
/// has Redis 7.0's fields in Redis's order with our own figures (the same as INFO memory), the "allocator" being
/// the GC; MALLOC-STATS describes the GC heap instead of jemalloc's arenas.
/// </summary>
internal static class MemoryCommand
{
    private static readonly string[] Help =
    [
        "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "DOCTOR",
        "    Return memory problems reports.",
        "MALLOC-STATS",
        "    Return the statistics of the .NET garbage-collected heap (codis-server's allocator).",
        "PURGE",
        "    Compact the managed heap and return freed memory to the operating system.",
        "STATS",
        "    Return information about the memory usage of the server.",
        "USAGE <key> [SAMPLES <count>]",
        "    Return memory in bytes used by <key> and its value. Nested values are",
        "    sampled up to <count> times (default: 5, 0 means sample all).",
        "HELP",
        "    Prints this help.",
    ];

    private const string Sharded = "nondeterministic_output request_policy:all_shards response_policy:special";

    [Command("memory", -2, Flags = CommandFlags.None, Group = "server", Summary = "A container for memory diagnostics commands.")]
    [Subcommand("memory", "doctor", 2, Flags = CommandFlags.None, Tips = Sharded, Summary = "Outputs a memory problems report.")]
    [Subcommand("memory", "help", 2, Flags = CommandFlags.Loading | CommandFlags.Stale, Summary = "Returns helpful text about the different subcommands.")]
    [Subcommand("memory", "malloc-stats", 2, Flags = CommandFlags.None, Tips = Sharded, Summary = "Returns the allocator statistics.")]
    [Subcommand("memory", "purge", 2, Flags = CommandFlags.None, Tips = "request_policy:all_shards response_policy:all_succeeded", Summary = "Asks the allocator to release memory.")]
    [Subcommand("memory", "stats", 2, Flags = CommandFlags.None, Tips = Sharded, Summary = "Returns details about memory usage.")]
    [Subcommand("memory", "usage", -3, Flags = CommandFlags.ReadOnly, FirstKey = 2, LastKey = 2, Step = 1, KeyFlags = "RO", Summary = "Estimates the memory usage of a key.")]
    public static void Memory(CommandContext ctx)
    {
        if (Subcommands.Checked(ctx) is not { } sub) return;
        switch (sub.Name)
        {
            case "memory|help": Subcommands.WriteHelp(ctx, Help); break;
            case "memory|usage": Usage(ctx); break;
            case "memory|stats": Stats(ctx, MemoryBreakdown.Of(ctx.Server)); break;
            case "memory|doctor": ctx.Reply.WriteVerbatim(Doctor(ctx.Server, MemoryBreakdown.Of(ctx.Server))); break;
            case "memory|malloc-stats": ctx.Reply.WriteBulk(HeapStats()); break;
            default:
                ctx.Server.Memory.Compact();
                ctx.Ok();
                break;
        }
    }

    private static void Usage(CommandContext ctx)
    {
        long samples = 5;
        if (ctx.ArgCount == 5 && ctx.ArgIs(3, "SAMPLES"))
        {
            if (!ctx.TryArgLong(4, out samples)) return;
            if (samples < 0)
            {
                ctx.SyntaxError();
                return;
            }
            if (samples == 0) samples = int.MaxValue;
        }
        else if (ctx.ArgCount != 3)
        {
            ctx.SyntaxError();
            return;
        }
        if (!ctx.Db.TryPeek(ctx.Arg(2), out var table, out int index))
        {
            ctx.Reply.WriteNullBulk();
            return;
        }
        ref var e = ref table.At(index);
        ctx.Reply.WriteInteger(Storage.MemoryUsage.OfKey(e.Key!, e.Value!, (int)Math.Min(samples, int.MaxValue)));
    }

    /// <summary>
    /// Redis 7.0's MEMORY STATS fields in its order. The allocator figures are the GC's: allocated = heap in use,
    /// active = resident = heap committed (the GC has no separate resident count); buffers we do not keep apart
    /// (replication backlog, client buffers, AOF buffer) are 0, as INFO memory shows them.
    /// </summary>
    private static void Stats(CommandContext ctx, MemoryBreakdown m)
    {
        var r = ctx.Reply;
        // Known from the last collection only (0 before the first): the heap in use is committed at least.
        long committed = Math.Max(GC.GetGCMemoryInfo().TotalCommittedBytes, m.Used);
        long startupDelta = m.Used - m.Startup;
        r.WriteMapHeader(27 + m.Databases.Count);
        Field(r, "peak.allocated", m.Peak);
        Field(r, "total.allocated", m.Used);
        Field(r, "startup.allocated", m.Startup);
        Field(r, "replication.backlog", 0);
        Field(r, "clients.slaves", 0);
        Field(r, "clients.normal", 0);
        Field(r, "cluster.links", 0);
        Field(r, "aof.buffer", 0);
        Field(r, "lua.caches", ctx.Server.Scripts.CachedBytes);
        Field(r, "functions.caches", 0);
        foreach (var (db, _, tables) in m.Databases)
        {
            r.WriteBulk("db." + db.ToString(CultureInfo.InvariantCulture));
            r.WriteMapHeader(3);
            Field(r, "overhead.hashtable.main", tables); // TTLs live in the entries: no separate expires table
            Field(r, "overhead.hashtable.expires", 0);
            Field(r, "overhead.hashtable.slot-to-keys", 0);
        }
        Field(r, "overhead.total", m.Overhead);
        Field(r, "keys.count", m.Keys);
        Field(r, "keys.bytes-per-key", m.Keys == 0 ? 0 : startupDelta / m.Keys);
        Field(r, "dataset.bytes", m.Dataset);
        Ratio(r, "dataset.percentage", startupDelta <= 0 ? 0 : m.Dataset * 100f / startupDelta);
        Ratio(r, "peak.percentage", m.Peak == 0 ? 0 : m.Used * 100f / m.Peak);
        Field(r, "allocator.allocated", m.Used);
        Field(r, "allocator.active", committed);
        Field(r, "allocator.resident", committed);
        Ratio(r, "allocator-fragmentation.ratio", m.Used == 0 ? 0 : (float)committed / m.Used);
        Field(r, "allocator-fragmentation.bytes", committed - m.Used);
        Ratio(r, "allocator-rss.ratio", committed == 0 ? 0 : 1f);
        Field(r, "allocator-rss.bytes", 0);
        Ratio(r, "rss-overhead.ratio", committed == 0 ? 0 : (float)m.Rss / committed);
        Field(r, "rss-overhead.bytes", m.Rss - committed);
        Ratio(r, "fragmentation", m.Used == 0 ? 0 : (float)m.Rss / m.Used);
        Field(r, "fragmentation.bytes", m.Rss - m.Used);
    }

    private static void Field(Core.Resp.RespWriter r, string name, long value)
    {
        r.WriteBulk(name);
        r.WriteInteger(value);
    }

    /// <summary>Redis keeps these as floats and replies them as doubles (%.17g bulk strings in RESP2).</summary>
    private static void Ratio(Core.Resp.RespWriter r, string name, float value)
    {
        r.WriteBulk(name);
        r.WriteDouble(value);
    }

    /// <summary>Below this much heap there is too little data for the checks to mean anything.</summary>
    private const long LittleMemory = 5L << 20;

    /// <summary>MEMORY DOCTOR: plain findings from the figures above and the GC's pauses; one line each.</summary>
    internal static string Doctor(CodisServer server, MemoryBreakdown m)
    {
        if (m.Used < LittleMemory)
            return $"This instance uses very little memory ({Human(m.Used)} of managed heap): there is nothing to diagnose yet.\n";
        var findings = new List<string>();
        if (m.Peak > m.Used * 3 / 2)
            findings.Add($"Peak memory: the heap once reached {Human(m.Peak)}, {m.Peak * 100 / m.Used}% of the {Human(m.Used)} in use now. A burst of writes or big replies may have caused it; CONFIG RESETSTAT forgets the peak.");
        if (m.Rss > m.Used * 3 / 2 && m.Rss - m.Used > LittleMemory * 2)
            findings.Add($"High RSS: the process holds {Human(m.Rss)} for {Human(m.Used)} of heap in use (ratio {(double)m.Rss / m.Used:F2}). The GC keeps freed memory for reuse; MEMORY PURGE compacts the heap and returns it to the system.");
        long maxmemory = server.Settings["maxmemory"].AsLong;
        if (maxmemory > 0 && m.Used > maxmemory * 9 / 10)
            findings.Add($"Near maxmemory: {Human(m.Used)} in use of {Human(maxmemory)}; writes are refused (OOM) past it, as codis-server never evicts keys.");
        var pause = GC.GetGCMemoryInfo(GCKind.FullBlocking);
        double fullMs = pause.Index == 0 ? 0 : pause.PauseDurations.ToArray().Sum(p => p.TotalMilliseconds);
        if (fullMs > 100)
            findings.Add($"GC pauses: the last full blocking collection stopped every client for {fullMs:F0} ms (INFO memory has the worst pauses).");
        if (findings.Count == 0) return "No memory problems found: heap, peak, RSS and GC pauses look healthy.\n";
        var sb = new StringBuilder("Memory findings:\n\n");
        foreach (var f in findings) sb.Append(" * ").Append(f).Append("\n\n");
        return sb.ToString();
    }

    /// <summary>MEMORY MALLOC-STATS: the GC heap as the runtime reports it.</summary>
    internal static string HeapStats()
    {
        var info = GC.GetGCMemoryInfo();
        var sb = new StringBuilder();
        sb.Append("___ Begin .NET GC heap statistics ___\n");
        sb.Append("Runtime: ").Append(System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription).Append('\n');
        sb.Append("GC mode: ").Append(GCSettings.IsServerGC ? "server" : "workstation")
            .Append(", concurrent: ").Append(info.Concurrent ? "yes" : "no")
            .Append(", latency mode: ").Append(GCSettings.LatencyMode).Append('\n');
        if (info.Index == 0) sb.Append("No collection yet: the figures of the last collection are all 0.\n");
        Line(sb, "heap in use (GC.GetTotalMemory)", GC.GetTotalMemory(false));
        Line(sb, "heap size at last collection", info.HeapSizeBytes);
        Line(sb, "fragmented at last collection", info.FragmentedBytes);
        Line(sb, "committed", info.TotalCommittedBytes);
        Line(sb, "promoted at last collection", info.PromotedBytes);
        Line(sb, "pinned objects at last collection", info.PinnedObjectsCount);
        Line(sb, "high memory load threshold", info.HighMemoryLoadThresholdBytes);
        Line(sb, "memory load", info.MemoryLoadBytes);
        Line(sb, "total available memory", info.TotalAvailableMemoryBytes);
        Line(sb, "allocated since start", GC.GetTotalAllocatedBytes());
        string[] generations = ["gen0", "gen1", "gen2", "large object heap", "pinned object heap"];
        var gens = info.GenerationInfo;
        for (int g = 0; g < gens.Length && g < generations.Length; g++)
            sb.Append(generations[g]).Append(": size before ").Append(gens[g].SizeBeforeBytes)
                .Append(", after ").Append(gens[g].SizeAfterBytes)
                .Append(", fragmentation after ").Append(gens[g].FragmentationAfterBytes).Append('\n');
        sb.Append("collections: gen0 ").Append(GC.CollectionCount(0)).Append(", gen1 ").Append(GC.CollectionCount(1))
            .Append(", gen2 ").Append(GC.CollectionCount(2)).Append('\n');
        sb.Append("pause total ms: ").Append((long)GC.GetTotalPauseDuration().TotalMilliseconds)
            .Append(", pause time percentage: ").Append(info.PauseTimePercentage.ToString("F2", CultureInfo.InvariantCulture)).Append('\n');
        sb.Append("--- End .NET GC heap statistics ---\n");
        return sb.ToString();
    }

    private static void Line(StringBuilder sb, string name, long value) => sb.Append(name).Append(": ").Append(value).Append('\n');

    private static string Human(long bytes) => InfoBuilder.Human(bytes);
}
