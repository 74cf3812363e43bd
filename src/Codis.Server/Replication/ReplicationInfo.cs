using Codis.Server.Introspection;

namespace Codis.Server.Replication;

/// <summary>INFO replication with Redis 7.0's field names and order (redis-formats.md §5.9).</summary>
internal static class ReplicationInfo
{
    public static void Write(CodisServer server, InfoBuilder info)
    {
        var repl = server.Replication;
        long now = Environment.TickCount64;
        info.Field("role", repl.IsReplica ? "slave" : "master");
        if (repl.Link is { } link)
        {
            bool up = link.State == "connected";
            long offset = up || repl.Backlog != null ? repl.MasterReplOffset : 1;
            info.Field("master_host", link.Host)
                .Field("master_port", link.Port)
                .Field("master_link_status", up ? "up" : "down")
                .Field("master_last_io_seconds_ago", up ? (now - link.LastIoTicks) / 1000 : -1)
                .Field("master_sync_in_progress", link.SyncInProgress ? 1 : 0)
                .Field("slave_read_repl_offset", up ? link.ReadOffset : offset)
                .Field("slave_repl_offset", offset);
            if (link.SyncInProgress)
            {
                long total = link.SyncTotalBytes, read = link.SyncReadBytes;
                info.Field("master_sync_total_bytes", total)
                    .Field("master_sync_read_bytes", read)
                    .Field("master_sync_left_bytes", total > 0 ? total - read : 0)
                    .Field("master_sync_perc", total > 0 ? read * 100.0 / total : 0.0, 2)
                    .Field("master_sync_last_io_seconds_ago", (now - link.LastIoTicks) / 1000);
            }
            if (!up) info.Field("master_link_down_since_seconds", link.DownSinceTicks < 0 ? -1 : (now - link.DownSinceTicks) / 1000);
            info.Field("slave_priority", server.Settings["replica-priority"].AsLong)
                .Field("slave_read_only", server.Settings["replica-read-only"].AsBool ? 1 : 0)
                .Field("replica_announced", 1);
        }
        info.Field("connected_slaves", repl.Replicas.Count);
        int minReplicas = server.Settings["min-replicas-to-write"].AsInt;
        long maxLag = server.Settings["min-replicas-max-lag"].AsLong;
        if (minReplicas > 0 && maxLag > 0)
        {
            info.Field("min_slaves_good_slaves", repl.GoodReplicas(now, maxLag * 1000));
        }
        int n = 0;
        foreach (var r in repl.Replicas)
        {
            long lag = r.State == ReplicaState.Online ? (now - r.LastAckTicks) / 1000 : 0;
            info.Field($"slave{n++}", $"ip={r.Ip},port={r.Port},state={r.StateName},offset={r.AckOffset},lag={lag}");
        }
        var backlog = repl.Backlog;
        info.Field("master_failover_state", repl.FailoverStateName)
            .Field("master_replid", repl.ReplId)
            .Field("master_replid2", repl.ReplId2)
            .Field("master_repl_offset", repl.MasterReplOffset)
            .Field("second_repl_offset", repl.SecondReplOffset)
            .Field("repl_backlog_active", backlog != null ? 1 : 0)
            .Field("repl_backlog_size", server.Settings["repl-backlog-size"].AsLong)
            .Field("repl_backlog_first_byte_offset", backlog?.FirstByteOffset ?? 0)
            .Field("repl_backlog_histlen", backlog?.HistLen ?? 0);
    }
}
