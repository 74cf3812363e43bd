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

    /// <summary>
    /// Semi-async migration: what the old owner still has is popped there (through EXEC-WRAPPER); then the client
    /// is re-blocked on the new owner and woken by a push through the migration-aware proxy.
    /// </summary>
    [Fact]
    public async Task SlotMigratingSemiAsync_PopsFromOldOwnerThenBlocksOnNewOwner()
    {
        const string key = "{qmig2}l", dst = "{qmig2}d";
        using var a = cluster.Client();
        a.Call("DEL", key, dst);
        Send(a, "BLPOP", key, "0");
        Thread.Sleep(100);
        await cluster.StartMigratingAsync(key, forwardMethod: 1);
        try
        {
            Assert.True(PinnedCluster.Eventually(() => PinnedCluster.ClientsField(cluster.Other(key), "blocked_clients") == 1), "not re-blocked on the new owner");
            using var pusher = cluster.Client();
            Assert.Equal(1, pusher.Call("RPUSH", key, "x").Integer);
            Assert.Equal("[{qmig2}l, x]", a.Read().ToString());

            // A key the old owner still holds is popped there.
            using var old = cluster.Owner(key).Client();
            old.Call("RPUSH", key, "src1", "src2");
            Assert.Equal("[{qmig2}l, src1]", a.Call("BLPOP", key, "0").ToString());
            Assert.Equal("[{qmig2}l, src2]", a.Call("BRPOP", "{qmig2}other", key, "0").ToString());
            Assert.Equal(0, old.Call("EXISTS", key).Integer);
            // The first key with elements wins, wherever it is: here the new owner's, before the old one's.
            using (var fresh = cluster.Other(key).Client()) fresh.Call("RPUSH", "{qmig2}first", "new");
            old.Call("RPUSH", "{qmig2}second", "old");
            Assert.Equal("[{qmig2}first, new]", a.Call("BLPOP", "{qmig2}first", "{qmig2}second", "0").ToString());
            Assert.Equal("[{qmig2}second, old]", a.Call("BLPOP", "{qmig2}first", "{qmig2}second", "0").ToString());
            old.Call("ZADD", "{qmig2}z", "1", "m");
            Assert.Equal("[{qmig2}z, m, 1]", a.Call("BZPOPMIN", "{qmig2}z", "0").ToString());
            // A move whose source is still on the old owner is not done half-way.
            old.Call("RPUSH", key, "stay");
            Assert.StartsWith("TRYAGAIN", a.Call("BRPOPLPUSH", key, dst, "0").Text);
            Assert.Equal(1, old.Call("LLEN", key).Integer);
            old.Call("DEL", key);
        }
        finally
        {
            await cluster.RestoreAsync(key);
        }
    }
}
