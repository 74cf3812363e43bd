using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;
using Codis.Core.Config;
using Codis.Core.Logging;
using Codis.Core.Models;
using Codis.Proxy;
using Codis.Proxy.Admin;
using Codis.Proxy.Config;

// codis-proxy [-c proxy.toml|config.ini] [-L proxy.log] [--cpu=N] [--addr=host:port] [--http-addr=host:port]
//             [--fillslots slots.json] [--<setting> value ...]
// Socket completions run on the epoll threads instead of hopping to the thread pool: a proxy does little work
// per event, so the hop (a context switch per request) costs more than the work. Read when the first socket is made.
if (Environment.GetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS") == null)
    Environment.SetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1");
var settings = ProxySettings.Create();
if (args.Any(a => a is "--help" or "-h"))
{
    Console.WriteLine("""
        codis-proxy — the stateless Redis front of a Codis.NET cluster

        usage: codis-proxy [-c proxy.toml | -c config.ini] [-L proxy.log] [--cpu=N]
                           [--addr=HOST:PORT] [--http-addr=HOST:PORT] [--fillslots=slots.json]
                           [--<setting> value ...]

          -c FILE           proxy.toml (our settings, the original's names) or the seed's config.ini
          -L FILE           write logs to FILE instead of stderr
          --cpu=N           run on N cores (process affinity)
          --addr            = --proxy_addr (Redis port)
          --http-addr       = --admin_addr (admin HTTP API)
          --fillslots FILE  fill the slot table from a JSON array of slots and go online without a dashboard

        settings:
        """);
    Console.Write(settings.Describe());
    return 0;
}

var errors = new List<string>();
string? logFile = null, fillSlots = null;
int? cpus = null;
var rest = new List<string>();
for (int i = 0; i < args.Length; i++)
{
    string a = args[i];
    string? Next() => i + 1 < args.Length ? args[++i] : null;
    string? Inline(string flag) => a.StartsWith(flag + "=", StringComparison.Ordinal) ? a[(flag.Length + 1)..] : a == flag ? Next() : null;
    if (a is "-c" or "--config" || a.StartsWith("--config=", StringComparison.Ordinal))
    {
        var path = Inline(a.StartsWith("--config") ? "--config" : "-c");
        if (path == null) { errors.Add("-c needs a file"); continue; }
        if (!File.Exists(path)) { errors.Add($"config file '{path}' not found"); continue; }
        if (path.EndsWith(".ini", StringComparison.OrdinalIgnoreCase))
        {
            try { errors.AddRange(ProxySettings.ApplyIni(settings, IniFile.Read(path))); }
            catch (FormatException e) { errors.Add(e.Message); }
        }
        else errors.AddRange(settings.LoadToml(path));
    }
    else if (a is "-L" or "--log" || a.StartsWith("--log=", StringComparison.Ordinal)) logFile = Inline(a.StartsWith("--log") ? "--log" : "-L");
    else if (a.StartsWith("--cpu", StringComparison.Ordinal))
    {
        var v = Inline("--cpu");
        if (int.TryParse(v, out int n) && n > 0) cpus = n; else errors.Add($"--cpu needs a positive number, got '{v}'");
    }
    else if (a.StartsWith("--addr", StringComparison.Ordinal)) rest.AddRange(["--proxy_addr", Inline("--addr") ?? ""]);
    else if (a.StartsWith("--http-addr", StringComparison.Ordinal)) rest.AddRange(["--admin_addr", Inline("--http-addr") ?? ""]);
    else if (a.StartsWith("--fillslots", StringComparison.Ordinal)) fillSlots = Inline("--fillslots");
    else rest.Add(a);
}
errors.AddRange(settings.ApplyFlags(rest));

Log.Component = "codis-proxy";
Log.Json = settings["log-format"].Value == "json";
Log.MinLevel = settings["log-level"].Value switch { "debug" => LogLevel.Debug, "warn" => LogLevel.Warning, "error" => LogLevel.Error, _ => LogLevel.Info };
logFile ??= settings["log"].Value is { Length: > 0 } lf ? lf : null;
if (logFile != null) Log.Output = TextWriter.Synchronized(new StreamWriter(logFile, append: true) { AutoFlush = true });

SlotModel[]? slots = null;
if (fillSlots != null)
{
    try { slots = JsonSerializer.Deserialize<SlotModel[]>(File.ReadAllText(fillSlots)) ?? throw new JsonException("empty"); }
    catch (Exception e) when (e is JsonException or IOException) { errors.Add($"--fillslots {fillSlots}: {e.Message}"); }
}
if (errors.Count > 0)
{
    foreach (var e in errors) Console.Error.WriteLine($"codis-proxy: bad config: {e}");
    Console.Error.WriteLine("codis-proxy: run with --help for the list of settings");
    return 1;
}
if (cpus is int c && c < Environment.ProcessorCount && OperatingSystem.IsLinux())
    Process.GetCurrentProcess().ProcessorAffinity = (IntPtr)((1L << c) - 1);

using var proxy = new ProxyServer(settings);
Microsoft.AspNetCore.Builder.WebApplication? admin = null;
try
{
    proxy.Start();
    admin = await AdminApi.StartAsync(proxy, settings["admin_addr"].Value);
    proxy.AdminAddr = admin.Urls.FirstOrDefault()?.Replace("http://", "") ?? settings["admin_addr"].Value;
    Log.Info("admin API listening", ("admin_addr", proxy.AdminAddr), ("xauth", proxy.XAuth));
}
catch (Exception e) when (e is System.Net.Sockets.SocketException or IOException or FormatException or InvalidOperationException)
{
    Log.Error("can't start", ("error", e.Message));
    return 1;
}
if (slots != null)
{
    await proxy.Router.FillAsync(slots);
    proxy.SetOnline();
}

using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx => { ctx.Cancel = true; proxy.Shutdown("SIGTERM"); });
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, ctx => { ctx.Cancel = true; proxy.Shutdown("SIGINT"); });
await proxy.Stopped;
if (admin != null) await admin.StopAsync();
Log.Info("bye");
return 0;
