using Codis.Core.Resp;
using Codis.Testing;

namespace Codis.Proxy.Tests;

/// <summary>Two codis-servers (group 1: slots 0–511, group 2: slots 512–1023) behind one proxy, all real processes.</summary>
public class TwoGroupCluster : IDisposable
{
    public CodisServerProcess Group1 { get; }
    public CodisServerProcess Group2 { get; private set; }
    public CodisProxyProcess Proxy { get; }

    public TwoGroupCluster() : this([], []) { }

    protected TwoGroupCluster(string[] serverArgs, string[] proxyArgs)
    {
        Group1 = CodisServerProcess.Start(serverArgs);
        Group2 = CodisServerProcess.Start(serverArgs);
        Proxy = CodisProxyProcess.StartWithSlots(Slots(Group1.Port, Group2.Port), proxyArgs);
    }

    public static IEnumerable<object> Slots(int port1, int port2) =>
        CodisProxyProcess.Range(0, 511, $"127.0.0.1:{port1}", 1).Concat(CodisProxyProcess.Range(512, 1023, $"127.0.0.1:{port2}", 2));

    public RespClient Client(int timeoutMs = 10000) => Proxy.Client(timeoutMs);

    /// <summary>Kills group 2 (kill -9) and starts a new one on the same port and folder.</summary>
    public void KillGroup2() => Group2.Kill();

    public void RestartGroup2(params string[] serverArgs)
    {
        Group2.Dispose();
        Group2 = CodisServerProcess.StartIn(Group2.DataDir, ["--port", Group2.Port.ToString(), .. serverArgs]);
    }

    public virtual void Dispose()
    {
        Proxy.Dispose();
        Group1.Dispose();
        Group2.Dispose();
        GC.SuppressFinalize(this);
    }
}

public static class ReplyExtensions
{
    public static RespValue Call(this RespClient c, params object[] args) =>
        c.Call(args.Select(a => a as byte[] ?? System.Text.Encoding.UTF8.GetBytes(Convert.ToString(a, System.Globalization.CultureInfo.InvariantCulture)!)).ToArray());
}
