using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Codis.Core.Slots;
using Codis.Server.Commands;

namespace Codis.Server.Introspection;

/// <summary>
/// The INFO sections with Redis 7.0's field names. persistence and replication are master/no-persistence
/// defaults until the parts that own them register their own writers. Fields for features codis-server does not
/// have (forks, io-threads, defrag, tracking, modules) keep Redis's names with the values such a server shows.
/// </summary>
internal static class StandardSections
{
    public static void RegisterAll(CodisServer server, InfoRegistry registry)
    {
        string replId = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(20)).ToLowerInvariant();
        registry.Register("server", info => WriteServer(server, info));
        registry.Register("clients", info => WriteClients(server, info));
        registry.Register("memory", info => WriteMemory(server, info));
        registry.Register("persistence", info => WriteDefaultPersistence(server, info));
        registry.Register("stats", info => WriteStats(server, info));
        registry.Register("replication", info => WriteDefaultReplication(server, replId, info));
        registry.Register("cpu", WriteCpu, title: "CPU");
        registry.Register("modules", _ => { });
        registry.Register("commandstats", WriteCommandStats, isDefault: false);
        registry.Register("errorstats", info => WriteErrorStats(server, info));
        registry.Register("latencystats", info => WriteLatencyStats(server, info), isDefault: false);
        registry.Register("cluster", info => info.Field("cluster_enabled", 0));
        registry.Register("keyspace", info => WriteKeyspace(server, info));
        registry.Register("slots", info => WriteSlots(server, info), isDefault: false);
    }

    private static readonly string Os = ReadOs();

    private static string ReadOs()
    {
        string release = "";
        try { release = File.ReadAllText("/proc/sys/kernel/osrelease").Trim(); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        string arch = RuntimeInformation.OSArchitecture switch { Architecture.X64 => "x86_64", Architecture.Arm64 => "aarch64", var a => a.ToString().ToLowerInvariant() };
        string os = OperatingSystem.IsLinux() ? "Linux" : RuntimeInformation.OSDescription;
        return $"{os} {release} {arch}".Replace("  ", " ", StringComparison.Ordinal);
    }

    private static void WriteServer(CodisServer server, InfoBuilder info)
    {
        long nowUs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000;
        long uptime = (Environment.TickCount64 - server.StartedAt) / 1000;
        info.Field("redis_version", Info.RedisVersion)
            .Field("redis_git_sha1", "00000000")
            .Field("redis_git_dirty", 0)
            .Field("redis_build_id", BuildId)
            .Field("redis_mode", "standalone")
            .Field("codis_server_version", typeof(CodisServer).Assembly.GetName().Version?.ToString() ?? "0")
            .Field("dotnet_version", Environment.Version.ToString())
            .Field("os", Os)
            .Field("arch_bits", IntPtr.Size * 8)
            .Field("monotonic_clock", "POSIX clock_gettime")
            .Field("multiplexing_api", OperatingSystem.IsLinux() ? "epoll" : "kqueue")
            .Field("process_id", Environment.ProcessId)
            .Field("process_supervised", "no")
            .Field("run_id", server.RunId)
            .Field("tcp_port", server.Port)
            .Field("server_time_usec", nowUs)
            .Field("uptime_in_seconds", uptime)
            .Field("uptime_in_days", uptime / 86400)
            .Field("hz", server.Settings["hz"].AsLong)
            .Field("configured_hz", server.Settings["hz"].AsLong)
            .Field("lru_clock", nowUs / 1_000_000 & ((1 << 24) - 1))
            .Field("executable", Environment.ProcessPath ?? "")
            .Field("config_file", server.Settings.FilePath ?? "")
            .Field("io_threads_active", 0)
            // Not in Redis: how many own epoll loops serve the clients (0 = .NET's socket engine).
            .Field("event_loop_threads", server.EventLoopThreads);
    }

    private static readonly string BuildId = Convert.ToHexString(
        System.Security.Cryptography.SHA1.HashData(Encoding.UTF8.GetBytes(typeof(CodisServer).Assembly.ManifestModule.ModuleVersionId.ToString())))[..15].ToLowerInvariant();

    private static void WriteClients(CodisServer server, InfoBuilder info)
    {
        long connected = 0;
        foreach (var _ in server.Clients) connected++;
        info.Field("connected_clients", connected)
            .Field("cluster_connections", 0)
            .Field("maxclients", server.Settings["maxclients"].AsLong)
            .Field("client_recent_max_input_buffer", server.Stats.ClientRecentMaxInputBuffer)
            .Field("client_recent_max_output_buffer", server.Stats.ClientRecentMaxOutputBuffer)
            .Field("blocked_clients", server.Blocking.BlockedClients)
            .Field("tracking_clients", server.Keyspace.Tracking?.Clients ?? 0)
            .Field("clients_in_timeout_table", 0);
    }

    private static void WriteMemory(CodisServer server, InfoBuilder info)
    {
        var mem = server.Memory;
        var breakdown = MemoryBreakdown.Of(server);
        long used = breakdown.Used, rss = breakdown.Rss, peak = breakdown.Peak, overhead = breakdown.Overhead, dataset = breakdown.Dataset;
        long system = MemoryStats.TotalSystemMemory();
        long maxmemory = server.Settings["maxmemory"].AsLong;
        info.Field("used_memory", used)
            .Field("used_memory_human", InfoBuilder.Human(used))
            .Field("used_memory_rss", rss)
            .Field("used_memory_rss_human", InfoBuilder.Human(rss))
            .Field("used_memory_peak", peak)
            .Field("used_memory_peak_human", InfoBuilder.Human(peak))
            .Field("used_memory_peak_perc", Percent(used, peak))
            .Field("used_memory_overhead", overhead)
            .Field("used_memory_startup", mem.Startup)
            .Field("used_memory_dataset", dataset)
            .Field("used_memory_dataset_perc", Percent(dataset, used - mem.Startup))
            .Field("used_memory_lua", server.Scripts.LuaMemory)
            .Field("used_memory_vm_eval", server.Scripts.LuaMemory)
            .Field("used_memory_lua_human", InfoBuilder.Human(server.Scripts.LuaMemory))
            .Field("used_memory_scripts_eval", server.Scripts.CachedBytes)
            .Field("number_of_cached_scripts", server.Scripts.CachedScripts)
            .Field("number_of_functions", server.Functions.FunctionCount)
            .Field("number_of_libraries", server.Functions.LibraryCount)
            .Field("used_memory_vm_functions", server.Scripts.FunctionsMemory)
            .Field("used_memory_vm_total", server.Scripts.LuaMemory + server.Scripts.FunctionsMemory)
            .Field("used_memory_vm_total_human", InfoBuilder.Human(server.Scripts.LuaMemory + server.Scripts.FunctionsMemory))
            .Field("used_memory_functions", server.Functions.CodeBytes)
            .Field("used_memory_scripts", server.Scripts.CachedBytes + server.Functions.CodeBytes)
            .Field("used_memory_scripts_human", InfoBuilder.Human(server.Scripts.CachedBytes + server.Functions.CodeBytes))
            .Field("total_system_memory", system)
            .Field("total_system_memory_human", InfoBuilder.Human(system))
            .Field("maxmemory", maxmemory)
            .Field("maxmemory_human", InfoBuilder.Human(maxmemory))
            .Field("maxmemory_policy", server.Settings["maxmemory-policy"].Value)
            .Field("mem_fragmentation_ratio", used == 0 ? 0 : (double)rss / used, 2)
            .Field("mem_fragmentation_bytes", rss - used)
            .Field("mem_not_counted_for_evict", 0)
            .Field("mem_replication_backlog", 0)
            .Field("mem_clients_slaves", 0)
            .Field("mem_clients_normal", 0)
            .Field("mem_aof_buffer", 0)
            .Field("mem_allocator", "dotnet-gc-" + (System.Runtime.GCSettings.IsServerGC ? "server" : "workstation"))
            .Field("active_defrag_running", 0)
            .Field("lazyfree_pending_objects", 0)
            .Field("lazyfreed_objects", 0)
            // Not in Redis: bytes the GC has handed out since start (bench/server-cost.sh divides it by requests).
            .Field("gc_total_allocated_bytes", GC.GetTotalAllocatedBytes())
            .Field("gc_collections", $"gen0={GC.CollectionCount(0)},gen1={GC.CollectionCount(1)},gen2={GC.CollectionCount(2)}");
        mem.Pauses.Write(info);
    }

    private static string Percent(long part, long whole) =>
        (whole <= 0 ? 0 : part * 100.0 / whole).ToString("F2", CultureInfo.InvariantCulture) + "%";

    /// <summary>What a server without RDB or AOF shows; replaced by the persistence writer when it registers.</summary>
    private static void WriteDefaultPersistence(CodisServer server, InfoBuilder info)
    {
        info.Field("loading", 0)
            .Field("async_loading", 0)
            .Field("current_cow_peak", 0)
            .Field("current_cow_size", 0)
            .Field("current_cow_size_age", 0)
            .Field("current_fork_perc", 0.0, 2)
            .Field("current_save_keys_processed", 0)
            .Field("current_save_keys_total", 0)
            .Field("rdb_changes_since_last_save", server.Keyspace.Dirty)
            .Field("rdb_bgsave_in_progress", 0)
            .Field("rdb_last_save_time", server.StartedAtUnixMs / 1000)
            .Field("rdb_last_bgsave_status", "ok")
            .Field("rdb_last_bgsave_time_sec", -1)
            .Field("rdb_current_bgsave_time_sec", -1)
            .Field("rdb_saves", 0)
            .Field("rdb_last_cow_size", 0)
            .Field("rdb_last_load_keys_expired", 0)
            .Field("rdb_last_load_keys_loaded", 0)
            .Field("aof_enabled", 0)
            .Field("aof_rewrite_in_progress", 0)
            .Field("aof_rewrite_scheduled", 0)
            .Field("aof_last_rewrite_time_sec", -1)
            .Field("aof_current_rewrite_time_sec", -1)
            .Field("aof_last_bgrewrite_status", "ok")
            .Field("aof_rewrites", 0)
            .Field("aof_rewrites_consecutive_failures", 0)
            .Field("aof_last_write_status", "ok")
            .Field("aof_last_cow_size", 0)
            .Field("module_fork_in_progress", 0)
            .Field("module_fork_last_cow_size", 0);
    }

    private static void WriteStats(CodisServer server, InfoBuilder info)
    {
        var st = server.Stats;
        info.Field("total_connections_received", st.ConnectionsReceived)
            .Field("total_commands_processed", st.Commands)
            .Field("instantaneous_ops_per_sec", st.InstantaneousOpsPerSec)
            .Field("total_net_input_bytes", Interlocked.Read(ref st.NetInputBytes))
            .Field("total_net_output_bytes", Interlocked.Read(ref st.NetOutputBytes))
            .Field("total_net_repl_input_bytes", st.NetReplInputBytes)
            .Field("total_net_repl_output_bytes", st.NetReplOutputBytes)
            .Field("instantaneous_input_kbps", st.InstantaneousInputKbps, 2)
            .Field("instantaneous_output_kbps", st.InstantaneousOutputKbps, 2)
            .Field("instantaneous_input_repl_kbps", 0.0, 2)
            .Field("instantaneous_output_repl_kbps", 0.0, 2)
            .Field("rejected_connections", st.RejectedConnections)
            .Field("sync_full", st.SyncFull)
            .Field("sync_partial_ok", st.SyncPartialOk)
            .Field("sync_partial_err", st.SyncPartialErr)
            .Field("expired_keys", server.Keyspace.ExpiredKeys)
            .Field("expired_stale_perc", 0.0, 2)
            .Field("expired_time_cap_reached_count", 0)
            .Field("expire_cycle_cpu_milliseconds", st.ExpireCycleMicroseconds / 1000)
            .Field("evicted_keys", server.Keyspace.EvictedKeys)
            .Field("evicted_clients", 0)
            .Field("total_eviction_exceeded_time", server.Evictor.ExceededMilliseconds)
            .Field("current_eviction_exceeded_time", server.Evictor.CurrentExceededMilliseconds)
            .Field("keyspace_hits", server.Keyspace.KeyspaceHits)
            .Field("keyspace_misses", server.Keyspace.KeyspaceMisses)
            .Field("pubsub_channels", st.PubSubChannels())
            .Field("pubsub_patterns", st.PubSubPatterns())
            .Field("pubsubshard_channels", st.PubSubShardChannels())
            .Field("latest_fork_usec", 0)
            .Field("total_forks", 0)
            .Field("migrate_cached_sockets", 0)
            .Field("slave_expires_tracked_keys", 0)
            .Field("active_defrag_hits", 0)
            .Field("active_defrag_misses", 0)
            .Field("active_defrag_key_hits", 0)
            .Field("active_defrag_key_misses", 0)
            .Field("total_active_defrag_time", 0)
            .Field("current_active_defrag_time", 0)
            .Field("tracking_total_keys", server.Keyspace.Tracking?.Keys ?? 0)
            .Field("tracking_total_items", server.Keyspace.Tracking?.Items ?? 0)
            .Field("tracking_total_prefixes", server.Keyspace.Tracking?.PrefixCount ?? 0)
            .Field("unexpected_error_replies", 0)
            .Field("total_error_replies", st.ErrorReplies)
            .Field("dump_payload_sanitizations", 0)
            .Field("total_reads_processed", Interlocked.Read(ref st.ReadsProcessed))
            .Field("total_writes_processed", Interlocked.Read(ref st.WritesProcessed))
            .Field("io_threaded_reads_processed", 0)
            .Field("io_threaded_writes_processed", 0)
            .Field("reply_buffer_shrinks", 0)
            .Field("reply_buffer_expands", 0)
            // Redis 7.2's counters (7.0 has none): denials by the ACL of a password, a command, a key, a channel.
            .Field("acl_access_denied_auth", st.AclDeniedAuth)
            .Field("acl_access_denied_cmd", st.AclDeniedCommand)
            .Field("acl_access_denied_key", st.AclDeniedKey)
            .Field("acl_access_denied_channel", st.AclDeniedChannel);
    }

    /// <summary>A master with no replicas; replaced by the replication writer when it registers.</summary>
    private static void WriteDefaultReplication(CodisServer server, string replId, InfoBuilder info)
    {
        info.Field("role", server.Role)
            .Field("connected_slaves", 0)
            .Field("master_failover_state", "no-failover")
            .Field("master_replid", replId)
            .Field("master_replid2", new string('0', 40))
            .Field("master_repl_offset", 0)
            .Field("second_repl_offset", -1)
            .Field("repl_backlog_active", 0)
            .Field("repl_backlog_size", 1048576)
            .Field("repl_backlog_first_byte_offset", 0)
            .Field("repl_backlog_histlen", 0);
    }

    private static void WriteCpu(InfoBuilder info)
    {
        using var p = Process.GetCurrentProcess();
        info.Field("used_cpu_sys", p.PrivilegedProcessorTime.TotalSeconds, 6)
            .Field("used_cpu_user", p.UserProcessorTime.TotalSeconds, 6)
            .Field("used_cpu_sys_children", 0.0, 6)
            .Field("used_cpu_user_children", 0.0, 6);
    }

    private static void WriteCommandStats(InfoBuilder info)
    {
        foreach (var c in CommandTable.AllWithSubcommands)
        {
            if (c.Calls == 0 && c.RejectedCalls == 0 && c.FailedCalls == 0) continue;
            double perCall = c.Calls == 0 ? 0 : (double)c.Microseconds / c.Calls;
            info.Field("cmdstat_" + c.Name, string.Create(CultureInfo.InvariantCulture,
                $"calls={c.Calls},usec={c.Microseconds},usec_per_call={perCall:F2},rejected_calls={c.RejectedCalls},failed_calls={c.FailedCalls}"));
        }
    }

    private static void WriteErrorStats(CodisServer server, InfoBuilder info)
    {
        foreach (var (code, count) in server.Stats.ErrorCodes.OrderBy(e => e.Key, StringComparer.Ordinal))
            info.Field("errorstat_" + code, "count=" + count.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>Per command, the latency-tracking-info-percentiles in microseconds ("p50=1.003,p99=..."); empty when tracking is off.</summary>
    private static void WriteLatencyStats(CodisServer server, InfoBuilder info)
    {
        if (!server.Settings["latency-tracking"].AsBool) return;
        var percentiles = LatencyPercentiles.Parse(server.Settings["latency-tracking-info-percentiles"].Value);
        var names = percentiles.Select(p => "p" + LatencyPercentiles.Format(p) + "=").ToArray();
        var line = new StringBuilder();
        foreach (var c in CommandTable.AllWithSubcommands)
        {
            var h = c.Latency;
            if (h == null || h.Total == 0) continue;
            line.Clear();
            for (int i = 0; i < percentiles.Length; i++)
            {
                if (i > 0) line.Append(',');
                line.Append(names[i]).Append((h.ValueAt(percentiles[i]) / 1000.0).ToString("F3", CultureInfo.InvariantCulture));
            }
            info.Field("latency_percentiles_usec_" + c.Name, line.ToString());
        }
    }

    private static void WriteKeyspace(CodisServer server, InfoBuilder info)
    {
        var ks = server.Keyspace;
        for (int d = 0; d < ks.DatabaseCount; d++)
        {
            var db = ks[d];
            if (db.Count == 0) continue;
            info.Field("db" + d.ToString(CultureInfo.InvariantCulture), string.Create(CultureInfo.InvariantCulture,
                $"keys={db.Count},expires={db.ExpiresCount},avg_ttl={AverageTtl(db, ks.Now)}"));
        }
    }

    /// <summary>
    /// Like Redis, an estimate: the mean remaining TTL (ms) of up to 1000 expiring keys. Keys are spread over the
    /// slots by hash, so the first slots that hold any are a fair sample.
    /// </summary>
    private static long AverageTtl(Storage.Database db, long now)
    {
        long sum = 0, n = 0;
        for (int s = 0; s < SlotHash.SlotCount && n < 1000; s++)
        {
            var t = db.Table(s);
            if (t == null || t.ExpiresCount == 0) continue;
            for (int i = 0; i < t.Capacity && n < 1000; i++)
            {
                if (!t.IsUsed(i)) continue;
                long exp = t.At(i).ExpireAt;
                if (exp == 0 || exp <= now) continue;
                sum += exp - now;
                n++;
            }
        }
        return n == 0 ? 0 : sum / n;
    }

    /// <summary>
    /// codis-server's own section: one line per slot that holds keys (summed over the databases),
    /// "slot_579:keys=3,expires=1", after a "slots_with_keys:N" total. Not in plain INFO (up to 1024 lines).
    /// </summary>
    private static void WriteSlots(CodisServer server, InfoBuilder info)
    {
        var ks = server.Keyspace;
        var lines = new List<(int Slot, long Keys, long Expires)>();
        for (int s = 0; s < SlotHash.SlotCount; s++)
        {
            long keys = 0, expires = 0;
            for (int d = 0; d < ks.DatabaseCount; d++)
            {
                var t = ks[d].Table(s);
                if (t == null) continue;
                keys += t.Count;
                expires += t.ExpiresCount;
            }
            if (keys > 0) lines.Add((s, keys, expires));
        }
        info.Field("slots_with_keys", lines.Count);
        foreach (var (slot, keys, expires) in lines)
            info.Field("slot_" + slot.ToString(CultureInfo.InvariantCulture), string.Create(CultureInfo.InvariantCulture, $"keys={keys},expires={expires}"));
    }
}
