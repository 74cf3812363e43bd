using System.Text;

namespace Codis.Server.Scripting;

/// <summary>
/// <c>return redis.call(...)</c> is a tail call in Lua 5.4 to a Lua function (our redis.call raises its errors in
/// Lua), which replaces the script's frame: the error would lose the "on @user_script:N." Redis reports. Written
/// <c>return (redis.call(...))</c> it is no tail call and means the same (these functions return one value).
/// The rewrite only adds parentheses, so line numbers stay; strings and comments are skipped.
/// </summary>
internal static class TailCalls
{
    private static readonly string[] Calls = ["redis.call(", "redis.pcall(", "cjson.encode(", "cjson.decode(", "redis.sha1hex(", "redis.setresp(", "redis.log("];

    public static byte[] Untail(ReadOnlySpan<byte> code)
    {
        string s = Encoding.Latin1.GetString(code); // byte-preserving
        if (!s.Contains("return", StringComparison.Ordinal)) return code.ToArray();
        var sb = new StringBuilder(s.Length + 16);
        var closeAt = new Stack<int>(); // paren depth at which a ')' must be added
        int depth = 0;
        int i = 0;
        while (i < s.Length)
        {
            char c = s[i];
            int skip = Skip(s, i);
            if (skip > i)
            {
                sb.Append(s, i, skip - i);
                i = skip;
                continue;
            }
            if (c == '(') depth++;
            else if (c == ')')
            {
                depth--;
                sb.Append(c);
                while (closeAt.Count > 0 && closeAt.Peek() == depth)
                {
                    closeAt.Pop();
                    sb.Append(')');
                }
                i++;
                continue;
            }
            if (c == 'r' && string.CompareOrdinal(s, i, "return", 0, 6) == 0 && (i == 0 || !IsWord(s[i - 1])) && i + 6 < s.Length && char.IsWhiteSpace(s[i + 6]))
            {
                int j = i + 6;
                while (j < s.Length && char.IsWhiteSpace(s[j])) j++;
                foreach (var call in Calls)
                {
                    if (string.CompareOrdinal(s, j, call, 0, call.Length) != 0) continue;
                    sb.Append(s, i, j - i).Append('(').Append(call);
                    closeAt.Push(depth);
                    depth++;
                    i = j + call.Length;
                    goto next;
                }
            }
            sb.Append(c);
            i++;
        next:;
        }
        return Encoding.Latin1.GetBytes(sb.ToString());
    }

    private static bool IsWord(char c) => char.IsAsciiLetterOrDigit(c) || c == '_';

    /// <summary>The end of a string literal or comment starting at i, or i.</summary>
    private static int Skip(string s, int i)
    {
        char c = s[i];
        if (c is '"' or '\'')
        {
            int j = i + 1;
            while (j < s.Length && s[j] != c && s[j] != '\n')
            {
                if (s[j] == '\\') j++;
                j++;
            }
            return Math.Min(j + 1, s.Length);
        }
        if (c == '[' && LongBracket(s, i) is var close and > 0) return close;
        if (c == '-' && i + 1 < s.Length && s[i + 1] == '-')
        {
            if (i + 2 < s.Length && s[i + 2] == '[' && LongBracket(s, i + 2) is var end and > 0) return end;
            int nl = s.IndexOf('\n', i);
            return nl < 0 ? s.Length : nl;
        }
        return i;
    }

    /// <summary>[[...]] or [==[...]==] at i: the index after it, or 0 when i is no long bracket.</summary>
    private static int LongBracket(string s, int i)
    {
        int j = i + 1, level = 0;
        while (j < s.Length && s[j] == '=') { level++; j++; }
        if (j >= s.Length || s[j] != '[') return 0;
        string close = "]" + new string('=', level) + "]";
        int end = s.IndexOf(close, j + 1, StringComparison.Ordinal);
        return end < 0 ? s.Length : end + close.Length;
    }
}
