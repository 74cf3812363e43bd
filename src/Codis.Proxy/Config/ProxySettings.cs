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
        Str("proto_type", "tcp4", "client listener: tcp4 | tcp (IPv4) | tcp6 (IPv6 only) | unix (proxy_addr is then a socket path); unixpacket is not supported");
        Str("proxy_addr", "127.0.0.1:19000", "Redis (RESP) listen address: host:port, or a socket path with proto_type = unix");
        Str("admin_addr", "127.0.0.1:11080", "admin HTTP API listen address");
        Str("host_proxy", "", "address to advertise instead of proxy_addr (Docker/NAT)");
        Str("host_admin", "", "address to advertise instead of admin_addr (Docker/NAT)");
        Str("proxy_id", "", "name of this proxy (the seed's proxy_1); default: proxy-<token prefix>");
        Str("proxy_datacenter", "", "datacenter label: replica reads go to servers of the same datacenter (and host) first");
        Int("proxy_event_loops", 1, 0, 256, "epoll threads serving client and backend sockets (Linux x64/arm64), each request read, routed, sent to its backend and answered on one thread: 0 = .NET's socket engine instead");
        Int("proxy_max_clients", 1000, 1, 1_000_000, "max client sessions");
        Int("proxy_max_keys_reply", 100_000, 1, 100_000_000, "KEYS fails with an error instead of returning more keys than this (SCAN has no limit)");
        Dur("pubsub_recovery_timeout", "10s", "a subscriber whose backend link is lost and cannot be re-subscribed this long gets an error and is closed");
        Bool("proxy_allow_flush", false, "let clients run FLUSHDB/FLUSHALL, which empty every group (off: refused)");
        Mem("proxy_max_offheap_size", "1024mb", "the original's Go allocator cap (accepted, no effect here)");
        Mem("proxy_heap_placeholder", "256mb", "the original's Go GC ballast (accepted, no effect here)");
        Str("jodis_name", "", "coordinator for client discovery: zookeeper | etcd | filesystem (empty: no jodis)");
        Str("jodis_addr", "", "jodis coordinator address list (or folder for filesystem)");
        Str("jodis_auth", "", "jodis coordinator credentials user:password");
        Dur("jodis_timeout", "20s", "session timeout / lease TTL of the jodis node");
        Bool("jodis_compatible", false, "register under the Codis 2 path /zk/codis/db_<product>/proxy/<token>");
        Str("coordinator_name", "", "filesystem | etcd | zookeeper: find the dashboard there and go online (empty: wait for it)");
        Str("coordinator_addr", "", "coordinator address list, or the folder for filesystem");
        Str("coordinator_auth", "", "coordinator credentials, if any");
        Dur("coordinator_timeout", "30s", "coordinator session timeout");
        Str("dashboard_addr", "", "dashboard to ask to bring this proxy online at start");
        Str("dashboard_token", "", "the dashboard's admin_token, sent (header X-Codis-Admin-Token) when this proxy registers or asks to go online; a dashboard bound to a non-loopback address requires it");
        Str("dashboard_register", "", "dashboard to register this proxy with at start, staying offline until `codis-config proxy online <proxy_id>` (the seed's config.ini dashboard_addr)");
        Dur("backend_ping_period", "5s", "PING idle backend connections this often (0 = never)");
        Dur("backend_dial_timeout", "5s", "timeout connecting to a backend");
        Mem("backend_recv_bufsize", "128kb", "backend socket receive buffer");
        Mem("backend_send_bufsize", "128kb", "backend socket send buffer");
        Dur("backend_recv_timeout", "30s", "a backend that leaves a request unanswered this long is dropped (0 = never)");
        Dur("backend_send_timeout", "30s", "a backend that accepts no bytes this long is dropped (0 = never)");
        Int("backend_max_pipeline", 20480, 1, 10_000_000, "max in-flight requests per backend connection");
        Int("backend_replica_ack", 0, 0, 64, "answer a write only once this many replicas of its master have it (the proxy sends WAIT N behind the writes of each backend flush; fewer → a NOREPLICAS error instead of the write's reply); 0 = off, writes are answered when the master has them");
        Dur("backend_replica_ack_timeout", "1s", "with backend_replica_ack: how long the master may wait for those replicas (WAIT's timeout) before the writes get NOREPLICAS; must be shorter than backend_recv_timeout");
        Dur("backend_keepalive_period", "75s", "TCP keep-alive on backend sockets (0 = off)");
        Bool("backend_primary_only", false, "never read from replicas");
        Dur("backend_replica_offset_period", "100ms", "with replica reads: how often masters' and replicas' replication offsets are read (read-your-writes waits for them)");
        Int("backend_primary_parallel", 1, 1, 64, "connections per master per database");
        Int("backend_replica_parallel", 1, 1, 64, "connections per replica per database");
        Int("backend_number_databases", 16, 1, 1024, "databases clients may SELECT");
        Mem("session_recv_bufsize", "128kb", "the original's session buffer (accepted, no effect here: sessions read through pooled 16 KiB pipe buffers)");
        Mem("session_send_bufsize", "64kb", "the original's session buffer (accepted, no effect here: sessions write through pooled 16 KiB pipe buffers)");
        Dur("session_recv_timeout", "30m", "close sessions idle this long (0 = never)");
        Dur("session_send_timeout", "30s", "close sessions that take no reply bytes this long (0 = never)");
        Dur("session_keepalive_period", "75s", "TCP keep-alive on client sockets (0 = off)");
        Int("session_max_pipeline", 10000, 1, 1_000_000, "requests read and dispatched in one batch per session (more wait in the socket)");
        Bool("session_break_on_failure", false, "close a session whose request failed");
        Str("metrics_report_server", "", "POST the proxy's overview JSON (GET /proxy's, runtime stats, no slots) to this URL every period (host:port/path means http://; empty: off)");
        Dur("metrics_report_period", "1s", "period of the metrics_report_server push (at least 1s)");
        Str("metrics_report_influxdb_server", "", "InfluxDB 1.x HTTP URL (http://host:8086) to write the measurement codis_usage to, at /write?db=<database> (empty: off)");
        Dur("metrics_report_influxdb_period", "1s", "period of the InfluxDB push (at least 1s)");
        Str("metrics_report_influxdb_username", "", "InfluxDB user, sent as HTTP basic auth (empty: no auth)");
        Str("metrics_report_influxdb_password", "", "InfluxDB password of that user");
        Str("metrics_report_influxdb_database", "", "InfluxDB database written to (required with metrics_report_influxdb_server)");
        Str("metrics_report_statsd_server", "", "statsd host:port to send gauges <prefix>.<product>.<admin_addr>.<proxy_addr>.<field> to over UDP (empty: off)");
        Dur("metrics_report_statsd_period", "1s", "period of the statsd push (at least 1s)");
        Str("metrics_report_statsd_prefix", "", "first segment of the statsd gauge names (empty: none)");
        Mem("proto-max-bulk-len", "536870912", "largest bulk string accepted");
        s.Define(new Setting { Name = "log-format", Kind = SettingKind.Enum, Default = "text", Choices = ["text", "json"], Description = "log line format", Mutable = false });
        s.Define(new Setting { Name = "log-level", Kind = SettingKind.Enum, Default = "info", Choices = ["debug", "info", "warn", "error"], Description = "log level" });
        Str("log", "", "log file (default: stderr)");
        Str("pidfile", "", "write the process id to this file");
        return s;
    }

    /// <summary>
    /// Maps the original Codis 2 config.ini (the seed's) onto our settings: coordinator + zk → the jodis
    /// registration (the 2.x proxy registered itself there), product → product_name, password → product_auth
    /// and session_auth, session_max_timeout (s) → session_recv_timeout, session_max_bufsize →
    /// session_recv_bufsize, backend_ping_period (s), zk_session_timeout (s, or ms above 100), dashboard_token, proxy_id. dashboard_addr registers
    /// the proxy with that dashboard but does not bring it online: in the seed's flow `codis-config proxy online` does that
    /// (the 2.x proxy announced itself, offline, in ZooKeeper at start).
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
                case "coordinator": Set("jodis_name", value); break;
                case "zk": case "coordinator_addr": Set("jodis_addr", value); break;
                case "coordinator_auth": Set("jodis_auth", value); break;
                case "product": Set("product_name", value); break;
                case "password": Set("product_auth", value); Set("session_auth", value); break;
                case "dashboard_addr": Set("dashboard_register", value); break;
                case "dashboard_token": Set("dashboard_token", value); break;
                case "backend_ping_period": Set("backend_ping_period", value + "s"); break;
                case "session_max_timeout": Set("session_recv_timeout", value + "s"); break;
                case "session_max_bufsize": Set("session_recv_bufsize", value); break;
                case "session_max_pipeline": Set("session_max_pipeline", value); break;
                case "zk_session_timeout":
                    // as the dashboard reads it: the 2.x files hold seconds (30) or milliseconds (30000)
                    if (long.TryParse(value, out long t) && t > 0) Set("jodis_timeout", t <= 100 ? t + "s" : t + "ms");
                    else errors.Add($"zk_session_timeout must be a positive number, got '{value}'");
                    break;
                case "proxy_id": Set("proxy_id", value); break;
                case "net_timeout": case "proto": case "zk_session_timeout_ms": case "branch": break; // 2.x knobs with no meaning here
                default:
                    if (s.Find(key) != null) Set(key, value);
                    else errors.Add($"unknown config.ini key '{key}'");
                    break;
            }
        }
        return errors;
    }

    /// <summary>A proxy.toml with every setting at its default (--default-config).</summary>
    public static string DefaultToml(Settings s)
    {
        var sb = new System.Text.StringBuilder("# codis-proxy settings (the original proxy.toml's keys), every one at its default\n");
        foreach (var st in s.All.OrderBy(x => x.Name, StringComparer.Ordinal))
        {
            sb.Append("\n# ").Append(st.Description).Append('\n');
            string key = st.Name.Contains('-') ? $"\"{st.Name}\"" : st.Name;
            sb.Append(key).Append(" = ");
            if (st.Kind == SettingKind.Integer) sb.Append(st.Default);
            else if (st.Kind == SettingKind.Boolean) sb.Append(st.AsBool ? "true" : "false");
            else sb.Append('"').Append(st.Value.Replace("\\", "\\\\").Replace("\"", "\\\"")).Append('"');
            sb.Append('\n');
        }
        return sb.ToString();
    }
}
