using System.Diagnostics;
using Codis.Core.Resp;
using Codis.Server.Tests.Infrastructure;

namespace Codis.Server.Tests.Streams;

/// <summary>
/// Blocking XREAD and XREADGROUP through real sockets, each scenario against codis-server and redis-server 7.0
/// (so the expectations are Redis's): wake-up on XADD, timeouts, several waiters, deleted keys and groups, MULTI.
/// </summary>
public class StreamBlockingTests(PeerFixture peers) : IClassFixture<PeerFixture>
{
    private static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(150);

    private RespClient Client(string target) => target == "codis" ? peers.Codis.Client() : peers.Redis.Client();

    private static void Send(RespClient c, params string[] args)
    {
        c.Send(args.Select(a => System.Text.Encoding.UTF8.GetBytes(a)).ToArray());
        c.Flush();
    }

    private static string Key(string target, string name) => $"xblk:{target}:{name}:{Guid.NewGuid():N}";

    [Theory]
    [InlineData("codis")]
    [InlineData("redis")]
    public void XRead_Block_WakesOnXAdd_ForEveryWaiter_AndTimesOut(string target)
    {
        string k = Key(target, "wake"), other = Key(target, "other");
        using var w = Client(target);
        w.Call("XADD", k, "1-1", "f", "v");
        using var c1 = Client(target);
        using var c2 = Client(target);
        using var c3 = Client(target);
        Send(c1, "XREAD", "BLOCK", "0", "STREAMS", other, k, "0", "$");
        Send(c2, "XREAD", "COUNT", "1", "BLOCK", "0", "STREAMS", k, "1-1");
        Send(c3, "XREAD", "BLOCK", "0", "STREAMS", k, "5-0"); // wants entries after 5-0 only
        Thread.Sleep(Settle);
        Assert.Equal("2-1", w.Call("XADD", k, "2-1", "a", "b").Text);
        foreach (var c in new[] { c1, c2 })
        {
            var r = c.Read();
            Assert.Equal(k, r.Items![0].Items![0].Text);
            Assert.Equal("2-1", r.Items[0].Items![1].Items![0].Items![0].Text);
        }
        w.Call("XADD", k, "6-1", "a", "b");
        Assert.Equal("6-1", c3.Read().Items![0].Items![1].Items![0].Items![0].Text);

        var sw = Stopwatch.StartNew();
        Assert.True(c1.Call("XREAD", "BLOCK", "300", "STREAMS", k, "$").IsNull);
        Assert.InRange(sw.ElapsedMilliseconds, 250, 3000);
        c1.Call("XREAD", "BLOCK", "-1", "STREAMS", k, "$").AssertError("ERR timeout is negative");
        c1.Call("XREAD", "BLOCK", "x", "STREAMS", k, "$").AssertError("ERR timeout is not an integer or out of range");
    }

    [Theory]
    [InlineData("codis")]
    [InlineData("redis")]
    public void XReadGroup_Block_ServesOneConsumerPerEntry_AndEndsOnDeletedKeyOrGroup(string target)
    {
        string k = Key(target, "grp");
        using var w = Client(target);
        w.Call("XGROUP", "CREATE", k, "g", "$", "MKSTREAM").AssertOk();
        using var a = Client(target);
        using var b = Client(target);
        Send(a, "XREADGROUP", "GROUP", "g", "alice", "BLOCK", "0", "STREAMS", k, ">");
        Thread.Sleep(Settle);
        Send(b, "XREADGROUP", "GROUP", "g", "bob", "BLOCK", "0", "STREAMS", k, ">");
        Thread.Sleep(Settle);
        w.Call("XADD", k, "1-1", "f", "v");
        var got = a.Read();
        Assert.Equal("1-1", got.Items![0].Items![1].Items![0].Items![0].Text);
        // bob waits on: the entry went to alice. The next one is his.
        w.Call("XADD", k, "2-1", "f", "v");
        Assert.Equal("2-1", b.Read().Items![0].Items![1].Items![0].Items![0].Text);
        var pending = w.Call("XPENDING", k, "g");
        Assert.Equal(2, pending.Items![0].AssertInt());

        Send(a, "XREADGROUP", "GROUP", "g", "alice", "BLOCK", "0", "STREAMS", k, ">");
        Thread.Sleep(Settle);
        Assert.Equal(1, w.Call("XGROUP", "DESTROY", k, "g").AssertInt());
        Assert.Equal("NOGROUP the consumer group this client was blocked on no longer exists", a.Read().Text);

        w.Call("XGROUP", "CREATE", k, "g", "$").AssertOk();
        Send(a, "XREADGROUP", "GROUP", "g", "alice", "BLOCK", "0", "STREAMS", k, ">");
        Thread.Sleep(Settle);
        w.Call("DEL", k);
        Assert.Equal("UNBLOCKED the stream key no longer exists", a.Read().Text);
    }

    [Theory]
    [InlineData("codis")]
    [InlineData("redis")]
    public void A_List_Pop_Waiting_First_On_The_Same_Key_Does_Not_Hold_Back_A_Stream_Reader(string target)
    {
        string k = Key(target, "mixed");
        using var pop = Client(target);
        using var reader = Client(target);
        using var w = Client(target);
        Send(pop, "BLPOP", k, "0");
        Thread.Sleep(Settle);
        Send(reader, "XREAD", "BLOCK", "0", "STREAMS", k, "$");
        Thread.Sleep(Settle);
        w.Call("XADD", k, "1-1", "f", "v");
        Assert.Equal("1-1", reader.Read().Items![0].Items![1].Items![0].Items![0].Text);
        w.Call("DEL", k);
        w.Call("RPUSH", k, "x");
        Assert.Equal("x", pop.Read().Items![1].Text);
    }

    [Theory]
    [InlineData("codis")]
    [InlineData("redis")]
    public void Inside_Multi_And_Scripts_They_Do_Not_Block(string target)
    {
        string k = Key(target, "multi");
        using var c = Client(target);
        c.Call("MULTI").AssertOk();
        Assert.Equal("QUEUED", c.Call("XREAD", "BLOCK", "0", "STREAMS", k, "$").Text);
        var r = c.Call("EXEC");
        Assert.True(r.Items![0].IsNull);
        c.Call("EVAL", $"return redis.call('XREAD', 'BLOCK', '0', 'STREAMS', KEYS[1], '$')", "1", k)
            .AssertError("ERR XREAD command is not allowed with BLOCK option from scripts");
        Assert.True(c.Call("EVAL", "return redis.call('XREAD', 'STREAMS', KEYS[1], '0')", "1", k).IsNull);
        // A deleted key keeps an XREAD waiting (it is not a group read).
        using var w = Client(target);
        w.Call("XADD", k, "1-1", "f", "v");
        Send(c, "XREAD", "BLOCK", "0", "STREAMS", k, "$");
        Thread.Sleep(Settle);
        w.Call("DEL", k);
        Thread.Sleep(Settle);
        w.Call("XADD", k, "3-1", "f", "v");
        Assert.Equal("3-1", c.Read().Items![0].Items![1].Items![0].Items![0].Text);
    }
}
