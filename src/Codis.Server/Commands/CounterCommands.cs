using System.Buffers.Text;
using System.Text;
using Codis.Server.Storage;

namespace Codis.Server.Commands;

/// <summary>INCR DECR INCRBY DECRBY INCRBYFLOAT: numbers kept as their decimal text, TTL kept.</summary>
internal static class CounterCommands
{
    [Command("incr", 2, Flags = CommandFlags.Write | CommandFlags.DenyOom | CommandFlags.Fast, FirstKey = 1, LastKey = 1, Step = 1, Group = "string", Summary = "Increments the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.")]
    public static void Incr(CommandContext ctx) => IncrBy(ctx, 1);

    [Command("decr", 2, Flags = CommandFlags.Write | CommandFlags.DenyOom | CommandFlags.Fast, FirstKey = 1, LastKey = 1, Step = 1, Group = "string", Summary = "Decrements the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.")]
    public static void Decr(CommandContext ctx) => IncrBy(ctx, -1);

    [Command("incrby", 3, Flags = CommandFlags.Write | CommandFlags.DenyOom | CommandFlags.Fast, FirstKey = 1, LastKey = 1, Step = 1, Group = "string", Summary = "Increments the integer value of a key by a number. Uses 0 as initial value if the key doesn't exist.")]
    public static void IncrBy(CommandContext ctx)
    {
        if (!ctx.TryArgLong(2, out long by)) return;
        IncrBy(ctx, by);
    }

    [Command("decrby", 3, Flags = CommandFlags.Write | CommandFlags.DenyOom | CommandFlags.Fast, FirstKey = 1, LastKey = 1, Step = 1, Group = "string", Summary = "Decrements a number from the integer value of a key. Uses 0 as initial value if the key doesn't exist.")]
    public static void DecrBy(CommandContext ctx)
    {
        if (!ctx.TryArgLong(2, out long by)) return;
        if (by == long.MinValue)
        {
            ctx.Error("ERR decrement would overflow");
            return;
        }
        IncrBy(ctx, -by);
    }

    private static void IncrBy(CommandContext ctx, long by)
    {
        var key = ctx.Arg(1);
        if (!StringCommands.TryGetString(ctx, key, out var old)) return;
        long value = 0;
        if (old != null && !CommandContext.TryParseLong(old, out value))
        {
            ctx.Error(Errors.NotInteger);
            return;
        }
        if ((by < 0 && value < 0 && by < long.MinValue - value) || (by > 0 && value > 0 && by > long.MaxValue - value))
        {
            ctx.Error(Errors.Overflow);
            return;
        }
        value += by;
        Span<byte> text = stackalloc byte[20];
        Utf8Formatter.TryFormat(value, text, out int n);
        if (old != null && old.Length == n && ctx.Keyspace.StringsMutableInPlace)
        {
            // Same number of digits: rewrite the stored text in place (the array is this key's alone).
            text[..n].CopyTo(old);
            ctx.Keyspace.OnModified(ctx.Db, key);
            ctx.Notify(PubSub.NotifyType.String, "incrby"u8, 1);
            ctx.Reply.WriteInteger(value);
            return;
        }
        var bytes = text[..n].ToArray();
        if (old == null) ctx.Db.Add(ctx.ArgBytes(1), bytes, 0);
        else ctx.Db.Set(key, bytes, Database.KeepTtl);
        ctx.Notify(PubSub.NotifyType.String, "incrby"u8, 1);
        ctx.Reply.WriteInteger(value);
    }

    [Command("incrbyfloat", 3, Flags = CommandFlags.Write | CommandFlags.DenyOom | CommandFlags.Fast, FirstKey = 1, LastKey = 1, Step = 1, Group = "string", Summary = "Increment the floating point value of a key by a number. Uses 0 as initial value if the key doesn't exist.")]
    public static void IncrByFloat(CommandContext ctx)
    {
        var key = ctx.Arg(1);
        if (!StringCommands.TryGetString(ctx, key, out var old)) return;
        ExtendedFloat value = default;
        if ((old != null && !ExtendedFloat.TryParse(old, out value)) || !ExtendedFloat.TryParse(ctx.Arg(2), out var by))
        {
            ctx.Error(Errors.NotFloat);
            return;
        }
        if (!ExtendedFloat.TryAdd(value, by, out var sum))
        {
            ctx.Error("ERR increment would produce NaN or Infinity");
            return;
        }
        var bytes = Encoding.ASCII.GetBytes(sum.ToString());
        if (old == null) ctx.Db.Add(ctx.ArgBytes(1), bytes, 0);
        else ctx.Db.Set(key, bytes, Database.KeepTtl);
        ctx.Notify(PubSub.NotifyType.String, "incrbyfloat"u8, 1);
        ctx.Reply.WriteBulk(bytes);
        // Replicas must store the same text, not redo a float sum: propagate the result.
        ctx.Rewrite = [["SET"u8.ToArray(), ctx.ArgBytes(1), bytes, "KEEPTTL"u8.ToArray()]];
    }
}
