namespace Codis.Server;

/// <summary>Server-wide counters for INFO stats; the per-second rate is sampled by the cron.</summary>
internal sealed class Stats
{
    public long ConnectionsReceived;
    public long RejectedConnections;
    public long Commands;
    public long UnknownCommands;
    public long NetInputBytes;
    public long NetOutputBytes;

    private long lastSampleTicks = Environment.TickCount64;
    private long lastSampleCommands;
    public long InstantaneousOpsPerSec { get; private set; }

    public void Sample()
    {
        long now = Environment.TickCount64;
        long elapsed = now - lastSampleTicks;
        if (elapsed < 1000) return;
        long commands = Interlocked.Read(ref Commands);
        InstantaneousOpsPerSec = (commands - lastSampleCommands) * 1000 / elapsed;
        lastSampleCommands = commands;
        lastSampleTicks = now;
    }

    public void Reset()
    {
        ConnectionsReceived = RejectedConnections = Commands = UnknownCommands = NetInputBytes = NetOutputBytes = 0;
        lastSampleCommands = 0;
    }
}
