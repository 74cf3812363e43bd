using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Codis.Server.Tests.Infrastructure;
using Codis.Testing;

namespace Codis.Server.Tests.Protocol;

/// <summary>
/// Input meant to hurt: each gets an error or a closed connection, the server survives, and the data of other
/// clients stays as it was. (ProtocolTests covers the byte-exact error texts of the common cases.)
/// </summary>
public class HostileInputTests(ServerFixture fx) : IClassFixture<ServerFixture>
{
    private static string Send(ServerFixture fx, byte[] wire, int waitMs = 500)
    {
        using var c = fx.Client();
        try { c.SendRaw(wire); }
        catch (IOException) { } // the server may close while we are still sending
        try { return Encoding.Latin1.GetString(c.ReadRawAvailable(TimeSpan.FromMilliseconds(waitMs))); }
        catch (IOException) { return ""; }
    }

    private static long Rss(ServerFixture fx)
    {
        using var c = fx.Client();
        var info = Codis.Server.Tests.Admin.AdminFixture.ParseInfo(c.Call("INFO", "memory").Text!);
        return long.Parse(info["Memory"]["used_memory_rss"]);
    }

    [Fact]
    public void InlineLineOverTheLimit_ErrorAndClose()
    {
        var line = Encoding.ASCII.GetBytes("SET k " + new string('x', 70 * 1024));
        Assert.Equal("-ERR Protocol error: too big inline request\r\n", Send(fx, line));
    }

    [Fact]
    public void MultibulkCountWithoutEnd_ErrorAndClose()
    {
        var line = Encoding.ASCII.GetBytes("*" + new string('1', 70 * 1024));
        Assert.Equal("-ERR Protocol error: too big mbulk count string\r\n", Send(fx, line));
        var bulk = Encoding.ASCII.GetBytes("*1\r\n$" + new string('1', 70 * 1024));
        Assert.Equal("-ERR Protocol error: too big bulk count string\r\n", Send(fx, bulk));
    }

    [Theory]
    [InlineData("*1\r\n$-5\r\n")]
    [InlineData("*1\r\n$abc\r\n")]
    [InlineData("*abc\r\n")]
    [InlineData("*1\r\n$+3\r\nfoo\r\n")]
    [InlineData("*2147483648\r\n")]
    public void BadLengths_ProtocolError(string wire) =>
        Assert.StartsWith("-ERR Protocol error: invalid", Send(fx, Encoding.ASCII.GetBytes(wire)));

    [Fact]
    public void MillionArgumentHeader_ThenVanish_NoHarm()
    {
        long before = Rss(fx);
        using (var c = fx.Client()) c.SendRaw("*1000000\r\n$3\r\nDEL\r\n$1\r\na\r\n"u8);
        Thread.Sleep(200);
        Assert.True(Rss(fx) - before < 64L << 20, "announcing a million arguments must not allocate for them");
        using var check = fx.Client();
        Assert.Equal("PONG", check.Call("PING").Text);
    }

    [Fact]
    public void MillionArguments_ReallySent_Answered()
    {
        using var c = fx.Server.Client(60_000);
        var sb = new StringBuilder("*1000001\r\n$6\r\nEXISTS\r\n");
        for (int i = 0; i < 1_000_000; i++) sb.Append("$1\r\nz\r\n");
        var sw = Stopwatch.StartNew();
        c.SendRaw(Encoding.ASCII.GetBytes(sb.ToString()));
        Assert.Equal(0, c.Read().AssertInt());
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(20), $"took {sw.Elapsed}");
    }

    [Fact]
    public void HugeBulkHeader_UnderARaisedLimit_DoesNotAllocateUpFront()
    {
        using var server = CodisServerProcess.Start("--proto-max-bulk-len", "1gb");
        using var admin = server.Client();
        long before = RssOf(admin);
        using (var c = server.Client())
        {
            c.SendRaw("*3\r\n$3\r\nSET\r\n$4\r\nhuge\r\n$629145600\r\n"u8); // 600 MB announced
            c.SendRaw(new byte[1 << 20]);                                    // 1 MB sent, then gone
            Thread.Sleep(300);
            Assert.True(RssOf(admin) - before < 200L << 20, "a 600 MB header must not reserve 600 MB");
        }
        Assert.Equal(0, admin.Call("EXISTS", "huge").AssertInt());
        Assert.Equal("PONG", admin.Call("PING").Text);
    }

    private static long RssOf(Codis.Core.Resp.RespClient c) =>
        long.Parse(Codis.Server.Tests.Admin.AdminFixture.ParseInfo(c.Call("INFO", "memory").Text!)["Memory"]["used_memory_rss"]);

    [Fact]
    public void Unauthenticated_SmallLimits()
    {
        using var server = CodisServerProcess.Start("--requirepass", "pw");
        using (var c = server.Client())
        {
            c.SendRaw("*11\r\n"u8);
            Assert.Equal("-ERR Protocol error: unauthenticated multibulk length\r\n", Encoding.ASCII.GetString(c.ReadRawAvailable(TimeSpan.FromMilliseconds(1500))));
        }
        using (var c = server.Client())
        {
            c.SendRaw("*2\r\n$4\r\nAUTH\r\n$20000\r\n"u8);
            Assert.Equal("-ERR Protocol error: unauthenticated bulk length\r\n", Encoding.ASCII.GetString(c.ReadRawAvailable(TimeSpan.FromMilliseconds(1500))));
        }
        using var good = server.Client();
        good.Call("AUTH", "pw").AssertOk();
        good.Call("PING");
    }

    [Fact]
    public void ManyHalfRequestsThatVanish_ServerStaysHealthy()
    {
        for (int i = 0; i < 50; i++)
        {
            using var c = fx.Client();
            c.SendRaw(Encoding.ASCII.GetBytes($"*3\r\n$3\r\nSET\r\n$6\r\nhalf{i:00}\r\n$1000\r\n{new string('y', i * 10)}"));
        }
        using var check = fx.Client();
        for (int i = 0; i < 50; i++) Assert.Equal(0, check.Call("EXISTS", $"half{i:00}").AssertInt());
        Thread.Sleep(200);
        var clients = check.Call("CLIENT", "LIST").Text!.TrimEnd('\n').Split('\n');
        Assert.True(clients.Length < 10, $"{clients.Length} connections still open after the clients vanished");
    }

    /// <summary>While attackers send garbage on many connections, a well-behaved client's data stays intact.</summary>
    [Fact]
    public async Task GarbageBarrage_OtherClientsKeepTheirData()
    {
        using var good = fx.Client();
        for (int i = 0; i < 200; i++) good.Call("SET", $"barrage:{i}", $"value-{i}").AssertOk();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(3));
        var attackers = Enumerable.Range(0, 4).Select(seed => Task.Run(() =>
        {
            var rnd = new Random(seed);
            string[] evil = ["*-5\r\n", "*1\r\n$999999999999\r\n", "*3\r\n$3\r\nSET\r\n$9\r\nbarrage:1\r\n$5\r\nev", "\0\0\0\r\n", "*1\r\n$4\r\nPING\r\n*x\r\n"];
            // Bounded: a few hundred connections each, so the barrage cannot exhaust the machine's ephemeral ports.
            for (int n = 0; n < 250 && !stop.IsCancellationRequested; n++)
            {
                try
                {
                    using var tcp = new TcpClient("127.0.0.1", fx.Server.Port);
                    var s = tcp.GetStream();
                    if (rnd.Next(2) == 0) s.Write(Encoding.Latin1.GetBytes(evil[rnd.Next(evil.Length)]));
                    else
                    {
                        var bytes = new byte[rnd.Next(1, 2048)];
                        rnd.NextBytes(bytes);
                        s.Write(bytes);
                    }
                }
                catch (Exception e) when (e is IOException or SocketException) { }
            }
        })).ToArray();
        int rounds = 0;
        while (!stop.IsCancellationRequested)
        {
            int i = rounds++ % 200;
            Assert.Equal($"value-{i}", good.Call("GET", $"barrage:{i}").Text);
        }
        await Task.WhenAll(attackers);
        for (int i = 0; i < 200; i++) Assert.Equal($"value-{i}", good.Call("GET", $"barrage:{i}").Text);
        Assert.True(rounds > 10);
    }
}
