using System.Globalization;
using System.Text;

namespace Codis.Server.Commands;

/// <summary>Turning EX/PX/EXAT/PXAT arguments into an absolute unix-ms deadline, with Redis's overflow checks.</summary>
internal static class Expiry
{
    public static bool TryResolve(string kind, long n, long now, out long expireAt)
    {
        expireAt = 0;
        if (n <= 0) return false;
        long ms;
        switch (kind)
        {
            case "EX":
            case "EXAT":
                if (n > long.MaxValue / 1000) return false;
                ms = n * 1000;
                break;
            default:
                ms = n;
                break;
        }
        if (kind is "EX" or "PX")
        {
            if (ms > long.MaxValue - now) return false;
            ms += now;
        }
        expireAt = ms;
        return true;
    }

    /// <summary>SET key value ... with the deadline made absolute (PXAT), so replicas and the AOF agree.</summary>
    public static IEnumerable<byte[]> SetPxatRewrite(CommandContext ctx, long expireAt)
    {
        yield return "SET"u8.ToArray();
        yield return ctx.ArgBytes(1);
        yield return ctx.ArgBytes(2);
        yield return "PXAT"u8.ToArray();
        yield return Encoding.ASCII.GetBytes(expireAt.ToString(CultureInfo.InvariantCulture));
        for (int i = 3; i < ctx.ArgCount; i++)
        {
            if (ctx.ArgIs(i, "NX") || ctx.ArgIs(i, "XX") || ctx.ArgIs(i, "GET")) yield return ctx.ArgBytes(i);
            else if (ctx.ArgIs(i, "EX") || ctx.ArgIs(i, "PX") || ctx.ArgIs(i, "EXAT") || ctx.ArgIs(i, "PXAT")) i++;
        }
    }
}
