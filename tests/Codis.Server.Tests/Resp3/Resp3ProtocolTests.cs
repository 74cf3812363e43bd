using System.Text;
using Codis.Server.Tests.Infrastructure;

namespace Codis.Server.Tests.Resp3;

/// <summary>HELLO's protocol switch, DEBUG PROTOCOL and CLIENT resp= against Debian's redis-server 7.0, frame for frame.</summary>
public class Resp3ProtocolTests(DebugPeerFixture peers) : IClassFixture<DebugPeerFixture>
{
    private const string DebugProtocol = """
        debug protocol string
        debug protocol integer
        debug protocol double
        debug protocol bignum
        debug protocol null
        debug protocol array
        debug protocol set
        debug protocol map
        debug protocol attrib
        debug protocol push
        debug protocol verbatim
        debug protocol true
        debug protocol false
        debug protocol nothing
        debug protocol
        """;

    [Fact]
    public void DebugProtocol_Resp3_SameFramesAsRedis()
    {
        peers.AssertSameFrames(DebugProtocol, protocol: 3);
    }

    [Fact]
    public void DebugProtocol_Resp2_SameFramesAsRedis()
    {
        peers.AssertSameFrames(DebugProtocol, protocol: 2);
    }

    [Fact]
    public void Hello_SwitchesBothWays_SameFramesAsRedis() => peers.AssertSameFrames("""
        hello
        hello 3
        hello
        get nokey
        hello 2
        get nokey
        hello 3 setname named
        client getname
        hello 4
        hello 1
        hello 0
        hello abc
        hello 3 auth default wrong
        hello 3 whatever
        hello 3
        reset
        get nokey
        hello
        """, protocol: 2);

    [Fact]
    public void Hello3_Reply_IsAMapOfSevenFields()
    {
        using var c = new Resp3Connection(peers.Codis.Port, protocol: 2);
        var frame = Encoding.UTF8.GetString(c.Call("HELLO", "3"));
        Assert.StartsWith("%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n", frame);
        Assert.Contains("$5\r\nproto\r\n:3\r\n", frame);
        Assert.EndsWith("$7\r\nmodules\r\n*0\r\n", frame);
        Assert.Equal("_\r\n", Encoding.UTF8.GetString(c.Call("GET", "hello3:nokey")));
    }

    [Fact]
    public void ClientInfo_ShowsRespOfEachConnection()
    {
        using var three = new Resp3Connection(peers.Codis.Port, protocol: 3);
        using var two = new Resp3Connection(peers.Codis.Port, protocol: 2);
        var info3 = Encoding.UTF8.GetString(three.Call("CLIENT", "INFO"));
        Assert.StartsWith("=", info3); // verbatim in RESP3, as Redis
        Assert.Contains("txt:id=", info3);
        Assert.Contains(" resp=3 ", info3);
        var info2 = Encoding.UTF8.GetString(two.Call("CLIENT", "INFO"));
        Assert.StartsWith("$", info2);
        Assert.Contains(" resp=2 ", info2);
        var list = Encoding.UTF8.GetString(two.Call("CLIENT", "LIST"));
        Assert.Contains(" resp=3 ", list);
        Assert.Contains(" resp=2 ", list);
    }

    [Fact]
    public void Info_IsVerbatimInResp3Only()
    {
        using var three = new Resp3Connection(peers.Codis.Port, protocol: 3);
        using var two = new Resp3Connection(peers.Codis.Port, protocol: 2);
        Assert.StartsWith("txt:# Server\r\n", Payload(three.Call("INFO", "server")));
        Assert.StartsWith("# Server\r\n", Payload(two.Call("INFO", "server")));
    }

    private static string Payload(byte[] frame)
    {
        string s = Encoding.UTF8.GetString(frame);
        return s[(s.IndexOf("\r\n", StringComparison.Ordinal) + 2)..];
    }
}
