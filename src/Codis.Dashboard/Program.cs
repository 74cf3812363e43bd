using System.Net;
using System.Runtime.InteropServices;
using Codis.Coordinator;
using Codis.Core.Config;
using Codis.Core.Logging;
using Codis.Dashboard;
using Codis.Dashboard.Config;

// codis-dashboard [-c dashboard.toml|config.ini] [-l FILE] [--standby] [--remove-lock]
//                 [--zookeeper=ADDR|--etcd=ADDR|--filesystem=ROOT] [--<setting> value ...]
var settings = DashboardSettings.Create();
if (args.Any(a => a is "--help" or "-h"))
{
    Console.WriteLine("""
        codis-dashboard — the topology owner of a Codis.NET product (one per product; others wait as standby)

        usage: codis-dashboard [-c dashboard.toml | -c config.ini] [-l FILE] [--standby] [--remove-lock]
                               [--zookeeper=ADDR | --etcd=ADDR | --filesystem=ROOT] [--<setting> value ...]

          -c, --config FILE   dashboard.toml (the original's names) or the seed's config.ini
          -l, --log FILE      write logs to FILE instead of stderr
          --standby           if another dashboard holds the product's lock, wait and take over when it dies
          --remove-lock       remove the product's lock by force before starting (says whose it was)
          --zookeeper=ADDR    = --coordinator_name zookeeper --coordinator_addr ADDR (likewise --etcd, --filesystem)
          --host-admin=ADDR   = --host_admin ADDR
          --pidfile=FILE      write the process id to FILE
          --default-config    print the settings with their defaults as TOML and exit

        The HTTP API listens on admin_addr (127.0.0.1:18080 by default); bound beyond loopback it requires
        admin_token. Failover: every failover_interval each master is checked; one failing for
        failover_down_after is replaced by its replica with the highest replication offset.

        settings:
        """);
    Console.Write(settings.Describe());
    return 0;
}
if (args.Contains("--default-config"))
{
    foreach (var s in settings.All.OrderBy(s => s.Name, StringComparer.Ordinal))
        Console.WriteLine($"{s.Name} = {(s.Kind == SettingKind.Integer ? s.Value : "\"" + s.Value + "\"")}");
    return 0;
}

var errors = new List<string>();
bool removeLock = false;
string? logFile = null;
var rest = new List<string>();
for (int i = 0; i < args.Length; i++)
{
    string a = args[i];
    string? Value(string flag) => a.StartsWith(flag + "=", StringComparison.Ordinal) ? a[(flag.Length + 1)..] : i + 1 < args.Length ? args[++i] : null;
    if (a is "-c" or "--config" || a.StartsWith("--config=", StringComparison.Ordinal))
    {
        var path = Value(a.StartsWith("--config") ? "--config" : "-c");
        if (path == null || !File.Exists(path)) { errors.Add($"config file '{path}' not found"); continue; }
        if (path.EndsWith(".ini", StringComparison.OrdinalIgnoreCase))
        {
            try { errors.AddRange(DashboardSettings.ApplyIni(settings, IniFile.Read(path))); }
            catch (FormatException e) { errors.Add(e.Message); }
        }
        else errors.AddRange(settings.LoadToml(path));
    }
    else if (a is "-l" or "--log" || a.StartsWith("--log=", StringComparison.Ordinal)) logFile = Value(a.StartsWith("--log") ? "--log" : "-l");
    else if (a == "--remove-lock") removeLock = true;
    else if (a == "--standby") rest.AddRange(["--standby", "yes"]);
    else if (a.StartsWith("--zookeeper", StringComparison.Ordinal)) rest.AddRange(["--coordinator_name", "zookeeper", "--coordinator_addr", Value("--zookeeper") ?? ""]);
    else if (a.StartsWith("--etcd", StringComparison.Ordinal)) rest.AddRange(["--coordinator_name", "etcd", "--coordinator_addr", Value("--etcd") ?? ""]);
    else if (a.StartsWith("--filesystem", StringComparison.Ordinal)) rest.AddRange(["--coordinator_name", "filesystem", "--coordinator_addr", Value("--filesystem") ?? ""]);
    else if (a.StartsWith("--host-admin", StringComparison.Ordinal)) rest.AddRange(["--host_admin", Value("--host-admin") ?? ""]);
    else if (a.StartsWith("--pidfile", StringComparison.Ordinal)) { var f = Value("--pidfile"); if (f != null) File.WriteAllText(f, Environment.ProcessId.ToString()); }
    else rest.Add(a);
}
errors.AddRange(settings.ApplyFlags(rest));

string admin = settings["admin_addr"].Value;
if (errors.Count == 0 && !IsLoopback(admin) && settings["admin_token"].Value.Length == 0)
    errors.Add($"admin_addr {admin} is reachable beyond this machine: set admin_token (config.ini: dashboard_token=...) so only operators can change the topology");

Log.Component = "codis-dashboard";
Log.Json = settings["log-format"].Value == "json";
Log.MinLevel = settings["log-level"].Value switch { "debug" => LogLevel.Debug, "warn" => LogLevel.Warning, "error" => LogLevel.Error, _ => LogLevel.Info };
logFile ??= settings["log"].Value is { Length: > 0 } lf ? lf : null;
if (logFile != null) Log.Output = TextWriter.Synchronized(new StreamWriter(logFile, append: true) { AutoFlush = true });

if (errors.Count > 0)
{
    foreach (var e in errors) Console.Error.WriteLine($"codis-dashboard: bad config: {e}");
    Console.Error.WriteLine("codis-dashboard: run with --help for the list of settings");
    return 1;
}

using var stop = new CancellationTokenSource();
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx => { ctx.Cancel = true; Log.Info("SIGTERM: shutting down"); stop.Cancel(); });
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, ctx => { ctx.Cancel = true; Log.Info("SIGINT: shutting down"); stop.Cancel(); });
return await new DashboardHost(settings, removeLock).RunAsync(stop);

static bool IsLoopback(string addr)
{
    int colon = addr.LastIndexOf(':');
    string host = (colon < 0 ? addr : addr[..colon]).Trim('[', ']');
    return host == "localhost" || (IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip));
}
