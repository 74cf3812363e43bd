using System.Text;

namespace Codis.Proxy.Sessions;

/// <summary>Encoded RESP replies the proxy produces itself.</summary>
internal static class Replies
{
    public static readonly byte[] Ok = "+OK\r\n"u8.ToArray();
    public static readonly byte[] Pong = "+PONG\r\n"u8.ToArray();
    public static readonly byte[] NullBulk = "$-1\r\n"u8.ToArray();
    public static readonly byte[] NullArray = "*-1\r\n"u8.ToArray();

    public static byte[] Error(string message)
    {
        var clean = message.Replace('\r', ' ').Replace('\n', ' ');
        return Encoding.UTF8.GetBytes("-" + clean + "\r\n");
    }

    public static byte[] Integer(long n) => Encoding.ASCII.GetBytes($":{n}\r\n");

    public static byte[] Bulk(ReadOnlySpan<byte> value)
    {
        var header = Encoding.ASCII.GetBytes($"${value.Length}\r\n");
        var r = new byte[header.Length + value.Length + 2];
        header.CopyTo(r, 0);
        value.CopyTo(r.AsSpan(header.Length));
        r[^2] = (byte)'\r';
        r[^1] = (byte)'\n';
        return r;
    }

    public static byte[] Bulk(string value) => Bulk(Encoding.UTF8.GetBytes(value));

    public static byte[] Simple(string value) => Encoding.UTF8.GetBytes("+" + value + "\r\n");

    public static bool IsError(byte[] reply) => reply.Length > 0 && reply[0] == (byte)'-';

    /// <summary>The text of an error reply without the leading '-' and trailing CRLF.</summary>
    public static string ErrorText(byte[] reply) => Encoding.UTF8.GetString(reply, 1, Math.Max(0, reply.Length - 3));
}
