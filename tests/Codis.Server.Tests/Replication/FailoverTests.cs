using Codis.Core.Resp;
using Codis.Server.Tests.Infrastructure;
using Codis.Testing;

namespace Codis.Server.Tests.Replication;

/// <summary>
/// FAILOVER: a master hands its role to a caught-up replica without a resync and without losing a write — between
/// codis-servers and with redis-server 7.0 on either side — and its checks, ABORT and TIMEOUT as redis-server's.
/// </summary>
public class FailoverTests
{
    private static string Info(RespClient c, string field)
    {
        var line = c.Call("INFO", "everything").Text!.Split("\r\n").First(l => l.StartsWith(field + ":", StringComparison.Ordinal));
        return line[(field.Length + 1)..];
    }

    private static void Replicate(RespClient replica, int masterPort)
    {
        replica.Call("REPLICAOF", "127.0.0.1", masterPort.ToString()).AssertOk();
        Eventually.True(() => Info(replica, "master_link_status") == "up", TimeSpan.FromSeconds(20), "replica linked");
    }

    private static void AssertSwapped(RespClient oldMaster, RespClient newMaster, int newMasterPort)
    {
        Eventually.True(() => Info(oldMaster, "role") == "slave" && Info(oldMaster, "master_port") == newMasterPort.ToString()
                              && Info(oldMaster, "master_link_status") == "up", TimeSpan.FromSeconds(20), "the old master replicates the new one");
        Assert.Equal("master", Info(newMaster, "role"));
        Assert.Equal("no-failover", Info(newMaster, "master_failover_state"));
        Assert.Equal("no-failover", Info(oldMaster, "master_failover_state"));
    }

    [Fact]
    public void Codis_master_hands_over_to_its_codis_replica_with_every_write_and_no_resync()
    {
        using var a = CodisServerProcess.Start("--save", "");
        using var b = CodisServerProcess.Start("--save", "");
        using var ca = a.Client();
        using var cb = b.Client();
        Replicate(cb, a.Port);
        for (int i = 0; i < 1000; i++) ca.Call("SET", $"k{i}", $"v{i}").AssertOk();
        Assert.Equal("0", Info(cb, "sync_full"));

        ca.Call("FAILOVER").AssertOk();
        AssertSwapped(ca, cb, b.Port);
        Assert.Equal(1000, cb.Call("DBSIZE").AssertInt());
        Assert.Equal("0", Info(cb, "sync_full")); // the old master continued: a partial resync
        Assert.Equal("1", Info(cb, "sync_partial_ok"));
        Assert.Equal("READONLY You can't write against a read only replica.", ca.Call("SET", "x", "1").Text);
        cb.Call("SET", "after", "1").AssertOk();
        Eventually.True(() => ca.Call("GET", "after").Text == "1", TimeSpan.FromSeconds(10), "writes on the new master reach the old one");
    }

    [Fact]
    public void Failover_goes_both_ways_with_redis_server()
    {
        using var ours = CodisServerProcess.Start("--save", "");
        using var redis = RedisServerProcess.Start();
        using var co = ours.Client();
        using var cr = redis.Client();
        Replicate(cr, ours.Port);
        co.Call("SET", "from-ours", "1").AssertOk();

        // ours -> redis-server: our PSYNC ... FAILOVER makes it take over
        co.Call("FAILOVER", "TO", "127.0.0.1", redis.Port.ToString(), "TIMEOUT", "5000").AssertOk();
        AssertSwapped(co, cr, redis.Port);
        cr.Call("SET", "from-redis", "1").AssertOk();
        Eventually.True(() => co.Call("GET", "from-redis").Text == "1", TimeSpan.FromSeconds(10), "redis-server's writes reach ours");

        // redis-server -> ours: its PSYNC ... FAILOVER makes ours take over
        cr.Call("FAILOVER", "TO", "127.0.0.1", ours.Port.ToString(), "TIMEOUT", "5000").AssertOk();
        AssertSwapped(cr, co, ours.Port);
        co.Call("SET", "back", "1").AssertOk();
        Eventually.True(() => cr.Call("GET", "back").Text == "1", TimeSpan.FromSeconds(10), "our writes reach redis-server");
        Assert.Equal("1", cr.Call("GET", "from-ours").Text);
    }

    [Fact]
    public void Checks_and_errors_are_redis_servers()
    {
        using var ours = CodisServerProcess.Start("--save", "");
        using var oursReplica = CodisServerProcess.Start("--save", "");
        using var redis = RedisServerProcess.Start();
        using var redisReplica = RedisServerProcess.Start();
        using var co = ours.Client();
        using var cr = redis.Client();
        string[][] alone =
        [
            ["FAILOVER"], ["FAILOVER", "ABORT"], ["FAILOVER", "TIMEOUT", "0"], ["FAILOVER", "TIMEOUT", "-1"], ["FAILOVER", "TIMEOUT", "abc"],
            ["FAILOVER", "TO", "127.0.0.1"], ["FAILOVER", "ABORT", "TIMEOUT", "10"], ["FAILOVER", "foo"], ["FAILOVER", "FORCE"],
            ["FAILOVER", "TO", "127.0.0.1", "x"], ["FAILOVER", "FORCE", "FORCE"],
        ];
        foreach (var cmd in alone) Assert.Equal(cr.Call(cmd).ToString(), co.Call(cmd).ToString());

        using var ror = oursReplica.Client();
        using var rrr = redisReplica.Client();
        Replicate(ror, ours.Port);
        Replicate(rrr, redis.Port);
        string[][] withReplica =
        [
            ["FAILOVER", "FORCE"], ["FAILOVER", "TO", "127.0.0.1", "1"], ["FAILOVER", "TO", "127.0.0.1", "1", "TIMEOUT", "10", "FORCE"],
            ["FAILOVER", "TIMEOUT", "10", "FORCE"],
        ];
        foreach (var cmd in withReplica) Assert.Equal(cr.Call(cmd).ToString(), co.Call(cmd).ToString());
        Assert.Equal(rrr.Call("FAILOVER").ToString(), ror.Call("FAILOVER").ToString()); // on a replica
        Assert.Equal("ERR FAILOVER is not valid when server is a replica.", ror.Call("FAILOVER").Text);
    }

    [Fact]
    public void A_target_that_never_catches_up_aborts_at_the_timeout_and_writes_resume()
    {
        using var a = CodisServerProcess.Start("--save", "");
        using var b = CodisServerProcess.Start("--save", "");
        using var ca = a.Client();
        using var cb = b.Client();
        Replicate(cb, a.Port);
        b.Signal(19); // SIGSTOP: connected, never acknowledges
        try
        {
            ca.Call("SET", "k", "1").AssertOk();
            ca.Call("FAILOVER", "TO", "127.0.0.1", b.Port.ToString(), "TIMEOUT", "500").AssertOk();
            Assert.Equal("waiting-for-sync", Info(ca, "master_failover_state"));
            Assert.Equal("ERR FAILOVER already in progress.", ca.Call("FAILOVER").Text);
            Eventually.True(() => Info(ca, "master_failover_state") == "no-failover", TimeSpan.FromSeconds(10), "the failover aborted");
            Assert.Equal("master", Info(ca, "role"));
            using var writer = a.Client(3000);
            writer.Call("SET", "after", "1").AssertOk(); // writes were paused during the wait, not after

            // ABORT while waiting
            ca.Call("FAILOVER", "TO", "127.0.0.1", b.Port.ToString()).AssertOk();
            Assert.Equal("waiting-for-sync", Info(ca, "master_failover_state"));
            ca.Call("FAILOVER", "ABORT").AssertOk();
            Assert.Equal("no-failover", Info(ca, "master_failover_state"));
            writer.Call("SET", "after-abort", "1").AssertOk();
        }
        finally { b.Signal(18); }
    }

    [Fact]
    public void Force_fails_over_at_the_timeout_even_to_a_lagging_target()
    {
        using var a = CodisServerProcess.Start("--save", "");
        using var b = CodisServerProcess.Start("--save", "");
        using var ca = a.Client();
        using var cb = b.Client(20000);
        Replicate(cb, a.Port);
        ca.Call("SET", "k", "1").AssertOk();
        Eventually.True(() => cb.Call("GET", "k").Text == "1", TimeSpan.FromSeconds(10), "replicated");
        b.Signal(19);
        try
        {
            ca.Call("FAILOVER", "TO", "127.0.0.1", b.Port.ToString(), "TIMEOUT", "300", "FORCE").AssertOk();
            Eventually.True(() => Info(ca, "master_failover_state") == "failover-in-progress", TimeSpan.FromSeconds(10), "forced past the timeout");
        }
        finally { b.Signal(18); }
        AssertSwapped(ca, cb, b.Port);
        Assert.Equal("1", cb.Call("GET", "k").Text);
    }
}
