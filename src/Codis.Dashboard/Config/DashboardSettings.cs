using Codis.Core.Config;

namespace Codis.Dashboard.Config;

/// <summary>codis-dashboard's settings, named as the original's dashboard.toml (reference/codis.md §1.3) plus ours.</summary>
internal static class DashboardSettings
{
    public static Settings Create()
    {
        var s = new Settings();
        void Str(string name, string def, string desc) => s.Define(new Setting { Name = name, Kind = SettingKind.String, Default = def, Description = desc });
        void Int(string name, long def, long min, long max, string desc) => s.Define(new Setting { Name = name, Kind = SettingKind.Integer, Default = def.ToString(), Min = min, Max = max, Description = desc });
        void Dur(string name, string def, string desc) => s.Define(new Setting { Name = name, Kind = SettingKind.Duration, Default = def, Description = desc });
        void Bool(string name, bool def, string desc) => s.Define(new Setting { Name = name, Kind = SettingKind.Boolean, Default = def ? "yes" : "no", Description = desc });
        void Mem(string name, string def, string desc) => s.Define(new Setting { Name = name, Kind = SettingKind.Memory, Default = def, Min = 1, Description = desc });

        s.Define(new Setting
        {
            Name = "coordinator_name", Kind = SettingKind.Enum, Default = "filesystem",
            Choices = ["filesystem", "fs", "etcd", "zookeeper", "zk"], Description = "where the topology lives",
        });
        Str("coordinator_addr", "/tmp/codis", "coordinator address list, or the folder for filesystem");
        Str("coordinator_auth", "", "coordinator credentials (user:password)");
        Dur("coordinator_timeout", "30s", "coordinator session timeout (a killed dashboard's lock lasts at most this long; filesystem: none)");
        s.Define(new Setting
        {
            Name = "product_name", Kind = SettingKind.String, Default = "codis-demo", Description = "product (namespace) this dashboard owns",
            Validate = v => System.Text.RegularExpressions.Regex.IsMatch(v, @"^\w[\w\.\-]*$") ? null : "must match ^\\w[\\w.-]*$",
        });
        Str("product_auth", "", "requirepass of the group servers (AUTH from the dashboard and the proxies)");
        Str("admin_addr", "127.0.0.1:18080", "HTTP API listen address");
        Str("admin_token", "", "token clients must send (header X-Codis-Admin-Token); required when admin_addr is not loopback");
        Str("host_admin", "", "address advertised in the lock node (default: admin_addr, with 0.0.0.0 replaced by the host name)");
        s.Define(new Setting { Name = "migration_method", Kind = SettingKind.Enum, Default = "semi-async", Choices = ["sync", "semi-async"], Description = "SLOTSMGRTTAGSLOT (sync) or SLOTSMGRTTAGSLOT-ASYNC (semi-async)" });
        Int("migration_parallel_slots", 100, 1, 1024, "slots migrated at once (one two-phase proxy update covers them all)");
        Int("migration_async_maxbulks", 200, 1, 524288, "semi-async: elements per chunk");
        Mem("migration_async_maxbytes", "32mb", "semi-async: bytes in flight per batch");
        Int("migration_async_numkeys", 500, 1, 1_000_000, "semi-async: keys per batch");
        Dur("migration_timeout", "30s", "timeout of one migration call");
        s.Define(new Setting
        {
            Name = "migration_latency_guard", Kind = SettingKind.String, Default = "1.3",
            Description = "largest ratio of the clients' mean latency through the proxies while keys move to their latency with no key moving; "
                + "above it the migration pauses longer after each call (0 = off: full speed). 1.3: a closed-loop client's throughput is "
                + "1/latency (Little's law), so 1.3x keeps 0.77x of it, above 0.7x with room for the control's overshoot",
            Validate = v => double.TryParse(v, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double g)
                && (g == 0 || g is >= 1 and <= 100) ? null : "must be 0 (off) or a ratio from 1 to 100, e.g. 1.3",
        });
        s.Define(new Setting
        {
            Name = "migration_latency_guard_max_pause", Kind = SettingKind.Duration, Default = "100ms",
            Description = "longest pause the latency guard makes after one migration call (a migration always progresses)",
            Validate = v => Settings.TryParseDuration(v, out var d) && d > TimeSpan.Zero && d <= TimeSpan.FromSeconds(10) ? null : "must be from 1ms to 10s",
        });
        Dur("failover_interval", "1s", "how often every master is checked (PING)");
        Dur("failover_down_after", "3s", "a master failing checks this long is replaced by its best replica (0 = no automatic failover)");
        s.Define(new Setting
        {
            Name = "promote_catchup_timeout", Kind = SettingKind.Duration, Default = "5s",
            Description = "a planned promote waits this long, with the group's requests held in every proxy, for the replica to reach the "
                + "master's replication offset; if it does not, nothing changes (unless the promote is forced)",
            Validate = v => Settings.TryParseDuration(v, out var d) && d > TimeSpan.Zero && d <= TimeSpan.FromMinutes(10) ? null : "must be from 1ms to 10m",
        });
        // Redis Sentinel (reference/codis.md §1.3, §7.3): written to every sentinel by sentinels/resync-all
        Dur("sentinel_client_timeout", "10s", "timeout of one call to a sentinel (SENTINEL MONITOR, SET, REMOVE, MASTERS)");
        Int("sentinel_quorum", 2, 1, 1000, "SENTINEL MONITOR ... <quorum>: sentinels that must agree a master is down");
        Int("sentinel_parallel_syncs", 1, 0, 1000, "sentinel parallel-syncs: replicas repointed at once after a failover (0: not set)");
        Dur("sentinel_down_after", "30s", "sentinel down-after-milliseconds (0: not set)");
        Dur("sentinel_failover_timeout", "5m", "sentinel failover-timeout (0: not set)");
        Str("sentinel_notification_script", "", "sentinel notification-script (set only if not empty; the sentinels need `sentinel deny-scripts-reconfig no`)");
        Str("sentinel_client_reconfig_script", "", "sentinel client-reconfig-script (set only if not empty; as above)");
        Dur("proxy_timeout", "30s", "timeout of one call to a proxy's admin API");
        Bool("standby", false, "wait for the lock instead of failing, and take over when the holder dies");
        s.Define(new Setting { Name = "log-format", Kind = SettingKind.Enum, Default = "text", Choices = ["text", "json"], Description = "log line format" });
        s.Define(new Setting { Name = "log-level", Kind = SettingKind.Enum, Default = "info", Choices = ["debug", "info", "warn", "error"], Description = "log level" });
        Str("log", "", "log file (default: stderr)");
        s.Alias("product", "product_name");
        s.Alias("zookeeper", "coordinator_addr");
        return s;
    }

    /// <summary>
    /// Maps the seed's config.ini onto our settings: coordinator → coordinator_name, zk → coordinator_addr,
    /// product → product_name, password → product_auth, dashboard_addr → admin_addr, zk_session_timeout
    /// (seconds, or ms when above 100, as the original) → coordinator_timeout. Proxy-only keys are ignored.
    /// </summary>
    public static List<string> ApplyIni(Settings s, IReadOnlyDictionary<string, string> ini)
    {
        var errors = new List<string>();
        void Set(string name, string value)
        {
            if (s.TrySet(name, value) is { } e) errors.Add(e);
        }
        foreach (var (key, value) in ini)
        {
            switch (key.ToLowerInvariant())
            {
                case "coordinator": Set("coordinator_name", value); break;
                case "zk": Set("coordinator_addr", value); break;
                case "product": Set("product_name", value); break;
                case "password": Set("product_auth", value); break;
                case "dashboard_addr": Set("admin_addr", value); break;
                case "dashboard_token": Set("admin_token", value); break;
                case "zk_session_timeout":
                    if (long.TryParse(value, out long t) && t > 0) Set("coordinator_timeout", t <= 100 ? t + "s" : t + "ms");
                    else errors.Add($"zk_session_timeout must be a positive number, got '{value}'");
                    break;
                case "proxy_id": case "backend_ping_period": case "session_max_timeout": case "session_max_bufsize":
                case "session_max_pipeline": case "net_timeout": case "proto":
                    break; // proxy settings: the same config.ini serves both
                default:
                    if (s.Find(key) != null) Set(key, value);
                    else errors.Add($"unknown config.ini key '{key}'");
                    break;
            }
        }
        return errors;
    }
}
