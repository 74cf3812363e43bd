namespace Codis.Server.Slots;

/// <summary>
/// What slot migration keeps between commands: the cached connections of sync migration and one semi-async
/// migration per database. Created on first use; its housekeeping runs in the server cron (under the lock).
/// </summary>
internal sealed class SlotsState
{
    private long lastHousekeeping;

    public SlotsState(CodisServer server)
    {
        Server = server;
        SyncTargets = new SyncTargetPool();
        Async = new AsyncMigration[server.Keyspace.DatabaseCount];
        for (int i = 0; i < Async.Length; i++) Async[i] = new AsyncMigration(server, i);
        server.Cron += Housekeeping;
        server.ShuttingDown += () =>
        {
            lock (server.Keyspace.Lock)
            {
                SyncTargets.CloseAll();
                foreach (var a in Async) a.Cancel("interrupted: server shutting down");
            }
        };
    }

    public CodisServer Server { get; }
    public SyncTargetPool SyncTargets { get; }

    /// <summary>The semi-async migration of each database (one link and at most one batch per DB).</summary>
    public AsyncMigration[] Async { get; }

    /// <summary>
    /// Raised (under the lock) when migration changes the keyspace outside a command's own effects — the keys a
    /// semi-async batch deletes once the target acknowledged them — with the command that replicas and the AOF must
    /// apply (DEL k...), so persistence and replication can log it like a command's rewrite.
    /// </summary>
    public event Action<int, byte[][]>? Propagate;

    internal void OnPropagate(int db, byte[][] command) => Propagate?.Invoke(db, command);

    /// <summary>Once a second: closes sync links unused for 15 s, times out stalled async batches and idle links.</summary>
    private void Housekeeping()
    {
        long now = Environment.TickCount64;
        if (now - lastHousekeeping < 1000) return;
        lastHousekeeping = now;
        SyncTargets.CloseIdle(TimeSpan.FromSeconds(15));
        foreach (var a in Async) a.CheckTimeouts(now);
    }
}
