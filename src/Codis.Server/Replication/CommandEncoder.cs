using System.Buffers;
using System.Buffers.Text;
using Codis.Core.Resp;

namespace Codis.Server.Replication;

/// <summary>Encodes commands as RESP multibulk, the form of the replication stream and of AOF increments.</summary>
internal static class CommandEncoder
{
    public static byte[] Ascii(long n) => System.Text.Encoding.ASCII.GetBytes(n.ToString(System.Globalization.CultureInfo.InvariantCulture));

    public static void Write(IBufferWriter<byte> w, ReadOnlySpan<byte> a0, ReadOnlySpan<byte> a1)
    {
        Header(w, '*', 2);
        Bulk(w, a0);
        Bulk(w, a1);
    }

    public static void Write(IBufferWriter<byte> w, ReadOnlySpan<byte> a0, ReadOnlySpan<byte> a1, ReadOnlySpan<byte> a2)
    {
        Header(w, '*', 3);
        Bulk(w, a0);
        Bulk(w, a1);
        Bulk(w, a2);
    }

    public static void Write(IBufferWriter<byte> w, IReadOnlyList<byte[]> args)
    {
        Header(w, '*', args.Count);
        foreach (var a in args) Bulk(w, a);
    }

    /// <summary>A parsed request: its exact wire bytes when it came as multibulk, else re-encoded.</summary>
    public static void Write(IBufferWriter<byte> w, RespRequest r)
    {
        if (r.IsMultibulk)
        {
            w.Write(r.Raw.Span);
            return;
        }
        Header(w, '*', r.Count);
        for (int i = 0; i < r.Count; i++) Bulk(w, r[i]);
    }

    private static void Header(IBufferWriter<byte> w, char kind, long n)
    {
        var span = w.GetSpan(24);
        span[0] = (byte)kind;
        Utf8Formatter.TryFormat(n, span[1..], out int len);
        span[1 + len] = (byte)'\r';
        span[2 + len] = (byte)'\n';
        w.Advance(3 + len);
    }

    private static void Bulk(IBufferWriter<byte> w, ReadOnlySpan<byte> arg)
    {
        Header(w, '$', arg.Length);
        w.Write(arg);
        var end = w.GetSpan(2);
        end[0] = (byte)'\r';
        end[1] = (byte)'\n';
        w.Advance(2);
    }
}
