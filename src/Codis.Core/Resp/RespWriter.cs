using System.Buffers;
using System.Buffers.Text;
using System.Text;

namespace Codis.Core.Resp;

/// <summary>
/// Writes replies straight into an <see cref="IBufferWriter{T}"/> (a PipeWriter in the servers), holding one
/// rented block at a time so small replies cost no call into the writer. Replies are RESP2 unless the connection
/// switched with HELLO 3 (<see cref="Resp3"/>): then the typed writers (maps, sets, doubles, nulls, booleans...)
/// use RESP3's own frames, and in RESP2 each falls back to what Redis 7.0 sends a RESP2 client. The plain writers
/// (bulk, integer, status, array) are the same in both protocols and never look at the protocol.
/// </summary>
public sealed class RespWriter
{
    private IBufferWriter<byte> output;
    private Memory<byte> block;
    private int used;

    public RespWriter(IBufferWriter<byte> output) => this.output = output;

    /// <summary>Total reply bytes produced (for INFO stats).</summary>
    public long BytesWritten { get; private set; }

    public void Retarget(IBufferWriter<byte> newOutput)
    {
        Commit();
        output = newOutput;
    }

    /// <summary>Hands everything written so far to the underlying writer.</summary>
    public void Commit()
    {
        if (used > 0) output.Advance(used);
        used = 0;
        block = default;
    }

    private Span<byte> Reserve(int size)
    {
        if (block.Length - used < size)
        {
            Commit();
            block = output.GetMemory(Math.Max(size, 4096));
        }
        return block.Span[used..];
    }

    private void Advance(int count)
    {
        used += count;
        BytesWritten += count;
    }

    public void WriteRaw(ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            var dst = Reserve(Math.Min(bytes.Length, 64 * 1024));
            int n = Math.Min(dst.Length, bytes.Length);
            bytes[..n].CopyTo(dst);
            Advance(n);
            bytes = bytes[n..];
        }
    }

    public void WriteOk() => WriteRaw("+OK\r\n"u8);

    public void WriteSimpleString(ReadOnlySpan<byte> text)
    {
        var dst = Reserve(text.Length + 3);
        dst[0] = (byte)'+';
        text.CopyTo(dst[1..]);
        dst[text.Length + 1] = (byte)'\r';
        dst[text.Length + 2] = (byte)'\n';
        Advance(text.Length + 3);
    }

    public void WriteSimpleString(string text) => WriteAsciiLine((byte)'+', text);

    /// <summary>Error replies written so far (a server compares it around a command to count failed calls).</summary>
    public long ErrorsWritten { get; private set; }

    /// <summary>The text of the last error reply (INFO errorstats groups them by their first word).</summary>
    public string? LastError { get; private set; }

    /// <summary>Writes an error line; <paramref name="message"/> includes its code ("ERR ...", "WRONGTYPE ...").</summary>
    public void WriteError(string message)
    {
        ErrorsWritten++;
        LastError = message;
        WriteAsciiLine((byte)'-', message);
    }

    public void WriteError(ReadOnlySpan<byte> message)
    {
        ErrorsWritten++;
        LastError = Encoding.UTF8.GetString(message);
        var dst = Reserve(message.Length + 3);
        dst[0] = (byte)'-';
        message.CopyTo(dst[1..]);
        dst[message.Length + 1] = (byte)'\r';
        dst[message.Length + 2] = (byte)'\n';
        Advance(message.Length + 3);
    }

    private void WriteAsciiLine(byte prefix, string text)
    {
        int max = Encoding.UTF8.GetMaxByteCount(text.Length) + 3;
        var dst = Reserve(max);
        dst[0] = prefix;
        int n = Encoding.UTF8.GetBytes(text, dst[1..]);
        // Error and status lines must stay on one line.
        for (int i = 1; i <= n; i++)
            if (dst[i] is (byte)'\r' or (byte)'\n') dst[i] = (byte)' ';
        dst[n + 1] = (byte)'\r';
        dst[n + 2] = (byte)'\n';
        Advance(n + 3);
    }

    public void WriteInteger(long value) => WritePrefixedNumber((byte)':', value);

    public void WriteArrayHeader(long count) => WritePrefixedNumber((byte)'*', count);

    /// <summary>A null reply: RESP3 "_", RESP2's null bulk string (Redis's addReplyNull).</summary>
    public void WriteNullBulk() => WriteRaw(Resp3 ? "_\r\n"u8 : "$-1\r\n"u8);

    /// <summary>A null where an array was expected: RESP3 "_", RESP2's null array (Redis's addReplyNullArray).</summary>
    public void WriteNullArray() => WriteRaw(Resp3 ? "_\r\n"u8 : "*-1\r\n"u8);

    public void WriteEmptyArray() => WriteRaw("*0\r\n"u8);

    private void WritePrefixedNumber(byte prefix, long value)
    {
        var dst = Reserve(24);
        dst[0] = prefix;
        Utf8Formatter.TryFormat(value, dst[1..], out int n);
        dst[n + 1] = (byte)'\r';
        dst[n + 2] = (byte)'\n';
        Advance(n + 3);
    }

    public void WriteBulk(ReadOnlySpan<byte> value)
    {
        if (value.Length <= 4096)
        {
            var dst = Reserve(value.Length + 16);
            dst[0] = (byte)'$';
            Utf8Formatter.TryFormat(value.Length, dst[1..], out int n);
            dst[n + 1] = (byte)'\r';
            dst[n + 2] = (byte)'\n';
            value.CopyTo(dst[(n + 3)..]);
            int total = n + 3 + value.Length;
            dst[total] = (byte)'\r';
            dst[total + 1] = (byte)'\n';
            Advance(total + 2);
            return;
        }
        WritePrefixedNumber((byte)'$', value.Length);
        WriteRaw(value);
        WriteRaw("\r\n"u8);
    }

    public void WriteBulk(string value) => WriteBulk(Encoding.UTF8.GetBytes(value));

    /// <summary>A bulk string holding the decimal text of an integer (e.g. INCRBYFLOAT, ZSCORE replies).</summary>
    public void WriteBulkInteger(long value)
    {
        Span<byte> tmp = stackalloc byte[24];
        Utf8Formatter.TryFormat(value, tmp, out int n);
        WriteBulk(tmp[..n]);
    }

    /// <summary>The connection speaks RESP3 (HELLO 3); only the typed writers below read it.</summary>
    public bool Resp3 { get; set; }

    /// <summary>A map of <paramref name="pairs"/> key/value pairs: RESP3 "%", RESP2 a flat array of twice as many items.</summary>
    public void WriteMapHeader(long pairs)
    {
        if (Resp3) WritePrefixedNumber((byte)'%', pairs);
        else WritePrefixedNumber((byte)'*', pairs * 2);
    }

    /// <summary>
    /// A list of pairs (ZRANGE WITHSCORES, HRANDFIELD WITHVALUES): RESP2 one flat array, RESP3 an array of
    /// 2-item arrays, each opened with <see cref="WritePairHeader"/>.
    /// </summary>
    public void WritePairsHeader(long pairs) => WritePrefixedNumber((byte)'*', Resp3 ? pairs : pairs * 2);

    /// <summary>Opens one pair of <see cref="WritePairsHeader"/> (nothing in RESP2).</summary>
    public void WritePairHeader()
    {
        if (Resp3) WriteRaw("*2\r\n"u8);
    }

    /// <summary>A set: RESP3 "~", RESP2 an array.</summary>
    public void WriteSetHeader(long count) => WritePrefixedNumber(Resp3 ? (byte)'~' : (byte)'*', count);

    /// <summary>An out-of-band push (pub/sub, invalidation): RESP3 "&gt;", RESP2 an array.</summary>
    public void WritePushHeader(long count) => WritePrefixedNumber(Resp3 ? (byte)'>' : (byte)'*', count);

    /// <summary>An attribute header (RESP3 "|"); a RESP2 client gets nothing, only the reply that follows it.</summary>
    public void WriteAttributeHeader(long pairs)
    {
        if (Resp3) WritePrefixedNumber((byte)'|', pairs);
    }

    /// <summary>A boolean: RESP3 "#t"/"#f", RESP2 the integer 1 or 0.</summary>
    public void WriteBoolean(bool value)
    {
        if (Resp3) WriteRaw(value ? "#t\r\n"u8 : "#f\r\n"u8);
        else WriteRaw(value ? ":1\r\n"u8 : ":0\r\n"u8);
    }

    /// <summary>A double as Redis 7.0 prints it (%.17g, inf, -inf, nan): RESP3 ",", RESP2 a bulk string.</summary>
    public void WriteDouble(double value)
    {
        Span<byte> text = stackalloc byte[RespDouble.MaxLength];
        WriteDoubleText(text[..RespDouble.Format(value, text)]);
    }

    /// <summary>A double already formatted (e.g. a stored score text): RESP3 ",", RESP2 a bulk string.</summary>
    public void WriteDoubleText(ReadOnlySpan<byte> text)
    {
        if (!Resp3)
        {
            WriteBulk(text);
            return;
        }
        var dst = Reserve(text.Length + 3);
        dst[0] = (byte)',';
        text.CopyTo(dst[1..]);
        dst[text.Length + 1] = (byte)'\r';
        dst[text.Length + 2] = (byte)'\n';
        Advance(text.Length + 3);
    }

    /// <summary>A big number (decimal digits): RESP3 "(", RESP2 a bulk string.</summary>
    public void WriteBigNumber(ReadOnlySpan<byte> digits)
    {
        if (!Resp3)
        {
            WriteBulk(digits);
            return;
        }
        WriteAsciiLine((byte)'(', Encoding.ASCII.GetString(digits));
    }

    /// <summary>A verbatim string with its 3-letter format ("txt", "mkd"): RESP3 "=", RESP2 a plain bulk string.</summary>
    public void WriteVerbatim(ReadOnlySpan<byte> text, string format = "txt")
    {
        if (!Resp3)
        {
            WriteBulk(text);
            return;
        }
        WritePrefixedNumber((byte)'=', text.Length + 4);
        Span<byte> head = stackalloc byte[4];
        Encoding.ASCII.GetBytes(format.AsSpan(0, 3), head);
        head[3] = (byte)':';
        WriteRaw(head);
        WriteRaw(text);
        WriteRaw("\r\n"u8);
    }

    public void WriteVerbatim(string text, string format = "txt") => WriteVerbatim(Encoding.UTF8.GetBytes(text), format);
}
