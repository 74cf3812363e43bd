using System.Text;
using Codis.Server.Tests.Infrastructure;

namespace Codis.Server.Tests.Protocol;

public class ProtocolTests(ServerFixture fx) : IClassFixture<ServerFixture>
{
    private static string Raw(ServerFixture fx, string wire)
    {
        using var c = fx.Client();
        c.SendRaw(Encoding.Latin1.GetBytes(wire));
        return Encoding.Latin1.GetString(c.ReadRawAvailable(TimeSpan.FromMilliseconds(500)));
    }

    [Theory]
    [InlineData("*99999999999\r\n", "-ERR Protocol error: invalid multibulk length\r\n")]
    [InlineData("*1\r\nx\r\n", "-ERR Protocol error: expected '$', got 'x'\r\n")]
    [InlineData("*1\r\n$600000000\r\n", "-ERR Protocol error: invalid bulk length\r\n")]
    [InlineData("*1\r\n$999999999999\r\n", "-ERR Protocol error: invalid bulk length\r\n")]
    [InlineData("PING \"a\r\n", "-ERR Protocol error: unbalanced quotes in request\r\n")]
    [InlineData("*-5\r\nPING\r\n", "+PONG\r\n")]
    [InlineData("\r\nPING\r\n", "+PONG\r\n")]
    [InlineData("*1\r\n$4\r\nPINGxx*1\r\n$4\r\nPING\r\n", "+PONG\r\n+PONG\r\n")]
    [InlineData("SET  proto:a   b\r\nGET proto:a\n", "+OK\r\n$1\r\nb\r\n")]
    [InlineData("ECHO\r\n", "-ERR wrong number of arguments for 'echo' command\r\n")]
    [InlineData("FOO bar\r\n", "-ERR unknown command 'FOO', with args beginning with: 'bar' \r\n")]
    public void Wire_ByteExactReplies_MatchRedis(string wire, string expected) => Assert.Equal(expected, Raw(fx, wire));

    [Fact]
    public void ProtocolError_ClosesOnlyThatConnection_OthersKeepTheirData()
    {
        using var good = fx.Client();
        good.Call("SET", "proto:keep", "v").AssertOk();
        Assert.StartsWith("-ERR Protocol error", Raw(fx, "*1\r\n$-1\r\n"));
        Assert.Equal("v", good.Call("GET", "proto:keep").Text);
    }

    [Fact]
    public void RandomBytes_NeverCrashTheServer()
    {
        var rnd = new Random(42);
        for (int i = 0; i < 50; i++)
        {
            var bytes = new byte[rnd.Next(1, 4096)];
            rnd.NextBytes(bytes);
            using var c = fx.Client();
            c.SendRaw(bytes);
            c.ReadRawAvailable(TimeSpan.FromMilliseconds(20));
        }
        using var check = fx.Client();
        Assert.Equal("PONG", check.Call("PING").Text);
    }

    [Fact]
    public void HalfRequest_ThenVanish_LeavesServerHealthy()
    {
        using (var c = fx.Client()) c.SendRaw("*3\r\n$3\r\nSET\r\n$1\r\nh\r\n$100\r\nabc"u8);
        using var check = fx.Client();
        Assert.True(check.Call("GET", "h").IsNull);
    }

    [Fact]
    public void Pipeline_LargeBatch_AnsweredInOrder()
    {
        using var c = fx.Client();
        var sb = new StringBuilder();
        for (int i = 0; i < 5000; i++) sb.Append($"*2\r\n$4\r\nECHO\r\n${i.ToString().Length}\r\n{i}\r\n");
        c.SendRaw(Encoding.ASCII.GetBytes(sb.ToString()));
        for (int i = 0; i < 5000; i++) Assert.Equal(i.ToString(), c.Read().Text);
    }

    [Fact]
    public void LargeValue_SplitAcrossManyReads_RoundTrips()
    {
        using var c = fx.Client();
        var value = new byte[3 * 1024 * 1024];
        new Random(1).NextBytes(value);
        c.Call("SET", "proto:big", value).AssertOk();
        Assert.Equal(value, c.Call("GET", "proto:big").Bytes);
    }
}
