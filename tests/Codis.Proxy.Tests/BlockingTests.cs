using System.Diagnostics;
using Codis.Core.Resp;

namespace Codis.Proxy.Tests;

/// <summary>BLPOP and friends through two proxies over two groups.</summary>
[Collection("pinned")]
public class BlockingTests(PinnedCluster cluster)
{
    private static void Send(RespClient c, params string[] args)
    {
        c.Send(args.Select(a => System.Text.Encoding.UTF8.GetBytes(a)).ToArray());
        c.Flush();
    }

    [Fact]
    public void BlpopOnProxyA_WakesOnPushThroughProxyB()
    {
        using var a = cluster.Client();
        using var b = cluster.ClientB();
        a.Call("DEL", "{q1}list");
        Send(a, "BLPOP", "{q1}list", "{q1}other", "0");
        Assert.True(PinnedCluster.Eventually(() => PinnedCluster.ClientsField(cluster.Owner("{q1}"), "blocked_clients") == 1), "not blocked");
        Thread.Sleep(1200); // past one slice: the proxy re-blocks without losing the wake-up
        Assert.Equal(1, b.Call("RPUSH", "{q1}list", "x").Integer);
        Assert.Equal("[{q1}list, x]", a.Read().ToString());
        Assert.Equal(0, a.Call("LLEN", "{q1}list").Integer);
    }

    [Fact]
    public void EveryBlockingCommand_ServedAcrossProxies()
    {
        using var a = cluster.Client();
        using var b = cluster.ClientB();
        a.Call("DEL", "{q2}src", "{q2}dst", "{q2}z");
        Send(a, "BRPOPLPUSH", "{q2}src", "{q2}dst", "5");
        Thread.Sleep(100);
        b.Call("RPUSH", "{q2}src", "a");
        Assert.Equal("a", a.Read().Text);
        Send(a, "BLMOVE", "{q2}src", "{q2}dst", "LEFT", "LEFT", "5");
        Thread.Sleep(100);
        b.Call("RPUSH", "{q2}src", "b");
        Assert.Equal("b", a.Read().Text);
        Assert.Equal("[b, a]", a.Call("LRANGE", "{q2}dst", "0", "-1").ToString());
        Assert.Equal("[{q2}dst, a]", a.Call("BRPOP", "{q2}dst", "1").ToString());
        Send(a, "BZPOPMIN", "{q2}z", "5");
        Thread.Sleep(100);
        b.Call("ZADD", "{q2}z", "1", "one", "2", "two", "3", "three");
        Assert.Equal("[{q2}z, one, 1]", a.Read().ToString());
        Assert.Equal("[{q2}z, three, 3]", a.Call("BZPOPMAX", "{q2}z", "5").ToString());
    }

    [Fact]
    public void Timeout_Honoured()
    {
        using var a = cluster.Client();
        a.Call("DEL", "{q3}l");
        var sw = Stopwatch.StartNew();
        Assert.True(a.Call("BLPOP", "{q3}l", "0.3").IsNull);
        Assert.InRange(sw.ElapsedMilliseconds, 250, 2000);
        sw.Restart();
        Assert.True(a.Call("BRPOPLPUSH", "{q3}l", "{q3}m", "1.5").IsNull);
        Assert.InRange(sw.ElapsedMilliseconds, 1400, 3500);
        Assert.StartsWith("ERR timeout", a.Call("BLPOP", "{q3}l", "soon").Text);
        Assert.StartsWith("ERR timeout", a.Call("BLPOP", "{q3}l", "-1").Text);
    }

    [Fact]
    public void ClientDisconnect_UnblocksTheServer_NoElementLost()
    {
        var owner = cluster.Owner("{q4}");
        using (var c = cluster.Client()) c.Call("DEL", "{q4}l");
        var a = cluster.Client();
        Send(a, "BLPOP", "{q4}l", "0");
        Assert.True(PinnedCluster.Eventually(() => PinnedCluster.ClientsField(owner, "blocked_clients") == 1), "not blocked");
        a.Dispose();
        Assert.True(PinnedCluster.Eventually(() => PinnedCluster.ClientsField(owner, "blocked_clients") == 0, 3), "still blocked after the client left");
        using var b = cluster.ClientB();
        b.Call("RPUSH", "{q4}l", "kept");
        Thread.Sleep(100);
        Assert.Equal(1, b.Call("LLEN", "{q4}l").Integer);
    }

    [Fact]
    public void PipelinedAfterBlocking_AnsweredInOrder()
    {
        using var a = cluster.Client();
        using var b = cluster.ClientB();
        a.Call("DEL", "{q5}l");
        Send(a, "BLPOP", "{q5}l", "0");
        Send(a, "ECHO", "after");
        Send(a, "LLEN", "{q5}l");
        Thread.Sleep(200);
        b.Call("RPUSH", "{q5}l", "v1", "v2");
        Assert.Equal("[{q5}l, v1]", a.Read().ToString());
        Assert.Equal("after", a.Read().Text);
        Assert.Equal(1, a.Read().Integer);

        // Requests before a blocking one run before it: the push it pipelines after wakes nobody else.
        Send(a, "RPUSH", "{q5}m", "first");
        Send(a, "BLPOP", "{q5}m", "0");
        Send(a, "RPUSH", "{q5}m", "second");
        Assert.Equal(1, a.Read().Integer);
        Assert.Equal("[{q5}m, first]", a.Read().ToString());
        Assert.Equal(1, a.Read().Integer);
    }

    [Fact]
    public void KeysInTwoSlots_CrossSlot()
    {
        using var a = cluster.Client();
        Assert.StartsWith("CROSSSLOT", a.Call("BLPOP", "{qa}l", "{qb}l", "0").Text);
        Assert.StartsWith("CROSSSLOT", a.Call("BLMOVE", "{qa}l", "{qb}l", "LEFT", "RIGHT", "0").Text);
        Assert.StartsWith("ERR wrong number of arguments", a.Call("BRPOPLPUSH", "{qa}l", "0").Text);
    }

    /// <summary>
    /// The slot starts migrating (sync) while a client is blocked: within a slice the proxy moves the keys and
    /// re-blocks it on the new owner, where the push (through the migration-aware proxy) lands and wakes it.
    /// </summary>
    [Fact]
    public async Task SlotMigratingWhileBlocked_ReblockedOnNewOwner()
    {
        const string key = "{qmig}l";
        using var a = cluster.Client();
        using (var owner = cluster.Owner(key).Client()) owner.Call("RPUSH", key, "old");
        Assert.Equal("[{qmig}l, old]", a.Call("BLPOP", key, "0").ToString());
        Send(a, "BLPOP", key, "0");
        Thread.Sleep(100);
        await cluster.StartMigratingAsync(key);
        try
        {
            Assert.True(PinnedCluster.Eventually(() => PinnedCluster.ClientsField(cluster.Other(key), "blocked_clients") == 1), "not re-blocked on the new owner");
            using var pusher = cluster.Client();
            Assert.Equal(1, pusher.Call("RPUSH", key, "x").Integer);
            Assert.Equal("[{qmig}l, x]", a.Read().ToString());
            using var other = cluster.Other(key).Client();
            Assert.Equal(0, other.Call("EXISTS", key).Integer);
        }
        finally
        {
            await cluster.RestoreAsync(key);
        }
    }

    /// <summary>Semi-async migration: the blocked client gets TRYAGAIN within a slice and nothing is popped.</summary>
    [Fact]
    public async Task SlotMigratingSemiAsyncWhileBlocked_ClearErrorNoLostElement()
    {
        const string key = "{qmig2}l";
        using var a = cluster.Client();
        a.Call("DEL", key);
        Send(a, "BLPOP", key, "0");
        Thread.Sleep(100);
        await cluster.StartMigratingAsync(key, forwardMethod: 1);
        try
        {
            var sw = Stopwatch.StartNew();
            Assert.StartsWith("TRYAGAIN", a.Read().Text);
            Assert.True(sw.ElapsedMilliseconds < 3000, $"{sw.ElapsedMilliseconds} ms");
            using var owner = cluster.Owner(key).Client();
            owner.Call("RPUSH", key, "x");
            Thread.Sleep(100);
            Assert.Equal(1, owner.Call("LLEN", key).Integer);
        }
        finally
        {
            await cluster.RestoreAsync(key);
        }
        Assert.Equal("[{qmig2}l, x]", a.Call("BLPOP", key, "1").ToString());
    }
}
