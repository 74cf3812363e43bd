using System.Diagnostics;
using Codis.Core.Resp;

namespace Codis.Proxy.Tests;

/// <summary>
/// LMPOP ZMPOP BLMPOP BZMPOP, and XREAD / XREADGROUP (blocking and not), through two proxies over two groups.
/// </summary>
[Collection("pinned")]
public class StreamReadAndMultiPopTests(PinnedCluster cluster)
{
    private static void Send(RespClient c, params string[] args)
    {
        c.Send(args.Select(a => System.Text.Encoding.UTF8.GetBytes(a)).ToArray());
        c.Flush();
    }

    /// <summary>Two hash tags whose slots live in different groups.</summary>
    private (string, string) TagsInTwoGroups(string prefix)
    {
        string first = "{" + prefix + "0}";
        for (int i = 1; ; i++)
        {
            string other = "{" + prefix + i + "}";
            if (cluster.Owner(other) != cluster.Owner(first)) return (first, other);
        }
    }

    [Fact]
    public void LMPop_and_ZMPop_OneSlot_ServedAndSeenByTheOtherProxy()
    {
        using var a = cluster.Client();
        using var b = cluster.ClientB();
        a.Call("DEL", "{mp1}a", "{mp1}b", "{mp1}z");
        b.Call("RPUSH", "{mp1}b", "1", "2", "3");
        Assert.Equal("[{mp1}b, [1, 2]]", a.Call("LMPOP", "2", "{mp1}a", "{mp1}b", "LEFT", "COUNT", "2").ToString());
        Assert.Equal("[3]", b.Call("LRANGE", "{mp1}b", "0", "-1").ToString());
        Assert.True(a.Call("LMPOP", "1", "{mp1}a", "RIGHT").IsNull);
        b.Call("ZADD", "{mp1}z", "1", "x", "2", "y");
        Assert.Equal("[{mp1}z, [[y, 2], [x, 1]]]", a.Call("ZMPOP", "2", "{mp1}a", "{mp1}z", "MAX", "COUNT", "5").ToString());
        Assert.Equal(0, b.Call("EXISTS", "{mp1}z").Integer);
        // The server's own errors come back as they are.
        Assert.Equal("ERR numkeys should be greater than 0", a.Call("LMPOP", "0", "{mp1}a", "LEFT").Text);
        Assert.Equal("ERR syntax error", a.Call("ZMPOP", "1", "{mp1}a", "SIDE").Text);
        Assert.Equal("ERR count should be greater than 0", a.Call("BLMPOP", "0", "1", "{mp1}a", "LEFT", "COUNT", "0").Text);
        Assert.StartsWith("ERR wrong number of arguments", a.Call("LMPOP", "1", "{mp1}a").Text);
        b.Call("SET", "{mp1}s", "v");
        Assert.StartsWith("WRONGTYPE", a.Call("LMPOP", "2", "{mp1}s", "{mp1}b", "LEFT").Text);
    }

    [Fact]
    public void KeysInTwoSlots_CrossSlot_NothingPopped()
    {
        using var a = cluster.Client();
        a.Call("RPUSH", "{cs1}l", "keep");
        Assert.StartsWith("CROSSSLOT", a.Call("LMPOP", "2", "{cs1}l", "{cs2}l", "LEFT").Text);
        Assert.StartsWith("CROSSSLOT", a.Call("ZMPOP", "2", "{cs1}z", "{cs2}z", "MIN").Text);
        Assert.StartsWith("CROSSSLOT", a.Call("BLMPOP", "0", "2", "{cs1}l", "{cs2}l", "LEFT").Text);
        Assert.StartsWith("CROSSSLOT", a.Call("BZMPOP", "0", "2", "{cs1}z", "{cs2}z", "MAX").Text);
        Assert.StartsWith("CROSSSLOT", a.Call("XREAD", "BLOCK", "0", "STREAMS", "{cs1}s", "{cs2}s", "$", "$").Text);
        Assert.StartsWith("CROSSSLOT", a.Call("XREADGROUP", "GROUP", "g", "c", "BLOCK", "10", "STREAMS", "{cs1}s", "{cs2}s", ">", ">").Text);
        Assert.Equal(1, a.Call("LLEN", "{cs1}l").Integer);
    }

    [Fact]
    public void BLMPop_and_BZMPop_OnProxyA_WakeOnPushesThroughProxyB()
    {
        using var a = cluster.Client();
        using var b = cluster.ClientB();
        a.Call("DEL", "{bm1}l", "{bm1}other", "{bm1}z");
        Send(a, "BLMPOP", "0", "2", "{bm1}other", "{bm1}l", "RIGHT", "COUNT", "2");
        Assert.True(PinnedCluster.Eventually(() => PinnedCluster.ClientsField(cluster.Owner("{bm1}"), "blocked_clients") == 1), "not blocked");
        Thread.Sleep(1200); // past one slice
        Assert.Equal(3, b.Call("RPUSH", "{bm1}l", "a", "b", "c").Integer);
        Assert.Equal("[{bm1}l, [c, b]]", a.Read().ToString());
        Send(a, "BZMPOP", "5", "1", "{bm1}z", "MIN");
        Thread.Sleep(200);
        b.Call("ZADD", "{bm1}z", "2", "two", "1", "one");
        Assert.Equal("[{bm1}z, [[one, 1]]]", a.Read().ToString());
        var sw = Stopwatch.StartNew();
        Assert.True(a.Call("BLMPOP", "1.3", "1", "{bm1}none", "LEFT").IsNull);
        Assert.InRange(sw.ElapsedMilliseconds, 1200, 3500);
    }

    [Fact]
    public void XReadBlock_OnProxyA_WokenByXAddThroughProxyB()
    {
        using var a = cluster.Client();
        using var b = cluster.ClientB();
        a.Call("DEL", "{xr1}s");
        b.Call("XADD", "{xr1}s", "1-1", "old", "1");
        Send(a, "XREAD", "COUNT", "10", "BLOCK", "0", "STREAMS", "{xr1}s", "1-1");
        Assert.True(PinnedCluster.Eventually(() => PinnedCluster.ClientsField(cluster.Owner("{xr1}"), "blocked_clients") == 1), "not blocked");
        Thread.Sleep(1200);
        b.Call("XADD", "{xr1}s", "2-1", "new", "2");
        Assert.Equal("[[{xr1}s, [[2-1, [new, 2]]]]]", a.Read().ToString());
        var sw = Stopwatch.StartNew();
        Assert.True(a.Call("XREAD", "BLOCK", "1300", "STREAMS", "{xr1}s", "$").IsNull);
        Assert.InRange(sw.ElapsedMilliseconds, 1200, 3500);
    }

    /// <summary>
    /// "$" is pinned to the stream's last ID before the first slice: the owner sees every slice ask for entries
    /// after that ID (never "$" again, which would skip an entry added between two slices), and the entry added
    /// after 1.5 s, in the second slice, is returned.
    /// </summary>
    [Fact]
    public void XReadBlockDollar_IsResolvedBeforeTheFirstSlice_NoEntryMissed()
    {
        using var a = cluster.Client();
        using var b = cluster.ClientB();
        a.Call("DEL", "{xr2}s", "{xr2}new");
        b.Call("XADD", "{xr2}s", "5-1", "f", "v");
        using var monitor = cluster.Owner("{xr2}").Client();
        Assert.Equal("OK", monitor.Call("MONITOR").Text);
        Send(a, "XREAD", "BLOCK", "4000", "STREAMS", "{xr2}s", "{xr2}new", "$", "$");
        Thread.Sleep(1500);
        b.Call("XADD", "{xr2}new", "7-1", "late", "1");
        Assert.Equal("[[{xr2}new, [[7-1, [late, 1]]]]]", a.Read().ToString());
        var reads = new List<string>();
        var sw = Stopwatch.StartNew();
        while (reads.Count < 2 && sw.Elapsed < TimeSpan.FromSeconds(5))
        {
            string line = monitor.Read().Text!;
            if (line.Contains("\"XREAD\"", StringComparison.OrdinalIgnoreCase) && line.Contains("{xr2}")) reads.Add(line);
        }
        Assert.Equal(2, reads.Count);
        foreach (var line in reads)
        {
            Assert.DoesNotContain("\"$\"", line);
            Assert.EndsWith("\"{xr2}s\" \"{xr2}new\" \"5-1\" \"0-0\"", line); // a missing stream reads from 0-0
        }
    }

    [Fact]
    public void XReadGroup_Block_GreaterThan_DeliversToOneConsumer_AndMovesThePel()
    {
        using var a = cluster.Client();
        using var b = cluster.ClientB();
        a.Call("DEL", "{xg1}s");
        Assert.Equal("OK", a.Call("XGROUP", "CREATE", "{xg1}s", "g", "$", "MKSTREAM").Text);
        Send(a, "XREADGROUP", "GROUP", "g", "alice", "COUNT", "5", "BLOCK", "5000", "STREAMS", "{xg1}s", ">");
        Assert.True(PinnedCluster.Eventually(() => PinnedCluster.ClientsField(cluster.Owner("{xg1}"), "blocked_clients") == 1), "not blocked");
        Thread.Sleep(1200);
        b.Call("XADD", "{xg1}s", "3-1", "job", "1");
        Assert.Equal("[[{xg1}s, [[3-1, [job, 1]]]]]", a.Read().ToString());
        // Delivered once: another consumer gets nothing new, and alice's pending list holds it (on the master).
        Assert.True(b.Call("XREADGROUP", "GROUP", "g", "bob", "STREAMS", "{xg1}s", ">").IsNull);
        Assert.Equal("[(integer) 1, 3-1, 3-1, [[alice, 1]]]", b.Call("XPENDING", "{xg1}s", "g").ToString());
        Assert.Equal("[[{xg1}s, [[3-1, [job, 1]]]]]", a.Call("XREADGROUP", "GROUP", "g", "alice", "STREAMS", "{xg1}s", "0").ToString());
        Assert.Equal(1, b.Call("XACK", "{xg1}s", "g", "3-1").Integer);
        Assert.StartsWith("NOGROUP", a.Call("XREADGROUP", "GROUP", "nogroup", "c", "BLOCK", "10", "STREAMS", "{xg1}s", ">").Text);
    }

    [Fact]
    public void XRead_WithoutBlock_OverTwoGroups_IsSplitAndMergedInKeyOrder_XReadGroupRefused()
    {
        var (t1, t2) = TagsInTwoGroups("xs");
        string s1 = t1 + "s", s2 = t2 + "s", missing = t1 + "missing", s3 = t2 + "t";
        using var a = cluster.Client();
        using var b = cluster.ClientB();
        a.Call("DEL", s1, s2, s3, missing);
        b.Call("XADD", s1, "1-1", "a", "1");
        b.Call("XADD", s1, "1-2", "a", "2");
        b.Call("XADD", s2, "2-1", "b", "1");
        b.Call("XADD", s3, "3-1", "c", "1");
        Assert.Equal($"[[{s2}, [[2-1, [b, 1]]]], [{s1}, [[1-1, [a, 1]]]], [{s3}, [[3-1, [c, 1]]]]]",
            a.Call("XREAD", "COUNT", "1", "STREAMS", s2, missing, s1, s3, "0", "0", "0", "0").ToString());
        Assert.Equal($"[[{s1}, [[1-2, [a, 2]]]]]", a.Call("XREAD", "STREAMS", s2, s1, "2-1", "1-1").ToString());
        Assert.True(a.Call("XREAD", "STREAMS", s1, s2, "$", "$").IsNull);
        // XREADGROUP moves pending lists: over two slots it is refused before anything is delivered.
        a.Call("XGROUP", "CREATE", s1, "g", "0");
        Assert.StartsWith("CROSSSLOT", a.Call("XREADGROUP", "GROUP", "g", "c", "STREAMS", s1, s2, ">", ">").Text);
        Assert.Equal("[(integer) 0, (nil), (nil), (nil)]", b.Call("XPENDING", s1, "g").ToString());
        Assert.StartsWith("ERR Unbalanced", a.Call("XREAD", "STREAMS", s1, s2, "0").Text);
    }

    [Fact]
    public void InsideMulti_TheyRunWithoutBlocking()
    {
        using var a = cluster.Client();
        a.Call("DEL", "{mx}l", "{mx}s");
        a.Call("MULTI");
        Assert.Equal("QUEUED", a.Call("RPUSH", "{mx}l", "1").Text);
        Assert.Equal("QUEUED", a.Call("BLMPOP", "0", "1", "{mx}l", "LEFT").Text);
        Assert.Equal("QUEUED", a.Call("XREAD", "BLOCK", "0", "STREAMS", "{mx}s", "$").Text);
        Assert.Equal("[(integer) 1, [{mx}l, [1]], (nil)]", a.Call("EXEC").ToString());
    }

    /// <summary>LMPOP and BLMPOP while their slot migrates semi-async: keys the old owner still has are popped there.</summary>
    [Fact]
    public async Task MultiPops_WhileTheSlotMigratesSemiAsync()
    {
        const string key = "{mpmig}l";
        using var a = cluster.Client();
        a.Call("DEL", key, "{mpmig}z");
        await cluster.StartMigratingAsync(key, forwardMethod: 1);
        try
        {
            using var old = cluster.Owner(key).Client();
            old.Call("RPUSH", key, "1", "2", "3");
            Assert.Equal("[{mpmig}l, [1, 2]]", a.Call("LMPOP", "2", "{mpmig}none", key, "LEFT", "COUNT", "2").ToString());
            Assert.Equal("[{mpmig}l, [3]]", a.Call("BLMPOP", "0", "1", key, "RIGHT", "COUNT", "9").ToString());
            old.Call("ZADD", "{mpmig}z", "1", "m", "2", "n");
            Assert.Equal("[{mpmig}z, [[n, 2], [m, 1]]]", a.Call("ZMPOP", "1", "{mpmig}z", "MAX", "COUNT", "2").ToString());
            Assert.Equal(0, old.Call("EXISTS", key, "{mpmig}z").Integer);
            Send(a, "BLMPOP", "0", "1", key, "LEFT");
            Assert.True(PinnedCluster.Eventually(() => PinnedCluster.ClientsField(cluster.Other(key), "blocked_clients") == 1), "not blocked on the new owner");
            using var pusher = cluster.Client();
            pusher.Call("RPUSH", key, "x");
            Assert.Equal("[{mpmig}l, [x]]", a.Read().ToString());
        }
        finally
        {
            await cluster.RestoreAsync(key);
        }
    }

    [Fact]
    public void SameSlotWrites_RenameCopyMsetnxBitopMove_ServedOrCrossSlot()
    {
        using var a = cluster.Client();
        using var b = cluster.ClientB();
        a.Call("DEL", "{rn}a", "{rn}b", "{rn}c", "{rn}d", "{rn}r");
        a.Call("SET", "{rn}a", "1");
        Assert.Equal("OK", a.Call("RENAME", "{rn}a", "{rn}b").Text);
        Assert.Equal("1", b.Call("GET", "{rn}b").Text);
        Assert.Equal(1, a.Call("COPY", "{rn}b", "{rn}c").Integer);
        Assert.Equal(0, a.Call("RENAMENX", "{rn}b", "{rn}c").Integer);
        Assert.Equal(0, a.Call("MSETNX", "{rn}c", "x", "{rn}d", "y").Integer);
        Assert.Equal(1, a.Call("BITOP", "OR", "{rn}d", "{rn}b", "{rn}c").Integer);
        Assert.Equal("ERR no such key", a.Call("RENAME", "{rn}none", "{rn}x").Text);
        Assert.StartsWith("CROSSSLOT", a.Call("RENAME", "{rn}b", "{rn2}b").Text);
        Assert.StartsWith("CROSSSLOT", a.Call("MSETNX", "{rn}e", "1", "{rn2}e", "2").Text);
        Assert.StartsWith("CROSSSLOT", a.Call("BITOP", "AND", "{rn}d", "{rn2}b").Text);
        Assert.Equal(0, b.Call("EXISTS", "{rn}e", "{rn2}e").Integer);
        Assert.Equal(1, a.Call("MOVE", "{rn}d", "1").Integer);
        a.Call("SELECT", "1");
        Assert.Equal("1", a.Call("GET", "{rn}d").Text);
        a.Call("DEL", "{rn}d");
        a.Call("SELECT", "0");
        Assert.Contains("command 'MIGRATE' is not allowed", a.Call("MIGRATE", "h", "1", "{rn}b", "0", "0").Text);
        // RESTORE and OBJECT have one key each: routed by it.
        var payload = a.Call("DUMP", "{rn}b").Bytes!;
        Assert.Equal("OK", a.Call([.. new[] { "RESTORE", "{rn}r", "0" }.Select(System.Text.Encoding.UTF8.GetBytes), payload]).Text);
        Assert.Equal("1", b.Call("GET", "{rn}r").Text);
        Assert.Equal("int", b.Call("OBJECT", "ENCODING", "{rn}r").Text);
    }

    /// <summary>
    /// The slot starts migrating (sync) while XREAD BLOCK waits with "$": within a slice the proxy moves the stream
    /// to the new owner and blocks there, after the ID it resolved at the start, so the XADD is not missed.
    /// </summary>
    [Fact]
    public async Task XReadBlock_SlotMigratingSync_ReblockedOnTheNewOwner()
    {
        const string key = "{xmig}s";
        using var a = cluster.Client();
        a.Call("DEL", key);
        a.Call("XADD", key, "1-1", "before", "1");
        Send(a, "XREAD", "BLOCK", "0", "STREAMS", key, "$");
        Assert.True(PinnedCluster.Eventually(() => PinnedCluster.ClientsField(cluster.Owner(key), "blocked_clients") == 1), "not blocked");
        await cluster.StartMigratingAsync(key);
        try
        {
            Assert.True(PinnedCluster.Eventually(() => PinnedCluster.ClientsField(cluster.Other(key), "blocked_clients") == 1), "not re-blocked on the new owner");
            using var other = cluster.Other(key).Client();
            Assert.Equal(1, other.Call("XLEN", key).Integer); // the stream moved with its entry
            using var writer = cluster.Client();
            writer.Call("XADD", key, "2-1", "after", "1");
            Assert.Equal($"[[{key}, [[2-1, [after, 1]]]]]", a.Read().ToString());
        }
        finally
        {
            using (var other = cluster.Other(key).Client()) other.Call("DEL", key);
            await cluster.RestoreAsync(key);
        }
    }
}
