using System.Collections.Concurrent;

namespace Codis.Server;

/// <summary>
/// Server-wide counters for INFO stats; the per-second rates are sampled by the cron. Counters that other parts
/// own (replication syncs, pub/sub) live here too, so INFO stats has one source: they increment them.
/// </summary>
internal sealed class Stats
{
    public long ConnectionsReceived;
    public long RejectedConnections;
    public long Commands;
    public long UnknownCommands;
    public long NetInputBytes;
    public long NetOutputBytes;
    public long NetReplInputBytes;
    public long NetReplOutputBytes;
    public long ReadsProcessed;
    public long WritesProcessed;
    public long SyncFull;
    public long SyncPartialOk;
    public long SyncPartialErr;
    public long ExpireCycleMicroseconds;
    public long ErrorReplies;
    public long AclDeniedAuth;
    public long AclDeniedCommand;
    public long AclDeniedKey;
    public long AclDeniedChannel;
    public long ClientRecentMaxInputBuffer;
    public long ClientRecentMaxOutputBuffer;

    /// <summary>Live pub/sub subscriptions, supplied by the pub/sub hub.</summary>
    public Func<long> PubSubChannels { get; set; } = static () => 0;
    public Func<long> PubSubPatterns { get; set; } = static () => 0;
    public Func<long> PubSubShardChannels { get; set; } = static () => 0;

    /// <summary>Error replies by their first word ("ERR", "WRONGTYPE"), as INFO errorstats.</summary>
    public ConcurrentDictionary<string, long> ErrorCodes { get; } = new(StringComparer.Ordinal);

    private long lastSampleTicks = Environment.TickCount64;
    private long lastSampleCommands, lastSampleInput, lastSampleOutput;
    public long InstantaneousOpsPerSec { get; private set; }
    public double InstantaneousInputKbps { get; private set; }
    public double InstantaneousOutputKbps { get; private set; }

    public void Sample()
    {
        long now = Environment.TickCount64;
        long elapsed = now - lastSampleTicks;
        if (elapsed < 1000) return;
        long commands = Interlocked.Read(ref Commands);
        long input = Interlocked.Read(ref NetInputBytes);
        long output = Interlocked.Read(ref NetOutputBytes);
        InstantaneousOpsPerSec = (commands - lastSampleCommands) * 1000 / elapsed;
        InstantaneousInputKbps = (input - lastSampleInput) * 1000.0 / elapsed / 1024;
        InstantaneousOutputKbps = (output - lastSampleOutput) * 1000.0 / elapsed / 1024;
        lastSampleCommands = commands;
        lastSampleInput = input;
        lastSampleOutput = output;
        lastSampleTicks = now;
        // "recent" as in Redis: the peaks of roughly the last 8 seconds.
        if (++samples % 8 == 0) ClientRecentMaxInputBuffer = ClientRecentMaxOutputBuffer = 0;
    }

    private long samples;

    /// <summary>Counts one error reply under its code (the text up to the first space).</summary>
    public void CountError(string message)
    {
        Interlocked.Increment(ref ErrorReplies);
        int space = message.IndexOf(' ');
        string code = space < 0 ? message : message[..space];
        // Redis caps the table so that odd error texts cannot grow it without bound.
        if (ErrorCodes.Count >= 128 && !ErrorCodes.ContainsKey(code)) return;
        ErrorCodes.AddOrUpdate(code, 1, static (_, n) => n + 1);
    }

    /// <summary>CONFIG RESETSTAT.</summary>
    public void Reset()
    {
        ConnectionsReceived = RejectedConnections = Commands = UnknownCommands = 0;
        NetInputBytes = NetOutputBytes = NetReplInputBytes = NetReplOutputBytes = 0;
        ReadsProcessed = WritesProcessed = 0;
        SyncFull = SyncPartialOk = SyncPartialErr = ExpireCycleMicroseconds = ErrorReplies = 0;
        AclDeniedAuth = AclDeniedCommand = AclDeniedKey = AclDeniedChannel = 0;
        ErrorCodes.Clear();
        lastSampleCommands = lastSampleInput = lastSampleOutput = 0;
    }
}
