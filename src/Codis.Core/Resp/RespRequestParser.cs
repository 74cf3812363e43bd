using System.Buffers.Text;

namespace Codis.Core.Resp;

public enum ParseStatus
{
    /// <summary>A whole request was parsed.</summary>
    Complete,
    /// <summary>Bytes were consumed that carry no request (blank inline line, "*0", "*-1").</summary>
    Skip,
    /// <summary>More bytes are needed; nothing was consumed.</summary>
    Incomplete,
}

/// <summary>
/// Parses client requests (RESP multibulk or inline) with Redis 7.0's rules and error texts.
/// Incomplete input is a status, never an exception; malformed input throws <see cref="RespProtocolException"/>.
/// </summary>
public static class RespRequestParser
{
    /// <param name="buffer">contiguous received bytes, starting at a request boundary</param>
    /// <param name="needed">on Incomplete: the smallest total buffer length that could complete the request</param>
    public static ParseStatus TryParse(ReadOnlyMemory<byte> buffer, RespRequest request, RespLimits limits,
        bool authenticated, out int consumed, out long needed)
    {
        consumed = 0;
        needed = buffer.Length + 1;
        var span = buffer.Span;
        if (span.IsEmpty) return ParseStatus.Incomplete;
        return span[0] == (byte)'*'
            ? ParseMultibulk(buffer, span, request, limits, authenticated, out consumed, out needed)
            : ParseInline(span, request, limits, out consumed);
    }

    private static ParseStatus ParseMultibulk(ReadOnlyMemory<byte> buffer, ReadOnlySpan<byte> span, RespRequest request,
        RespLimits limits, bool authenticated, out int consumed, out long needed)
    {
        consumed = 0;
        needed = span.Length + 1;
        int cr = span.IndexOf((byte)'\r');
        if (cr < 0)
        {
            if (span.Length > limits.MaxInlineLength) RespProtocolException.Throw("too big mbulk count string");
            return ParseStatus.Incomplete;
        }
        if (cr + 1 >= span.Length) return ParseStatus.Incomplete; // the '\n' has not arrived yet
        if (!TryParseInteger(span[1..cr], out long count) || count > int.MaxValue || count > limits.MaxArguments)
            RespProtocolException.Throw("invalid multibulk length");
        if (!authenticated && count > limits.UnauthenticatedMaxArguments)
            RespProtocolException.Throw("unauthenticated multibulk length");
        int pos = cr + 2;
        if (count <= 0)
        {
            request.ClearResume();
            consumed = pos;
            return ParseStatus.Skip;
        }

        long first = 0;
        if (request.TakeResume(count, out int resumeAt))
        {
            // Continue after the arguments parsed last time (their offsets are relative to the request's start).
            request.Resume(buffer);
            first = request.Count;
            pos = resumeAt;
        }
        else request.Reset(buffer, count, multibulk: true);
        for (long i = first; i < count; i++)
        {
            if (pos >= span.Length) return Incomplete(request, count, span, pos, out needed);
            var rest = span[pos..];
            int lcr = rest.IndexOf((byte)'\r');
            if (lcr < 0)
            {
                if (rest.Length > limits.MaxInlineLength) RespProtocolException.Throw("too big bulk count string");
                return Incomplete(request, count, span, pos, out needed);
            }
            if (rest[0] != (byte)'$') RespProtocolException.Throw($"expected '$', got '{(char)rest[0]}'");
            if (lcr + 1 >= rest.Length) return Incomplete(request, count, span, pos, out needed);
            if (!TryParseInteger(rest[1..lcr], out long len) || len < 0 || len > limits.MaxBulkLength)
                RespProtocolException.Throw("invalid bulk length");
            if (!authenticated && len > limits.UnauthenticatedMaxBulkLength)
                RespProtocolException.Throw("unauthenticated bulk length");
            int dataStart = pos + lcr + 2;
            // Redis skips the two bytes after the payload without checking them; so do we.
            long end = dataStart + len + 2;
            if (end > span.Length)
            {
                request.SaveResume(count, pos);
                needed = end;
                return ParseStatus.Incomplete;
            }
            request.Add(dataStart, (int)len);
            pos = (int)end;
        }
        request.ClearResume();
        consumed = pos;
        request.WireLength = pos;
        return ParseStatus.Complete;
    }

    private static ParseStatus Incomplete(RespRequest request, long count, ReadOnlySpan<byte> span, int pos, out long needed)
    {
        request.SaveResume(count, pos);
        needed = Math.Max(pos + 1, span.Length + 1);
        return ParseStatus.Incomplete;
    }

    private static ParseStatus ParseInline(ReadOnlySpan<byte> span, RespRequest request, RespLimits limits, out int consumed)
    {
        consumed = 0;
        int nl = span.IndexOf((byte)'\n');
        if (nl < 0)
        {
            if (span.Length > limits.MaxInlineLength) RespProtocolException.Throw("too big inline request");
            return ParseStatus.Incomplete;
        }
        var line = span[..nl];
        if (!line.IsEmpty && line[^1] == (byte)'\r') line = line[..^1];
        consumed = nl + 1;

        var scratch = request.RentScratch(line.Length);
        request.Reset(ReadOnlyMemory<byte>.Empty, 8);
        if (!InlineSplitter.Split(line, scratch, request))
            RespProtocolException.Throw("unbalanced quotes in request");
        request.SetSource(scratch);
        request.WireLength = consumed;
        return request.Count == 0 ? ParseStatus.Skip : ParseStatus.Complete;
    }

    /// <summary>Redis's string2ll: optional '-', digits, no '+', no spaces, no leading zeros.</summary>
    public static bool TryParseInteger(ReadOnlySpan<byte> text, out long value)
    {
        value = 0;
        if (text.IsEmpty || text.Length > 20) return false;
        if (text.Length > 1 && text[0] == (byte)'0') return false;
        if (text[0] == (byte)'-' && (text.Length == 1 || text[1] == (byte)'0')) return false;
        if (text[0] == (byte)'+') return false;
        return Utf8Parser.TryParse(text, out value, out int used) && used == text.Length;
    }
}
