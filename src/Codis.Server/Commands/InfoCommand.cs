namespace Codis.Server.Commands;

/// <summary>INFO [section ...]: the sections registered in <see cref="CodisServer.Info"/>.</summary>
internal static class InfoCommand
{
    [Command("info", -1, Flags = CommandFlags.Loading | CommandFlags.Stale, Group = "server", Tips = "nondeterministic_output request_policy:all_shards response_policy:special", AclCategories = "@dangerous", Summary = "Returns information and statistics about the server.")]
    public static void Info(CommandContext ctx)
    {
        var sections = new string[ctx.ArgCount - 1];
        for (int i = 1; i < ctx.ArgCount; i++) sections[i - 1] = ctx.ArgString(i);
        ctx.Reply.WriteVerbatim(ctx.Server.Info.Render(sections));
    }
}
