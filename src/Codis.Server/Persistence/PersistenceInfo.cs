using Codis.Server.Introspection;

namespace Codis.Server.Persistence;

/// <summary>INFO persistence with Redis 7.0's field names; fork/COW fields stay 0 (snapshots here do not fork).</summary>
internal static class PersistenceInfo
{
    public static void Write(CodisServer server, InfoBuilder info)
    {
        var p = server.Persistence;
        var aof = p.Aof;
        info.Field("loading", aof.Loading ? 1 : 0)
            .Field("async_loading", 0)
            .Field("current_cow_peak", 0)
            .Field("current_cow_size", 0)
            .Field("current_cow_size_age", 0)
            .Field("current_fork_perc", 0.0, 2)
            .Field("current_save_keys_processed", 0)
            .Field("current_save_keys_total", 0)
            .Field("rdb_changes_since_last_save", p.ChangesSinceSave)
            .Field("rdb_bgsave_in_progress", p.BgSaveInProgress ? 1 : 0)
            .Field("rdb_last_save_time", p.LastSaveUnix)
            .Field("rdb_last_bgsave_status", p.LastBgSaveOk ? "ok" : "err")
            .Field("rdb_last_bgsave_time_sec", p.LastBgSaveSeconds)
            .Field("rdb_current_bgsave_time_sec", p.CurrentBgSaveSeconds)
            .Field("rdb_saves", p.Saves)
            .Field("rdb_last_cow_size", 0)
            .Field("rdb_last_load_keys_expired", p.LastLoadKeysExpired)
            .Field("rdb_last_load_keys_loaded", p.LastLoadKeysLoaded)
            .Field("rdb_last_snapshot_pause_ms", p.LastSnapshotPauseMs, 3)
            .Field("rdb_longest_snapshot_pause_ms", p.LongestSnapshotPauseMs, 3)
            .Field("aof_enabled", aof.Enabled ? 1 : 0)
            .Field("aof_rewrite_in_progress", aof.RewriteInProgress ? 1 : 0)
            .Field("aof_rewrite_scheduled", aof.RewriteScheduled ? 1 : 0)
            .Field("aof_last_rewrite_time_sec", aof.LastRewriteSeconds)
            .Field("aof_current_rewrite_time_sec", aof.CurrentRewriteSeconds)
            .Field("aof_last_bgrewrite_status", aof.LastRewriteOk ? "ok" : "err")
            .Field("aof_rewrites", aof.Rewrites)
            .Field("aof_rewrites_consecutive_failures", 0)
            .Field("aof_last_write_status", aof.LastWriteOk ? "ok" : "err")
            .Field("aof_last_cow_size", 0)
            .Field("module_fork_in_progress", 0)
            .Field("module_fork_last_cow_size", 0);
        if (aof.Enabled)
        {
            info.Field("aof_current_size", aof.CurrentSize)
                .Field("aof_base_size", aof.BaseSize)
                .Field("aof_pending_rewrite", aof.RewriteScheduled ? 1 : 0)
                .Field("aof_buffer_length", aof.BufferLength)
                .Field("aof_pending_bio_fsync", aof.FsyncPending ? 1 : 0)
                .Field("aof_delayed_fsync", 0);
        }
    }
}
