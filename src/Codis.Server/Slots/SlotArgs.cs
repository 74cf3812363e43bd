using Codis.Core.Slots;
using Codis.Server.Commands;

namespace Codis.Server.Slots;

/// <summary>Argument parsing shared by the SLOTS commands, with the original codis-server's error texts.</summary>
internal static class SlotArgs
{
    /// <summary>A C int (the original's parse_int): not an integer → the usual error; beyond int → "value is out of range".</summary>
    public static bool TryInt(CommandContext ctx, int i, out int value)
    {
        value = 0;
        if (!ctx.TryArgLong(i, out long v)) return false;
        if (v < int.MinValue || v > int.MaxValue)
        {
            ctx.Error("ERR value is out of range");
            return false;
        }
        value = (int)v;
        return true;
    }

    public static bool TrySlot(CommandContext ctx, int i, out int slot)
    {
        if (!TryInt(ctx, i, out slot)) return false;
        if (slot < 0 || slot >= SlotHash.SlotCount)
        {
            ctx.Error($"ERR invalid slot number = {slot}");
            return false;
        }
        return true;
    }

    /// <summary>The sync migration timeout in ms: 0 means 100, negative is refused.</summary>
    public static bool TryTimeout(CommandContext ctx, int i, out int timeout)
    {
        if (!TryInt(ctx, i, out timeout)) return false;
        if (timeout < 0)
        {
            ctx.Error($"ERR invalid timeout = {timeout}");
            return false;
        }
        if (timeout == 0) timeout = 100;
        return true;
    }

    /// <summary>
    /// A non-negative integer ≤ <paramref name="max"/> for the semi-async commands; anything else is
    /// "invalid value of &lt;name&gt; (&lt;arg&gt;)".
    /// </summary>
    public static bool TryBounded(CommandContext ctx, int i, string name, long min, long max, out long value)
    {
        if (CommandContext.TryParseLong(ctx.Arg(i), out value) && value >= min && value <= max) return true;
        ctx.Error($"ERR invalid value of {name} ({ctx.ArgString(i)})");
        return false;
    }
}
