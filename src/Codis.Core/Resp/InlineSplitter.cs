namespace Codis.Core.Resp;

/// <summary>
/// Splits an inline request line into arguments the way redis-cli and Redis do (sdssplitargs):
/// whitespace separates, "double quotes" take \xHH and \n\r\t\b\a escapes, 'single quotes' take \'.
/// </summary>
internal static class InlineSplitter
{
    /// <returns>false on unbalanced quotes (or a closing quote not followed by a space)</returns>
    public static bool Split(ReadOnlySpan<byte> line, byte[] output, RespRequest request)
    {
        int i = 0, o = 0;
        while (true)
        {
            while (i < line.Length && IsSpace(line[i])) i++;
            if (i >= line.Length) return true;
            int start = o;
            bool inDouble = false, inSingle = false, done = false;
            while (!done)
            {
                if (inDouble)
                {
                    if (i >= line.Length) return false;
                    byte c = line[i];
                    if (c == '\\' && i + 3 < line.Length && line[i + 1] == 'x' && IsHex(line[i + 2]) && IsHex(line[i + 3]))
                    {
                        output[o++] = (byte)(Hex(line[i + 2]) * 16 + Hex(line[i + 3]));
                        i += 3;
                    }
                    else if (c == '\\' && i + 1 < line.Length)
                    {
                        i++;
                        output[o++] = line[i] switch
                        {
                            (byte)'n' => (byte)'\n',
                            (byte)'r' => (byte)'\r',
                            (byte)'t' => (byte)'\t',
                            (byte)'b' => (byte)'\b',
                            (byte)'a' => (byte)'\a',
                            var other => other,
                        };
                    }
                    else if (c == '"')
                    {
                        if (i + 1 < line.Length && !IsSpace(line[i + 1])) return false;
                        done = true;
                    }
                    else output[o++] = c;
                }
                else if (inSingle)
                {
                    if (i >= line.Length) return false;
                    byte c = line[i];
                    if (c == '\\' && i + 1 < line.Length && line[i + 1] == '\'')
                    {
                        i++;
                        output[o++] = (byte)'\'';
                    }
                    else if (c == '\'')
                    {
                        if (i + 1 < line.Length && !IsSpace(line[i + 1])) return false;
                        done = true;
                    }
                    else output[o++] = c;
                }
                else
                {
                    if (i >= line.Length) { done = true; break; }
                    byte c = line[i];
                    if (IsSpace(c)) done = true;
                    else if (c == '"') inDouble = true;
                    else if (c == '\'') inSingle = true;
                    else output[o++] = c;
                }
                if (i < line.Length) i++;
            }
            request.Add(start, o - start);
        }
    }

    private static bool IsSpace(byte c) => c is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r' or (byte)'\v' or (byte)'\f';
    private static bool IsHex(byte c) => char.IsAsciiHexDigit((char)c);
    private static int Hex(byte c) => c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}
