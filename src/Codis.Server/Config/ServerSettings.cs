using Codis.Core.Config;

namespace Codis.Server.Config;

/// <summary>codis-server's settings: Redis's names and defaults, so redis.conf knowledge and tools carry over.</summary>
internal static class ServerSettings
{
    public static Settings Create()
    {
        var s = new Settings();
        s.Define(new Setting { Name = "port", Kind = SettingKind.Integer, Default = "6379", Min = 0, Max = 65535, Mutable = false, Description = "TCP port" });
        s.Define(new Setting { Name = "bind", Kind = SettingKind.String, Default = "127.0.0.1", Mutable = false, Description = "addresses to listen on (space separated)" });
        s.Define(new Setting { Name = "requirepass", Kind = SettingKind.String, Default = "", Description = "the default user's password (empty = nopass), as in Redis 7.0; other users: ACL SETUSER, user, aclfile" });
        s.Define(new Setting { Name = "aclfile", Kind = SettingKind.String, Default = "", Mutable = false, Description = "ACL users file (Redis's format; ACL SAVE / ACL LOAD)" });
        s.Define(new Setting { Name = "acllog-max-len", Kind = SettingKind.Integer, Default = "128", Min = 0, Max = long.MaxValue, Description = "entries ACL LOG keeps" });
        s.Define(new Setting { Name = "acl-pubsub-default", Kind = SettingKind.Enum, Default = "resetchannels", Choices = ["allchannels", "resetchannels"],
            Description = "channels a new ACL user may use: none (resetchannels, Redis 7.0's default) or all" });
        s.Define(new Setting { Name = "user", Kind = SettingKind.String, Default = "", Repeatable = true, Hidden = true, Mutable = false,
            Description = "ACL users, one \"name rules...\" each (TOML: an array of strings; flags: one --user per user); not with aclfile" });
        s.Define(new Setting { Name = "masterauth", Kind = SettingKind.String, Default = "", Description = "password for the master (replication)" });
        s.Define(new Setting { Name = "maxclients", Kind = SettingKind.Integer, Default = "10000", Min = 1, Max = 1_000_000, Description = "max simultaneous clients" });
        s.Define(new Setting { Name = "timeout", Kind = SettingKind.Integer, Default = "0", Min = 0, Max = int.MaxValue, Description = "close idle clients after N seconds (0 = never)" });
        s.Define(new Setting { Name = "databases", Kind = SettingKind.Integer, Default = "16", Min = 1, Max = 1024, Mutable = false, Description = "number of databases" });
        s.Define(new Setting { Name = "hz", Kind = SettingKind.Integer, Default = "10", Min = 1, Max = 500, Description = "server cron frequency (active expiry, timeouts)" });
        s.Define(new Setting { Name = "dir", Kind = SettingKind.String, Default = ".", Description = "working directory for data files" });
        s.Define(new Setting { Name = "dbfilename", Kind = SettingKind.String, Default = "dump.rdb", Description = "RDB file name" });
        s.Define(new Setting { Name = "proto-max-bulk-len", Kind = SettingKind.Memory, Default = "536870912", Min = 1024 * 1024, Max = long.MaxValue, Description = "largest bulk string accepted" });
        s.Define(new Setting { Name = "proto-max-multibulk-len", Kind = SettingKind.Integer, Default = "2147483647", Min = 1, Max = int.MaxValue, Description = "most arguments in one request" });
        s.Define(new Setting { Name = "proto-inline-max-size", Kind = SettingKind.Memory, Default = "65536", Min = 1024, Max = int.MaxValue, Description = "longest inline request line" });
        s.Define(new Setting { Name = "slowlog-log-slower-than", Kind = SettingKind.Integer, Default = "10000", Min = -1, Max = long.MaxValue, Description = "log commands slower than N microseconds (-1 = off)" });
        s.Define(new Setting { Name = "slowlog-max-len", Kind = SettingKind.Integer, Default = "128", Min = 0, Max = long.MaxValue, Description = "slow log length" });
        s.Define(new Setting { Name = "latency-monitor-threshold", Kind = SettingKind.Integer, Default = "0", Min = 0, Max = long.MaxValue, Description = "record latency events (LATENCY) of N milliseconds or more (0 = off)" });
        s.Define(new Setting { Name = "latency-tracking", Kind = SettingKind.Boolean, Default = "yes", Description = "per-command latency histograms (INFO latencystats, LATENCY HISTOGRAM)" });
        s.Define(new Setting { Name = "latency-tracking-info-percentiles", Kind = SettingKind.String, Default = "50 99 99.9", Description = "percentiles INFO latencystats shows (space separated, 0..100)",
            Validate = Introspection.LatencyPercentiles.Validate, Canonical = Introspection.LatencyPercentiles.Canonical });
        s.Define(new Setting { Name = "maxmemory", Kind = SettingKind.Memory, Default = "0", Min = 0, Max = long.MaxValue, Description = "memory limit in bytes (0 = none): keys are evicted by maxmemory-policy, or writes refused, above it" });
        s.Define(new Setting { Name = "maxmemory-policy", Kind = SettingKind.Enum, Default = "noeviction", Choices = Storage.Eviction.EvictionPolicies.Names,
            Description = "what goes when memory is over maxmemory: (allkeys|volatile)-(lru|lfu|random), volatile-ttl, or noeviction (writes get OOM errors)" });
        s.Define(new Setting { Name = "tracking-table-max-keys", Kind = SettingKind.Integer, Default = "1000000", Min = 0, Max = long.MaxValue, Description = "keys the client-side caching table holds (0 = no limit)" });
        s.Define(new Setting { Name = "maxmemory-samples", Kind = SettingKind.Integer, Default = "5", Min = 1, Max = int.MaxValue, Description = "keys sampled per database to pick an LRU/LFU/TTL victim" });
        s.Define(new Setting { Name = "maxmemory-eviction-tenacity", Kind = SettingKind.Integer, Default = "10", Min = 0, Max = 100,
            Description = "time a command may spend evicting before the cron goes on (10 = 500 us, +15% per point, 100 = no limit)" });
        s.Define(new Setting { Name = "lfu-log-factor", Kind = SettingKind.Integer, Default = "10", Min = 0, Max = int.MaxValue, Description = "LFU counter growth: higher = more accesses per step" });
        s.Define(new Setting { Name = "lfu-decay-time", Kind = SettingKind.Integer, Default = "1", Min = 0, Max = int.MaxValue, Description = "minutes without access for an LFU counter to lose one (0 = never)" });
        s.Define(new Setting { Name = "replica-ignore-maxmemory", Kind = SettingKind.Boolean, Default = "yes", Description = "a replica leaves eviction to its master (which sends the DELs)" });
        s.Alias("slave-ignore-maxmemory", "replica-ignore-maxmemory");
        s.Define(new Setting { Name = "loglevel", Kind = SettingKind.Enum, Default = "notice", Choices = ["debug", "verbose", "notice", "warning"], Description = "log verbosity" });
        s.Define(new Setting { Name = "log-format", Kind = SettingKind.Enum, Default = "text", Choices = ["text", "json"], Mutable = false, Description = "log line format" });
        s.Define(new Setting { Name = "pidfile", Kind = SettingKind.String, Default = "", Mutable = false, Description = "write the process id to this file" });
        s.Define(new Setting { Name = "daemonize", Kind = SettingKind.Boolean, Default = "no", Mutable = false, Description = "only 'no': run in the foreground (under a supervisor, or with &)",
            Validate = v => v == "yes" ? "codis-server does not daemonize itself; start it with '&' or under a supervisor" : null });
        s.Define(new Setting { Name = "tcp-backlog", Kind = SettingKind.Integer, Default = "511", Min = 1, Max = 65535, Mutable = false, Description = "listen backlog" });
        s.Define(new Setting { Name = "tcp-keepalive", Kind = SettingKind.Integer, Default = "300", Min = 0, Max = int.MaxValue, Description = "TCP keepalive seconds" });
        s.Define(new Setting { Name = "event-loop", Kind = SettingKind.Boolean, Default = "yes", Mutable = false,
            Description = "serve clients from own epoll loops (Linux): one recv and one send per request, no thread hop; no = .NET's socket engine" });
        // One loop by default, like Redis: commands run one at a time under the keyspace lock anyway, and measured
        // on 2 cores a second loop cost ~25% more CPU per request at pipeline 1 (lock hand-offs, more wake-ups)
        // while competing with the clients for the cores (bench/RESULTS.md). GC, cron and persistence use the others.
        s.Define(new Setting { Name = "event-loop-threads", Kind = SettingKind.Integer, Default = "1", Min = 0, Max = 64, Mutable = false,
            Description = "event-loop threads (0 = one per core)" });
        // The runtime's own gen0 budget follows the CPU cache (~90 MB here) and pauses clients 100+ ms when a big
        // collection arrives; 4 MB keeps pauses to a few ms (bench/RESULTS.md, "GC pauses"). Codis.Core.Runtime.Gen0Budget.
        s.Define(new Setting { Name = "gc-gen0-size", Kind = SettingKind.Memory, Default = "4mb", Min = 0, Max = 1L << 32, Mutable = false,
            Description = "GC gen0 budget (0 = the .NET runtime's default); applied by re-executing in place with DOTNET_GCgen0size, which wins when set" });
        s.Define(new Setting { Name = "enable-debug-command", Kind = SettingKind.Enum, Default = "no", Choices = ["no", "yes", "local"], Mutable = false, Description = "allow DEBUG: no, yes, or local (from loopback only)" });
        s.Define(new Setting { Name = "client-output-buffer-limit", Kind = SettingKind.String, Default = "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60",
            Description = "per class (normal, slave, pubsub): hard limit, soft limit, soft seconds; a pub/sub client over them is disconnected",
            Validate = PubSub.PubSubHub.ValidateLimit });
        s.Define(new Setting { Name = "notify-keyspace-events", Kind = SettingKind.String, Default = "",
            Description = "keyspace notifications published over pub/sub: K, E and event classes (g$lshzxetmdn, A = g$lshzxetd), as Redis",
            Validate = PubSub.KeyspaceEvents.Validate, Canonical = PubSub.KeyspaceEvents.Format });
        s.Define(new Setting { Name = "busy-reply-threshold", Kind = SettingKind.Integer, Default = "5000", Min = 0, Max = long.MaxValue, Description = "milliseconds a script runs before other clients get -BUSY and SCRIPT KILL works" });
        s.Alias("lua-time-limit", "busy-reply-threshold");
        Persistence.PersistenceSettings.Define(s);
        Storage.Collections.CollectionLimits.Define(s);
        s.Define(new Setting { Name = "hll-sparse-max-bytes", Kind = SettingKind.Memory, Default = "3000", Min = 0, Max = long.MaxValue, Description = "HyperLogLogs larger than this leave the sparse encoding" });
        return s;
    }
}
