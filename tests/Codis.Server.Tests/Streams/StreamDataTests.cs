using Codis.Core.Resp;
using Codis.Server.Tests.Infrastructure;
using Codis.Testing;
using static Codis.Server.Tests.Durability.PersistenceHelpers;

namespace Codis.Server.Tests.Streams;

/// <summary>
/// A stream with consumer groups, PELs and consumers travels everywhere a value goes, between our server and
/// Debian's redis-server 7.0: RDB files both ways (and redis-check-rdb), DUMP/RESTORE both ways, AOF replay
/// after a crash and after a rewrite, replication to our replica and to redis-server's, slot migration.
/// "Same" means the same XINFO STREAM FULL (Redis's internal radix node count aside).
/// </summary>
public class StreamDataTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    /// <summary>Builds stream <paramref name="key"/>: 300 entries over several nodes, deletions, a trim, two groups, PELs, consumers.</summary>
    internal static void Build(RespClient c, string key)
    {
        c.Call("DEL", key);
        for (int i = 1; i <= 300; i++)
        {
            var r = i % 7 == 0
                ? c.Call("XADD", key, $"{i}-1", "other", i, "extra", new string('x', i % 50))
                : c.Call("XADD", key, $"{i}-1", "name", "n" + i, "n", i);
            Assert.Equal($"{i}-1", r.Text);
        }
        Assert.Equal(3, c.Call("XDEL", key, "5-1", "150-1", "299-1").AssertInt());
        Assert.True(c.Call("XTRIM", key, "MAXLEN", "~", "150").AssertInt() > 0);
        c.Call("XGROUP", "CREATE", key, "g1", "0").AssertOk();
        c.Call("XGROUP", "CREATE", key, "g2", "$", "ENTRIESREAD", "297").AssertOk();
        Assert.Equal(5, c.Call("XREADGROUP", "GROUP", "g1", "alice", "COUNT", "5", "STREAMS", key, ">").Items![0].Items![1].Items!.Length);
        Assert.Equal(3, c.Call("XREADGROUP", "GROUP", "g1", "bob", "COUNT", "3", "STREAMS", key, ">").Items![0].Items![1].Items!.Length);
        c.Call("XREADGROUP", "GROUP", "g1", "carol", "NOACK", "COUNT", "2", "STREAMS", key, ">");
        var firstPending = c.Call("XPENDING", key, "g1", "-", "+", "1").Items![0].Items![0].Text!;
        Assert.Equal(1, c.Call("XACK", key, "g1", firstPending).AssertInt());
        Assert.Single(c.Call("XCLAIM", key, "g1", "dave", "0", c.Call("XPENDING", key, "g1", "-", "+", "1").Items![0].Items![0].Text!, "JUSTID").Items!);
        Assert.Equal(1, c.Call("XGROUP", "CREATECONSUMER", key, "g1", "erin").AssertInt());
        Assert.Equal(7, c.Call("XPENDING", key, "g1").Items![0].AssertInt());
    }

    internal static string Full(RespClient c, string key, bool times = false) =>
        StreamPeers.Norm(c.Call("XINFO", "STREAM", key, "FULL", "COUNT", "0"), times: times);

    [Fact]
    public void Rdb_from_redis_loads_into_ours_and_ours_loads_into_redis_and_passes_redis_check_rdb()
    {
        using var redis = RedisServerProcess.Start();
        using var rc = redis.Client();
        Build(rc, "st");
        string expected = Full(rc, "st");
        rc.Call("SAVE").AssertOk();

        string dir = Directory.CreateTempSubdirectory("codis-stream-rdb-").FullName;
        File.Copy(Path.Combine(redis.DataDir, "dump.rdb"), Path.Combine(dir, "dump.rdb"));
        using (var ours = CodisServerProcess.StartIn(dir, "--save", ""))
        {
            using var c = ours.Client();
            Assert.Equal(expected, Full(c, "st"));
            Assert.Equal("stream", c.Call("TYPE", "st").Text);
            c.Call("SAVE").AssertOk();
        }
        var (exit, output) = Run("redis-check-rdb", Path.Combine(dir, "dump.rdb"));
        Assert.True(exit == 0, output);
        using var back = RedisServerProcess.Start("--dir", dir);
        using var bc = back.Client();
        Eventually.True(() => bc.Call("DBSIZE").Integer == 1, Patience, "redis-server to load our file");
        Assert.Equal(expected, Full(bc, "st"));
    }

    [Fact]
    public void Dump_restore_round_trips_both_ways()
    {
        using var redis = RedisServerProcess.Start();
        using var ours = CodisServerProcess.Start("--save", "");
        using var rc = redis.Client();
        using var c = ours.Client();
        Build(rc, "st");
        string expected = Full(rc, "st");
        var payload = rc.Call("DUMP", "st").Bytes!;
        c.Call(B("RESTORE"), B("st"), B("0"), payload).AssertOk();
        Assert.Equal(expected, Full(c, "st"));
        Assert.Equal("stream", c.Call("OBJECT", "ENCODING", "st").Text);
        var ourPayload = c.Call("DUMP", "st").Bytes!;
        rc.Call(B("RESTORE"), B("st2"), B("0"), ourPayload).AssertOk();
        Assert.Equal(expected, Full(rc, "st2"));

        // A stream built by our commands goes to Redis and back the same.
        Build(c, "mine");
        string mine = Full(c, "mine");
        rc.Call(B("RESTORE"), B("mine"), B("0"), c.Call("DUMP", "mine").Bytes!).AssertOk();
        Assert.Equal(mine, Full(rc, "mine"));
        c.Call(B("RESTORE"), B("mine2"), B("0"), rc.Call("DUMP", "mine").Bytes!).AssertOk();
        Assert.Equal(mine, Full(c, "mine2"));
        // Corrupt payloads are refused, nothing stored.
        ourPayload[5] ^= 0xff;
        Assert.StartsWith("ERR DUMP payload version or checksum are wrong", c.Call(B("RESTORE"), B("bad"), B("0"), ourPayload).Text);
    }

    [Fact]
    public void Aof_replays_stream_commands_after_a_crash_and_after_a_rewrite()
    {
        string dir = Directory.CreateTempSubdirectory("codis-stream-aof-").FullName;
        string expected;
        using (var s = CodisServerProcess.StartIn(dir, "--save", "", "--appendonly", "yes", "--appendfsync", "always"))
        {
            using var c = s.Client();
            Build(c, "st");
            c.Call("XADD", "st", "MAXLEN", "~", "100", "400-*", "f", "v"); // propagated with the exact length
            c.Call("XSETID", "st", "500-0", "ENTRIESADDED", "400", "MAXDELETEDID", "300-1").AssertOk();
            expected = Full(c, "st", times: true);
            s.Kill();
        }
        using (var s = CodisServerProcess.StartIn(dir, "--save", "", "--appendonly", "yes"))
        {
            using var c = s.Client();
            Assert.Equal(expected, Full(c, "st", times: true));
            c.Call("BGREWRITEAOF");
            Eventually.True(() => ReplicationTestsInfo(c)["aof_rewrite_in_progress"] == "0" && ReplicationTestsInfo(c)["aof_rewrites"] == "1", Patience, "the rewrite");
            c.Call("XACK", "st", "g1", c.Call("XPENDING", "st", "g1", "-", "+", "1").Items![0].Items![0].Text!);
            expected = Full(c, "st", times: true);
        }
        using (var s = CodisServerProcess.StartIn(dir, "--save", "", "--appendonly", "yes"))
        {
            using var c = s.Client();
            Assert.Equal(expected, Full(c, "st", times: true));
        }
    }

    private static Dictionary<string, string> ReplicationTestsInfo(RespClient c) => Replicas.ReplicationTests.Info(c, "persistence");

    [Fact]
    public void Replicas_ours_and_redis_receive_streams_by_full_sync_and_by_the_command_stream()
    {
        using var master = CodisServerProcess.Start("--save", "");
        using var m = master.Client();
        Build(m, "before");
        using var ours = CodisServerProcess.Start("--save", "", "--replicaof", $"127.0.0.1 {master.Port}");
        using var redis = RedisServerProcess.Start("--replicaof", "127.0.0.1", master.Port.ToString());
        using var oc = ours.Client();
        using var rc = redis.Client();
        Replicas.ReplicationTests.WaitLinkUp(oc);
        Replicas.ReplicationTests.WaitLinkUp(rc);
        Build(m, "after");
        // A blocked group reader served by a later XADD propagates what it delivered.
        using var blocked = master.Client();
        blocked.Send([B("XREADGROUP"), B("GROUP"), B("g2"), B("zed"), B("BLOCK"), B("0"), B("STREAMS"), B("after"), B(">")]);
        blocked.Flush();
        Thread.Sleep(200);
        m.Call("XADD", "after", "1000-0", "late", "1");
        Assert.Equal("after", blocked.Read().Items![0].Items![0].Text);
        m.Call("XAUTOCLAIM", "after", "g1", "frank", "0", "0", "COUNT", "2");
        m.Call("XADD", "after", "*", "auto", "id"); // goes out with the ID it got
        // A served blocked list pop propagates too (as its LPOP), so the replicas do not keep the element.
        blocked.Send([B("BLPOP"), B("list"), B("0")]);
        blocked.Flush();
        Thread.Sleep(200);
        m.Call("RPUSH", "list", "x", "y");
        Assert.Equal("x", blocked.Read().Items![1].Text);
        foreach (var key in new[] { "before", "after" })
        {
            string expected = Full(m, key, times: true);
            Eventually.True(() => Full(oc, key, times: true) == expected, Patience, "our replica to have " + key);
            Eventually.True(() => Full(rc, key, times: true) == expected, Patience, "redis-server's replica to have " + key);
        }
        Eventually.True(() => oc.Call("LRANGE", "list", "0", "-1").ToString() == "[y]" && rc.Call("LRANGE", "list", "0", "-1").ToString() == "[y]",
            Patience, "the replicas to apply the served BLPOP");
        // Delivery times travel with the XCLAIMs: the group PELs match to the millisecond.
        Assert.Equal(GroupPels(m, "after"), GroupPels(oc, "after"));
        Assert.Equal(GroupPels(m, "after"), GroupPels(rc, "after"));
    }

    [Fact]
    public void Our_replica_of_redis_server_applies_what_redis_propagates_for_streams()
    {
        using var master = RedisServerProcess.Start();
        using var m = master.Client();
        Build(m, "before");
        using var ours = CodisServerProcess.Start("--save", "", "--replicaof", $"127.0.0.1 {master.Port}");
        using var oc = ours.Client();
        Replicas.ReplicationTests.WaitLinkUp(oc);
        Build(m, "after"); // XTRIM ~ goes out as "= n", XREADGROUP as XCLAIM/XGROUP SETID, XADD with explicit IDs
        m.Call("XADD", "after", "MAXLEN", "~", "50", "*", "f", "v");
        m.Call("XAUTOCLAIM", "after", "g1", "frank", "0", "0", "COUNT", "2");
        foreach (var key in new[] { "before", "after" })
        {
            string expected = Full(m, key, times: true);
            Eventually.True(() => Full(oc, key, times: true) == expected, Patience, "our replica to have " + key);
        }
        Assert.Equal(GroupPels(m, "after"), GroupPels(oc, "after"));
    }

    /// <summary>Every group's PEL as XINFO STREAM FULL shows it: id, consumer, delivery time, delivery count.</summary>
    private static string GroupPels(RespClient c, string key)
    {
        var full = c.Call("XINFO", "STREAM", key, "FULL", "COUNT", "0").Items!;
        var groups = full[Array.FindIndex(full, v => v.Text == "groups") + 1].Items!;
        return string.Join("\n", groups.Select(g => g.Items![Array.FindIndex(g.Items!, v => v.Text == "pending") + 1].ToString()));
    }

    [Fact]
    public void Slot_migration_moves_a_stream_with_its_groups_sync_and_async()
    {
        using var a = CodisServerProcess.Start("--save", "");
        using var b = CodisServerProcess.Start("--save", "");
        using var ac = a.Client();
        using var bc = b.Client();
        Build(ac, "{mig}st");
        Build(ac, "{mig2}st");
        ac.Call("PEXPIRE", "{mig2}st", "500000");
        string one = Full(ac, "{mig}st"), two = Full(ac, "{mig2}st");
        long slot = ac.Call("SLOTSHASHKEY", "{mig}st").Items![0].AssertInt();
        long slot2 = ac.Call("SLOTSHASHKEY", "{mig2}st").Items![0].AssertInt();
        Assert.Equal(1, ac.Call("SLOTSMGRTTAGSLOT", "127.0.0.1", b.Port, "5000", slot).Items![0].AssertInt());
        Assert.Equal(one, Full(bc, "{mig}st"));
        Assert.Equal(0, ac.Call("EXISTS", "{mig}st").AssertInt());
        long remaining = 1;
        for (int calls = 0; remaining > 0; calls++)
        {
            Assert.True(calls < 50);
            remaining = ac.Call("SLOTSMGRTTAGSLOT-ASYNC", "127.0.0.1", b.Port, "5000", "0", "0", slot2, "8").Items![1].AssertInt();
        }
        Assert.Equal(two, Full(bc, "{mig2}st"));
        Assert.InRange(bc.Call("PTTL", "{mig2}st").AssertInt(), 1, 500000);
    }
}
