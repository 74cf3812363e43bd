namespace Codis.Server.Commands;

/// <summary>The count argument of HRANDFIELD, SRANDMEMBER and ZRANDMEMBER, and distinct random picks.</summary>
internal static class RandomCount
{
    /// <summary>
    /// A count in -LONG_MAX..LONG_MAX (negative = repeats allowed); with values (pairs in the reply) at most
    /// LONG_MAX/2 in magnitude, as Redis checks so the reply length cannot overflow.
    /// </summary>
    public static bool TryParse(CommandContext ctx, int arg, bool withValues, out long count)
    {
        if (!ctx.TryArgLong(arg, out count)) return false;
        if (count == long.MinValue)
        {
            ctx.Error("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807");
            return false;
        }
        return !withValues || CheckWithValues(ctx, count);
    }

    /// <summary>With values a negative count is at most LONG_MAX/2 in magnitude, so the reply length cannot overflow.</summary>
    public static bool CheckWithValues(CommandContext ctx, long count)
    {
        if (count >= -(long.MaxValue / 2)) return true;
        ctx.Error("ERR value is out of range");
        return false;
    }

    /// <summary><paramref name="count"/> distinct elements in random order (partial Fisher–Yates).</summary>
    public static List<T> Distinct<T>(List<T> all, int count, Random random)
    {
        for (int i = 0; i < count; i++)
        {
            int j = random.Next(i, all.Count);
            (all[i], all[j]) = (all[j], all[i]);
        }
        all.RemoveRange(count, all.Count - count);
        return all;
    }
}
