using Codis.Core.Resp;
using Codis.Testing;

namespace Codis.Proxy.Tests;

/// <summary>Two codis-servers (group 1: slots 0–511, group 2: slots 512–1023) behind one proxy, all real processes.</summary>
public sealed class TwoGroupCluster : IDisposable
{
    public CodisServerProcess Group1 { get; }
    public CodisServerProcess Group2 { get; }
    public CodisProxyProcess Proxy { get; }

    public TwoGroupCluster()
    {
        Group1 = CodisServerProcess.Start();
        Group2 = CodisServerProcess.Start();
        Proxy = CodisProxyProcess.StartWithSlots(
            CodisProxyProcess.Range(0, 511, $"127.0.0.1:{Group1.Port}", 1)
                .Concat(CodisProxyProcess.Range(512, 1023, $"127.0.0.1:{Group2.Port}", 2)));
    }

    public RespClient Client() => Proxy.Client();

    public void Dispose()
    {
        Proxy.Dispose();
        Group1.Dispose();
        Group2.Dispose();
    }
}

public static class ReplyExtensions
{
    public static RespValue Call(this RespClient c, params object[] args) =>
        c.Call(args.Select(a => a as byte[] ?? System.Text.Encoding.UTF8.GetBytes(Convert.ToString(a, System.Globalization.CultureInfo.InvariantCulture)!)).ToArray());
}
