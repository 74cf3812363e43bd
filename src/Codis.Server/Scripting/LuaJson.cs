using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using static Codis.Server.Scripting.LuaNative;

namespace Codis.Server.Scripting;

/// <summary>
/// The cjson library's encode and decode (Redis bundles lua-cjson 2.1), written against the Lua stack. Both
/// return their error text instead of raising (the Lua side raises it), with lua-cjson's messages.
/// </summary>
internal static class LuaJson
{
    [ThreadStatic] private static ArrayBufferWriter<byte>? buffer;

    /// <summary>The deepest nesting either direction handles whatever the settings say (the C# stack is finite).</summary>
    private const int DepthCap = 1000;

    // encode(value, maxDepth, precision, sparseConvert, sparseRatio, sparseSafe, invalidNumbers) → json | nil, error
    [UnmanagedCallersOnly]
    public static int Encode(IntPtr l)
    {
        try
        {
            var options = new EncodeOptions
            {
                MaxDepth = (int)Math.Min(ToInteger(l, 2), DepthCap),
                Precision = (int)ToInteger(l, 3),
                SparseConvert = lua_toboolean(l, 4) != 0,
                SparseRatio = ToInteger(l, 5),
                SparseSafe = ToInteger(l, 6),
                InvalidNumbers = lua_type(l, 7) == TString ? 2 : lua_toboolean(l, 7) != 0 ? 1 : 0,
            };
            var output = buffer ??= new ArrayBufferWriter<byte>(256);
            output.ResetWrittenCount();
            lua_settop(l, 1);
            string? error = Value(l, 1, 0, output, options);
            if (buffer.WrittenCount > 1 << 20) buffer = null; // do not keep a huge buffer for good
            if (error != null)
            {
                lua_pushnil(l);
                PushString(l, error);
                return 2;
            }
            PushBytes(l, output.WrittenSpan);
            return 1;
        }
        catch (Exception e)
        {
            lua_pushnil(l);
            PushString(l, "cjson: " + e.Message);
            return 2;
        }
    }

    private sealed class EncodeOptions
    {
        public int MaxDepth, Precision, InvalidNumbers;
        public bool SparseConvert;
        public long SparseRatio, SparseSafe;
    }

    private static string? Value(IntPtr l, int idx, int depth, ArrayBufferWriter<byte> o, EncodeOptions options)
    {
        switch (lua_type(l, idx))
        {
            case TString:
                Quote(o, ToSpan(l, idx, out _));
                return null;
            case TNumber:
                if (lua_isinteger(l, idx) != 0)
                {
                    Ascii(o, ToInteger(l, idx).ToString(CultureInfo.InvariantCulture));
                    return null;
                }
                return Number(o, ToNumber(l, idx), options);
            case TBoolean:
                Ascii(o, lua_toboolean(l, idx) != 0 ? "true" : "false");
                return null;
            case TNil:
                Ascii(o, "null");
                return null;
            case TLightUserData when lua_touserdata(l, idx) == IntPtr.Zero:
                Ascii(o, "null");
                return null;
            case TTable:
                return Table(l, idx, depth + 1, o, options);
            default:
                return $"Cannot serialise {TypeName(lua_type(l, idx))}: type not supported";
        }
    }

    private static string TypeName(int type) => type switch
    {
        TFunction => "function",
        TUserData or TLightUserData => "userdata",
        TThread => "thread",
        _ => "value",
    };

    private static string? Number(ArrayBufferWriter<byte> o, double d, EncodeOptions options)
    {
        if (double.IsNaN(d) || double.IsInfinity(d))
        {
            if (options.InvalidNumbers == 0) return "Cannot serialise number: must not be NaN or Inf";
            Ascii(o, options.InvalidNumbers == 2 ? "null" : double.IsNaN(d) ? "nan" : d > 0 ? "inf" : "-inf");
            return null;
        }
        Ascii(o, FormatG(d, options.Precision));
        return null;
    }

    private static string? Table(IntPtr l, int idx, int depth, ArrayBufferWriter<byte> o, EncodeOptions options)
    {
        if (depth > options.MaxDepth) return $"Cannot serialise, excessive nesting ({depth})";
        if (lua_checkstack(l, 6) == 0) return "Cannot serialise, stack exhausted";
        long length = ArrayLength(l, idx, options, out string? error);
        if (error != null) return error;
        if (length > 0)
        {
            Ascii(o, "[");
            for (long i = 1; i <= length; i++)
            {
                if (i > 1) Ascii(o, ",");
                lua_rawgeti(l, idx, i);
                error = Value(l, lua_gettop(l), depth, o, options);
                lua_settop(l, -2);
                if (error != null) return error;
            }
            Ascii(o, "]");
            return null;
        }
        Ascii(o, "{");
        bool first = true;
        lua_pushnil(l);
        while (lua_next(l, idx) != 0)
        {
            if (!first) Ascii(o, ",");
            first = false;
            int keyType = lua_type(l, -2);
            if (keyType == TString) Quote(o, ToSpan(l, -2, out _));
            else if (keyType == TNumber)
            {
                Ascii(o, "\"");
                string? e = null;
                if (lua_isinteger(l, -2) != 0) Ascii(o, ToInteger(l, -2).ToString(CultureInfo.InvariantCulture));
                else e = Number(o, ToNumber(l, -2), options);
                if (e != null)
                {
                    lua_settop(l, idx);
                    return e;
                }
                Ascii(o, "\"");
            }
            else
            {
                lua_settop(l, idx);
                return "Cannot serialise table: table key must be a number or string";
            }
            Ascii(o, ":");
            error = Value(l, lua_gettop(l), depth, o, options);
            lua_settop(l, -2);
            if (error != null)
            {
                lua_settop(l, idx);
                return error;
            }
        }
        Ascii(o, "}");
        return null;
    }

    /// <summary>lua-cjson's test: the largest index when every key is a positive integer, 0 for an object (or empty).</summary>
    private static long ArrayLength(IntPtr l, int idx, EncodeOptions options, out string? error)
    {
        error = null;
        long max = 0, items = 0;
        lua_pushnil(l);
        while (lua_next(l, idx) != 0)
        {
            bool integral = false;
            long k = 0;
            if (lua_type(l, -2) == TNumber)
            {
                if (lua_isinteger(l, -2) != 0)
                {
                    k = ToInteger(l, -2);
                    integral = true;
                }
                else
                {
                    double d = ToNumber(l, -2);
                    integral = d == Math.Floor(d) && d >= 1 && d < 9e18;
                    k = (long)d;
                }
            }
            if (!integral || k < 1)
            {
                lua_settop(l, idx);
                return 0;
            }
            if (k > max) max = k;
            items++;
            lua_settop(l, -2);
        }
        if (options.SparseRatio > 0 && max > items * options.SparseRatio && max > options.SparseSafe)
        {
            if (!options.SparseConvert) error = "Cannot serialise table: excessively sparse array";
            return 0;
        }
        return max;
    }

    private static void Ascii(ArrayBufferWriter<byte> o, string s)
    {
        var span = o.GetSpan(s.Length);
        for (int i = 0; i < s.Length; i++) span[i] = (byte)s[i];
        o.Advance(s.Length);
    }

    private static void Quote(ArrayBufferWriter<byte> o, ReadOnlySpan<byte> s)
    {
        var span = o.GetSpan(s.Length * 6 + 2);
        int n = 0;
        span[n++] = (byte)'"';
        foreach (byte b in s)
        {
            switch (b)
            {
                case (byte)'"': span[n++] = (byte)'\\'; span[n++] = (byte)'"'; break;
                case (byte)'\\': span[n++] = (byte)'\\'; span[n++] = (byte)'\\'; break;
                case (byte)'/': span[n++] = (byte)'\\'; span[n++] = (byte)'/'; break;
                case (byte)'\b': span[n++] = (byte)'\\'; span[n++] = (byte)'b'; break;
                case (byte)'\f': span[n++] = (byte)'\\'; span[n++] = (byte)'f'; break;
                case (byte)'\n': span[n++] = (byte)'\\'; span[n++] = (byte)'n'; break;
                case (byte)'\r': span[n++] = (byte)'\\'; span[n++] = (byte)'r'; break;
                case (byte)'\t': span[n++] = (byte)'\\'; span[n++] = (byte)'t'; break;
                default:
                    if (b < 0x20 || b == 0x7f)
                    {
                        "\\u00"u8.CopyTo(span[n..]);
                        n += 4;
                        span[n++] = (byte)"0123456789abcdef"[b >> 4];
                        span[n++] = (byte)"0123456789abcdef"[b & 15];
                    }
                    else span[n++] = b;
                    break;
            }
        }
        span[n++] = (byte)'"';
        o.Advance(n);
    }

    /// <summary>C's %.&lt;precision&gt;g.</summary>
    public static string FormatG(double d, int precision)
    {
        if (d == 0) return double.IsNegative(d) ? "-0" : "0";
        precision = Math.Clamp(precision, 1, 17);
        string e = d.ToString("E" + (precision - 1), CultureInfo.InvariantCulture);
        int ePos = e.IndexOf('E');
        int exp = int.Parse(e.AsSpan(ePos + 1), CultureInfo.InvariantCulture);
        string mantissa = e[..ePos];
        bool negative = mantissa.StartsWith('-');
        string digits = mantissa.Replace("-", "").Replace(".", "");
        var sb = new StringBuilder();
        if (negative) sb.Append('-');
        if (exp < -4 || exp >= precision)
        {
            string m = digits[..1] + (digits.Length > 1 ? "." + digits[1..] : "");
            if (m.Contains('.')) m = m.TrimEnd('0').TrimEnd('.');
            sb.Append(m).Append('e').Append(exp < 0 ? '-' : '+').Append(Math.Abs(exp).ToString("00", CultureInfo.InvariantCulture));
        }
        else if (exp >= 0)
        {
            sb.Append(digits[..(exp + 1)]);
            string frac = digits[(exp + 1)..].TrimEnd('0');
            if (frac.Length > 0) sb.Append('.').Append(frac);
        }
        else
        {
            sb.Append("0.").Append((new string('0', -exp - 1) + digits).TrimEnd('0'));
        }
        return sb.ToString();
    }

    // decode(text, maxDepth, invalidNumbers) → true, value | false, error
    [UnmanagedCallersOnly]
    public static int Decode(IntPtr l)
    {
        try
        {
            var text = ToSpan(l, 1, out _).ToArray();
            var parser = new Parser(l, text, (int)Math.Min(ToInteger(l, 2), DepthCap), lua_toboolean(l, 3) != 0);
            lua_settop(l, 0);
            lua_pushboolean(l, 1);
            string? error = parser.Document();
            if (error != null)
            {
                lua_settop(l, 0);
                lua_pushboolean(l, 0);
                PushString(l, error);
            }
            return 2;
        }
        catch (Exception e)
        {
            lua_settop(l, 0);
            lua_pushboolean(l, 0);
            PushString(l, "cjson: " + e.Message);
            return 2;
        }
    }

    private enum Token { ObjBegin, ObjEnd, ArrBegin, ArrEnd, String, Number, Boolean, Null, Colon, Comma, End, Error }

    private static string Name(Token t) => t switch
    {
        Token.ObjBegin => "T_OBJ_BEGIN",
        Token.ObjEnd => "T_OBJ_END",
        Token.ArrBegin => "T_ARR_BEGIN",
        Token.ArrEnd => "T_ARR_END",
        Token.String => "T_STRING",
        Token.Number => "T_NUMBER",
        Token.Boolean => "T_BOOLEAN",
        Token.Null => "T_NULL",
        Token.Colon => "T_COLON",
        Token.Comma => "T_COMMA",
        Token.End => "T_END",
        _ => "T_ERROR",
    };

    private static readonly SearchValues<byte> NotInteger = SearchValues.Create(".eExXnNiI"u8);

    /// <summary>A recursive-descent parser that pushes what it reads; tokens as lua-cjson names them in errors.</summary>
    private sealed class Parser(IntPtr l, byte[] s, int maxDepth, bool invalidNumbers)
    {
        private int pos, depth;
        private Token token;
        private int tokenStart;
        private string tokenError = "";
        private byte[] str = [];
        private bool boolean, isInteger;
        private long integer;
        private double number;

        public string? Document()
        {
            Next();
            string? e = Value();
            if (e != null) return e;
            Next();
            return token == Token.End ? null : Unexpected("the end");
        }

        private string Unexpected(string expected) =>
            $"Expected {expected} but found {(token == Token.Error ? tokenError : Name(token))} at character {tokenStart + 1}";

        private string? Value()
        {
            switch (token)
            {
                case Token.String: PushBytes(l, str); return null;
                case Token.Number:
                    if (isInteger) lua_pushinteger(l, integer);
                    else lua_pushnumber(l, number);
                    return null;
                case Token.Boolean: lua_pushboolean(l, boolean ? 1 : 0); return null;
                case Token.Null: lua_pushlightuserdata(l, IntPtr.Zero); return null;
                case Token.ObjBegin: return Object();
                case Token.ArrBegin: return Array();
                default: return Unexpected("value");
            }
        }

        private string? Nest()
        {
            if (++depth > maxDepth || lua_checkstack(l, 4) == 0)
                return $"Found too many nested data structures ({depth}) at character {tokenStart + 1}";
            return null;
        }

        private string? Object()
        {
            if (Nest() is { } e) return e;
            lua_createtable(l, 0, 0);
            Next();
            if (token == Token.ObjEnd)
            {
                depth--;
                return null;
            }
            while (true)
            {
                if (token != Token.String) return Unexpected("object key string");
                PushBytes(l, str);
                Next();
                if (token != Token.Colon) return Unexpected("colon");
                Next();
                if (Value() is { } ve) return ve;
                lua_rawset(l, -3);
                Next();
                if (token == Token.ObjEnd)
                {
                    depth--;
                    return null;
                }
                if (token != Token.Comma) return Unexpected("comma or object end");
                Next();
            }
        }

        private string? Array()
        {
            if (Nest() is { } e) return e;
            lua_createtable(l, 0, 0);
            Next();
            if (token == Token.ArrEnd)
            {
                depth--;
                return null;
            }
            for (long i = 1; ; i++)
            {
                if (Value() is { } ve) return ve;
                lua_rawseti(l, -2, i);
                Next();
                if (token == Token.ArrEnd)
                {
                    depth--;
                    return null;
                }
                if (token != Token.Comma) return Unexpected("comma or array end");
                Next();
            }
        }

        private void Next()
        {
            while (pos < s.Length && s[pos] is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r') pos++;
            tokenStart = pos;
            if (pos >= s.Length)
            {
                token = Token.End;
                return;
            }
            byte c = s[pos];
            switch (c)
            {
                case (byte)'{': token = Token.ObjBegin; pos++; return;
                case (byte)'}': token = Token.ObjEnd; pos++; return;
                case (byte)'[': token = Token.ArrBegin; pos++; return;
                case (byte)']': token = Token.ArrEnd; pos++; return;
                case (byte)':': token = Token.Colon; pos++; return;
                case (byte)',': token = Token.Comma; pos++; return;
                case (byte)'"': String(); return;
            }
            if (Word("true")) { token = Token.Boolean; boolean = true; return; }
            if (Word("false")) { token = Token.Boolean; boolean = false; return; }
            if (Word("null")) { token = Token.Null; return; }
            if (c == (byte)'-' || char.IsAsciiDigit((char)c) || (invalidNumbers && (c is (byte)'i' or (byte)'I' or (byte)'n' or (byte)'N' or (byte)'+')))
            {
                NumberToken();
                return;
            }
            Fail("invalid token");
        }

        private void Fail(string message)
        {
            token = Token.Error;
            tokenError = message;
        }

        private bool Word(string w)
        {
            if (pos + w.Length > s.Length) return false;
            for (int i = 0; i < w.Length; i++) if (s[pos + i] != w[i]) return false;
            pos += w.Length;
            return true;
        }

        private void NumberToken()
        {
            int start = pos;
            while (pos < s.Length && (char.IsAsciiLetterOrDigit((char)s[pos]) || s[pos] is (byte)'-' or (byte)'+' or (byte)'.')) pos++;
            var text = s.AsSpan(start, pos - start);
            token = Token.Number;
            if (text.IndexOfAny(NotInteger) < 0 && Utf8Parser.TryParse(text, out long n, out int used) && used == text.Length)
            {
                isInteger = true;
                integer = n;
                return;
            }
            isInteger = false;
            string t = Encoding.ASCII.GetString(text);
            if (invalidNumbers && (t.Equals("nan", StringComparison.OrdinalIgnoreCase) || t.Equals("-nan", StringComparison.OrdinalIgnoreCase)))
                number = double.NaN;
            else if (invalidNumbers && (t.Equals("inf", StringComparison.OrdinalIgnoreCase) || t.Equals("infinity", StringComparison.OrdinalIgnoreCase) || t.Equals("+inf", StringComparison.OrdinalIgnoreCase)))
                number = double.PositiveInfinity;
            else if (invalidNumbers && (t.Equals("-inf", StringComparison.OrdinalIgnoreCase) || t.Equals("-infinity", StringComparison.OrdinalIgnoreCase)))
                number = double.NegativeInfinity;
            else if (!double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out number)) Fail("invalid number");
        }

        private void String()
        {
            pos++; // the quote
            var bytes = new List<byte>();
            Span<byte> utf8 = stackalloc byte[4];
            while (true)
            {
                if (pos >= s.Length)
                {
                    Fail("unexpected end of string");
                    return;
                }
                byte c = s[pos++];
                if (c == (byte)'"') break;
                if (c != (byte)'\\')
                {
                    bytes.Add(c);
                    continue;
                }
                if (pos >= s.Length)
                {
                    Fail("unexpected end of string");
                    return;
                }
                byte e = s[pos++];
                switch (e)
                {
                    case (byte)'"': case (byte)'\\': case (byte)'/': bytes.Add(e); break;
                    case (byte)'b': bytes.Add((byte)'\b'); break;
                    case (byte)'f': bytes.Add((byte)'\f'); break;
                    case (byte)'n': bytes.Add((byte)'\n'); break;
                    case (byte)'r': bytes.Add((byte)'\r'); break;
                    case (byte)'t': bytes.Add((byte)'\t'); break;
                    case (byte)'u':
                        if (!Hex4(out int cp))
                        {
                            Fail("invalid unicode escape code");
                            return;
                        }
                        if (cp is >= 0xD800 and < 0xDC00)
                        {
                            if (pos + 1 < s.Length && s[pos] == (byte)'\\' && s[pos + 1] == (byte)'u')
                            {
                                pos += 2;
                                if (!Hex4(out int low) || low is < 0xDC00 or > 0xDFFF)
                                {
                                    Fail("invalid unicode escape code");
                                    return;
                                }
                                cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
                            }
                            else
                            {
                                Fail("invalid unicode escape code");
                                return;
                            }
                        }
                        else if (cp is >= 0xDC00 and <= 0xDFFF)
                        {
                            Fail("invalid unicode escape code");
                            return;
                        }
                        int n = new Rune(cp).EncodeToUtf8(utf8);
                        for (int i = 0; i < n; i++) bytes.Add(utf8[i]);
                        break;
                    default:
                        Fail("invalid escape code");
                        return;
                }
            }
            token = Token.String;
            str = bytes.ToArray();
        }

        private bool Hex4(out int value)
        {
            value = 0;
            if (pos + 4 > s.Length) return false;
            for (int i = 0; i < 4; i++)
            {
                int d = HexDigit(s[pos + i]);
                if (d < 0) return false;
                value = value * 16 + d;
            }
            pos += 4;
            return true;
        }

        private static int HexDigit(byte b) => b switch
        {
            >= (byte)'0' and <= (byte)'9' => b - '0',
            >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
            >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
            _ => -1,
        };
    }
}
