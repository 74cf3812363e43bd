using Codis.Core.Resp;

namespace Codis.Proxy.Routing;

/// <summary>Reads the 2-element reply of SLOTSMGRT-EXEC-WRAPPER: [code, payload], keeping the payload raw.</summary>
internal static class WrapperReply
{
    public static bool TryParse(byte[] reply, out long code, out byte[]? payload)
    {
        code = -1;
        payload = null;
        if (!reply.AsSpan().StartsWith("*2\r\n"u8)) return false;
        var rest = reply.AsSpan(4);
        int n = RespScanner.TryScan(rest);
        if (n == 0 || rest[0] != (byte)':') return false;
        if (!long.TryParse(System.Text.Encoding.ASCII.GetString(rest[1..(n - 2)]), out code)) return false;
        payload = rest[n..].ToArray();
        return true;
    }
}
