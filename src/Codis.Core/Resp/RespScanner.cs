using System.Buffers.Text;

namespace Codis.Core.Resp;

/// <summary>
/// Finds where one RESP reply ends without building it: a proxy relays replies as raw bytes and only needs
/// their boundaries (and, for a few, a peek at the first byte).
/// </summary>
public static class RespScanner
{
    /// <summary>
    /// Returns the length of the complete reply at the start of <paramref name="span"/>, 0 if more bytes are
    /// needed; throws <see cref="RespProtocolException"/> on malformed input.
    /// </summary>
    public static int TryScan(ReadOnlySpan<byte> span)
    {
        int pos = 0;
        long pendingValues = 1;
        while (pendingValues > 0)
        {
            if (pos >= span.Length) return 0;
            int nl = span[pos..].IndexOf((byte)'\n');
            if (nl < 0) return 0;
            int lineEnd = pos + nl; // index of '\n'
            byte type = span[pos];
            var body = span[(pos + 1)..Math.Max(pos + 1, lineEnd - 1)];
            pos = lineEnd + 1;
            pendingValues--;
            switch (type)
            {
                case (byte)'+':
                case (byte)'-':
                case (byte)':':
                    break;
                case (byte)'$':
                {
                    long len = ParseLength(body);
                    if (len >= 0)
                    {
                        if (span.Length - pos < len + 2) return 0;
                        pos += (int)len + 2;
                    }
                    break;
                }
                case (byte)'*':
                {
                    long count = ParseLength(body);
                    if (count > 0) pendingValues += count;
                    break;
                }
                default:
                    RespProtocolException.Throw($"unexpected reply type '{(char)type}'");
                    break;
            }
        }
        return pos;
    }

    private static long ParseLength(ReadOnlySpan<byte> s)
    {
        if (!Utf8Parser.TryParse(s, out long n, out int used) || used != s.Length || n < -1 || n > int.MaxValue)
            RespProtocolException.Throw("bad length in reply");
        return n;
    }

    /// <summary>
    /// Cuts one complete reply off the front of <paramref name="buffer"/> (a copy of its bytes), or returns null
    /// while it is incomplete; a reply that spans segments is scanned in a contiguous copy.
    /// </summary>
    public static byte[]? TakeReply(ref System.Buffers.ReadOnlySequence<byte> buffer)
    {
        if (buffer.IsEmpty) return null;
        var first = buffer.FirstSpan;
        int n = TryScan(first);
        if (n > 0)
        {
            var reply = first[..n].ToArray();
            buffer = buffer.Slice(n);
            return reply;
        }
        if (buffer.IsSingleSegment) return null;
        var all = System.Buffers.BuffersExtensions.ToArray(buffer);
        n = TryScan(all);
        if (n == 0) return null;
        buffer = buffer.Slice(n);
        return n == all.Length ? all : all.AsSpan(0, n).ToArray();
    }
}
