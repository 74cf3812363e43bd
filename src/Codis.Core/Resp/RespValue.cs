using System.Buffers.Text;
using System.Text;

namespace Codis.Core.Resp;

public enum RespType { SimpleString, Error, Integer, BulkString, Array, Null }

/// <summary>A parsed RESP2 reply (a client's view): used by internal clients (migration, admin) and tests.</summary>
public sealed class RespValue
{
    public RespType Type { get; private init; }
    public byte[]? Bytes { get; private init; }
    public long Integer { get; private init; }
    public RespValue[]? Items { get; private init; }

    public static readonly RespValue Nil = new() { Type = RespType.Null };

    public static RespValue Simple(string s) => new() { Type = RespType.SimpleString, Bytes = Encoding.UTF8.GetBytes(s) };
    public static RespValue Err(string s) => new() { Type = RespType.Error, Bytes = Encoding.UTF8.GetBytes(s) };
    public static RespValue Int(long n) => new() { Type = RespType.Integer, Integer = n };
    public static RespValue Bulk(byte[] b) => new() { Type = RespType.BulkString, Bytes = b };
    public static RespValue Arr(RespValue[] items) => new() { Type = RespType.Array, Items = items };

    public bool IsError => Type == RespType.Error;
    public bool IsNull => Type == RespType.Null;

    /// <summary>Text of a status, error or bulk reply; the number of an integer reply.</summary>
    public string? Text => Type switch
    {
        RespType.Integer => Integer.ToString(System.Globalization.CultureInfo.InvariantCulture),
        RespType.Null or RespType.Array => null,
        _ => Encoding.UTF8.GetString(Bytes!),
    };

    public override string ToString() => Type switch
    {
        RespType.Array => "[" + string.Join(", ", Items!.Select(i => i.ToString())) + "]",
        RespType.Null => "(nil)",
        RespType.Error => "(error) " + Text,
        RespType.Integer => "(integer) " + Integer,
        _ => Text!,
    };

    /// <summary>
    /// Parses one reply from the start of <paramref name="span"/>. Returns false if it is incomplete;
    /// throws <see cref="RespProtocolException"/> if it is malformed.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> span, out RespValue value, out int consumed)
    {
        value = Nil;
        consumed = 0;
        if (span.IsEmpty) return false;
        int nl = span.IndexOf("\r\n"u8);
        if (nl < 0) return false;
        var line = span[1..nl];
        int pos = nl + 2;
        switch (span[0])
        {
            case (byte)'+':
                value = new RespValue { Type = RespType.SimpleString, Bytes = line.ToArray() };
                break;
            case (byte)'-':
                value = new RespValue { Type = RespType.Error, Bytes = line.ToArray() };
                break;
            case (byte)':':
                value = Int(ParseLong(line));
                break;
            case (byte)'$':
            {
                long len = ParseLong(line);
                if (len < 0) { value = Nil; break; }
                if (span.Length < pos + len + 2) return false;
                value = Bulk(span.Slice(pos, (int)len).ToArray());
                pos += (int)len + 2;
                break;
            }
            case (byte)'*':
            {
                long count = ParseLong(line);
                if (count < 0) { value = Nil; break; }
                var items = new RespValue[count];
                for (int i = 0; i < count; i++)
                {
                    if (!TryParse(span[pos..], out items[i], out int used)) return false;
                    pos += used;
                }
                value = Arr(items);
                break;
            }
            default:
                RespProtocolException.Throw($"unexpected reply type '{(char)span[0]}'");
                break;
        }
        consumed = pos;
        return true;
    }

    private static long ParseLong(ReadOnlySpan<byte> s)
    {
        if (!Utf8Parser.TryParse(s, out long n, out int used) || used != s.Length)
            RespProtocolException.Throw("bad number in reply");
        return n;
    }

    /// <summary>Encodes a command as a RESP array of bulk strings.</summary>
    /// <summary>A command as a RESP multibulk, in one exactly sized array (hot: every migration message is one).</summary>
    public static byte[] EncodeCommand(IReadOnlyList<byte[]> args)
    {
        int length = 1 + Digits(args.Count) + 2;
        for (int i = 0; i < args.Count; i++) length += 1 + Digits(args[i].Length) + 2 + args[i].Length + 2;
        var result = new byte[length];
        var span = result.AsSpan();
        int pos = WriteHeader(span, (byte)'*', args.Count);
        for (int i = 0; i < args.Count; i++)
        {
            var a = args[i];
            pos += WriteHeader(span[pos..], (byte)'$', a.Length);
            a.CopyTo(span[pos..]);
            pos += a.Length;
            span[pos++] = (byte)'\r';
            span[pos++] = (byte)'\n';
        }
        return result;
    }

    public static void WriteCommand(Stream s, IReadOnlyList<byte[]> args) => s.Write(EncodeCommand(args));

    /// <summary>Decimal digits of a non-negative length, as a RESP header writes it.</summary>
    public static int Digits(int n)
    {
        int d = 1;
        while (n >= 10)
        {
            n /= 10;
            d++;
        }
        return d;
    }

    private static int WriteHeader(Span<byte> into, byte prefix, int n)
    {
        into[0] = prefix;
        System.Buffers.Text.Utf8Formatter.TryFormat(n, into[1..], out int written);
        into[1 + written] = (byte)'\r';
        into[2 + written] = (byte)'\n';
        return written + 3;
    }
}
