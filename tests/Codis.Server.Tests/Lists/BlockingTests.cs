using System.Diagnostics;
using Codis.Core.Resp;
using Codis.Server.Tests.Infrastructure;

namespace Codis.Server.Tests.Lists;

/// <summary>
/// Blocking pops through real sockets, each scenario run against codis-server and against redis-server 7.0 (so
/// the expectations are Redis's): FIFO wake-up, timeouts, pipelined reply order, type changes and deletes while
/// blocked, disconnects, BLMOVE chains and wrong-type destinations.
/// </summary>
public class BlockingTests(PeerFixture peers) : IClassFixture<PeerFixture>
{
    private static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(150);

    private RespClient Client(string target) => target == "codis" ? peers.Codis.Client() : peers.Redis.Client();

    private static void Send(RespClient c, params string[] args)
    {
        c.Send(args.Select(a => System.Text.Encoding.UTF8.GetBytes(a)).ToArray());
        c.Flush();
    }

    /// <summary>Sends a blocking command and waits until the server lists the client as blocked (CLIENT LIST flags=b).</summary>
    private void Block(string target, RespClient c, params string[] args)
    {
        long id = c.Call("CLIENT", "ID").Integer;
        Send(c, args);
        using var observer = Client(target);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!(observer.Call("CLIENT", "LIST", "ID", id.ToString()).Text ?? "").Contains(" flags=b", StringComparison.Ordinal))
        {
            Assert.True(DateTime.UtcNow < deadline, $"client {id} did not block on {string.Join(' ', args)}");
            Thread.Sleep(5);
        }
    }

    private static string Key(string target, string name) => $"blk:{target}:{name}:{Guid.NewGuid():N}";

    [Theory]
    [InlineData("codis")]
    [InlineData("redis")]
    public void WaitingClients_AreServedInArrivalOrder(string target)
    {
        string k = Key(target, "fifo");
        using var c1 = Client(target);
        using var c2 = Client(target);
        using var c3 = Client(target);
        using var w = Client(target);
        foreach (var c in new[] { c1, c2, c3 })
        {
            Block(target, c, "blpop", k, "0");
        }
        Assert.Equal(3, w.Call("rpush", k, "one", "two", "three").AssertInt());
        Assert.Equal(new string?[] { k, "one" }, c1.Read().Strings());
        Assert.Equal(new string?[] { k, "two" }, c2.Read().Strings());
        Assert.Equal(new string?[] { k, "three" }, c3.Read().Strings());
        Assert.Equal(0, w.Call("exists", k).AssertInt());
    }

    [Theory]
    [InlineData("codis")]
    [InlineData("redis")]
    public void Timeout_RepliesNullAfterTheTimeout(string target)
    {
        using var c = Client(target);
        var sw = Stopwatch.StartNew();
        var r = c.Call("brpop", Key(target, "none"), "0.3");
        Assert.True(r.IsNull, r.ToString());
        Assert.InRange(sw.ElapsedMilliseconds, 250, 3000);
        Send(c, "blmove", Key(target, "none2"), "x", "left", "right", "0.1");
        Thread.Sleep(400);
        Assert.Equal("*-1\r\n", System.Text.Encoding.ASCII.GetString(c.ReadRawAvailable(TimeSpan.FromSeconds(2))));
    }

    [Theory]
    [InlineData("codis")]
    [InlineData("redis")]
    public void PipelinedCommands_AroundABlockedOne_KeepTheirOrder(string target)
    {
        string k = Key(target, "pipe");
        using var c = Client(target);
        using var w = Client(target);
        c.SendRaw(RespValue.EncodeCommand([.. new[] { "set", k + ":s", "1" }.Select(System.Text.Encoding.UTF8.GetBytes)]));
        c.SendRaw(RespValue.EncodeCommand([.. new[] { "blpop", k, "0" }.Select(System.Text.Encoding.UTF8.GetBytes)]));
        c.SendRaw(RespValue.EncodeCommand([.. new[] { "incr", k + ":s" }.Select(System.Text.Encoding.UTF8.GetBytes)]));
        c.Flush();
        Assert.Equal("OK", c.Read().Text); // the reply before the blocked command is not held back
        Thread.Sleep(Settle);
        Assert.Equal("1", w.Call("get", k + ":s").Text); // the command after it has not run yet
        w.Call("lpush", k, "v");
        Assert.Equal(new string?[] { k, "v" }, c.Read().Strings());
        Assert.Equal(2, c.Read().AssertInt());
    }

    [Theory]
    [InlineData("codis")]
    [InlineData("redis")]
    public void KeyOfAnotherType_KeepsTheClientWaiting_UntilItIsAListAgain(string target)
    {
        string k = Key(target, "type");
        using var c = Client(target);
        using var w = Client(target);
        Block(target, c, "blpop", k, "0");
        w.Call("set", k, "string").AssertOk();
        w.Call("del", k);
        w.Call("sadd", k, "m");
        w.Call("del", k);
        Assert.Empty(c.ReadRawAvailable(Settle));
        w.Call("rpush", k, "finally");
        Assert.Equal(new string?[] { k, "finally" }, c.Read().Strings());
    }

    [Theory]
    [InlineData("codis")]
    [InlineData("redis")]
    public void DisconnectedClient_IsNotServed(string target)
    {
        string k = Key(target, "gone");
        using (var c = Client(target))
        {
            Block(target, c, "blpop", k, "0");
        }
        Thread.Sleep(600); // codis notices a closed peer within its 250 ms poll
        using var w = Client(target);
        w.Call("rpush", k, "kept");
        Assert.Equal(1, w.Call("llen", k).AssertInt());
    }

    [Theory]
    [InlineData("codis")]
    [InlineData("redis")]
    public void BLMove_ChainsIntoAClientBlockedOnTheDestination(string target)
    {
        string src = Key(target, "src"), dst = Key(target, "dst");
        using var mover = Client(target);
        using var popper = Client(target);
        using var w = Client(target);
        Block(target, mover, "blmove", src, dst, "left", "right", "0");
        Block(target, popper, "blpop", dst, "0");
        w.Call("lpush", src, "v");
        Assert.Equal("v", mover.Read().Text);
        Assert.Equal(new string?[] { dst, "v" }, popper.Read().Strings());
        Assert.Equal(0, w.Call("exists", src, dst).AssertInt());
    }

    [Theory]
    [InlineData("codis")]
    [InlineData("redis")]
    public void BRPopLPush_DestinationOfWrongType_AtServeTime_GivesWrongTypeAndKeepsTheElement(string target)
    {
        string src = Key(target, "src"), dst = Key(target, "dst");
        using var c = Client(target);
        using var w = Client(target);
        Block(target, c, "brpoplpush", src, dst, "0");
        w.Call("set", dst, "string").AssertOk();
        w.Call("rpush", src, "v");
        c.Read().AssertError("WRONGTYPE");
        Assert.Equal(new string?[] { "v" }, w.Call("lrange", src, "0", "-1").Strings());
    }

    [Theory]
    [InlineData("codis")]
    [InlineData("redis")]
    public void ManyKeys_TheWrittenOneServes_AndZPopBlocks(string target)
    {
        string k1 = Key(target, "k1"), k2 = Key(target, "k2"), z = Key(target, "z");
        using var c = Client(target);
        using var w = Client(target);
        Block(target, c, "brpop", k1, k2, "5");
        w.Call("rpush", k2, "a", "b");
        Assert.Equal(new string?[] { k2, "b" }, c.Read().Strings());
        Block(target, c, "bzpopmax", k1, z, "5");
        w.Call("zadd", z, "1.5", "low", "2.5", "high");
        Assert.Equal(new string?[] { z, "high", "2.5" }, c.Read().Strings());
        Assert.Equal(1, w.Call("zcard", z).AssertInt());
    }

    [Fact]
    public void WritesInsideOnePipeline_ServeAfterEachCommand()
    {
        // LPUSH then DEL in one batch: the blocked client gets the element pushed before the DEL ran, as Redis
        // serves blocked clients after each command.
        string k = Key("codis", "batch");
        using var c = peers.Codis.Client();
        using var w = peers.Codis.Client();
        Block("codis", c, "blpop", k, "0");
        w.SendRaw(RespValue.EncodeCommand([.. new[] { "lpush", k, "x" }.Select(System.Text.Encoding.UTF8.GetBytes)]));
        w.SendRaw(RespValue.EncodeCommand([.. new[] { "del", k }.Select(System.Text.Encoding.UTF8.GetBytes)]));
        w.Flush();
        Assert.Equal(1, w.Read().AssertInt());
        Assert.Equal(0, w.Read().AssertInt());
        Assert.Equal(new string?[] { k, "x" }, c.Read().Strings());
    }
}
