using Codis.Core.Resp;
using Codis.Server.Tests.Infrastructure;
using Codis.Testing;
using static Codis.Server.Tests.Durability.PersistenceHelpers;

namespace Codis.Server.Tests.Replicas;

/// <summary>
/// Master/replica replication through real processes: codis-server with codis-server, with Debian's redis-server
/// 7.0 as replica and as master; full sync, the command stream, partial resync after a brief cut (a TCP relay in
/// between), full resync after a long one, promotion, READONLY, WAIT, ROLE, INFO replication, masterauth.
/// </summary>
public class ReplicationTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    internal static Dictionary<string, string> Info(RespClient c, string section)
    {
        var d = new Dictionary<string, string>();
        foreach (var line in c.Call("INFO", section).Text!.Split("\r\n"))
        {
            int colon = line.IndexOf(':');
            if (colon > 0 && !line.StartsWith('#')) d[line[..colon]] = line[(colon + 1)..];
        }
        return d;
    }

    internal static void WaitLinkUp(RespClient replica) =>
        Eventually.True(() => Info(replica, "replication").GetValueOrDefault("master_link_status") == "up", Patience, "master_link_status:up");

    private static void WaitCaughtUp(RespClient master, RespClient replica) =>
        Eventually.True(() => Info(master, "replication")["master_repl_offset"] == Info(replica, "replication")["master_repl_offset"],
            Patience, "the replica's offset to reach the master's");

    private static string[] Args(string host, int port) => ["--replicaof", $"{host} {port}"];

    [Fact]
    public void Codis_replica_full_sync_then_the_stream_readonly_role_wait_info()
    {
        using var master = CodisServerProcess.Start("--save", "");
        using var m = master.Client();
        var data = Dataset().Take(100).ToList();
        Load(m, data);
        using var replica = CodisServerProcess.Start(["--save", "", .. Args("127.0.0.1", master.Port)]);
        using var r = replica.Client();
        WaitLinkUp(r);
        AssertHas(r, data);

        // The stream: writes, relative expiry (sent as PEXPIREAT), counters, deletes, other databases.
        Ok(m.Call("SET", "s1", "v1"));
        Assert.Equal(1, m.Call("EXPIRE", "s1", "500").Integer);
        Assert.Equal(5, m.Call("INCRBY", "n", "5").Integer);
        Assert.Equal(1, m.Call("DEL", "key:0").Integer);
        Ok(m.Call("SELECT", "9"));
        Ok(m.Call("SET", "db9", "nine"));
        Ok(m.Call("SELECT", "0"));
        WaitCaughtUp(m, r);
        Assert.Equal("v1", r.Call("GET", "s1").Text);
        Assert.Equal(m.Call("PEXPIRETIME", "s1").Integer, r.Call("PEXPIRETIME", "s1").Integer);
        Assert.Equal("5", r.Call("GET", "n").Text);
        Assert.True(r.Call("GET", "key:0").IsNull);
        Ok(r.Call("SELECT", "9"));
        Assert.Equal("nine", r.Call("GET", "db9").Text);

        // Replicas are read-only by default; reads work.
        Assert.Equal("READONLY You can't write against a read only replica.", r.Call("SET", "x", "y").Text);
        Assert.Equal("READONLY You can't write against a read only replica.", r.Call("DEL", "db9").Text);

        var role = m.Call("ROLE");
        Assert.Equal("master", role.Items![0].Text);
        Assert.Single(role.Items[2].Items!);
        Assert.Equal(replica.Port.ToString(), role.Items[2].Items![0].Items![1].Text);
        var rrole = r.Call("ROLE");
        Assert.Equal(["slave", "127.0.0.1", master.Port.ToString(), "connected"], rrole.Items!.Take(4).Select(i => i.Text));

        Ok(m.Call("SET", "w", "1"));
        Assert.Equal(1, m.Call("WAIT", "1", "5000").Integer);
        var sw = System.Diagnostics.Stopwatch.StartNew();
        Assert.Equal(1, m.Call("WAIT", "2", "300").Integer);
        Assert.True(sw.ElapsedMilliseconds >= 250, "WAIT returned before its timeout");
        Assert.Equal("ERR timeout is negative", m.Call("WAIT", "1", "-1").Text);
        Assert.StartsWith("ERR WAIT cannot be used with replica instances", r.Call("WAIT", "1", "10").Text);

        var mi = Info(m, "replication");
        Assert.Equal("master", mi["role"]);
        Assert.Equal("1", mi["connected_slaves"]);
        Assert.Matches($@"^ip=127\.0\.0\.1,port={replica.Port},state=online,offset=\d+,lag=\d+$", mi["slave0"]);
        Assert.Equal("1", mi["repl_backlog_active"]);
        var ri = Info(r, "replication");
        Assert.Equal("slave", ri["role"]);
        Assert.Equal(master.Port.ToString(), ri["master_port"]);
        Assert.Equal(mi["master_replid"], ri["master_replid"]);
        Assert.Equal("1", ri["slave_read_only"]);
        Assert.Equal("1", Info(m, "stats")["sync_full"]);
    }

    [Fact]
    public void A_brief_cut_resumes_with_a_partial_resync_and_a_long_one_fully_resyncs()
    {
        using var master = CodisServerProcess.Start("--save", "", "--repl-backlog-size", "16384");
        using var relay = new TcpRelay(master.Port);
        using var m = master.Client();
        Ok(m.Call("SET", "before", "1"));
        using var replica = CodisServerProcess.Start(["--save", "", .. Args("127.0.0.1", relay.Port)]);
        using var r = replica.Client();
        WaitLinkUp(r);

        // Brief: cut, write a little, the replica reconnects and gets just the missing bytes.
        relay.Cut();
        for (int i = 0; i < 20; i++) Ok(m.Call("SET", "brief:" + i, "v" + i));
        Eventually.True(() => relay.Connections >= 2, Patience, "the replica to reconnect");
        WaitLinkUp(r);
        WaitCaughtUp(m, r);
        Assert.Equal("v19", r.Call("GET", "brief:19").Text);
        var stats = Info(m, "stats");
        Assert.Equal("1", stats["sync_partial_ok"]);
        Assert.Equal("1", stats["sync_full"]);
        Assert.Contains("Master accepted a Partial Resynchronization", replica.Output);

        // Long: more than the backlog holds is missed, so only a full resync can catch up.
        relay.Blocked = true;
        relay.Cut();
        for (int i = 0; i < 100; i++) Ok(m.Call("SET", "long:" + i, new string('x', 500)));
        relay.Blocked = false;
        Eventually.True(() => Info(m, "stats")["sync_full"] == "2", Patience, "a second full sync");
        WaitLinkUp(r);
        WaitCaughtUp(m, r);
        Assert.Equal(500, r.Call("STRLEN", "long:99").Integer);
        Assert.Equal("v0", r.Call("GET", "brief:0").Text);
        Assert.Equal("1", Info(m, "stats")["sync_partial_err"]); // the first sync asked "PSYNC ? -1": not an error
    }

    [Fact]
    public void A_promoted_replica_keeps_its_data_and_the_old_master_follows_it_with_a_partial_resync()
    {
        using var master = CodisServerProcess.Start("--save", "");
        using var m = master.Client();
        RdbTestsFill(m);
        using var replica = CodisServerProcess.Start(["--save", "", .. Args("127.0.0.1", master.Port)]);
        using var r = replica.Client();
        WaitLinkUp(r);
        WaitCaughtUp(m, r);
        string oldId = Info(m, "replication")["master_replid"];

        Ok(r.Call("REPLICAOF", "NO", "ONE"));
        Assert.Equal("master", r.Call("ROLE").Items![0].Text);
        Assert.Equal(1000, r.Call("DBSIZE").Integer);
        Ok(r.Call("SET", "after-promotion", "1"));
        var ri = Info(r, "replication");
        Assert.Equal(oldId, ri["master_replid2"]);
        Assert.NotEqual(oldId, ri["master_replid"]);

        // The old master follows the promoted one and only needs what it lacks (PSYNC with the old id).
        Ok(m.Call("REPLICAOF", "127.0.0.1", replica.Port.ToString()));
        WaitLinkUp(m);
        WaitCaughtUp(r, m);
        Assert.Equal("1", m.Call("GET", "after-promotion").Text);
        Assert.Equal("1", Info(r, "stats")["sync_partial_ok"]);
        Assert.Equal("0", Info(r, "stats")["sync_full"]);
    }

    private static void RdbTestsFill(RespClient c) => Durability.RdbTests.FillKeys(c, 1000, 20);

    [Fact]
    public void Redis_server_as_replica_of_codis_server()
    {
        using var master = CodisServerProcess.Start("--save", "");
        using var m = master.Client();
        var data = Dataset().Take(100).ToList();
        Load(m, data);
        using var redis = RedisServerProcess.Start("--replicaof", "127.0.0.1", master.Port.ToString());
        using var r = redis.Client();
        WaitLinkUp(r);
        AssertHas(r, data);
        Ok(m.Call("SET", "live", "1"));
        Ok(m.Call("SET", "ttl", "1", "EX", "300"));
        WaitCaughtUp(m, r);
        Assert.Equal("1", r.Call("GET", "live").Text);
        Assert.InRange(r.Call("TTL", "ttl").Integer, 290, 300);
        Assert.Equal(1, m.Call("WAIT", "1", "5000").Integer);

        // The replica drops its link; it comes back with PSYNC and gets a partial resync from us.
        r.Call("CLIENT", "KILL", "TYPE", "master");
        Ok(m.Call("SET", "during", "cut"));
        Eventually.True(() => Info(m, "stats")["sync_partial_ok"] == "1", Patience, "a partial resync");
        WaitLinkUp(r);
        WaitCaughtUp(m, r);
        Assert.Equal("cut", r.Call("GET", "during").Text);
        // its log reaches us through a pipe, a little after the replica acted on it
        Eventually.True(() => redis.Output.Contains("Successful partial resynchronization with master"), Patience, "the replica's log of the partial resync");
        Assert.Equal("1", Info(m, "stats")["sync_full"]);
    }

    [Fact]
    public void Codis_server_as_replica_of_redis_server()
    {
        using var redis = RedisServerProcess.Start("--repl-diskless-sync-delay", "0");
        using var m = redis.Client();
        var data = Dataset().Take(100).ToList();
        Load(m, data);
        using var replica = CodisServerProcess.Start(["--save", "", .. Args("127.0.0.1", redis.Port)]);
        using var r = replica.Client();
        WaitLinkUp(r);
        AssertHas(r, data);
        Ok(m.Call("SET", "live", "1"));
        Assert.Equal(1, m.Call("EXPIRE", "live", "300").Integer);
        Ok(m.Call("SELECT", "4"));
        Ok(m.Call("SET", "db4", "four"));
        Ok(m.Call("SELECT", "0"));
        Assert.Equal(1, m.Call("WAIT", "1", "5000").Integer);
        WaitCaughtUp(m, r);
        Assert.Equal("1", r.Call("GET", "live").Text);
        Assert.InRange(r.Call("TTL", "live").Integer, 290, 300);
        Ok(r.Call("SELECT", "4"));
        Assert.Equal("four", r.Call("GET", "db4").Text);
        Assert.StartsWith("READONLY", r.Call("SET", "x", "1").Text);

        // Redis drops us; we reconnect with PSYNC and continue.
        m.Call("CLIENT", "KILL", "TYPE", "replica");
        Ok(m.Call("SET", "during", "cut"));
        Eventually.True(() => Info(m, "stats")["sync_partial_ok"] == "1", Patience, "a partial resync");
        WaitLinkUp(r);
        WaitCaughtUp(m, r);
        Ok(r.Call("SELECT", "0"));
        Assert.Equal("cut", r.Call("GET", "during").Text);
        Assert.Equal("1", Info(m, "stats")["sync_full"]);
    }

    [Fact]
    public void Masterauth_is_needed_for_a_master_with_a_password()
    {
        using var master = CodisServerProcess.Start("--save", "", "--requirepass", "s3cret");
        using var m = master.Client();
        Ok(m.Call("AUTH", "s3cret"));
        Ok(m.Call("SET", "k", "v"));
        using var replica = CodisServerProcess.Start(["--save", "", .. Args("127.0.0.1", master.Port)]);
        using var r = replica.Client();
        Eventually.True(() => replica.Output.Contains("Unexpected reply to PSYNC from master: -NOAUTH"), Patience, "the refused PSYNC");
        Assert.Equal("down", Info(r, "replication")["master_link_status"]);
        Ok(r.Call("CONFIG", "SET", "masterauth", "s3cret"));
        WaitLinkUp(r);
        Assert.Equal("v", r.Call("GET", "k").Text);
    }

    [Fact]
    public void A_restarted_replica_resumes_from_its_own_dump_with_a_partial_resync()
    {
        using var master = CodisServerProcess.Start("--save", "");
        using var m = master.Client();
        Ok(m.Call("SET", "a", "1"));
        var replica = CodisServerProcess.Start(["--save", "", .. Args("127.0.0.1", master.Port)]);
        string dir = replica.DataDir;
        using (var r = replica.Client())
        {
            WaitLinkUp(r);
            Ok(m.Call("SET", "b", "2"));
            WaitCaughtUp(m, r);
        }
        Assert.True(replica.Terminate(TimeSpan.FromSeconds(10)));
        replica.Dispose();
        Ok(m.Call("SET", "c", "3"));
        using var again = CodisServerProcess.StartIn(dir, ["--save", "", .. Args("127.0.0.1", master.Port)]);
        using var r2 = again.Client();
        WaitLinkUp(r2);
        WaitCaughtUp(m, r2);
        Assert.Equal(["1", "2", "3"], r2.Call("MGET", "a", "b", "c").Items!.Select(i => i.Text));
        Assert.Equal("1", Info(m, "stats")["sync_partial_ok"]);
    }
}
