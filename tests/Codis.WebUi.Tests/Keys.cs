using System.Text;
using Codis.Core.Resp;

namespace Codis.WebUi.Tests;

/// <summary>Pipelined SET / GET of key:N through a proxy, so the pages have keys, memory and ops/s to show.</summary>
internal static class Keys
{
    public static void Write(RespClient c, string prefix, int count)
    {
        for (int i = 0; i < count; i++) c.Send([Encoding.UTF8.GetBytes("SET"), Encoding.UTF8.GetBytes(prefix + i), Encoding.UTF8.GetBytes("v" + i)]);
        c.Flush();
        for (int i = 0; i < count; i++)
            if (c.Read().Text != "OK") throw new InvalidOperationException($"SET {prefix}{i} failed");
    }

    public static int Missing(RespClient c, string prefix, int count)
    {
        for (int i = 0; i < count; i++) c.Send([Encoding.UTF8.GetBytes("GET"), Encoding.UTF8.GetBytes(prefix + i)]);
        c.Flush();
        int missing = 0;
        for (int i = 0; i < count; i++)
            if (c.Read().Text != "v" + i) missing++;
        return missing;
    }
}
