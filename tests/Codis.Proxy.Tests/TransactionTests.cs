using Codis.Core.Resp;
using StackExchange.Redis;

namespace Codis.Proxy.Tests;

/// <summary>MULTI/EXEC/DISCARD/WATCH through two proxies over two groups.</summary>
[Collection("pinned")]
public class TransactionTests(PinnedCluster cluster)
{
    private static void Ok(RespValue r) => Assert.True(r.Text == "OK", r.ToString());
    private static void Queued(RespValue r) => Assert.True(r.Text == "QUEUED", r.ToString());

    /// <summary>Transactions of two INCRs commit together: a reader through the other proxy never sees one without the other.</summary>
    [Fact]
    public async Task TransactionOnOneTag_CommitsAtomically()
    {
        using (var c = cluster.Client()) c.Call("DEL", "{user1}:a", "{user1}:b");
        using var stop = new CancellationTokenSource();
        var torn = new List<string>();
        int reads = 0;
        var reader = Task.Run(() =>
        {
            using var b = cluster.ClientB();
            while (!stop.IsCancellationRequested)
            {
                var v = b.Call("MGET", "{user1}:a", "{user1}:b");
                if (v.Items![0].Text != v.Items[1].Text) lock (torn) torn.Add(v.ToString());
                Interlocked.Increment(ref reads);
            }
        });
        int n = 0;
        using (var a = cluster.Client())
        {
            // At least 300 transactions, and on until the reader looked 50 times in between.
            for (int i = 1; i <= 300 || (Volatile.Read(ref reads) < 50 && i < 20_000); i++)
            {
                n = i;
                Ok(a.Call("MULTI"));
                Queued(a.Call("INCR", "{user1}:a"));
                Queued(a.Call("INCR", "{user1}:b"));
                var exec = a.Call("EXEC");
                Assert.Equal([i, i], exec.Items!.Select(x => x.Integer));
            }
        }
        stop.Cancel();
        await reader;
        Assert.Empty(torn);
        Assert.True(reads >= 50, $"only {reads} reads");
        using var owner = cluster.Owner("{user1}").Client();
        Assert.Equal(n.ToString(), owner.Call("GET", "{user1}:b").Text);
    }

    /// <summary>Pipelined, SE.Redis-style: MULTI, commands and EXEC in one write, and two transactions in a row.</summary>
    [Fact]
    public void PipelinedTransactions_AnsweredInOrder()
    {
        using var a = cluster.Client();
        a.Send(["MULTI".Bytes()]);
        a.Send(["SET".Bytes(), "{p1}k".Bytes(), "1".Bytes()]);
        a.Send(["PING".Bytes()]);
        a.Send(["EXEC".Bytes()]);
        a.Send(["MULTI".Bytes()]);
        a.Send(["INCR".Bytes(), "{p1}k".Bytes()]);
        a.Send(["EXEC".Bytes()]);
        a.Send(["GET".Bytes(), "{p1}k".Bytes()]);
        a.Flush();
        Ok(a.Read());
        Queued(a.Read());
        Queued(a.Read());
        Assert.Equal("[OK, PONG]", a.Read().ToString());
        Ok(a.Read());
        Queued(a.Read());
        Assert.Equal(2, a.Read().Items![0].Integer);
        Assert.Equal("2", a.Read().Text);
    }

    /// <summary>A pipeline mixing pooled requests and WATCH/EXEC keeps its order (the pooled SET after WATCH dirties it).</summary>
    [Fact]
    public void PipelinedWriteAfterWatch_SeenByTheWatch()
    {
        using var a = cluster.Client();
        a.Send(["SET".Bytes(), "{p2}k".Bytes(), "0".Bytes()]);
        a.Send(["WATCH".Bytes(), "{p2}k".Bytes()]);
        a.Send(["SET".Bytes(), "{p2}k".Bytes(), "1".Bytes()]);
        a.Send(["MULTI".Bytes()]);
        a.Send(["SET".Bytes(), "{p2}k".Bytes(), "2".Bytes()]);
        a.Send(["EXEC".Bytes()]);
        a.Send(["GET".Bytes(), "{p2}k".Bytes()]);
        a.Flush();
        for (int i = 0; i < 4; i++) Ok(a.Read());
        Queued(a.Read());
        Assert.True(a.Read().IsNull);
        Assert.Equal("1", a.Read().Text);
    }

    [Fact]
    public void WatchedKeyChangedThroughOtherProxy_ExecReturnsNil()
    {
        using var a = cluster.Client();
        using var b = cluster.ClientB();
        Ok(a.Call("SET", "{user2}:k", "0"));
        Ok(a.Call("WATCH", "{user2}:k"));
        Assert.Equal("0", a.Call("GET", "{user2}:k").Text);
        Ok(b.Call("SET", "{user2}:k", "other"));
        Ok(a.Call("MULTI"));
        Queued(a.Call("SET", "{user2}:k", "mine"));
        Assert.True(a.Call("EXEC").IsNull);
        Assert.Equal("other", a.Call("GET", "{user2}:k").Text);

        // Unchanged: it commits; UNWATCH forgets the watch.
        Ok(a.Call("WATCH", "{user2}:k"));
        Ok(a.Call("MULTI"));
        Queued(a.Call("SET", "{user2}:k", "mine"));
        Assert.Equal("[OK]", a.Call("EXEC").ToString());
        Ok(a.Call("WATCH", "{user2}:k"));
        Ok(a.Call("UNWATCH"));
        Ok(b.Call("SET", "{user2}:k", "again"));
        Ok(a.Call("MULTI"));
        Queued(a.Call("GET", "{user2}:k"));
        Assert.Equal("[again]", a.Call("EXEC").ToString());
    }

    [Fact]
    public void TransactionSpanningSlots_RefusedWithCrossSlot_NothingRuns()
    {
        using var a = cluster.Client();
        a.Call("DEL", "{ta}k", "{tb}k");
        Ok(a.Call("MULTI"));
        Queued(a.Call("SET", "{ta}k", "1"));
        var cross = a.Call("SET", "{tb}k", "1");
        Assert.Equal("CROSSSLOT Keys in request don't hash to the same slot", cross.Text);
        var mset = a.Call("MSET", "{ta}x", "1", "{tb}y", "2");
        Assert.StartsWith("CROSSSLOT", mset.Text);
        Assert.StartsWith("EXECABORT", a.Call("EXEC").Text);
        Assert.Equal(0, a.Call("EXISTS", "{ta}k").Integer);
        Assert.Equal(0, a.Call("EXISTS", "{tb}k").Integer);
        Assert.StartsWith("CROSSSLOT", a.Call("WATCH", "{ta}k", "{tb}k").Text);
        // A WATCH decides the slot for the transaction that follows.
        Ok(a.Call("WATCH", "{ta}k"));
        Ok(a.Call("MULTI"));
        Assert.StartsWith("CROSSSLOT", a.Call("GET", "{tb}k").Text);
        Assert.StartsWith("EXECABORT", a.Call("EXEC").Text);
    }

    /// <summary>
    /// GEO searches through the proxy: the STORE/STOREDIST destinations are keys (a destination in another slot is
    /// CROSSSLOT inside MULTI), a member or unit that happens to read "STORE" is not, and GEOSEARCHSTORE has two.
    /// </summary>
    [Fact]
    public void GeoStoreDestinations_AreKeys_InsideMulti()
    {
        using var a = cluster.Client();
        a.Call("DEL", "{tg}k", "{tg}d", "{tg}STORE");
        Assert.Equal(2, a.Call("GEOADD", "{tg}k", "13.361389", "38.115556", "STORE", "15.087269", "37.502669", "Catania").Integer);
        Ok(a.Call("MULTI"));
        Queued(a.Call("GEORADIUSBYMEMBER", "{tg}k", "STORE", "200", "km", "STORE", "{tg}d"));
        Assert.StartsWith("CROSSSLOT", a.Call("GEORADIUS", "{tg}k", "15", "37", "200", "km", "STOREDIST", "{tgx}d").Text);
        Assert.StartsWith("CROSSSLOT", a.Call("GEORADIUSBYMEMBER", "{tg}k", "STORE", "200", "km", "STORE", "{tg}d", "STORE", "{tgx}d").Text);
        Assert.StartsWith("CROSSSLOT", a.Call("GEOSEARCHSTORE", "{tgx}d", "{tg}k", "FROMMEMBER", "STORE", "BYRADIUS", "200", "km").Text);
        Assert.StartsWith("EXECABORT", a.Call("EXEC").Text);
        Ok(a.Call("MULTI"));
        Queued(a.Call("GEORADIUSBYMEMBER", "{tg}k", "STORE", "200", "km", "STORE", "{tg}d"));
        Queued(a.Call("GEOSEARCHSTORE", "{tg}d2", "{tg}k", "FROMMEMBER", "STORE", "BYRADIUS", "200", "km", "STOREDIST"));
        Queued(a.Call("ZRANGE", "{tg}d", "0", "-1"));
        Assert.Equal("[(integer) 2, (integer) 2, [STORE, Catania]]", a.Call("EXEC").ToString());
    }

    [Fact]
    public void QueueTimeErrors_ExecAbort()
    {
        using var a = cluster.Client();
        a.Call("DEL", "{u3}k");
        Ok(a.Call("MULTI"));
        Queued(a.Call("SET", "{u3}k", "v"));
        Assert.StartsWith("ERR wrong number of arguments", a.Call("GET", "{u3}k", "extra").Text);
        Assert.StartsWith("EXECABORT", a.Call("EXEC").Text);
        Assert.Equal(0, a.Call("EXISTS", "{u3}k").Integer);

        Ok(a.Call("MULTI"));
        Queued(a.Call("SET", "{u3}k", "v"));
        Assert.Contains("not allowed", a.Call("MIGRATE", "h", "1", "{u3}k", "0", "0").Text);
        Assert.Contains("inside MULTI is not supported", a.Call("KEYS", "*").Text);
        Assert.Contains("inside MULTI is not supported", a.Call("SELECT", "1").Text);
        Assert.StartsWith("EXECABORT", a.Call("EXEC").Text);
        Assert.Equal(0, a.Call("EXISTS", "{u3}k").Integer);

        Ok(a.Call("MULTI"));
        Assert.Equal("ERR MULTI calls can not be nested", a.Call("MULTI").Text);
        Queued(a.Call("SET", "{u3}k", "v"));
        Ok(a.Call("DISCARD"));
        Assert.Equal(0, a.Call("EXISTS", "{u3}k").Integer);
        Assert.Equal("ERR EXEC without MULTI", a.Call("EXEC").Text);
        Assert.Equal("ERR DISCARD without MULTI", a.Call("DISCARD").Text);
    }

    [Fact]
    public void KeylessCommandsInsideMulti_Work()
    {
        using var a = cluster.Client();
        Ok(a.Call("MULTI"));
        Queued(a.Call("PING"));
        Queued(a.Call("ECHO", "hi"));
        Assert.Equal("[PONG, hi]", a.Call("EXEC").ToString());
        Ok(a.Call("MULTI"));
        Queued(a.Call("PING"));
        Queued(a.Call("SET", "{u4}k", "v"));
        Queued(a.Call("ECHO", "x"));
        Assert.Equal("[PONG, OK, x]", a.Call("EXEC").ToString());
        // A keyless script needs a key before it to pick the server; after one it runs there.
        Ok(a.Call("MULTI"));
        Assert.Contains("must follow a command with a key", a.Call("EVAL", "return 1", "0").Text);
        Assert.StartsWith("EXECABORT", a.Call("EXEC").Text);
        Ok(a.Call("MULTI"));
        Queued(a.Call("SET", "{u4}k", "v"));
        Queued(a.Call("EVAL", "return 7", "0"));
        Assert.Equal("[OK, (integer) 7]", a.Call("EXEC").ToString());
    }

    /// <summary>The slot starts migrating between the queued commands and EXEC: EXEC is refused and nothing ran anywhere.</summary>
    [Fact]
    public async Task SlotStartsMigratingDuringTransaction_ExecAbortsCleanly()
    {
        const string key = "{txmig}k";
        using var a = cluster.Client();
        a.Call("DEL", key);
        Ok(a.Call("MULTI"));
        Queued(a.Call("SET", key, "1"));
        await cluster.StartMigratingAsync(key);
        try
        {
            Queued(a.Call("INCR", key));
            var exec = a.Call("EXEC");
            Assert.StartsWith("TRYAGAIN", exec.Text);
            using (var owner = cluster.Owner(key).Client()) Assert.Equal(0, owner.Call("EXISTS", key).Integer);
            using (var other = cluster.Other(key).Client()) Assert.Equal(0, other.Call("EXISTS", key).Integer);
            // While it migrates, a new transaction on it is refused at its first key.
            Ok(a.Call("MULTI"));
            Assert.StartsWith("TRYAGAIN", a.Call("SET", key, "1").Text);
            Assert.StartsWith("EXECABORT", a.Call("EXEC").Text);
        }
        finally
        {
            await cluster.RestoreAsync(key);
        }
        Ok(a.Call("MULTI"));
        Queued(a.Call("SET", key, "1"));
        Assert.Equal("[OK]", a.Call("EXEC").ToString());
    }

    [Fact]
    public void DisconnectMidMulti_ReleasesPinnedConnection()
    {
        var owner = cluster.Owner("{u5}");
        using (var a = cluster.Client()) a.Call("DEL", "{u5}k");
        var c = cluster.Client();
        Ok(c.Call("MULTI"));
        Queued(c.Call("SET", "{u5}k", "v"));
        Assert.Equal(1, InMulti(owner));
        c.Dispose();
        Assert.True(PinnedCluster.Eventually(() => InMulti(owner) == 0), "pinned connection not released");
        using var b = cluster.Client();
        Assert.Equal(0, b.Call("EXISTS", "{u5}k").Integer);
    }

    /// <summary>Connections of the server in MULTI (CLIENT LIST flags=x).</summary>
    private static int InMulti(Codis.Testing.CodisServerProcess server)
    {
        using var c = server.Client();
        return c.Call("CLIENT", "LIST").Text!.Split('\n').Count(l => System.Text.RegularExpressions.Regex.IsMatch(l, @"\bflags=[A-Za-z]*x"));
    }

    [Fact]
    public async Task StackExchangeTransactionsWithConditions_WorkThroughProxy()
    {
        using var mux = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{cluster.Proxy.Port}");
        var db = mux.GetDatabase();
        await db.KeyDeleteAsync(["{se1}k", "{se1}h"]);
        var t = db.CreateTransaction();
        t.AddCondition(Condition.KeyNotExists("{se1}k"));
        _ = t.StringSetAsync("{se1}k", "1");
        _ = t.HashSetAsync("{se1}h", "f", "v");
        Assert.True(await t.ExecuteAsync());
        Assert.Equal("1", (string?)await db.StringGetAsync("{se1}k"));

        var again = db.CreateTransaction();
        again.AddCondition(Condition.KeyNotExists("{se1}k"));
        _ = again.StringSetAsync("{se1}k", "2");
        Assert.False(await again.ExecuteAsync());
        Assert.Equal("1", (string?)await db.StringGetAsync("{se1}k"));

        var eq = db.CreateTransaction();
        eq.AddCondition(Condition.HashEqual("{se1}h", "f", "v"));
        var incr = eq.StringIncrementAsync("{se1}k");
        Assert.True(await eq.ExecuteAsync());
        Assert.Equal(2, await incr);
    }
}

internal static class TestBytes
{
    public static byte[] Bytes(this string s) => System.Text.Encoding.UTF8.GetBytes(s);
}
