using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;
using Codis.Core.Logging;
using Codis.Core.Models;
using Codis.Proxy;
using Codis.Proxy.Admin;
using Codis.Proxy.Config;
using Codis.Proxy.Lifecycle;

// Sockets .NET's engine serves (all of them with proxy_event_loops = 0; else pinned transaction/blocking links,
// pub/sub links, accepts) complete on its epoll threads instead of hopping to the thread pool: a proxy does little
// work per event, so the hop (a context switch per request) costs more than the work. Read when the first socket is made.
if (Environment.GetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS") == null)
    Environment.SetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1");

var settings = ProxySettings.Create();
var cli = ProxyCommandLine.Parse(args, settings);
if (cli.Help)
{
    Console.WriteLine(ProxyCommandLine.Usage);
    Console.Write(settings.Describe());
    return 0;
}
if (cli.Version)
{
    Console.WriteLine($"codis-proxy {typeof(ProxyServer).Assembly.GetName().Version} (Codis.NET, .NET {Environment.Version})");
    return 0;
}
if (cli.DefaultConfig)
{
    Console.Write(ProxySettings.DefaultToml(settings));
    return 0;
}

Log.Component = "codis-proxy";
Log.Json = settings["log-format"].Value == "json";
Log.MinLevel = settings["log-level"].Value switch { "debug" => LogLevel.Debug, "warn" => LogLevel.Warning, "error" => LogLevel.Error, _ => LogLevel.Info };
string? logFile = cli.LogFile ?? (settings["log"].Value is { Length: > 0 } lf ? lf : null);
if (logFile != null)
{
    try { Log.Output = TextWriter.Synchronized(new StreamWriter(logFile, append: true) { AutoFlush = true }); }
    catch (Exception e) when (e is IOException or UnauthorizedAccessException) { cli.Errors.Add($"can't open log file '{logFile}': {e.Message}"); }
}

SlotModel[]? slots = null;
if (cli.FillSlots != null)
{
    try { slots = JsonSerializer.Deserialize<SlotModel[]>(File.ReadAllText(cli.FillSlots)) ?? throw new JsonException("empty"); }
    catch (Exception e) when (e is JsonException or IOException) { cli.Errors.Add($"--fillslots {cli.FillSlots}: {e.Message}"); }
}
if (cli.Ulimit is long need && ProxyCommandLine.OpenFilesLimit() is long have && have < need)
    cli.Errors.Add($"ulimit -n is {have}, below --ulimit={need}");
if (settings["proto_type"].Value == "unixpacket")
    cli.Errors.Add("proto_type 'unixpacket' is not supported: Redis clients speak stream sockets (use unix)");
else if (settings["proto_type"].Value is not ("tcp" or "tcp4" or "tcp6" or "unix"))
    cli.Errors.Add($"proto_type '{settings["proto_type"].Value}' is not supported (tcp4, tcp, tcp6 or unix)");
else if (settings["proto_type"].Value == "unix" && (settings["proxy_addr"].Value.Length == 0 || System.Text.Encoding.UTF8.GetByteCount(Path.GetFullPath(settings["proxy_addr"].Value)) > 107))
    cli.Errors.Add($"proto_type unix: proxy_addr must be a socket path of at most 107 bytes, got '{settings["proxy_addr"].Value}'");
if (settings["backend_replica_ack"].AsInt > 0 && settings["backend_recv_timeout"].AsDuration is var recv && recv > TimeSpan.Zero
    && settings["backend_replica_ack_timeout"].AsDuration >= recv)
    cli.Errors.Add($"backend_replica_ack_timeout ({settings["backend_replica_ack_timeout"].Value}) must be shorter than backend_recv_timeout ({settings["backend_recv_timeout"].Value}): a WAIT that long would drop the backend connection");
if (settings["backend_replica_ack"].AsInt > 0 && settings["backend_replica_ack_timeout"].AsDuration < TimeSpan.FromMilliseconds(1))
    cli.Errors.Add("backend_replica_ack_timeout must be at least 1ms (WAIT with 0 would wait forever)");
var metricsPlan = Codis.Proxy.Metrics.MetricsReporters.Parse(settings, cli.Errors);
if (cli.Errors.Count > 0)
{
    foreach (var e in cli.Errors) Console.Error.WriteLine($"codis-proxy: bad config: {e}");
    Console.Error.WriteLine("codis-proxy: run with --help for the list of settings");
    return 1;
}
if (cli.ConfigFile != null) Log.Info("config loaded", ("file", cli.ConfigFile));
if (cli.Cpus is int c && c < Environment.ProcessorCount && OperatingSystem.IsLinux())
    Process.GetCurrentProcess().ProcessorAffinity = (IntPtr)((1L << c) - 1);
if (settings["pidfile"].Value is { Length: > 0 } pidFile) File.WriteAllText(pidFile, Environment.ProcessId + "\n");

using var proxy = new ProxyServer(settings);
Microsoft.AspNetCore.Builder.WebApplication? admin = null;
try
{
    proxy.Start();
    admin = await AdminApi.StartAsync(proxy, settings["admin_addr"].Value);
    proxy.Announce(AdminApi.BoundAddress(admin, settings["admin_addr"].Value));
    Log.Info("admin API listening", ("admin_addr", proxy.AdminAddr), ("xauth", proxy.XAuth), ("token", proxy.Token), ("proxy_id", proxy.ProxyId));
}
catch (Exception e) when (e is System.Net.Sockets.SocketException or IOException or FormatException or InvalidOperationException)
{
    Log.Error("can't start", ("error", e.Message));
    return 1;
}

// The metrics_report_* pushers, from now (the model they report is known) until shutdown, online or not, as the original.
proxy.Metrics = Codis.Proxy.Metrics.MetricsReporters.Start(proxy, metricsPlan);

// Client discovery: an ephemeral node registered once the proxy is online, deleted on shutdown.
JodisRegistration? jodis = null;
if (settings["jodis_name"].Value.Length > 0 && settings["jodis_addr"].Value.Length > 0)
{
    var path = JodisRegistration.PathFor(proxy.ProductName, proxy.Token, settings["jodis_compatible"].AsBool);
    jodis = new JodisRegistration(Coordinators.Opener(settings["jodis_name"].Value, settings["jodis_addr"].Value,
        settings["jodis_auth"].Value, settings["jodis_timeout"].AsDuration), path, proxy);
    proxy.WentOnline += () =>
    {
        proxy.JodisPath = path;
        _ = jodis.StartAsync();
    };
}

using var stopping = new CancellationTokenSource();
if (slots != null)
{
    await proxy.Router.FillAsync(slots);
    proxy.SetOnline();
}
else if (settings["dashboard_addr"].Value is { Length: > 0 } dash)
    _ = AutoOnline.RunAsync(proxy, dash, null, stopping.Token, adminToken: settings["dashboard_token"].Value);
else if (settings["coordinator_name"].Value.Length > 0)
    _ = AutoOnline.RunAsync(proxy, null, Coordinators.Opener(settings["coordinator_name"].Value, settings["coordinator_addr"].Value,
        settings["coordinator_auth"].Value, settings["coordinator_timeout"].AsDuration), stopping.Token,
        adminToken: settings["dashboard_token"].Value);
else
{
    Log.Info("waiting for the dashboard to fill the slots and start this proxy", ("admin_addr", proxy.AdminAddr));
    if (settings["dashboard_register"].Value is { Length: > 0 } registerWith)
        _ = AutoOnline.RunAsync(proxy, registerWith, null, stopping.Token, registerOnly: true, adminToken: settings["dashboard_token"].Value);
}

using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx => { ctx.Cancel = true; proxy.Shutdown("SIGTERM"); });
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, ctx => { ctx.Cancel = true; proxy.Shutdown("SIGINT"); });
await proxy.Stopped;
stopping.Cancel();
await proxy.Metrics.DisposeAsync();
if (jodis != null) await jodis.DisposeAsync();
if (admin != null) await admin.StopAsync();
if (settings["pidfile"].Value is { Length: > 0 } pf) try { File.Delete(pf); } catch (IOException) { }
Log.Info("bye");
return 0;
