using System.Runtime.InteropServices;
using Codis.Core.Logging;
using Codis.Core.Runtime;
using Codis.Server;
using Codis.Server.Config;

// codis-server [config.toml] [--setting value ...]   (redis-server style: `codis-server --port 6380`)
var settings = ServerSettings.Create();
if (args.Any(a => a is "--help" or "-h"))
{
    Console.WriteLine("""
        codis-server — the Redis-compatible storage node of a Codis.NET group

        usage: codis-server [config.toml] [--<setting> <value> ...]

        Settings take Redis's names; a TOML file sets them as `name = value` and flags override it:
          codis-server --port 6380
          codis-server /etc/codis/server.toml --port 6381 --requirepass secret

        settings:
        """);
    Console.Write(settings.Describe());
    return 0;
}
if (args.Any(a => a is "--version" or "-v"))
{
    Console.WriteLine($"codis-server v={typeof(CodisServer).Assembly.GetName().Version} (Redis 7.0 compatible)");
    return 0;
}

var errors = new List<string>();
var flags = args.ToList();
if (flags.Count > 0 && !flags[0].StartsWith("--", StringComparison.Ordinal))
{
    errors.AddRange(settings.LoadToml(flags[0]));
    flags.RemoveAt(0);
}
errors.AddRange(settings.ApplyFlags(flags));
Log.Component = "codis-server";
Log.Json = settings["log-format"].Value == "json";
Log.MinLevel = CodisServer.LogLevelOf(settings["loglevel"].Value);
if (errors.Count > 0)
{
    foreach (var e in errors) Console.Error.WriteLine($"codis-server: bad config: {e}");
    Console.Error.WriteLine("codis-server: run with --help for the list of settings");
    return 1;
}

Gen0Budget.Apply(settings["gc-gen0-size"].AsLong, out string? gen0Error);
if (gen0Error != null) Log.Warn("can't apply gc-gen0-size; running with the runtime's gen0 budget", ("error", gen0Error));

var server = new CodisServer(settings);
try
{
    server.Start();
}
catch (Exception e) when (e is System.Net.Sockets.SocketException or FormatException or IOException or InvalidDataException)
{
    Log.Error("can't start", ("error", e.Message));
    return 1;
}
if (settings["pidfile"].Value is { Length: > 0 } pidfile) File.WriteAllText(pidfile, Environment.ProcessId + "\n");

// SIGTERM is a planned stop: lagging replicas get shutdown-timeout to catch up first (as Redis 7)
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx =>
{
    ctx.Cancel = true;
    _ = Task.Run(() =>
    {
        server.Replication.WaitForReplicasBeforeShutdown();
        server.Shutdown("SIGTERM");
    });
});
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, ctx => { ctx.Cancel = true; server.Shutdown("SIGINT"); });
await server.Stopped;
if (settings["pidfile"].Value is { Length: > 0 } pf) File.Delete(pf);
Log.Info("bye");
return 0;
