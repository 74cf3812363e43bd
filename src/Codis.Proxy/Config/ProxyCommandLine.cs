using Codis.Core.Config;

namespace Codis.Proxy.Config;

/// <summary>
/// codis-proxy's command line: the original 3.2 flags (--config, --log, --ncpu, --fillslots, --dashboard,
/// --zookeeper/--etcd/--filesystem, --host-*, --pidfile, --ulimit...), the seed's 2.x ones (-c config.ini -L
/// proxy.log --cpu=2 --addr --http-addr, also typed with en dashes as the seed's blog shows them), and
/// `--<setting> value` for any setting.
/// </summary>
internal sealed class ProxyCommandLine
{
    public const string Usage = """
        codis-proxy — the stateless Redis front of a Codis.NET cluster

        usage: codis-proxy [-c proxy.toml | -c config.ini] [-L proxy.log] [--cpu=N] [--addr=HOST:PORT] [--http-addr=HOST:PORT]
                           [--fillslots=FILE | --dashboard=ADDR | --zookeeper=ADDR | --etcd=ADDR | --filesystem=DIR]
                           [--host-proxy=ADDR] [--host-admin=ADDR] [--pidfile=FILE] [--ulimit=N] [--event-loops=N] [--<setting> value ...]
               codis-proxy --default-config | --version | --help

          -c, --config FILE   proxy.toml (the original's keys) or the seed's config.ini; without -c, ./config.ini is read if present
          -L, -l, --log FILE  write logs to FILE instead of stderr
          --cpu=N, --ncpu=N   run on N cores (process affinity); --max-ncpu is accepted
          --addr              = --proxy_addr (Redis port)
          --http-addr         = --admin_addr (admin HTTP API)
          --fillslots FILE    fill the slot table from a JSON array of slots and go online without a dashboard
          --dashboard ADDR    ask that dashboard to bring this proxy online
          --zookeeper ADDR, --etcd ADDR, --filesystem DIR [--zookeeper-auth/--etcd-auth USER:PWD]
                              find the dashboard in that coordinator and ask it to bring this proxy online
          --host-proxy/--host-admin ADDR   addresses to advertise (Docker/NAT)
          --event-loops=N     = --proxy_event_loops: N epoll threads serve clients and backends (0: .NET's socket engine)
          --default-config    print a proxy.toml with every setting at its default

        settings:
        """;

    public List<string> Errors { get; } = new();
    public bool Help, Version, DefaultConfig;
    public string? ConfigFile, LogFile, FillSlots;
    public int? Cpus;
    public long? Ulimit;

    public static ProxyCommandLine Parse(string[] raw, Settings settings)
    {
        var cli = new ProxyCommandLine();
        // The seed's blog typeset "--cpu" as "–cpu": accept en and em dashes for the leading "--".
        var args = raw.Select(a => a.Length > 1 && a[0] is '\u2013' or '\u2014' ? "--" + a[1..] : a).ToArray();
        cli.Help = args.Any(a => a is "--help" or "-h");
        cli.Version = args.Any(a => a is "--version" or "-V");
        cli.DefaultConfig = args.Any(a => a is "--default-config");
        var rest = new List<string>();
        string? config = null;
        for (int i = 0; i < args.Length; i++)
        {
            string a = args[i];
            string? Value(params string[] names)
            {
                foreach (var n in names)
                {
                    if (a == n) return i + 1 < args.Length ? args[++i] : null;
                    if (a.StartsWith(n + "=", StringComparison.Ordinal)) return a[(n.Length + 1)..];
                }
                return null;
            }
            bool Is(params string[] names) => names.Any(n => a == n || a.StartsWith(n + "=", StringComparison.Ordinal));
            void Set(string setting, string? value)
            {
                if (value == null) cli.Errors.Add($"{a} needs a value");
                else rest.AddRange(["--" + setting, value]);
            }

            if (a is "--help" or "-h" or "--version" or "-V" or "--default-config") continue;
            if (Is("-c", "--config")) config = Value("-c", "--config") ?? "";
            else if (Is("-L", "-l", "--log")) cli.LogFile = Value("-L", "-l", "--log");
            else if (Is("--cpu", "--ncpu"))
            {
                var v = Value("--cpu", "--ncpu");
                if (int.TryParse(v, out int n) && n > 0) cli.Cpus = n; else cli.Errors.Add($"{a}: needs a positive number");
            }
            else if (Is("--max-ncpu")) _ = Value("--max-ncpu");
            else if (Is("--addr")) Set("proxy_addr", Value("--addr"));
            else if (Is("--http-addr")) Set("admin_addr", Value("--http-addr"));
            else if (Is("--host-proxy")) Set("host_proxy", Value("--host-proxy"));
            else if (Is("--host-admin")) Set("host_admin", Value("--host-admin"));
            else if (Is("--fillslots")) cli.FillSlots = Value("--fillslots");
            else if (Is("--dashboard")) Set("dashboard_addr", Value("--dashboard"));
            else if (Is("--zookeeper", "--etcd", "--filesystem"))
            {
                string kind = a.TrimStart('-').Split('=')[0];
                Set("coordinator_name", kind);
                Set("coordinator_addr", Value("--" + kind));
            }
            else if (Is("--zookeeper-auth", "--etcd-auth")) Set("coordinator_auth", Value("--zookeeper-auth", "--etcd-auth"));
            else if (Is("--pidfile")) Set("pidfile", Value("--pidfile"));
            else if (Is("--event-loops")) Set("proxy_event_loops", Value("--event-loops"));
            else if (Is("--ulimit"))
            {
                var v = Value("--ulimit");
                if (long.TryParse(v, out long n) && n > 0) cli.Ulimit = n; else cli.Errors.Add($"{a}: needs a positive number");
            }
            else if (Is("--log-level")) Set("log-level", Value("--log-level")?.ToLowerInvariant() switch { "warning" => "warn", var l => l });
            else rest.Add(a);
        }

        // The config file first, so flags override it.
        if (config == null && File.Exists("config.ini")) config = "config.ini";
        if (config != null)
        {
            cli.ConfigFile = config;
            if (config.Length == 0) cli.Errors.Add("-c needs a file");
            else if (!File.Exists(config)) cli.Errors.Add($"config file '{config}' not found");
            else if (config.EndsWith(".ini", StringComparison.OrdinalIgnoreCase))
            {
                try { cli.Errors.AddRange(ProxySettings.ApplyIni(settings, IniFile.Read(config))); }
                catch (FormatException e) { cli.Errors.Add(e.Message); }
            }
            else cli.Errors.AddRange(settings.LoadToml(config));
        }
        cli.Errors.AddRange(settings.ApplyFlags(rest));
        return cli;
    }

    /// <summary>The soft limit of open files (ulimit -n), from /proc/self/limits.</summary>
    public static long? OpenFilesLimit()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/limits"))
            {
                if (!line.StartsWith("Max open files", StringComparison.Ordinal)) continue;
                var parts = line["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                return parts[0] == "unlimited" ? long.MaxValue : long.Parse(parts[0]);
            }
        }
        catch (IOException) { }
        return null;
    }
}
