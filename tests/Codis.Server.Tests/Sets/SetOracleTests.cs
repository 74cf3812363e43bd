using Codis.Server.Tests.Infrastructure;

namespace Codis.Server.Tests.Sets;

/// <summary>The set commands against Debian's redis-server 7.0: same commands, same replies, error cases included.</summary>
public class SetOracleTests(PeerFixture peers) : IClassFixture<PeerFixture>
{
    [Fact]
    public void SetCommands_SameRepliesAsRedis() => peers.AssertSame("""
        flushdb
        sadd s 3 1 2
        smembers s
        object encoding s
        sadd s 2 5
        sadd s a
        object encoding s
        scard s
        sadd n a b c
        object encoding n
        sismember s 1
        sismember s zz
        sismember nokey 1
        smismember s 1 zz 3
        smismember nokey 1 2
        srem s 1 zz
        srem s 2 3 5 a
        exists s
        sadd i 1 2 3 4 5
        srem i 1 x
        sadd i -5 10 007
        object encoding i
        set str x
        sadd str a
        srem str a
        smembers str
        scard str
        sismember str a
        smismember str a
        spop str
        srandmember str
        smove str i 1
        smove i str 1
        sinter i str
        sunion i str
        sdiff i str
        sinterstore d i str
        sintercard 1 str
        sscan str 0
        spop nokey
        spop nokey 3
        spop i 0
        spop i -1
        spop i abc
        spop i 1 2
        srandmember nokey
        srandmember nokey 3
        srandmember i 0
        srandmember i abc
        srandmember i 1 2
        srandmember i -9223372036854775808
        sadd one x
        srandmember one -3
        spop one 5
        exists one
        sadd a 1 2 3 4
        sadd b 3 4 5
        sadd c 4 5 6 x
        sinter a b
        sinter a b c
        sinter a nokey
        sinter nokey a
        sunion a b
        sunion a nokey
        sdiff a b
        sdiff a b c
        sdiff nokey a
        sdiff a a
        sinterstore d a b
        smembers d
        object encoding d
        sinterstore d a nokey
        exists d
        sunionstore d a b
        smembers d
        sunionstore d a c
        object encoding d
        scard d
        sdiffstore d a b
        smembers d
        sdiffstore d a a
        exists d
        sintercard 2 a b
        sintercard 2 a b limit 1
        sintercard 2 a b limit 0
        sintercard 2 a b limit -1
        sintercard 2 a b limit x
        sintercard 2 a b foo
        sintercard 0 a b
        sintercard -1 a
        sintercard 3 a b
        sintercard x a b
        sintercard 1 nokey
        smove a b 1
        smove a b 1
        smove a b 99
        smove a a 2
        smove a a 99
        smove nokey b 1
        smove a newset 2
        smembers newset
        object encoding newset
        smove b newset2 x
        smembers a
        sadd a y
        smove a newset3 y
        object encoding newset3
        sscan a 0 match 1*
        sscan a 0 count 0
        sscan nokey 0
        sscan a x
        sadd big 1
        sadd big 0123456789
        object encoding big
        sadd neg -0
        object encoding neg
        sadd max 9223372036854775807 -9223372036854775808
        smembers max
        object encoding max
        sadd over 9223372036854775808
        object encoding over
        type a
        """);

    [Fact]
    public void IntsetLimit_512Members_ThenHashtable()
    {
        var script = new System.Text.StringBuilder("flushdb\n");
        for (int i = 0; i < 512; i++) script.Append("sadd many ").Append(i * 7).Append('\n');
        script.Append("object encoding many\nscard many\nsmembers many\nsadd many 100000\nobject encoding many\nscard many\nsismember many 700\n");
        peers.AssertSame(script.ToString());
    }
}
