using Codis.Core.Resp;
using Codis.Server.Commands;
using static Codis.Server.Scripting.LuaNative;

namespace Codis.Server.Scripting;

/// <summary>
/// A script's return value as the caller's reply, by Redis 7.0's rules: number → integer (truncated), string → bulk,
/// {err=} → error, {ok=} → status, {double=} → double, {big_number=} → big number, {map=} → map, {set=} → set,
/// {verbatim_string=} → verbatim string (each as the caller's protocol writes it: RESP2 gets bulk strings and flat
/// arrays), a table → array up to its first nil. Booleans follow the script's own protocol (redis.setresp):
/// RESP2 true → 1 and false → nil, RESP3 → booleans. Tables are read raw: a metatable cannot run code here.
/// </summary>
internal static class LuaReply
{
    /// <summary>Deeper tables are cut here (the C# stack is finite; Redis stops at its Lua stack limit).</summary>
    private const int MaxDepth = 1000;

    public static void Write(IntPtr l, int idx, RespWriter reply, bool scriptResp3 = false) => Write(l, idx, reply, depth: scriptResp3 ? Resp3Flag : 0);

    /// <summary>The script ran in RESP3: carried in the depth's high bit, so the recursion keeps one int.</summary>
    private const int Resp3Flag = 1 << 30;

    private static void Write(IntPtr l, int idx, RespWriter reply, int depth)
    {
        if (idx < 0) idx = lua_gettop(l) + idx + 1;
        switch (lua_type(l, idx))
        {
            case TString:
                reply.WriteBulk(ToSpan(l, idx, out _));
                break;
            case TNumber:
                reply.WriteInteger(lua_isinteger(l, idx) != 0 ? ToInteger(l, idx) : Truncate(ToNumber(l, idx)));
                break;
            case TBoolean when (depth & Resp3Flag) != 0:
                reply.WriteBoolean(lua_toboolean(l, idx) != 0);
                break;
            case TBoolean:
                if (lua_toboolean(l, idx) != 0) reply.WriteInteger(1);
                else reply.WriteNullBulk();
                break;
            case TTable when (depth & ~Resp3Flag) >= MaxDepth || lua_checkstack(l, 8) == 0:
                reply.WriteError("ERR reached lua stack limit");
                break;
            case TTable:
                WriteTable(l, idx, reply, depth + 1);
                break;
            default:
                reply.WriteNullBulk();
                break;
        }
    }

    /// <summary>C's (long long) of a double on x86-64: out of range and NaN give the smallest long.</summary>
    public static long Truncate(double d) =>
        double.IsNaN(d) || d >= 9223372036854775808.0 || d < -9223372036854775808.0 ? long.MinValue : (long)d;

    private static void WriteTable(IntPtr l, int idx, RespWriter reply, int depth)
    {
        if (Field(l, idx, "err") == TString)
        {
            reply.WriteError(OneLine(ToSpan(l, -1, out _)));
            lua_settop(l, -2);
            return;
        }
        lua_settop(l, -2);
        if (Field(l, idx, "ok") == TString)
        {
            reply.WriteSimpleString(OneLine(ToSpan(l, -1, out _)));
            lua_settop(l, -2);
            return;
        }
        lua_settop(l, -2);
        if (Field(l, idx, "double") == TNumber)
        {
            reply.WriteDouble(ToNumber(l, -1));
            lua_settop(l, -2);
            return;
        }
        lua_settop(l, -2);
        if (Field(l, idx, "big_number") == TString)
        {
            reply.WriteBigNumber(ToSpan(l, -1, out _));
            lua_settop(l, -2);
            return;
        }
        lua_settop(l, -2);
        if (Field(l, idx, "verbatim_string") == TTable && WriteVerbatim(l, lua_gettop(l), reply))
        {
            lua_settop(l, -2);
            return;
        }
        lua_settop(l, -2);
        if (Field(l, idx, "map") == TTable)
        {
            WritePairs(l, lua_gettop(l), reply, withValues: true, depth);
            lua_settop(l, -2);
            return;
        }
        lua_settop(l, -2);
        if (Field(l, idx, "set") == TTable)
        {
            WritePairs(l, lua_gettop(l), reply, withValues: false, depth);
            lua_settop(l, -2);
            return;
        }
        lua_settop(l, -2);
        long count = 0;
        while (lua_rawgeti(l, idx, count + 1) != TNil)
        {
            count++;
            lua_settop(l, -2);
        }
        lua_settop(l, -2);
        reply.WriteArrayHeader(count);
        for (long i = 1; i <= count; i++)
        {
            lua_rawgeti(l, idx, i);
            Write(l, lua_gettop(l), reply, depth);
            lua_settop(l, -2);
        }
    }

    /// <summary>A map as key, value, key, value...; a set as its keys.</summary>
    private static void WritePairs(IntPtr l, int t, RespWriter reply, bool withValues, int depth)
    {
        long count = 0;
        lua_pushnil(l);
        while (lua_next(l, t) != 0)
        {
            count++;
            lua_settop(l, -2);
        }
        if (withValues) reply.WriteMapHeader(count);
        else reply.WriteSetHeader(count);
        lua_pushnil(l);
        while (lua_next(l, t) != 0)
        {
            // key at -2, value at -1; convert copies so that lua_next sees its key untouched
            lua_pushvalue(l, -2);
            Write(l, lua_gettop(l), reply, depth);
            lua_settop(l, -2);
            if (withValues) Write(l, lua_gettop(l), reply, depth);
            lua_settop(l, -2);
        }
    }

    /// <summary>{verbatim_string={format="txt", string="..."}}: false (nothing written) when either field is missing.</summary>
    private static bool WriteVerbatim(IntPtr l, int t, RespWriter reply)
    {
        bool ok = Field(l, t, "format") == TString & Field(l, t, "string") == TString;
        if (ok)
        {
            string format = System.Text.Encoding.UTF8.GetString(ToSpan(l, -2, out _));
            if (format.Length == 3) reply.WriteVerbatim(ToSpan(l, -1, out _), format);
            else ok = false;
        }
        lua_settop(l, -3);
        return ok;
    }

    private static int Field(IntPtr l, int idx, string name)
    {
        PushString(l, name);
        return lua_rawget(l, idx);
    }

    /// <summary>Status and error lines cannot hold line breaks: they become spaces.</summary>
    private static ReadOnlySpan<byte> OneLine(ReadOnlySpan<byte> text)
    {
        if (text.IndexOfAny((byte)'\r', (byte)'\n') < 0) return text;
        var copy = text.ToArray();
        for (int i = 0; i < copy.Length; i++)
            if (copy[i] is (byte)'\r' or (byte)'\n') copy[i] = (byte)' ';
        return copy;
    }
}
