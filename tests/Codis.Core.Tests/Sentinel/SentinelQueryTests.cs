using System.Net;
using System.Net.Sockets;
using System.Text;
using Codis.Core.Sentinel;

namespace Codis.Core.Tests.Sentinel;

/// <summary>
/// The majority read of SENTINEL MASTERS (reference/codis.md §7.3) against fake sentinels that answer canned
/// replies: answers needed from a majority, the highest config-epoch wins per group, other names are ignored.
/// </summary>
public class SentinelQueryTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);

    [Fact]
    public async Task MajorityMasters_HighestEpochWins_OneSentinelDown()
    {
        using var a = new FakeSentinel(Master("p-1", "10.0.0.1", 6379, 1), Master("p-2", "10.0.0.2", 6379, 0), Master("other", "10.0.0.9", 1, 9));
        using var b = new FakeSentinel(Master("p-1", "10.0.0.3", 6380, 2), Master("p-2", "10.0.0.2", 6379, 0));
        var masters = await SentinelQuery.MajorityMastersAsync([a.Addr, b.Addr, $"127.0.0.1:{DeadPort()}"], "p", Timeout);
        Assert.NotNull(masters);
        Assert.Equal([1, 2], masters!.Keys.Order());
        Assert.Equal(("10.0.0.3:6380", 2L), (masters[1].Addr, masters[1].Epoch));
        Assert.Equal("10.0.0.2:6379", masters[2].Addr);
    }

    [Fact]
    public async Task MajorityMasters_NoMajorityAnswers_Null()
    {
        using var a = new FakeSentinel(Master("p-1", "10.0.0.1", 6379, 1));
        Assert.Null(await SentinelQuery.MajorityMastersAsync([a.Addr, $"127.0.0.1:{DeadPort()}", $"127.0.0.1:{DeadPort()}"], "p", Timeout));
        // one of two is not a majority either
        Assert.Null(await SentinelQuery.MajorityMastersAsync([a.Addr, $"127.0.0.1:{DeadPort()}"], "p", Timeout));
        Assert.Null(await SentinelQuery.MajorityMastersAsync([], "p", Timeout));
        Assert.NotNull(await SentinelQuery.MajorityMastersAsync([a.Addr], "p", Timeout));
    }

    [Fact]
    public async Task MajorityMasters_HungSentinel_DoesNotHoldTheReadOnceAMajorityAnswered()
    {
        using var a = new FakeSentinel(Master("p-1", "10.0.0.1", 6379, 1));
        using var b = new FakeSentinel(Master("p-1", "10.0.0.1", 6379, 1));
        using var hung = new TcpListener(IPAddress.Loopback, 0); // accepts (backlog), never answers
        hung.Start();
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var masters = await SentinelQuery.MajorityMastersAsync([a.Addr, b.Addr, $"127.0.0.1:{((IPEndPoint)hung.LocalEndpoint).Port}"], "p", TimeSpan.FromSeconds(5));
        Assert.NotNull(masters);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(2), $"took {sw.Elapsed}");
    }

    [Fact]
    public void Masters_KeepsOnlyTheProductsGroups()
    {
        using var a = new FakeSentinel(Master("p-1", "10.0.0.1", 6379, 3), Master("p-x", "10.0.0.1", 1, 0), Master("pp-2", "10.0.0.1", 2, 0));
        var m = SentinelQuery.Masters(a.Addr, "p", Timeout);
        var only = Assert.Single(m);
        Assert.Equal((1, "p-1", "10.0.0.1:6379", 3L, "run-p-1"), (only.Key, only.Value.Name, only.Value.Addr, only.Value.Epoch, only.Value.RunId));
    }

    private static string[] Master(string name, string ip, int port, long epoch) =>
        ["name", name, "ip", ip, "port", port.ToString(), "runid", "run-" + name, "flags", "master", "config-epoch", epoch.ToString()];

    private static int DeadPort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    /// <summary>Answers every request on every connection with the same SENTINEL MASTERS reply.</summary>
    private sealed class FakeSentinel : IDisposable
    {
        private readonly TcpListener listener = new(IPAddress.Loopback, 0);
        private readonly byte[] reply;

        public FakeSentinel(params string[][] masters)
        {
            var sb = new StringBuilder($"*{masters.Length}\r\n");
            foreach (var m in masters)
            {
                sb.Append($"*{m.Length}\r\n");
                foreach (var f in m) sb.Append($"${Encoding.UTF8.GetByteCount(f)}\r\n{f}\r\n");
            }
            reply = Encoding.UTF8.GetBytes(sb.ToString());
            listener.Start();
            _ = Task.Run(AcceptLoop);
        }

        public string Addr => $"127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}";

        private async Task AcceptLoop()
        {
            while (true)
            {
                TcpClient c;
                try { c = await listener.AcceptTcpClientAsync(); }
                catch (Exception e) when (e is SocketException or ObjectDisposedException) { return; }
                _ = Task.Run(async () =>
                {
                    using (c)
                    {
                        var s = c.GetStream();
                        var buf = new byte[4096];
                        try
                        {
                            while (await s.ReadAsync(buf) > 0) await s.WriteAsync(reply);
                        }
                        catch (IOException) { }
                    }
                });
            }
        }

        public void Dispose() => listener.Stop();
    }
}
