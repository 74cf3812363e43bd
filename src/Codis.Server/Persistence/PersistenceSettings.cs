using Codis.Core.Config;

namespace Codis.Server.Persistence;

/// <summary>The settings of persistence (RDB, AOF), replication and shutdown, with Redis 7.0's names and defaults.</summary>
internal static class PersistenceSettings
{
    public static void Define(Settings s)
    {
        s.Define(new Setting { Name = "save", Kind = SettingKind.String, Default = "3600 1 300 100 60 10000", Validate = SaveRules.Validate,
            Description = "snapshot rules: pairs of '<seconds> <changes>' (\"\" = no automatic snapshots)" });
        s.Define(new Setting { Name = "rdbcompression", Kind = SettingKind.Boolean, Default = "yes", Description = "LZF-compress strings in RDB files" });
        s.Define(new Setting { Name = "rdbchecksum", Kind = SettingKind.Boolean, Default = "yes", Description = "write (and check) the CRC-64 trailer of RDB files" });
        s.Define(new Setting { Name = "stop-writes-on-bgsave-error", Kind = SettingKind.Boolean, Default = "yes", Description = "refuse writes while the last background save failed" });
        s.Define(new Setting { Name = "appendonly", Kind = SettingKind.Boolean, Default = "no", Description = "log every write to the append-only file" });
        s.Define(new Setting { Name = "appendfilename", Kind = SettingKind.String, Default = "appendonly.aof", Mutable = false, Description = "base name of the AOF files" });
        s.Define(new Setting { Name = "appenddirname", Kind = SettingKind.String, Default = "appendonlydir", Mutable = false, Description = "folder (inside dir) of the multi-part AOF" });
        s.Define(new Setting { Name = "appendfsync", Kind = SettingKind.Enum, Default = "everysec", Choices = ["always", "everysec", "no"], Description = "when the AOF is fsynced" });
        s.Define(new Setting { Name = "aof-load-truncated", Kind = SettingKind.Boolean, Default = "yes", Description = "start with a truncated AOF (the incomplete last command is dropped)" });
        s.Define(new Setting { Name = "aof-use-rdb-preamble", Kind = SettingKind.Boolean, Default = "yes", Description = "accepted for redis.conf compatibility: codis-server always writes the AOF base in RDB format" });
        s.Define(new Setting { Name = "auto-aof-rewrite-percentage", Kind = SettingKind.Integer, Default = "100", Min = 0, Max = int.MaxValue, Description = "rewrite the AOF when it grew by this % since the last rewrite (0 = never)" });
        s.Define(new Setting { Name = "auto-aof-rewrite-min-size", Kind = SettingKind.Memory, Default = "67108864", Min = 0, Max = long.MaxValue, Description = "no automatic AOF rewrite below this size" });
        s.Define(new Setting { Name = "replicaof", Kind = SettingKind.String, Default = "", Validate = ValidateReplicaOf, Description = "'<host> <port>' of the master at start (\"\" = be a master)" });
        s.Alias("slaveof", "replicaof");
        s.Define(new Setting { Name = "replica-read-only", Kind = SettingKind.Boolean, Default = "yes", Description = "refuse writes from clients on a replica" });
        s.Alias("slave-read-only", "replica-read-only");
        s.Define(new Setting { Name = "masteruser", Kind = SettingKind.String, Default = "", Description = "user name for AUTH with the master" });
        s.Define(new Setting { Name = "repl-backlog-size", Kind = SettingKind.Memory, Default = "1048576", Min = 16 * 1024, Max = 1L << 34, Description = "bytes of replication stream kept for partial resyncs" });
        s.Define(new Setting { Name = "repl-backlog-ttl", Kind = SettingKind.Integer, Default = "3600", Min = 0, Max = int.MaxValue, Description = "free the backlog after N seconds without replicas (0 = never)" });
        s.Define(new Setting { Name = "repl-diskless-sync", Kind = SettingKind.Boolean, Default = "yes", Description = "stream full-sync RDBs straight to replicas that can take it" });
        s.Define(new Setting { Name = "repl-diskless-sync-delay", Kind = SettingKind.Integer, Default = "5", Min = 0, Max = int.MaxValue, Description = "accepted for redis.conf compatibility, no effect: each replica gets its own snapshot at once, so a full sync never waits" });
        s.Define(new Setting { Name = "repl-ping-replica-period", Kind = SettingKind.Integer, Default = "10", Min = 1, Max = int.MaxValue, Description = "seconds between the master's PINGs in the stream" });
        s.Alias("repl-ping-slave-period", "repl-ping-replica-period");
        s.Define(new Setting { Name = "repl-timeout", Kind = SettingKind.Integer, Default = "60", Min = 1, Max = int.MaxValue, Description = "seconds without traffic before a replication link is dropped" });
        s.Define(new Setting { Name = "replica-priority", Kind = SettingKind.Integer, Default = "100", Min = 0, Max = int.MaxValue, Description = "shown in INFO as slave_priority (the dashboard's failover picks the replica with the highest offset, not by this)" });
        s.Alias("slave-priority", "replica-priority");
        s.Define(new Setting { Name = "replica-announce-ip", Kind = SettingKind.String, Default = "", Description = "address the replica tells its master" });
        s.Define(new Setting { Name = "replica-announce-port", Kind = SettingKind.Integer, Default = "0", Min = 0, Max = 65535, Description = "port the replica tells its master (0 = its own)" });
        s.Define(new Setting { Name = "min-replicas-to-write", Kind = SettingKind.Integer, Default = "0", Min = 0, Max = int.MaxValue, Description = "refuse writes with fewer good replicas (0 = off)" });
        s.Alias("min-slaves-to-write", "min-replicas-to-write");
        s.Define(new Setting { Name = "min-replicas-max-lag", Kind = SettingKind.Integer, Default = "10", Min = 0, Max = int.MaxValue, Description = "a good replica ACKed within N seconds, and has acknowledged what the master had N+1 seconds ago" });
        s.Alias("min-slaves-max-lag", "min-replicas-max-lag");
        s.Define(new Setting { Name = "shutdown-timeout", Kind = SettingKind.Integer, Default = "10", Min = 0, Max = int.MaxValue, Description = "seconds a master stopping (SHUTDOWN without NOW, SIGTERM) waits, writes paused, for lagging replicas to acknowledge everything; 0: no wait" });
    }

    private static string? ValidateReplicaOf(string value)
    {
        if (value.Length == 0) return null;
        var parts = value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 2 && parts[0].Equals("no", StringComparison.OrdinalIgnoreCase) && parts[1].Equals("one", StringComparison.OrdinalIgnoreCase)) return null;
        if (parts.Length != 2 || !int.TryParse(parts[1], out int port) || port is < 1 or > 65535) return "expected '<host> <port>'";
        return null;
    }
}
