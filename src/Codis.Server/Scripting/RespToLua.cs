using System.Buffers.Text;
using static Codis.Server.Scripting.LuaNative;

namespace Codis.Server.Scripting;

/// <summary>
/// A command's reply as the Lua value a script gets, by Redis's rules: integer → number, bulk → string,
/// nil bulk or nil array → false, array → table, status → {ok=text}, error → {err="CODE text"}; after
/// redis.setresp(3) also RESP3's types: null → nil, boolean → boolean, double → {double=n}, map → {map={k=v}},
/// set → {set={member=true}}, big number → {big_number=text}, verbatim → {verbatim_string={format=, string=}}
/// (an attribute is skipped: scripts never see it).
/// </summary>
internal static class RespToLua
{
    /// <summary>Pushes the reply starting at <paramref name="pos"/> (our own server's output: well formed).</summary>
    public static void Push(IntPtr l, ReadOnlySpan<byte> reply, ref int pos)
    {
        if (pos >= reply.Length)
        {
            lua_pushboolean(l, 0); // no reply at all (cannot happen for a command that ran): nil
            return;
        }
        byte kind = reply[pos];
        int eol = reply[pos..].IndexOf("\r\n"u8) + pos;
        var line = reply[(pos + 1)..eol];
        pos = eol + 2;
        switch (kind)
        {
            case (byte)'+':
                lua_createtable(l, 0, 1);
                PushString(l, "ok");
                PushBytes(l, line);
                lua_rawset(l, -3);
                break;
            case (byte)'-':
                PushError(l, reply[(eol - line.Length - 1)..eol]);
                break;
            case (byte)':':
                lua_pushinteger(l, Number(line));
                break;
            case (byte)'$':
            {
                long n = Number(line);
                if (n < 0)
                {
                    lua_pushboolean(l, 0);
                    break;
                }
                PushBytes(l, reply.Slice(pos, (int)n));
                pos += (int)n + 2;
                break;
            }
            case (byte)'*' or (byte)'>':
            {
                long n = Number(line);
                if (n < 0)
                {
                    lua_pushboolean(l, 0);
                    break;
                }
                lua_checkstack(l, 4);
                lua_createtable(l, (int)Math.Min(n, int.MaxValue), 0);
                for (long i = 1; i <= n; i++)
                {
                    Push(l, reply, ref pos);
                    lua_rawseti(l, -2, i);
                }
                break;
            }
            case (byte)'_':
                lua_pushnil(l);
                break;
            case (byte)'#':
                lua_pushboolean(l, line.Length == 1 && line[0] == (byte)'t' ? 1 : 0);
                break;
            case (byte)',':
                lua_createtable(l, 0, 1);
                PushString(l, "double");
                lua_pushnumber(l, ParseDouble(line));
                lua_rawset(l, -3);
                break;
            case (byte)'(':
                lua_createtable(l, 0, 1);
                PushString(l, "big_number");
                PushBytes(l, line);
                lua_rawset(l, -3);
                break;
            case (byte)'=':
            {
                int n = (int)Number(line);
                var body = reply.Slice(pos, n);
                pos += n + 2;
                lua_createtable(l, 0, 1);
                PushString(l, "verbatim_string");
                lua_createtable(l, 0, 2);
                PushString(l, "format");
                PushBytes(l, body[..Math.Min(3, body.Length)]);
                lua_rawset(l, -3);
                PushString(l, "string");
                PushBytes(l, body.Length > 4 ? body[4..] : default);
                lua_rawset(l, -3);
                lua_rawset(l, -3);
                break;
            }
            case (byte)'%' or (byte)'~':
            {
                long n = Number(line);
                bool map = kind == (byte)'%';
                lua_checkstack(l, 6);
                lua_createtable(l, 0, 1);
                PushString(l, map ? "map" : "set");
                lua_createtable(l, 0, (int)Math.Min(n, int.MaxValue));
                for (long i = 0; i < n; i++)
                {
                    Push(l, reply, ref pos);
                    if (map) Push(l, reply, ref pos);
                    else lua_pushboolean(l, 1);
                    lua_rawset(l, -3);
                }
                lua_rawset(l, -3);
                break;
            }
            case (byte)'|':
            {
                // An attribute: its pairs are read and dropped, then the reply it describes is the value.
                long n = Number(line) * 2;
                for (long i = 0; i < n; i++)
                {
                    Push(l, reply, ref pos);
                    lua_settop(l, -2);
                }
                Push(l, reply, ref pos);
                break;
            }
            default:
                lua_pushboolean(l, 0);
                break;
        }
    }

    private static double ParseDouble(ReadOnlySpan<byte> text) => text switch
    {
        _ when text.SequenceEqual("inf"u8) => double.PositiveInfinity,
        _ when text.SequenceEqual("-inf"u8) => double.NegativeInfinity,
        _ when text.SequenceEqual("nan"u8) || text.SequenceEqual("-nan"u8) => double.NaN,
        _ => double.TryParse(System.Text.Encoding.ASCII.GetString(text), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double d) ? d : 0,
    };

    private static long Number(ReadOnlySpan<byte> text) => Utf8Parser.TryParse(text, out long n, out _) ? n : 0;

    /// <summary>
    /// Pushes {err=...} from "-CODE text" (an error reply's line) or from a bare text (then the code is ERR);
    /// leading and trailing line breaks go, as Redis trims them.
    /// </summary>
    public static void PushError(IntPtr l, ReadOnlySpan<byte> message)
    {
        ReadOnlySpan<byte> code = "ERR"u8, text = message;
        if (!message.IsEmpty && message[0] == (byte)'-')
        {
            int space = message.IndexOf((byte)' ');
            if (space < 0) text = message[1..];
            else
            {
                code = message[1..space];
                text = message[(space + 1)..];
            }
        }
        text = text.Trim("\r\n"u8);
        Span<byte> buffer = code.Length + 1 + text.Length <= 1024 ? stackalloc byte[code.Length + 1 + text.Length] : new byte[code.Length + 1 + text.Length];
        code.CopyTo(buffer);
        buffer[code.Length] = (byte)' ';
        text.CopyTo(buffer[(code.Length + 1)..]);
        lua_createtable(l, 0, 1);
        PushString(l, "err");
        PushBytes(l, buffer);
        lua_rawset(l, -3);
    }
}
