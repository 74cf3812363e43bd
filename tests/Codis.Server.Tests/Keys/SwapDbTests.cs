using Codis.Core.Resp;
using Codis.Server.Tests.Admin;
using Codis.Server.Tests.Infrastructure;
using Codis.Server.Tests.Replicas;
using Codis.Testing;
using static Codis.Server.Tests.Durability.PersistenceHelpers;

namespace Codis.Server.Tests.Keys;

/// <summary>
/// SWAPDB side by side with redis-server 7.0: replies and errors, what each database holds after (expiry
/// included), WATCH, clients blocked in either database, and the command reaching a replica (codis-server and
/// redis-server) and the AOF. The scenarios use databases 10 to 15 and flush them first, so they do not depend
/// on each other's order.
/// </summary>
public class SwapDbTests(AdminFixture peers) : IClassFixture<AdminFixture>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(150);

    private RespClient Client(string target) => target == "codis" ? peers.Codis.Client() : peers.Redis.Client();

    private static void Send(RespClient c, params string[] args)
    {
        c.Send(args.Select(a => System.Text.Encoding.UTF8.GetBytes(a)).ToArray());
        c.Flush();
    }

    private static void Reset(RespClient c)
    {
        for (int db = 10; db < 16; db++)
        {
            c.Call("SELECT", db.ToString()).AssertOk();
            c.Call("FLUSHDB").AssertOk();
        }
    }

    [Fact]
    public void RepliesAndContents_AsRedis()
    {
        using (var c = peers.Codis.Client()) Reset(c);
        using (var r = peers.Redis.Client()) Reset(r);
        peers.AssertSame("""
            swapdb
            swapdb 10
            swapdb 10 11 12
            swapdb a 11
            swapdb 10 b
            swapdb 1.5 11
            swapdb 010 11
            swapdb 4294967306 11
            swapdb 10 -1
            swapdb 16 10
            swapdb 10 10
            select 10
            set k:a in10
            rpush k:list x y z
            set k:ttl t
            expireat k:ttl 4102444800
            select 11
            set k:a in11
            hset k:h f v
            swapdb 10 11
            get k:a
            lrange k:list 0 -1
            expiretime k:ttl
            hget k:h f
            dbsize
            select 10
            get k:a
            hget k:h f
            dbsize
            exists k:list
            multi
            swapdb 10 11
            get k:a
            exec
            swapdb 11 12
            select 12
            get k:a
            expiretime k:ttl
            command info swapdb
            """);
    }

    [Theory]
    [InlineData("codis")]
    [InlineData("redis")]
    public void WatchedKeys_InEitherDatabase_AreTouched(string target)
    {
        using var c = Client(target);
        using var other = Client(target);
        Reset(c);
        c.Call("SELECT", "10").AssertOk();
        other.Call("SELECT", "11").AssertOk();
        other.Call("SET", "w:only11", "v").AssertOk();

        // Missing here, present in the incoming database: touched.
        c.Call("WATCH", "w:only11").AssertOk();
        other.Call("SWAPDB", "12", "13").AssertOk(); // another pair: no effect
        c.Call("MULTI").AssertOk();
        c.Call("PING");
        Assert.Equal("[PONG]", c.Call("EXEC").ToString());

        c.Call("WATCH", "w:only11").AssertOk();
        other.Call("SWAPDB", "10", "11").AssertOk();
        c.Call("MULTI").AssertOk();
        c.Call("PING");
        Assert.True(c.Call("EXEC").IsNull, "EXEC after the watched key came in with SWAPDB");

        // Present here (db 10 holds it now), gone after: touched.
        c.Call("WATCH", "w:only11").AssertOk();
        other.Call("SWAPDB", "11", "10").AssertOk();
        c.Call("MULTI").AssertOk();
        c.Call("PING");
        Assert.True(c.Call("EXEC").IsNull, "EXEC after the watched key left with SWAPDB");

        // Absent on both sides: nothing changed.
        c.Call("WATCH", "w:nowhere").AssertOk();
        other.Call("SWAPDB", "10", "11").AssertOk();
        c.Call("MULTI").AssertOk();
        c.Call("PING");
        Assert.Equal("[PONG]", c.Call("EXEC").ToString());
    }

    [Theory]
    [InlineData("codis")]
    [InlineData("redis")]
    public void WatchedExpiredKey_ReplacedByNothing_IsNoChange(string target)
    {
        using var c = Client(target);
        using var other = Client(target);
        Reset(c);
        c.Call("DEBUG", "SET-ACTIVE-EXPIRE", "0").AssertOk();
        try
        {
            c.Call("SELECT", "10").AssertOk();
            c.Call("SET", "w:exp", "v", "PX", "1").AssertOk();
            Thread.Sleep(20);
            c.Call("WATCH", "w:exp").AssertOk(); // already logically expired
            other.Call("SWAPDB", "10", "11").AssertOk();
            c.Call("MULTI").AssertOk();
            c.Call("PING");
            Assert.Equal("[PONG]", c.Call("EXEC").ToString());

            // The same key, live this time, replaced by nothing: touched.
            c.Call("SELECT", "10").AssertOk();
            c.Call("SET", "w:live", "v").AssertOk();
            c.Call("WATCH", "w:live").AssertOk();
            other.Call("SWAPDB", "10", "11").AssertOk();
            c.Call("MULTI").AssertOk();
            c.Call("PING");
            Assert.True(c.Call("EXEC").IsNull);
        }
        finally
        {
            c.Call("DEBUG", "SET-ACTIVE-EXPIRE", "1").AssertOk();
        }
    }

    [Theory]
    [InlineData("codis")]
    [InlineData("redis")]
    public void BlockedClients_AreServedWhenTheKeyArrivesWithTheRightType(string target)
    {
        using var admin = Client(target);
        using var popper = Client(target);
        using var zpopper = Client(target);
        using var wrongType = Client(target);
        using var groupReader = Client(target);
        Reset(admin);
        admin.Call("SELECT", "14").AssertOk();
        admin.Call("RPUSH", "b:list", "a", "b").AssertInt();
        admin.Call("ZADD", "b:zset", "1", "m").AssertInt();
        admin.Call("SET", "b:str", "x").AssertOk();
        admin.Call("SELECT", "15").AssertOk();
        Assert.Equal("1-1", admin.Call("XADD", "b:stream", "1-1", "f", "v").Text);
        admin.Call("XGROUP", "CREATE", "b:stream", "g", "$").AssertOk();

        popper.Call("SELECT", "15").AssertOk();
        zpopper.Call("SELECT", "15").AssertOk();
        wrongType.Call("SELECT", "15").AssertOk();
        groupReader.Call("SELECT", "15").AssertOk();
        Send(popper, "BLPOP", "b:list", "0");
        Send(zpopper, "BZPOPMIN", "b:zset", "0");
        Send(wrongType, "BLPOP", "b:str", "0");
        Send(groupReader, "XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "b:stream", ">");
        Thread.Sleep(Settle);

        admin.Call("SWAPDB", "14", "15").AssertOk();
        Assert.Equal(new string?[] { "b:list", "a" }, popper.Read().Strings());
        Assert.Equal(new string?[] { "b:zset", "m", "1" }, zpopper.Read().Strings());
        // The group's stream left db 15: its reader is told, as Redis 7 does.
        groupReader.Read().AssertError("UNBLOCKED the stream key no longer exists");

        // A string where a list is awaited: still blocked; a list pushed later serves it.
        admin.Call("SELECT", "15").AssertOk();
        Assert.Equal(1, admin.Call("DEL", "b:str").AssertInt());
        admin.Call("RPUSH", "b:str", "late").AssertInt();
        Assert.Equal(new string?[] { "b:str", "late" }, wrongType.Read().Strings());
        Assert.Equal(new string?[] { "b" }, admin.Call("LRANGE", "b:list", "0", "-1").Strings());
    }

    [Fact]
    public void Replicas_AndAofRestart_SeeTheSwap()
    {
        string dir;
        using (var master = CodisServerProcess.Start("--save", "", "--appendonly", "yes"))
        {
            dir = master.DataDir;
            using var m = master.Client();
            using var codisReplica = CodisServerProcess.Start("--save", "", "--replicaof", $"127.0.0.1 {master.Port}");
            using var redisReplica = RedisServerProcess.Start("--replicaof", "127.0.0.1", master.Port.ToString());
            using var cr = codisReplica.Client();
            using var rr = redisReplica.Client();
            ReplicationTests.WaitLinkUp(cr);
            ReplicationTests.WaitLinkUp(rr);

            m.Call("SET", "r:a", "in0").AssertOk();
            m.Call("SET", "r:ttl", "t", "PXAT", "4102444800000").AssertOk();
            m.Call("SELECT", "3").AssertOk();
            m.Call("SET", "r:a", "in3").AssertOk();
            m.Call("SADD", "r:set", "x").AssertInt();
            m.Call("SWAPDB", "0", "3").AssertOk();
            m.Call("SET", "r:after", "written to db 3 after the swap").AssertOk();

            Eventually.True(() => Offset(m) == Offset(cr) && Offset(m) == Offset(rr), Patience, "both replicas to catch up");
            foreach (var c in new[] { m, cr, rr })
            {
                c.Call("SELECT", "0").AssertOk();
                Assert.Equal("in3", c.Call("GET", "r:a").Text);
                Assert.Equal(1, c.Call("SISMEMBER", "r:set", "x").AssertInt());
                Assert.Equal(0, c.Call("EXISTS", "r:ttl").AssertInt());
                c.Call("SELECT", "3").AssertOk();
                Assert.Equal("in0", c.Call("GET", "r:a").Text);
                Assert.Equal(4102444800L, c.Call("EXPIRETIME", "r:ttl").AssertInt());
                Assert.Equal("written to db 3 after the swap", c.Call("GET", "r:after").Text);
            }
        }
        var (exit, output) = Run("redis-check-aof", Path.Combine(dir, "appendonlydir", "appendonly.aof.manifest"));
        Assert.True(exit == 0, output);
        using var again = CodisServerProcess.StartIn(dir, "--save", "", "--appendonly", "yes");
        using var a = again.Client();
        Assert.Equal("in3", a.Call("GET", "r:a").Text);
        a.Call("SELECT", "3").AssertOk();
        Assert.Equal("in0", a.Call("GET", "r:a").Text);
        Assert.Equal(4102444800L, a.Call("EXPIRETIME", "r:ttl").AssertInt());
        Assert.Equal(3, a.Call("DBSIZE").AssertInt());
    }

    private static string Offset(RespClient c) => ReplicationTests.Info(c, "replication")["master_repl_offset"];
}
