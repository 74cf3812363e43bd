using Codis.Server.Tests.Infrastructure;
using Codis.Testing;
using static Codis.Server.Tests.Replicas.ReplicationTests;

namespace Codis.Server.Tests.Acl;

/// <summary>
/// A replica that authenticates to its master as a named user (masteruser + masterauth): our server on both sides,
/// and with Debian's redis-server 7.0 as the master and as the replica.
/// </summary>
public class AclReplicationTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    // What a replica runs on its master (Redis's documented minimum for a replication user).
    private static readonly string[] ReplicationUser = ["ACL", "SETUSER", "repl", "on", ">replpw", "+psync", "+replconf", "+ping"];

    private static string[] ReplicaArgs(int port) => ["--save", "", "--replicaof", $"127.0.0.1 {port}", "--masteruser", "repl", "--masterauth", "replpw"];

    /// <summary>A codis-server master with a password on the default user and the replication user, holding k.</summary>
    private static (CodisServerProcess Master, Codis.Core.Resp.RespClient Client) CodisMaster(string value)
    {
        var master = CodisServerProcess.Start("--save", "", "--requirepass", "adminpw");
        var m = master.Client();
        m.Call("AUTH", "adminpw").AssertOk();
        m.Call(ReplicationUser).AssertOk();
        m.Call("SET", "k", value).AssertOk();
        return (master, m);
    }

    [Fact]
    public void CodisReplica_OfCodisMaster_AsANamedUser()
    {
        var (master, m) = CodisMaster("v");
        using var _ = master;
        using var __ = m;
        using var replica = CodisServerProcess.Start(ReplicaArgs(master.Port));
        using var r = replica.Client();
        WaitLinkUp(r);
        Assert.Equal("v", r.Call("GET", "k").Text);
        m.Call("SET", "k2", "v2").AssertOk();
        Eventually.True(() => r.Call("GET", "k2").Text == "v2", Patience, "the stream to reach the replica");
        Assert.Contains(m.Call("CLIENT", "LIST").Text!.Split('\n'), l => l.Contains("cmd=psync user=repl"));
    }

    [Fact]
    public void WithoutThePermissions_TheLinkStaysDown()
    {
        using var master = CodisServerProcess.Start("--save", "");
        using var m = master.Client();
        m.Call("ACL", "SETUSER", "repl", "on", ">replpw", "+ping", "+replconf").AssertOk();
        using var replica = CodisServerProcess.Start(ReplicaArgs(master.Port));
        Eventually.True(() => replica.Output.Contains("Unexpected reply to PSYNC from master: -NOPERM this user has no permissions to run the"), Patience, "the refused PSYNC");
        m.Call("ACL", "SETUSER", "repl", "+psync").AssertOk();
        using var r = replica.Client();
        WaitLinkUp(r);
    }

    [Fact]
    public void CodisReplica_OfRedisMaster_AsANamedUser()
    {
        using var redis = RedisServerProcess.Start("--requirepass", "adminpw");
        using var m = redis.Client();
        m.Call("AUTH", "adminpw").AssertOk();
        m.Call(ReplicationUser).AssertOk();
        m.Call("SET", "k", "from-redis").AssertOk();
        using var replica = CodisServerProcess.Start(ReplicaArgs(redis.Port));
        using var r = replica.Client();
        WaitLinkUp(r);
        Assert.Equal("from-redis", r.Call("GET", "k").Text);
    }

    [Fact]
    public void RedisReplica_OfCodisMaster_AsANamedUser()
    {
        var (master, m) = CodisMaster("from-codis");
        using var _ = master;
        using var __ = m;
        using var redis = RedisServerProcess.Start("--replicaof", "127.0.0.1", master.Port.ToString(), "--masteruser", "repl", "--masterauth", "replpw");
        using var r = redis.Client();
        WaitLinkUp(r);
        Assert.Equal("from-codis", r.Call("GET", "k").Text);
    }
}
