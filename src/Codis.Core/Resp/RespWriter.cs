using System.Buffers;
using System.Buffers.Text;
using System.Text;

namespace Codis.Core.Resp;

/// <summary>
/// Writes RESP2 replies straight into an <see cref="IBufferWriter{T}"/> (a PipeWriter in the servers),
/// holding one rented block at a time so small replies cost no call into the writer.
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

    public void WriteNullBulk() => WriteRaw("$-1\r\n"u8);

    public void WriteNullArray() => WriteRaw("*-1\r\n"u8);

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
}
