using Codis.Server.Commands;

namespace Codis.Server.Migration;

/// <summary>
/// MIGRATE host port key|"" destination-db timeout [COPY] [REPLACE] [AUTH password] [AUTH2 username password]
/// [KEYS key ...], parsed in Redis's order of checks: the options first, then the timeout and the db.
/// </summary>
internal sealed class MigrateOptions
{
    public required string Host { get; init; }

    /// <summary>The port as written: with the host it names the cached link ("host:port").</summary>
    public required string PortText { get; init; }

    public required long Db { get; init; }
    public required int TimeoutMs { get; init; }
    public bool Copy { get; private init; }
    public bool Replace { get; private init; }

    /// <summary>The AUTH command's arguments (password, or username and password), null without AUTH/AUTH2.</summary>
    public byte[][]? Auth { get; private init; }

    public required List<byte[]> Keys { get; init; }

    /// <summary>Parses the request; on failure replies the error and returns null.</summary>
    public static MigrateOptions? Parse(CommandContext ctx)
    {
        bool copy = false, replace = false;
        byte[][]? auth = null;
        int firstKey = 3, keyCount = 1;
        for (int j = 6; j < ctx.ArgCount; j++)
        {
            int more = ctx.ArgCount - j - 1;
            if (ctx.ArgIs(j, "COPY")) copy = true;
            else if (ctx.ArgIs(j, "REPLACE")) replace = true;
            else if (ctx.ArgIs(j, "AUTH") && more >= 1)
            {
                auth = [ctx.ArgBytes(j + 1)];
                j++;
            }
            else if (ctx.ArgIs(j, "AUTH2") && more >= 2)
            {
                auth = [ctx.ArgBytes(j + 1), ctx.ArgBytes(j + 2)];
                j += 2;
            }
            else if (ctx.ArgIs(j, "KEYS"))
            {
                if (!ctx.Arg(3).IsEmpty)
                {
                    ctx.Error("ERR When using MIGRATE KEYS option, the key argument must be set to the empty string");
                    return null;
                }
                firstKey = j + 1;
                keyCount = more;
                break;
            }
            else
            {
                ctx.SyntaxError();
                return null;
            }
        }
        if (!ctx.TryArgLong(5, out long timeout) || !ctx.TryArgLong(4, out long db)) return null;
        if (timeout <= 0) timeout = 1000;
        var keys = new List<byte[]>(keyCount);
        for (int i = firstKey; i < firstKey + keyCount; i++) keys.Add(ctx.ArgBytes(i));
        return new MigrateOptions
        {
            Host = ctx.ArgString(1),
            PortText = ctx.ArgString(2),
            Db = db,
            TimeoutMs = (int)Math.Min(timeout, int.MaxValue),
            Copy = copy,
            Replace = replace,
            Auth = auth,
            Keys = keys,
        };
    }

    /// <summary>
    /// The port as Redis reads it (C's atoi: leading digits, "" or junk is 0, kept to 16 bits as the socket layer
    /// does: 82839 reaches port 17303); null for a negative port, which no address lookup accepts.
    /// </summary>
    public int? Port
    {
        get
        {
            var s = PortText.AsSpan().TrimStart(" \t\n\v\f\r");
            bool negative = s.Length > 0 && s[0] == '-';
            if (s.Length > 0 && s[0] is '-' or '+') s = s[1..];
            long n = 0;
            for (int i = 0; i < s.Length && char.IsAsciiDigit(s[i]) && n < int.MaxValue; i++) n = n * 10 + (s[i] - '0');
            if (negative && n > 0) return null;
            return (int)(n & 0xFFFF);
        }
    }
}
