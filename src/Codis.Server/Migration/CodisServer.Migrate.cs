using Codis.Server.Migration;

namespace Codis.Server;

internal sealed partial class CodisServer
{
    private MigrateLinks? migrateLinks;

    /// <summary>MIGRATE's cached connections to targets; created on first use, idle ones closed by the cron.</summary>
    public MigrateLinks MigrateLinks
    {
        get
        {
            if (migrateLinks != null) return migrateLinks;
            lock (Keyspace.Lock)
            {
                if (migrateLinks != null) return migrateLinks;
                var links = new MigrateLinks();
                Cron += links.CloseIdle;
                ShuttingDown += links.CloseAll;
                return migrateLinks = links;
            }
        }
    }
}
