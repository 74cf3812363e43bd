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
}
