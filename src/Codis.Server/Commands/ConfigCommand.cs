using Codis.Core.Config;
using Codis.Core.Logging;

namespace Codis.Server.Commands;

/// <summary>CONFIG GET | SET | RESETSTAT | REWRITE | HELP over the settings codis-server has (Redis's names).</summary>
internal static class ConfigCommand
{
    private static readonly string[] Help =
    [
        "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "GET <pattern>",
        "    Return parameters matching the glob-like <pattern> and their values.",
        "SET <directive> <value>",
        "    Set the configuration <directive> to <value>.",
        "RESETSTAT",
        "    Reset statistics reported by the INFO command.",
        "REWRITE",
        "    Rewrite the configuration file.",
        "HELP",
        "    Prints this help.",
    ];

    [Command("config", -2, Flags = CommandFlags.Admin | CommandFlags.NoScript | CommandFlags.Loading | CommandFlags.Stale, Group = "server", Summary = "A container for server configuration commands.")]
    [Subcommand("config", "get", -3, Flags = CommandFlags.Admin | CommandFlags.NoScript | CommandFlags.Loading | CommandFlags.Stale, Summary = "Returns the effective values of configuration parameters.")]
    [Subcommand("config", "help", 2, Flags = CommandFlags.Loading | CommandFlags.Stale, Summary = "Returns helpful text about the different subcommands.")]
    [Subcommand("config", "resetstat", 2, Flags = CommandFlags.Admin | CommandFlags.NoScript | CommandFlags.Loading | CommandFlags.Stale, Summary = "Resets the server's statistics.")]
    [Subcommand("config", "rewrite", 2, Flags = CommandFlags.Admin | CommandFlags.NoScript | CommandFlags.Loading | CommandFlags.Stale, Summary = "Persists the effective configuration to file.")]
    [Subcommand("config", "set", -4, Flags = CommandFlags.Admin | CommandFlags.NoScript | CommandFlags.Loading | CommandFlags.Stale, Tips = "request_policy:all_nodes response_policy:all_succeeded", Summary = "Sets configuration parameters in-flight.")]
    public static void Config(CommandContext ctx)
    {
        string sub = ctx.ArgString(1).ToLowerInvariant();
        switch (sub)
        {
            case "get" when ctx.ArgCount >= 3: Get(ctx); break;
            case "set" when ctx.ArgCount >= 4: Set(ctx); break;
            case "resetstat" when ctx.ArgCount == 2: ResetStat(ctx); break;
            case "rewrite" when ctx.ArgCount == 2: Rewrite(ctx); break;
            case "help" when ctx.ArgCount == 2: Subcommands.WriteHelp(ctx, Help); break;
            case "get" or "set" or "resetstat" or "rewrite" or "help":
                ctx.Error(Errors.WrongArity("config|" + sub));
                break;
            default:
                ctx.Error(Errors.UnknownSubcommand(ctx.ArgString(1), "config"));
                break;
        }
    }

    private static void Get(CommandContext ctx)
    {
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var pairs = new List<(string Name, string Value)>();
        for (int i = 2; i < ctx.ArgCount; i++)
        {
            string pattern = ctx.ArgString(i);
            // An exact name is a lookup (it may be an alias); anything else is a glob over all names.
            if (ctx.Server.Settings.Find(pattern) is { Hidden: false } exact)
            {
                if (seen.Add(pattern)) pairs.Add((pattern.ToLowerInvariant(), exact.Value));
                continue;
            }
            foreach (var (name, setting) in ctx.Server.Settings.Match(pattern))
                if (seen.Add(name)) pairs.Add((name, setting.Value));
        }
        ctx.Reply.WriteMapHeader(pairs.Count);
        foreach (var (name, value) in pairs)
        {
            ctx.Reply.WriteBulk(name);
            ctx.Reply.WriteBulk(value);
        }
    }

    /// <summary>CONFIG SET name value [name value ...]: all are checked before any is applied, as in Redis 7.</summary>
    private static void Set(CommandContext ctx)
    {
        if ((ctx.ArgCount - 2) % 2 != 0) { ctx.SyntaxError(); return; }
        var settings = ctx.Server.Settings;
        var changes = new List<(Setting Setting, string Value)>();
        for (int i = 2; i < ctx.ArgCount; i += 2)
        {
            string name = ctx.ArgString(i);
            var setting = settings.Find(name);
            if (setting == null || setting.Hidden)
            {
                ctx.Error($"ERR Unknown option or number of arguments for CONFIG SET - '{name}'");
                return;
            }
            string value = ctx.ArgString(i + 1);
            string? error = changes.Exists(c => c.Setting == setting) ? "duplicate parameter"
                : !setting.Mutable ? "can't set immutable config"
                : Settings.Check(setting, value);
            if (error != null)
            {
                ctx.Error($"ERR CONFIG SET failed (possibly related to argument '{name}') - {error}");
                return;
            }
            changes.Add((setting, value));
        }
        var applied = new List<(Setting Setting, string Old)>();
        foreach (var (setting, value) in changes)
        {
            string old = setting.Value;
            try
            {
                if (settings.TrySet(setting.Name, value, atRuntime: true) is { } err) throw new InvalidOperationException(err);
                applied.Add((setting, old));
            }
            catch (Exception e) when (e is InvalidOperationException or IOException or FormatException or ArgumentException)
            {
                // Applying failed half-way (e.g. a side effect refused): put back what was already changed.
                foreach (var (s, o) in applied) settings.TrySet(s.Name, o, atRuntime: true);
                ctx.Error($"ERR CONFIG SET failed (possibly related to argument '{setting.Name}') - {e.Message}");
                return;
            }
        }
        foreach (var (setting, _) in changes)
            Log.Info("config changed", ("setting", setting.Name), ("value", setting.Name.Contains("pass", StringComparison.Ordinal) ? "(hidden)" : setting.Value));
        ctx.Ok();
    }

    private static void ResetStat(CommandContext ctx)
    {
        var server = ctx.Server;
        server.Stats.Reset();
        server.Keyspace.ResetStats();
        server.Evictor.ResetStats();
        server.Memory.ResetPeak();
        server.Memory.Pauses.Reset();
        foreach (var spec in CommandTable.All) spec.ResetStats();
        ctx.Ok();
    }

    private static void Rewrite(CommandContext ctx)
    {
        string? path = ctx.Server.Settings.FilePath;
        if (path == null)
        {
            ctx.Error("ERR The server is running without a config file");
            return;
        }
        try
        {
            ctx.Server.UsersIntoSettings();
            TomlRewriter.Rewrite(ctx.Server.Settings, path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Log.Warn("CONFIG REWRITE failed", ("file", path), ("error", e.Message));
            ctx.Error("ERR Rewriting config file: " + e.Message);
            return;
        }
        Log.Info("CONFIG REWRITE executed with success", ("file", path));
        ctx.Ok();
    }
}
