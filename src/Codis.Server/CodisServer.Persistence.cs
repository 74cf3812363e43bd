using Codis.Server.Persistence;
using Codis.Server.Replication;

namespace Codis.Server;

internal sealed partial class CodisServer
{
    /// <summary>RDB snapshots and the AOF.</summary>
    public PersistenceManager Persistence { get; private set; } = null!;

    /// <summary>Master/replica state, the backlog and the links.</summary>
    public ReplicationManager Replication { get; private set; } = null!;

    /// <summary>The hook that sends write commands to the AOF and the replicas.</summary>
    public Propagation Propagation { get; private set; } = null!;

    private void InitPersistence()
    {
        Persistence = new PersistenceManager(this);
        Replication = new ReplicationManager(this);
        Propagation = new Propagation(this);
        Persistence.ReplicationAuxSource = Replication.AuxForSave;
        Info.Register("persistence", info => PersistenceInfo.Write(this, info));
        Info.Register("replication", info => ReplicationInfo.Write(this, info));
        Cron += () =>
        {
            Persistence.Cron();
            Replication.Cron();
        };
        ShuttingDown += () =>
        {
            lock (Keyspace.Lock)
            {
                Replication.Shutdown();
                Persistence.PersistForShutdown(save: null);
            }
        };
    }

    /// <summary>Loads the data (AOF or RDB) and starts replication; before the listeners open.</summary>
    private void LoadData()
    {
        bool asReplica = Settings["replicaof"].Value.Length > 0 && !Settings["replicaof"].Value.StartsWith("no", StringComparison.OrdinalIgnoreCase);
        var loaded = Persistence.LoadAtStartup(asReplica);
        Replication.Start(loaded?.Replication);
    }
}
