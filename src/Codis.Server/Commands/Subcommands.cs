namespace Codis.Server.Commands;

/// <summary>What container commands (CONFIG, CLIENT, COMMAND, ...) share: their HELP reply.</summary>
internal static class Subcommands
{
    /// <summary>HELP lines as Redis sends them: an array of status replies.</summary>
    public static void WriteHelp(CommandContext ctx, IReadOnlyList<string> lines)
    {
        ctx.Reply.WriteArrayHeader(lines.Count);
        foreach (var line in lines) ctx.Reply.WriteSimpleString(line);
    }

    /// <summary>
    /// The declared subcommand named by argument 1 with its arity checked, as Redis checks it before the handler
    /// runs; null after replying "unknown subcommand" or the arity error.
    /// </summary>
    public static CommandSpec? Checked(CommandContext ctx)
    {
        var container = ctx.Command;
        string name = container.Name + "|" + ctx.ArgString(1);
        var sub = container.Subcommands.Find(s => s.Name.Equals(name, StringComparison.OrdinalIgnoreCase));
        if (sub == null)
        {
            ctx.Error(Errors.UnknownSubcommand(ctx.ArgString(1), container.Name));
            return null;
        }
        if (!sub.ArityOk(ctx.ArgCount))
        {
            ctx.Error(Errors.WrongArity(sub.Name));
            return null;
        }
        ctx.Client.LastCommand = sub.Name;
        return sub;
    }
}
