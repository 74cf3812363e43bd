using Codis.Server.Tests.Infrastructure;

namespace Codis.Server.Tests.Hashes;

/// <summary>The hash commands against Debian's redis-server 7.0: same commands, same replies, error cases included.</summary>
public class HashOracleTests(PeerFixture peers) : IClassFixture<PeerFixture>
{
    [Fact]
    public void HashCommands_SameRepliesAsRedis() => peers.AssertSame("""
        del h h2 nokey str one big1 big2 big3 big4 f
        hset h a 1 b 2 c 3
        hset h a 10 d 4
        hset h a
        hmset h x 1 y
        hmset h x 1 y 2
        hgetall h
        hkeys h
        hvals h
        hlen h
        hlen nokey
        hget h a
        hget h zz
        hget nokey a
        hmget h a zz b
        hmget nokey a b
        hsetnx h a 5
        hsetnx h new 5
        hsetnx h2 f v
        hgetall h2
        hexists h a
        hexists h zz
        hexists nokey a
        hstrlen h a
        hstrlen h zz
        hstrlen nokey a
        hdel h a zz
        hdel h a
        hdel nokey a
        hgetall h
        object encoding h
        hincrby h b 5
        hincrby h b abc
        hincrby h newint 7
        hset h s notanumber
        hincrby h s 1
        hset h big 9223372036854775807
        hincrby h big 1
        hincrby h neg -9223372036854775808
        hincrby h neg -1
        hincrbyfloat h f 1.5
        hincrbyfloat h f 0.1
        hincrbyfloat h f abc
        hincrbyfloat h s 1
        hincrbyfloat h f inf
        hincrbyfloat h f -inf
        hincrbyfloat h f nan
        hincrbyfloat h f2 3e0
        hincrbyfloat h f2 -3
        hincrbyfloat h f3 1.0e-3
        hincrbyfloat h f3 5e3
        hgetall h
        object encoding h
        set str x
        hset str a 1
        hmset str a 1
        hsetnx str a 1
        hget str a
        hmget str a
        hgetall str
        hkeys str
        hvals str
        hlen str
        hexists str a
        hstrlen str a
        hdel str a
        hincrby str a 1
        hincrbyfloat str a 1
        hrandfield str
        hrandfield str 1
        hscan str 0
        hrandfield nokey
        hrandfield nokey 5
        hrandfield nokey 5 withvalues
        hrandfield h 0
        hrandfield h 5 withvalue
        hrandfield h 5 withvalues x
        hrandfield h abc
        hrandfield h -9223372036854775808
        hrandfield h -9223372036854775807 withvalues
        hrandfield h -4611686018427387904 withvalues
        hrandfield h 100
        hrandfield h 100 withvalues
        hset one f v
        hrandfield one -3
        hrandfield one -3 withvalues
        hrandfield one
        hrandfield one 1 withvalues
        hscan h 0
        hscan h 0 match b*
        hscan h 0 match * count 1
        hscan h 0 count 0
        hscan h 0 count abc
        hscan h abc
        hscan h 0 foo
        hscan nokey 0 foo
        hscan nokey abc
        hscan h 18446744073709551616
        hdel one f
        exists one
        hset big1 f 0123456789012345678901234567890123456789012345678901234567890123
        object encoding big1
        hset big1 g 01234567890123456789012345678901234567890123456789012345678901234
        object encoding big1
        hset big2 01234567890123456789012345678901234567890123456789012345678901234 v
        object encoding big2
        hsetnx big3 01234567890123456789012345678901234567890123456789012345678901234 v
        object encoding big3
        hset big4 a 1 b 01234567890123456789012345678901234567890123456789012345678901234
        object encoding big4
        hlen big4
        type h
        type nokey
        hset
        hget h
        hgetall
        """);

    [Fact]
    public void ManyFields_LeaveListpackAt513_AsRedis()
    {
        var script = new System.Text.StringBuilder("del many\n");
        for (int i = 0; i < 512; i++) script.Append("hset many f").Append(i).Append(" v").Append(i).Append('\n');
        script.Append("object encoding many\nhlen many\nhset many last v\nobject encoding many\nhlen many\nhget many f77\nhdel many f1 f2\nobject encoding many\n");
        peers.AssertSame(script.ToString());
    }
}
