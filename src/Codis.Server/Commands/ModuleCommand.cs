using Codis.Core.Logging;

namespace Codis.Server.Commands;

/// <summary>
/// MODULE LIST | LOAD | LOADEX | UNLOAD | HELP. codis-server cannot load Redis modules (they are C libraries written
/// against redis-server's internals): LIST is always empty, loading is refused with the reason, and UNLOAD finds
/// no module of that name, as Redis answers for one not loaded.
/// </summary>
internal static class ModuleCommand
{
    private static readonly string[] Help =
    [
        "MODULE <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "LIST",
        "    Return a list of loaded modules (always empty: codis-server has no module support).",
        "LOAD <path> [<arg> ...]",
        "    Load a module library from <path> (refused: codis-server has no module support).",
        "LOADEX <path> [[CONFIG NAME VALUE] [CONFIG NAME VALUE]] [ARGS ...]",
        "    Load a module library with configurations and arguments (refused likewise).",
        "UNLOAD <name>",
        "    Unload a module.",
        "HELP",
        "    Prints this help.",
    ];

    public const string LoadRefused = "ERR Error loading the extension: codis-server has no module support (Redis modules need redis-server itself)";

    [Command("module", -2, Flags = CommandFlags.None, Group = "server", Summary = "A container for module commands.")]
    [Subcommand("module", "help", 2, Flags = CommandFlags.Loading | CommandFlags.Stale, Summary = "Returns helpful text about the different subcommands.")]
    [Subcommand("module", "list", 2, Flags = CommandFlags.Admin | CommandFlags.NoScript, Tips = "nondeterministic_output_order", Summary = "Returns all loaded modules.")]
    [Subcommand("module", "load", -3, Flags = CommandFlags.Admin | CommandFlags.NoScript | CommandFlags.NoAsyncLoading, Summary = "Loads a module.")]
    [Subcommand("module", "loadex", -3, Flags = CommandFlags.Admin | CommandFlags.NoScript | CommandFlags.NoAsyncLoading, Summary = "Loads a module using extended parameters.")]
    [Subcommand("module", "unload", 3, Flags = CommandFlags.Admin | CommandFlags.NoScript | CommandFlags.NoAsyncLoading, Summary = "Unloads a module.")]
    public static void Module(CommandContext ctx)
    {
        if (Subcommands.Checked(ctx) is not { } sub) return;
        switch (sub.Name)
        {
            case "module|help": Subcommands.WriteHelp(ctx, Help); break;
            case "module|list": ctx.Reply.WriteEmptyArray(); break;
            case "module|unload": ctx.Error("ERR Error unloading module: no such module with that name"); break;
            default:
                Log.Warn("module load refused: codis-server has no module support", ("path", ctx.ArgString(2)));
                ctx.Error(LoadRefused);
                break;
        }
    }
}
