using System.Text;
using Codis.Core.Resp;

namespace Codis.Core.Tests.Resp;

public class RespRequestParserTests
{
    private static (ParseStatus Status, RespRequest Request, int Consumed) Parse(string wire, bool authenticated = true, RespLimits? limits = null)
    {
        var req = new RespRequest();
        var status = RespRequestParser.TryParse(Encoding.Latin1.GetBytes(wire), req, limits ?? RespLimits.Default, authenticated, out int consumed, out _);
        return (status, req, consumed);
    }

    private static string[] Args(RespRequest r) => Enumerable.Range(0, r.Count).Select(r.ToUtf8String).ToArray();

    [Fact]
    public void Multibulk_Complete_ParsesArguments()
    {
        var (status, req, consumed) = Parse("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\nextra");
        Assert.Equal(ParseStatus.Complete, status);
        Assert.Equal(["SET", "k", ""], Args(req));
        Assert.Equal(26, consumed);
    }

    [Theory]
    [InlineData("*2\r\n$3\r\nGET\r\n$1\r\n")]
    [InlineData("*2\r\n$3\r\nGET\r\n$1")]
    [InlineData("*2\r")]
    [InlineData("*1\r\nx")]
    [InlineData("GET a")]
    [InlineData("*1\r\n$3\r\nfoo")]
    public void Partial_Input_IsIncompleteAndConsumesNothing(string wire)
    {
        var (status, _, consumed) = Parse(wire);
        Assert.Equal(ParseStatus.Incomplete, status);
        Assert.Equal(0, consumed);
    }

    [Theory]
    [InlineData("*99999999999\r\n", "invalid multibulk length")]
    [InlineData("*abc\r\n", "invalid multibulk length")]
    [InlineData("*1\r\nx\r\n", "expected '$', got 'x'")]
    [InlineData("*1\r\n$600000000\r\n", "invalid bulk length")]
    [InlineData("*1\r\n$-1\r\n", "invalid bulk length")]
    [InlineData("*1\r\n$999999999999\r\n", "invalid bulk length")]
    [InlineData("PING \"a\r\n", "unbalanced quotes in request")]
    public void Malformed_Input_ThrowsRedisMessage(string wire, string message)
    {
        var e = Assert.Throws<RespProtocolException>(() => Parse(wire));
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public void Unauthenticated_LimitsAreSmaller()
    {
        Assert.Equal("unauthenticated multibulk length", Assert.Throws<RespProtocolException>(() => Parse("*11\r\n", authenticated: false)).Message);
        Assert.Equal("unauthenticated bulk length", Assert.Throws<RespProtocolException>(() => Parse("*2\r\n$20000\r\n", authenticated: false)).Message);
    }

    [Fact]
    public void Inline_TooLongWithoutNewline_IsRejected()
    {
        var e = Assert.Throws<RespProtocolException>(() => Parse(new string('a', 70000)));
        Assert.Equal("too big inline request", e.Message);
    }

    [Theory]
    [InlineData("*0\r\n")]
    [InlineData("*-5\r\n")]
    [InlineData("\r\n")]
    [InlineData("   \n")]
    public void EmptyRequests_AreSkipped(string wire) => Assert.Equal(ParseStatus.Skip, Parse(wire).Status);

    [Fact]
    public void Inline_QuotesAndEscapes_FollowRedis()
    {
        var (status, req, _) = Parse("SET 'x y' \"a\\x41b\\n\" plain\r\n");
        Assert.Equal(ParseStatus.Complete, status);
        Assert.Equal(["SET", "x y", "aAb\n", "plain"], Args(req));
    }

    [Fact]
    public void Inline_BareNewline_Terminates()
    {
        var (status, req, consumed) = Parse("GET a\nrest");
        Assert.Equal(ParseStatus.Complete, status);
        Assert.Equal(["GET", "a"], Args(req));
        Assert.Equal(6, consumed);
    }

    [Theory]
    [InlineData("0", true, 0L)]
    [InlineData("-12", true, -12L)]
    [InlineData("9223372036854775807", true, long.MaxValue)]
    [InlineData("007", false, 0L)]
    [InlineData("+1", false, 0L)]
    [InlineData("-0", false, 0L)]
    [InlineData(" 1", false, 0L)]
    [InlineData("9223372036854775808", false, 0L)]
    public void TryParseInteger_IsStrictLikeRedis(string text, bool ok, long value)
    {
        Assert.Equal(ok, RespRequestParser.TryParseInteger(Encoding.ASCII.GetBytes(text), out long v));
        if (ok) Assert.Equal(value, v);
    }

    [Fact]
    public void Multibulk_ArmedResume_ContinuesAcrossGrowingBuffers_SameResult()
    {
        var sb = new StringBuilder("*201\r\n$3\r\nDEL\r\n");
        for (int i = 0; i < 200; i++) sb.Append($"$4\r\nk{i:000}\r\n");
        var wire = Encoding.ASCII.GetBytes(sb.ToString());
        var req = new RespRequest();
        ParseStatus status = ParseStatus.Incomplete;
        int consumed = 0;
        for (int len = 1; len <= wire.Length; len += 7)
        {
            req.ArmResume();
            // A fresh copy each time, as a connection that linearizes a growing buffer would pass.
            status = RespRequestParser.TryParse(wire.AsSpan(0, len).ToArray(), req, RespLimits.Default, true, out consumed, out _);
            if (status != ParseStatus.Incomplete) break;
        }
        if (status == ParseStatus.Incomplete)
        {
            req.ArmResume();
            status = RespRequestParser.TryParse(wire, req, RespLimits.Default, true, out consumed, out _);
        }
        Assert.Equal(ParseStatus.Complete, status);
        Assert.Equal(wire.Length, consumed);
        Assert.Equal(201, req.Count);
        Assert.Equal("DEL", req.ToUtf8String(0));
        Assert.Equal("k199", req.ToUtf8String(200));
        // Without ArmResume, the same object parses a different request from scratch.
        var other = Encoding.ASCII.GetBytes("*1\r\n$4\r\nPING\r\n");
        Assert.Equal(ParseStatus.Complete, RespRequestParser.TryParse(other, req, RespLimits.Default, true, out _, out _));
        Assert.Equal(["PING"], Args(req));
    }
}
