using Codis.Server.Commands;

namespace Codis.Server.Scripting;

/// <summary>EVAL, EVALSHA, their read-only forms and SCRIPT, as Redis 7.0 has them.</summary>
internal static class ScriptCommands
{
    [Command("eval", -3, Flags = CommandFlags.NoScript | CommandFlags.Stale | CommandFlags.SkipMonitor | CommandFlags.NoMandatoryKeys | CommandFlags.MayReplicate, KeyNumIndex = 2, KeyNotes = "We cannot tell how the keys will be used so we assume the worst, RW and UPDATE", Group = "scripting", Summary = "Executes a server-side Lua script.")]
    public static void Eval(CommandContext ctx) => ctx.Server.Scripts.Eval(ctx, bySha: false, readOnly: false);

    [Command("evalsha", -3, Flags = CommandFlags.NoScript | CommandFlags.Stale | CommandFlags.SkipMonitor | CommandFlags.NoMandatoryKeys | CommandFlags.MayReplicate, KeyNumIndex = 2, Group = "scripting", Summary = "Executes a server-side Lua script by SHA1 digest.")]
    public static void EvalSha(CommandContext ctx) => ctx.Server.Scripts.Eval(ctx, bySha: true, readOnly: false);

    [Command("eval_ro", -3, Flags = CommandFlags.NoScript | CommandFlags.Stale | CommandFlags.SkipMonitor | CommandFlags.NoMandatoryKeys | CommandFlags.ReadOnly, KeyNumIndex = 2, KeyNotes = "We cannot tell how the keys will be used so we assume the worst, RO and ACCESS", Group = "scripting", Summary = "Executes a read-only server-side Lua script.")]
    public static void EvalRo(CommandContext ctx) => ctx.Server.Scripts.Eval(ctx, bySha: false, readOnly: true);

    [Command("evalsha_ro", -3, Flags = CommandFlags.NoScript | CommandFlags.Stale | CommandFlags.SkipMonitor | CommandFlags.NoMandatoryKeys | CommandFlags.ReadOnly, KeyNumIndex = 2, Group = "scripting", Summary = "Executes a read-only server-side Lua script by SHA1 digest.")]
    public static void EvalShaRo(CommandContext ctx) => ctx.Server.Scripts.Eval(ctx, bySha: true, readOnly: true);

    private static readonly string[] Help =
    [
        "SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "EXISTS <sha1> [<sha1> ...]",
        "    Return information about the existence of the scripts in the script cache.",
        "FLUSH [ASYNC|SYNC]",
        "    Flush the Lua scripts cache. Very dangerous on replicas.",
        "    ASYNC and SYNC both flush at once here (the cache is dropped with the Lua state).",
        "KILL",
        "    Kill the currently executing Lua script (one that has not written yet).",
        "LOAD <script>",
        "    Load a script into the scripts cache without executing it.",
        "HELP",
        "    Prints this help.",
    ];

    [Command("script", -2, Flags = CommandFlags.None, Group = "scripting", Summary = "A container for Lua scripts management commands.")]
    [Subcommand("script", "exists", -3, Flags = CommandFlags.NoScript, Tips = "request_policy:all_shards response_policy:agg_logical_and", Summary = "Determines whether server-side Lua scripts exist in the script cache.")]
    [Subcommand("script", "flush", -2, Flags = CommandFlags.NoScript, Tips = "request_policy:all_nodes response_policy:all_succeeded", Summary = "Removes all server-side Lua scripts from the script cache.")]
    [Subcommand("script", "kill", 2, Flags = CommandFlags.NoScript | CommandFlags.AllowBusy, Tips = "request_policy:all_shards response_policy:one_succeeded", Summary = "Terminates a server-side Lua script during execution.")]
    [Subcommand("script", "load", 3, Flags = CommandFlags.NoScript | CommandFlags.Stale, Tips = "request_policy:all_nodes response_policy:all_succeeded", Summary = "Loads a server-side Lua script to the script cache.")]
    [Subcommand("script", "debug", 3, Flags = CommandFlags.NoScript, Summary = "Sets the debug mode of server-side Lua scripts.")]
    [Subcommand("script", "help", 2, Flags = CommandFlags.Loading | CommandFlags.Stale, Summary = "Returns helpful text about the different subcommands.")]
    public static void Script(CommandContext ctx)
    {
        var scripts = ctx.Server.Scripts;
        string sub = ctx.ArgString(1).ToLowerInvariant();
        switch (sub)
        {
            case "help" when ctx.ArgCount == 2:
                Subcommands.WriteHelp(ctx, Help);
                return;
            case "load" when ctx.ArgCount == 3:
                if (scripts.Load(ctx.Arg(2), out string sha) is { } error) ctx.Error(error);
                else ctx.Reply.WriteBulk(sha);
                return;
            case "exists" when ctx.ArgCount >= 3:
                ctx.Reply.WriteArrayHeader(ctx.ArgCount - 2);
                for (int i = 2; i < ctx.ArgCount; i++) ctx.Reply.WriteInteger(scripts.Exists(ctx.Arg(i)) ? 1 : 0);
                return;
            case "flush":
                if (ctx.ArgCount > 3 || (ctx.ArgCount == 3 && !ctx.ArgIs(2, "async") && !ctx.ArgIs(2, "sync")))
                {
                    ctx.Error("ERR SCRIPT FLUSH only support SYNC|ASYNC option");
                    return;
                }
                scripts.Flush();
                ctx.Ok();
                return;
            case "kill" when ctx.ArgCount == 2:
                // Under the lock no script runs; a running one is killed from the busy path (ScriptEngine.WaitForLock).
                scripts.Kill(ctx.Reply, function: false);
                return;
            case "debug":
                ctx.Error("ERR SCRIPT DEBUG is not supported by codis-server (there is no Lua debugger)");
                return;
            case "help" or "load" or "exists" or "kill":
                ctx.Error(Errors.WrongArity("script|" + sub));
                return;
            default:
                ctx.Error($"ERR unknown subcommand '{ctx.ArgString(1)}'. Try SCRIPT HELP.");
                return;
        }
    }
}
