using Codis.Core.Text;
using Codis.Server.Commands;

namespace Codis.Server.Scripting;

/// <summary>Redis 7.0's functions: FUNCTION (LOAD, DELETE, FLUSH, LIST, DUMP, RESTORE, KILL, STATS, HELP), FCALL, FCALL_RO.</summary>
internal static class FunctionCommands
{
    [Command("fcall", -3, Flags = CommandFlags.NoScript | CommandFlags.Stale | CommandFlags.SkipMonitor | CommandFlags.NoMandatoryKeys | CommandFlags.MayReplicate, KeyNumIndex = 2, KeyNotes = "We cannot tell how the keys will be used so we assume the worst, RW and UPDATE", Group = "scripting", Summary = "Invokes a function.")]
    public static void FCall(CommandContext ctx) => Call(ctx, readOnly: false);

    [Command("fcall_ro", -3, Flags = CommandFlags.NoScript | CommandFlags.Stale | CommandFlags.SkipMonitor | CommandFlags.NoMandatoryKeys | CommandFlags.ReadOnly, KeyNumIndex = 2, KeyNotes = "We cannot tell how the keys will be used so we assume the worst, RO and ACCESS", Group = "scripting", Summary = "Invokes a read-only function.")]
    public static void FCallRo(CommandContext ctx) => Call(ctx, readOnly: true);

    private static void Call(CommandContext ctx, bool readOnly)
    {
        // Redis looks the function up before it reads numkeys.
        if (ctx.Server.Functions.Find(ctx.Arg(1)) is not { } function)
        {
            ctx.Error("ERR Function not found");
            return;
        }
        if (!ScriptEngine.TryNumKeys(ctx, "ERR Bad number of keys provided", out int numkeys)) return;
        ctx.Server.Scripts.CallFunction(ctx, function, numkeys, readOnly);
    }

    private static readonly string[] Help =
    [
        "FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "LOAD [REPLACE] <FUNCTION CODE>",
        "    Create a new library with the given library name and code.",
        "DELETE <LIBRARY NAME>",
        "    Delete the given library.",
        "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
        "    Return general information on all the libraries:",
        "    * Library name",
        "    * The engine used to run the Library",
        "    * Library description",
        "    * Functions list",
        "    * Library code (if WITHCODE is given)",
        "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
        "STATS",
        "    Return information about the current function running:",
        "    * Function name",
        "    * Command used to run the function",
        "    * Duration in MS that the function is running",
        "    If no function is running, return nil",
        "    In addition, returns a list of available engines.",
        "KILL",
        "    Kill the current running function.",
        "FLUSH [ASYNC|SYNC]",
        "    Delete all the libraries.",
        "    When called without the optional mode argument, the behavior is determined by the",
        "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
        "    * ASYNC: Asynchronously flush the libraries.",
        "    * SYNC: Synchronously flush the libraries.",
        "DUMP",
        "    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
        "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
        "    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
        "    control how to handle existing libraries (default APPEND):",
        "    * FLUSH: delete all existing libraries.",
        "    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
        "    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
        "      libraries with the new libraries (notice that even on this option there is a chance of failure",
        "      in case of functions name collision with another library).",
        "HELP",
        "    Prints this help.",
    ];

    // The subcommands that change the libraries are writes (refused on a read-only replica, propagated as they are
    // to the AOF and the replicas); the container itself is not, so that LIST, DUMP and STATS work anywhere.
    [Command("function", -2, Flags = CommandFlags.None, Group = "scripting", Summary = "A container for function commands.")]
    [Subcommand("function", "load", -3, Flags = CommandFlags.Write | CommandFlags.DenyOom | CommandFlags.NoScript, Tips = "request_policy:all_shards response_policy:all_succeeded", Summary = "Creates a library.")]
    [Subcommand("function", "delete", 3, Flags = CommandFlags.Write | CommandFlags.NoScript, Tips = "request_policy:all_shards response_policy:all_succeeded", Summary = "Deletes a library and its functions.")]
    [Subcommand("function", "flush", -2, Flags = CommandFlags.Write | CommandFlags.NoScript, Tips = "request_policy:all_shards response_policy:all_succeeded", Summary = "Deletes all libraries and functions.")]
    [Subcommand("function", "list", -2, Flags = CommandFlags.NoScript, Tips = "nondeterministic_output_order", Summary = "Returns information about all libraries.")]
    [Subcommand("function", "dump", 2, Flags = CommandFlags.NoScript, Summary = "Dumps all libraries into a serialized binary payload.")]
    [Subcommand("function", "restore", -3, Flags = CommandFlags.Write | CommandFlags.DenyOom | CommandFlags.NoScript, Tips = "request_policy:all_shards response_policy:all_succeeded", Summary = "Restores all libraries from a payload.")]
    [Subcommand("function", "kill", 2, Flags = CommandFlags.NoScript | CommandFlags.AllowBusy, Tips = "request_policy:all_shards response_policy:one_succeeded", Summary = "Terminates a function during execution.")]
    [Subcommand("function", "stats", 2, Flags = CommandFlags.NoScript | CommandFlags.AllowBusy, Tips = "nondeterministic_output request_policy:all_shards response_policy:special", Summary = "Returns information about a function during execution.")]
    [Subcommand("function", "help", 2, Flags = CommandFlags.Loading | CommandFlags.Stale, Summary = "Returns helpful text about the different subcommands.")]
    public static void Function(CommandContext ctx)
    {
        var libraries = ctx.Server.Functions;
        string sub = ctx.ArgString(1).ToLowerInvariant();
        int argc = ctx.ArgCount;
        switch (sub)
        {
            case "help" when argc == 2:
                Subcommands.WriteHelp(ctx, Help);
                return;
            case "load" when argc >= 3:
            {
                bool replace = false;
                for (int i = 2; i < argc - 1; i++)
                {
                    if (!ctx.ArgIs(i, "replace"))
                    {
                        ctx.Error("ERR Unknown option given: " + ctx.ArgString(i));
                        return;
                    }
                    replace = true;
                }
                if (!MayWrite(ctx, denyOom: true)) return;
                if (libraries.Load(ctx.ArgBytes(argc - 1), replace, out string name) is { } error) ctx.Error(error);
                else
                {
                    Changed(ctx);
                    ctx.Reply.WriteBulk(name);
                }
                return;
            }
            case "delete" when argc == 3:
                if (!MayWrite(ctx, denyOom: false)) return;
                if (!libraries.Delete(ctx.ArgString(2)))
                {
                    ctx.Error("ERR Library not found");
                    return;
                }
                Changed(ctx);
                ctx.Ok();
                return;
            case "flush":
                if (argc > 3)
                {
                    ctx.Error("ERR unknown subcommand or wrong number of arguments for 'flush'. Try FUNCTION HELP.");
                    return;
                }
                if (argc == 3 && !ctx.ArgIs(2, "async") && !ctx.ArgIs(2, "sync"))
                {
                    ctx.Error("ERR FUNCTION FLUSH only supports SYNC|ASYNC option");
                    return;
                }
                if (!MayWrite(ctx, denyOom: false)) return;
                libraries.Flush();
                Changed(ctx);
                ctx.Ok();
                return;
            case "list":
                List(ctx, libraries);
                return;
            case "dump" when argc == 2:
                ctx.Reply.WriteBulk(libraries.Dump());
                return;
            case "restore" when argc is 3 or 4:
            {
                var policy = FunctionLibraries.RestorePolicy.Append;
                if (argc == 4)
                {
                    if (ctx.ArgIs(3, "flush")) policy = FunctionLibraries.RestorePolicy.Flush;
                    else if (ctx.ArgIs(3, "replace")) policy = FunctionLibraries.RestorePolicy.Replace;
                    else if (!ctx.ArgIs(3, "append"))
                    {
                        ctx.Error("ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.");
                        return;
                    }
                }
                if (!MayWrite(ctx, denyOom: true)) return;
                if (libraries.Restore(ctx.Arg(2), policy) is { } error) ctx.Error(error);
                else
                {
                    Changed(ctx);
                    ctx.Ok();
                }
                return;
            }
            case "restore" when argc > 4:
                ctx.Error("ERR unknown subcommand or wrong number of arguments for 'restore'. Try FUNCTION HELP.");
                return;
            case "kill" when argc == 2:
                // Under the lock no function runs; a running one is killed from the busy path (ScriptEngine.WaitForLock).
                ctx.Server.Scripts.Kill(ctx.Reply, function: true);
                return;
            case "stats" when argc == 2:
                ctx.Server.Scripts.WriteFunctionStats(ctx.Reply);
                return;
            case "help" or "load" or "delete" or "dump" or "restore" or "kill" or "stats":
                ctx.Error(Errors.WrongArity("function|" + sub));
                return;
            default:
                ctx.Error($"ERR unknown subcommand '{ctx.ArgString(1)}'. Try FUNCTION HELP.");
                return;
        }
    }

    /// <summary>The checks a write subcommand gets (the container is not flagged write): OOM, READONLY, MISCONF.</summary>
    private static bool MayWrite(CommandContext ctx, bool denyOom)
    {
        string? refusal = denyOom && !ctx.Client.IsReplay && ctx.Server.OverMaxMemory
            ? "OOM command not allowed when used memory > 'maxmemory'."
            : ctx.Server.Propagation.RefuseWrite(ctx);
        if (refusal == null) return true;
        ctx.Error(refusal);
        return false;
    }

    /// <summary>A change to the libraries counts for the save rules and goes to the AOF and the replicas as it came.</summary>
    private static void Changed(CommandContext ctx)
    {
        ctx.Server.Keyspace.Dirty++;
        var args = new byte[ctx.ArgCount][];
        for (int i = 0; i < args.Length; i++) args[i] = ctx.ArgBytes(i);
        ctx.Server.Propagation.Emit(ctx.Client.DbIndex, args, toStream: !ctx.Client.IsMasterLink);
    }

    private static void List(CommandContext ctx, FunctionLibraries libraries)
    {
        bool withCode = false;
        string? pattern = null;
        for (int i = 2; i < ctx.ArgCount; i++)
        {
            if (ctx.ArgIs(i, "withcode") && !withCode) withCode = true;
            else if (ctx.ArgIs(i, "libraryname") && pattern == null)
            {
                if (i + 1 >= ctx.ArgCount)
                {
                    ctx.Error("ERR library name argument was not given");
                    return;
                }
                pattern = ctx.ArgString(++i);
            }
            else
            {
                ctx.Error("ERR Unknown argument " + ctx.ArgString(i));
                return;
            }
        }
        var selected = libraries.Libraries.Where(l => pattern == null || Glob.Match(pattern, l.Name, noCase: true)).ToList();
        var reply = ctx.Reply;
        reply.WriteArrayHeader(selected.Count);
        foreach (var library in selected)
        {
            reply.WriteMapHeader(withCode ? 4 : 3);
            reply.WriteBulk("library_name");
            reply.WriteBulk(library.Name);
            reply.WriteBulk("engine");
            reply.WriteBulk("LUA");
            reply.WriteBulk("functions");
            reply.WriteArrayHeader(library.Functions.Count);
            foreach (var f in library.Functions)
            {
                reply.WriteMapHeader(3);
                reply.WriteBulk("name");
                reply.WriteBulk(f.Name);
                reply.WriteBulk("description");
                if (f.Description == null) reply.WriteNullBulk();
                else reply.WriteBulk(f.Description);
                reply.WriteBulk("flags");
                WriteFlags(reply, f.Flags);
            }
            if (withCode)
            {
                reply.WriteBulk("library_code");
                reply.WriteBulk(library.Code);
            }
        }
    }

    private static readonly (FunctionFlags Flag, string Name)[] FlagNames =
    [
        (FunctionFlags.NoWrites, "no-writes"), (FunctionFlags.AllowOom, "allow-oom"), (FunctionFlags.AllowStale, "allow-stale"),
        (FunctionFlags.NoCluster, "no-cluster"), (FunctionFlags.AllowCrossSlotKeys, "allow-cross-slot-keys"),
    ];

    /// <summary>The flags as status replies, as Redis lists them.</summary>
    private static void WriteFlags(Core.Resp.RespWriter reply, FunctionFlags flags)
    {
        int n = 0;
        foreach (var (flag, _) in FlagNames) if ((flags & flag) != 0) n++;
        reply.WriteSetHeader(n);
        foreach (var (flag, name) in FlagNames) if ((flags & flag) != 0) reply.WriteSimpleString(name);
    }
}
