using System.Text;
using Codis.Server.Tests.Infrastructure;
using Codis.Testing;

namespace Codis.Server.Tests.Protocol;

/// <summary>
/// The two ways a connection's bytes move (event-loop yes: own epoll loops; no: .NET's socket engine) give the
/// same behaviour: pipelining, replies larger than the socket buffers to a client that reads late, clients
/// blocked and woken from other connections, CLIENT KILL of a client that does not read.
/// </summary>
public class TransportTests
{
    private static CodisServerProcess Start(string eventLoop, params string[] more) =>
        CodisServerProcess.Start([.. more, "--event-loop", eventLoop, "--event-loop-threads", "2"]);

    private static string Info(Codis.Core.Resp.RespClient c, string field) =>
        c.Call("INFO", "server").Text!.Split("\r\n").First(l => l.StartsWith(field + ":"))[(field.Length + 1)..];

    [Theory]
    [InlineData("yes", "2")]
    [InlineData("no", "0")]
    public void Setting_ChoosesTheTransport(string eventLoop, string threads)
    {
        using var server = Start(eventLoop);
        using var c = server.Client();
        Assert.Equal(threads, Info(c, "event_loop_threads"));
    }

    [Theory]
    [InlineData("yes")]
    [InlineData("no")]
    public void Pipeline_OfManyRequestsInOneWrite_AnsweredInOrder(string eventLoop)
    {
        using var server = Start(eventLoop);
        using var c = server.Client();
        var wire = new StringBuilder();
        for (int i = 0; i < 5000; i++)
            wire.Append($"*3\r\n$3\r\nSET\r\n${$"k{i}".Length}\r\nk{i}\r\n${$"v{i}".Length}\r\nv{i}\r\n*2\r\n$4\r\nINCR\r\n$3\r\nctr\r\n");
        c.SendRaw(Encoding.ASCII.GetBytes(wire.ToString()));
        for (int i = 0; i < 5000; i++)
        {
            c.Read().AssertOk();
            Assert.Equal(i + 1, c.Read().AssertInt());
        }
        Assert.Equal("v4999", c.Call("GET", "k4999").Text);
    }

    [Theory]
    [InlineData("yes")]
    [InlineData("no")]
    public void BigReplies_ToAClientThatReadsLate_ArriveIntact(string eventLoop)
    {
        using var server = Start(eventLoop);
        using var c = server.Client(30000);
        var value = new byte[4 << 20];
        for (int i = 0; i < value.Length; i++) value[i] = (byte)(i * 7 % 251);
        c.Call("SET"u8.ToArray(), "big"u8.ToArray(), value).AssertOk();
        for (int i = 0; i < 8; i++) c.Send(["GET"u8.ToArray(), "big"u8.ToArray()]);
        c.Flush();
        Thread.Sleep(300); // the server's sends meet a full socket buffer and must wait for the reader
        using (var other = server.Client()) Assert.Equal("PONG", other.Call("PING").Text);
        for (int i = 0; i < 8; i++) Assert.True(c.Read().Bytes.AsSpan().SequenceEqual(value), $"reply {i} differs");
        Assert.Equal("PONG", c.Call("PING").Text);
    }

    [Theory]
    [InlineData("yes")]
    [InlineData("no")]
    public void BlockedClient_WokenByAnotherConnection_KeepsWorking(string eventLoop)
    {
        using var server = Start(eventLoop);
        using var blocked = server.Client();
        using var pusher = server.Client();
        blocked.Send(["BLPOP"u8.ToArray(), "q"u8.ToArray(), "5"u8.ToArray()]);
        blocked.Flush();
        Thread.Sleep(100);
        Assert.Equal(1, pusher.Call("LPUSH", "q", "hello").AssertInt());
        var popped = blocked.Read();
        Assert.Equal("hello", Encoding.UTF8.GetString(popped.Items![1].Bytes!));
        Assert.Equal("PONG", blocked.Call("PING").Text); // reading resumed after the wait
    }

    [Theory]
    [InlineData("yes")]
    [InlineData("no")]
    public void ClientKill_OfAClientThatDoesNotRead_ClosesIt(string eventLoop)
    {
        using var server = Start(eventLoop);
        using var admin = server.Client();
        admin.Call("SET", "big", new string('x', 1 << 20)).AssertOk();
        using var slow = server.Client();
        slow.Call("CLIENT", "SETNAME", "slow").AssertOk();
        for (int i = 0; i < 32; i++) slow.Send(["GET"u8.ToArray(), "big"u8.ToArray()]);
        slow.Flush();
        Thread.Sleep(300);
        Assert.Equal(1, admin.Call("CLIENT", "KILL", "SKIPME", "yes").AssertInt());
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (admin.Call("CLIENT", "LIST").Text!.Contains("name=slow") && DateTime.UtcNow < deadline) Thread.Sleep(20);
        Assert.DoesNotContain("name=slow", admin.Call("CLIENT", "LIST").Text!);
        Assert.Equal("PONG", admin.Call("PING").Text);
    }

    [Theory]
    [InlineData("yes")]
    [InlineData("no")]
    public void Requests_ArrivingInSmallPieces_AreParsedWhole(string eventLoop)
    {
        using var server = Start(eventLoop);
        using var c = server.Client();
        var value = new string('v', 40_000); // spans several receives and the input buffer's first size
        var wire = Encoding.ASCII.GetBytes(
            $"*3\r\n$3\r\nSET\r\n$1\r\na\r\n${value.Length}\r\n{value}\r\nPING\r\n*2\r\n$3\r\nGET\r\n$1\r\na\r\n");
        for (int offset = 0; offset < wire.Length; offset += 997)
        {
            c.SendRaw(wire.AsSpan(offset, Math.Min(997, wire.Length - offset)));
            c.Flush();
            if (offset % (997 * 8) == 0) Thread.Sleep(2); // let the server see a part of a request, then the rest
        }
        c.Read().AssertOk();
        Assert.Equal("PONG", c.Read().Text);
        Assert.Equal(value, c.Read().Text);
    }

    [Theory]
    [InlineData("yes")]
    [InlineData("no")]
    public void Requests_BiggerThanTheKeptBuffers_BetweenSmallOnes_KeepTheirBytes(string eventLoop)
    {
        using var server = Start(eventLoop);
        using var c = server.Client(30000);
        var values = new[] { 3 << 20, 100, 600_000, 5 << 20, 7 }.Select((n, i) =>
        {
            var v = new byte[n];
            for (int j = 0; j < n; j++) v[j] = (byte)((j * 31 + i) % 253);
            return v;
        }).ToArray();
        // All in one pipeline: each big request grows the input past the size kept between requests.
        for (int i = 0; i < values.Length; i++)
        {
            c.Send(["SET"u8.ToArray(), Encoding.ASCII.GetBytes($"k{i}"), values[i]]);
            c.Send(["INCR"u8.ToArray(), "n"u8.ToArray()]);
        }
        c.Flush();
        for (int i = 0; i < values.Length; i++)
        {
            c.Read().AssertOk();
            Assert.Equal(i + 1, c.Read().AssertInt());
        }
        for (int round = 0; round < 2; round++)
            for (int i = 0; i < values.Length; i++)
                Assert.True(c.Call("GET"u8.ToArray(), Encoding.ASCII.GetBytes($"k{i}")).Bytes.AsSpan().SequenceEqual(values[i]),
                    $"value {i} differs in round {round}");
    }
}
