namespace Codis.Core.Text;

/// <summary>Redis's glob matching (stringmatchlen): * ? [abc] [^a-z] and backslash escapes.</summary>
public static class Glob
{
    public static bool Match(ReadOnlySpan<byte> pattern, ReadOnlySpan<byte> text, bool noCase = false) =>
        MatchCore(pattern, text, noCase, 0);

    public static bool Match(string pattern, string text, bool noCase = false) =>
        Match(System.Text.Encoding.UTF8.GetBytes(pattern), System.Text.Encoding.UTF8.GetBytes(text), noCase);

    private static byte Fold(byte c, bool noCase) => noCase && c >= 'A' && c <= 'Z' ? (byte)(c + 32) : c;

    private static bool MatchCore(ReadOnlySpan<byte> p, ReadOnlySpan<byte> s, bool noCase, int depth)
    {
        // Same guard as Redis against pathological patterns.
        if (depth > 1000) return false;
        while (p.Length > 0 && s.Length > 0)
        {
            switch (p[0])
            {
                case (byte)'*':
                    while (p.Length > 1 && p[1] == (byte)'*') p = p[1..];
                    if (p.Length == 1) return true;
                    for (int i = 0; i <= s.Length; i++)
                        if (MatchCore(p[1..], s[i..], noCase, depth + 1)) return true;
                    return false;
                case (byte)'?':
                    s = s[1..];
                    p = p[1..];
                    continue;
                case (byte)'[':
                {
                    p = p[1..];
                    bool not = p.Length > 0 && p[0] == (byte)'^';
                    if (not) p = p[1..];
                    bool match = false;
                    while (true)
                    {
                        if (p.Length == 0) break;
                        if (p[0] == (byte)'\\' && p.Length >= 2)
                        {
                            p = p[1..];
                            if (p[0] == s[0]) match = true;
                        }
                        else if (p[0] == (byte)']') break;
                        else if (p.Length >= 3 && p[1] == (byte)'-')
                        {
                            byte start = Fold(p[0], noCase), end = Fold(p[2], noCase), c = Fold(s[0], noCase);
                            if (start > end) (start, end) = (end, start);
                            p = p[2..];
                            if (c >= start && c <= end) match = true;
                        }
                        else if (Fold(p[0], noCase) == Fold(s[0], noCase)) match = true;
                        p = p[1..];
                    }
                    if (not) match = !match;
                    if (!match) return false;
                    s = s[1..];
                    if (p.Length > 0) p = p[1..]; // skip ']'
                    continue;
                }
                case (byte)'\\':
                    if (p.Length >= 2) p = p[1..];
                    goto default;
                default:
                    if (Fold(p[0], noCase) != Fold(s[0], noCase)) return false;
                    s = s[1..];
                    p = p[1..];
                    continue;
            }
        }
        if (s.Length == 0)
        {
            while (p.Length > 0 && p[0] == (byte)'*') p = p[1..];
            return p.Length == 0;
        }
        return false;
    }
}
