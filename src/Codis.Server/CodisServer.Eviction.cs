using System.Diagnostics;
using Codis.Server.Storage.Eviction;

namespace Codis.Server;

/// <summary>maxmemory: eviction before commands and from the cron, and the OOM refusal.</summary>
internal sealed partial class CodisServer
{
    public Evictor Evictor { get; private set; } = null!;

    private Codis.Core.Config.Setting replicaIgnoreMaxmemory = null!;

    private void WatchEvictionSettings(Codis.Core.Config.Settings settings)
    {
        replicaIgnoreMaxmemory = settings["replica-ignore-maxmemory"];
        Memory.Evictor = Evictor;
        void Policy(Codis.Core.Config.Setting s)
        {
            Evictor.Policy = EvictionPolicies.Parse(s.Value);
            Keyspace.AccessKind = Evictor.Policy.AccessKind();
            Evictor.ClearPool(); // pooled scores were of the old kind
        }
        settings["maxmemory-policy"].Changed = Policy;
        settings["maxmemory"].Changed += _ => overMemory = true; // measured at the next command
        settings["maxmemory-samples"].Changed = s => Evictor.Samples = s.AsInt;
        settings["maxmemory-eviction-tenacity"].Changed = s => Evictor.Tenacity = s.AsInt;
        settings["lfu-log-factor"].Changed = s => Keyspace.LfuLogFactor = s.AsInt;
        settings["lfu-decay-time"].Changed = s => Keyspace.LfuDecayMinutes = s.AsInt;
        Policy(settings["maxmemory-policy"]);
        Evictor.Samples = settings["maxmemory-samples"].AsInt;
        Evictor.Tenacity = settings["maxmemory-eviction-tenacity"].AsInt;
        Keyspace.LfuLogFactor = settings["lfu-log-factor"].AsInt;
        Keyspace.LfuDecayMinutes = settings["lfu-decay-time"].AsInt;
        Cron += () =>
        {
            // Redis's eviction time proc: what a command's time budget left over is freed here, without clients.
            if (maxMemory > 0) OutOfMemory(inScript: false, Stopwatch.GetTimestamp(), force: true);
        };
    }

    /// <summary>A replica with replica-ignore-maxmemory leaves its memory to the master (which sends the DELs).</summary>
    private bool IgnoresMaxmemory => Replication.IsReplica && replicaIgnoreMaxmemory.AsBool;

    // Under the limit, memory is read at most every 100 µs (a read costs ~80 ns, a tenth of a pipelined SET);
    // over it, before every command.
    private static readonly long MemoryCheckInterval = Stopwatch.Frequency / 10_000;
    private long memoryCheckedAt;
    private bool overMemory;

    /// <summary>
    /// Redis's performEvictions, called before a command while maxmemory is set (the caller checks), with the
    /// command's start timestamp: evicts what the policy allows; true when memory stays over the limit and nothing
    /// more can go, so a command that may grow memory is refused. Inside a script nothing is evicted (keys must
    /// not vanish under it); its write commands are refused while memory is over.
    /// </summary>
    private bool OutOfMemory(bool inScript, long now, bool force = false)
    {
        if (!overMemory && !force && now - memoryCheckedAt < MemoryCheckInterval) return false;
        memoryCheckedAt = now;
        if (IgnoresMaxmemory) return overMemory = false;
        long used = Memory.Used();
        if (used <= maxMemory)
        {
            Evictor.Evict(used, maxMemory); // nothing to do; ends a period over the limit (INFO stats)
            return overMemory = false;
        }
        overMemory = true;
        if (inScript) return true;
        long started = Latency.Start();
        var outcome = Evictor.Evict(used, maxMemory);
        Latency.End("eviction-cycle", started);
        Evictor.ReclaimIfWorthIt(maxMemory);
        return outcome == Evictor.Outcome.Failed;
    }
}
