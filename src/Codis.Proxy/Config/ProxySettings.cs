using Codis.Core.Config;

namespace Codis.Proxy.Config;

/// <summary>codis-proxy's settings, named as the original's proxy.toml (reference/codis.md §1.3).</summary>
internal static class ProxySettings
{
    public static Settings Create()
    {
        var s = new Settings();
        void Str(string name, string def, string desc, bool mutable = false) => s.Define(new Setting { Name = name, Kind = SettingKind.String, Default = def, Description = desc, Mutable = mutable });
        void Int(string name, long def, long min, long max, string desc) => s.Define(new Setting { Name = name, Kind = SettingKind.Integer, Default = def.ToString(), Min = min, Max = max, Description = desc });
        void Dur(string name, string def, string desc) => s.Define(new Setting { Name = name, Kind = SettingKind.Duration, Default = def, Description = desc });
        void Bool(string name, bool def, string desc) => s.Define(new Setting { Name = name, Kind = SettingKind.Boolean, Default = def ? "yes" : "no", Description = desc });
        void Mem(string name, string def, string desc) => s.Define(new Setting { Name = name, Kind = SettingKind.Memory, Default = def, Min = 0, Description = desc });

        Str("product_name", "codis-demo", "product (namespace) this proxy serves");
        Str("product_auth", "", "password of the group servers (AUTH on backend connections)");
        Str("session_auth", "", "password clients must AUTH with");
        Str("proxy_addr", "127.0.0.1:19000", "Redis (RESP) listen address");
        Str("admin_addr", "127.0.0.1:11080", "admin HTTP API listen address");
        Str("proxy_id", "", "name of this proxy (the seed's proxy_1); default: its token");
        Str("proxy_datacenter", "", "datacenter label (replica preference)");
        Int("proxy_max_clients", 1000, 1, 1_000_000, "max client sessions");
        Str("coordinator_name", "", "filesystem | etcd | zookeeper (empty: no coordinator, e.g. --fillslots)");
        Str("coordinator_addr", "", "coordinator address list, or the folder for filesystem");
        Str("coordinator_auth", "", "coordinator credentials, if any");
        Dur("coordinator_timeout", "30s", "coordinator session timeout");
        Str("dashboard_addr", "", "dashboard address to announce itself to");
        Dur("backend_ping_period", "5s", "PING idle backend connections this often");
        Dur("backend_dial_timeout", "5s", "timeout connecting to a backend");
        Bool("backend_primary_only", false, "never read from replicas");
        Int("backend_primary_parallel", 1, 1, 64, "connections per master per database");
        Int("backend_replica_parallel", 1, 1, 64, "connections per replica per database");
        Int("backend_number_databases", 16, 1, 1024, "databases clients may SELECT");
        Mem("session_recv_bufsize", "128kb", "session receive buffer size");
        Mem("session_send_bufsize", "64kb", "session send buffer size");
        Dur("session_recv_timeout", "30m", "close sessions idle this long (0 = never)");
        Int("session_max_pipeline", 10000, 1, 1_000_000, "requests read and dispatched in one batch per session");
        Bool("session_break_on_failure", false, "close a session whose request failed");
        Mem("proto-max-bulk-len", "536870912", "largest bulk string accepted");
        s.Define(new Setting { Name = "log-format", Kind = SettingKind.Enum, Default = "text", Choices = ["text", "json"], Description = "log line format", Mutable = false });
        s.Define(new Setting { Name = "log-level", Kind = SettingKind.Enum, Default = "info", Choices = ["debug", "info", "warn", "error"], Description = "log level" });
        Str("log", "", "log file (default: stderr)");
        return s;
    }

    /// <summary>
    /// Maps the original Codis 2 config.ini (the seed's) onto our settings: zk → coordinator_addr,
    /// product → product_name, password → product_auth and session_auth, session_max_timeout (s) →
    /// session_recv_timeout, session_max_bufsize → session_recv_bufsize, backend_ping_period (s).
    /// </summary>
    public static List<string> ApplyIni(Settings s, Dictionary<string, string> ini)
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
                case "zk": case "coordinator_addr": Set("coordinator_addr", value); break;
                case "product": Set("product_name", value); break;
                case "password": Set("product_auth", value); Set("session_auth", value); break;
                case "dashboard_addr": Set("dashboard_addr", value); break;
                case "backend_ping_period": Set("backend_ping_period", value + "s"); break;
                case "session_max_timeout": Set("session_recv_timeout", value + "s"); break;
                case "session_max_bufsize": Set("session_recv_bufsize", value); break;
                case "session_max_pipeline": Set("session_max_pipeline", value); break;
                case "zk_session_timeout": Set("coordinator_timeout", value + "s"); break;
                case "proxy_id": Set("proxy_id", value); break;
                case "net_timeout": case "proto": case "zk_session_timeout_ms": break; // 2.x knobs with no meaning here
                default:
                    if (s.Find(key) != null) Set(key, value);
                    else errors.Add($"unknown config.ini key '{key}'");
                    break;
            }
        }
        return errors;
    }
}
