using System.Text;
using Codis.Core.Slots;

namespace Codis.Server.Commands;

/// <summary>
/// LOLWUT [VERSION n]: Redis prints a piece of computer art and its version. Ours draws what a Codis server is made
/// of — its 1024 slots, 32 to a row, '#' for a slot of the client's database holding keys, '.' for an empty one —
/// for every VERSION, and ends with "Codis.NET ver. x" as Redis ends with "Redis ver. x".
/// </summary>
internal static class LolwutCommand
{
    private const int PerRow = 32;

    [Command("lolwut", -1, Flags = CommandFlags.ReadOnly | CommandFlags.Fast, Group = "server", Summary = "Displays a drawing of the server's slots and its version.")]
    public static void Lolwut(CommandContext ctx)
    {
        // As Redis: VERSION only as the first word, with an integer; Redis's versions 5 and 6 take up to three and
        // two more integers (their drawing's sizes), checked the same here although our drawing has one size.
        if (ctx.ArgCount >= 3 && ctx.ArgIs(1, "VERSION"))
        {
            if (!ctx.TryArgLong(2, out long version)) return;
            int sizes = version switch { 5 => 3, 6 => 2, _ => 0 };
            for (int i = 3; i < ctx.ArgCount && i < 3 + sizes; i++)
                if (!ctx.TryArgLong(i, out _)) return;
        }
        ctx.Reply.WriteVerbatim(Drawing(ctx.Db, ctx.Client.DbIndex));
    }

    internal static string Drawing(Storage.Database db, int dbIndex)
    {
        var sb = new StringBuilder();
        int used = 0;
        for (int slot = 0; slot < SlotHash.SlotCount; slot++)
        {
            bool keys = db.SlotCount(slot) > 0;
            if (keys) used++;
            sb.Append(keys ? '#' : '.');
            if (slot % PerRow == PerRow - 1) sb.Append('\n');
        }
        sb.Append('\n').Append("The ").Append(SlotHash.SlotCount).Append(" slots of db ").Append(dbIndex).Append(": ")
            .Append(used).Append(" hold keys.\n");
        sb.Append("Codis.NET ver. ").Append(typeof(CodisServer).Assembly.GetName().Version?.ToString() ?? "0").Append('\n');
        return sb.ToString();
    }
}
