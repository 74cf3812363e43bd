using Codis.Server.Tests.Infrastructure;

namespace Codis.Server.Tests.SortedSets;

/// <summary>The sorted set commands against Debian's redis-server 7.0: same commands, same replies and score texts.</summary>
public class SortedSetOracleTests(PeerFixture peers) : IClassFixture<PeerFixture>
{
    [Fact]
    public void SortedSetCommands_SameRepliesAsRedis() => peers.AssertSame("""
        flushdb
        zadd z 1 a 2 b 3 c
        zadd z
        zadd z 1
        zadd z 1 a 2
        zadd z nx xx 1 a
        zadd z gt lt 1 a
        zadd z nx gt 1 a
        zadd z incr 1 a 2 b
        zadd z abc a
        zadd z nan a
        zadd z inf d -inf e
        zrange z 0 -1 withscores
        zadd z ch 5 a 2 b 9 new
        zadd z xx 10 zz
        zadd z nx 100 a 4 f
        zadd z gt ch 1 a 50 b
        zadd z lt ch 1 a 50 b
        zadd z incr 2 a
        zadd z incr nx 2 a
        zadd z incr xx 2 nomember
        zadd z gt incr -100 a
        zadd nokey xx 1 a
        zadd nokey xx incr 1 a
        exists nokey
        zadd z incr inf i
        zadd z incr -inf i
        zincrby z 1 a
        zincrby z abc a
        zincrby z 1.5 newmem
        zincrby z 0.1 newmem
        zrange z 0 -1 withscores
        zscore z a
        zscore z nomember
        zscore nokey a
        zmscore z a nomember b
        zmscore nokey a b
        zcard z
        zcard nokey
        zcount z -inf +inf
        zcount z (1 3
        zcount z 1 (3
        zcount z 3 1
        zcount z (3 (3
        zcount z [1 3
        zcount z abc 3
        zcount z ( 3
        zcount nokey 0 1
        zrank z a
        zrank z nomember
        zrevrank z a
        zrank nokey a
        zrem z a nomember
        zrem z nomember
        zrange z 0 -1
        zrange z 0 2
        zrange z -2 -1 withscores
        zrange z 5 1
        zrange z -100 100
        zrange z 0 -1 rev
        zrange z 0 -1 rev withscores
        zrange z (1 5 byscore
        zrange z 5 (1 byscore rev
        zrange z -inf +inf byscore limit 1 2
        zrange z -inf +inf byscore limit 1 -1
        zrange z -inf +inf byscore limit -1 2
        zrange z -inf +inf byscore limit 100 2
        zrange z -inf +inf byscore limit 0 0
        zrange z 0 -1 limit 0 1
        zrange z 0 -1 limit 0 -1
        zrange z - + bylex withscores
        zrange z 0 -1 byscore bylex
        zrange z 0 -1 rev rev
        zrange z 0 -1 foo
        zrange z a b
        zrange z a b byscore
        zrange z a b bylex
        zrange z 0 -1 limit 1
        zrange z 0 -1 limit a b byscore
        zrange nokey 0 -1
        zrevrange z 0 1
        zrevrange z 0 1 withscores
        zrevrange z 0 -1 byscore
        zrevrange z 0 -1 limit 0 1
        zrangebyscore z 2 9
        zrangebyscore z 2 9 withscores limit 1 1
        zrangebyscore z (2 (9
        zrangebyscore z 2 9 rev
        zrevrangebyscore z 9 2
        zrevrangebyscore z 9 2 withscores limit 0 2
        zrevrangebyscore z 2 9
        del lex
        zadd lex 0 a 0 b 0 c 0 d 0 e 0 f
        zrangebylex lex - +
        zrangebylex lex [b (e
        zrangebylex lex (b [e
        zrangebylex lex + -
        zrangebylex lex - -
        zrangebylex lex + +
        zrangebylex lex [c [c
        zrangebylex lex (c [c
        zrangebylex lex [e [b
        zrangebylex lex a b
        zrangebylex lex - + limit 1 2
        zrangebylex lex - + withscores
        zrevrangebylex lex + -
        zrevrangebylex lex [e (b limit 0 2
        zrevrangebylex lex - +
        zlexcount lex - +
        zlexcount lex [b (e
        zlexcount lex + -
        zlexcount lex a b
        zlexcount nokey - +
        zrangestore dst lex 0 2
        zrange dst 0 -1 withscores
        object encoding dst
        zrangestore dst lex [b [d bylex
        zrange dst 0 -1
        zrangestore dst lex 5 1
        exists dst
        zrangestore dst nokey 0 -1
        zrangestore dst z 0 -1 withscores
        zrangestore dst z -inf inf byscore limit 1 2
        zrange dst 0 -1 withscores
        zremrangebyrank lex 0 1
        zrange lex 0 -1
        zremrangebyrank lex 10 20
        zremrangebyrank lex a 1
        zremrangebylex lex [d [e
        zrange lex 0 -1
        zremrangebylex lex a b
        zremrangebyscore z (1 4
        zrange z 0 -1 withscores
        zremrangebyscore z a b
        zremrangebyscore nokey 0 1
        zremrangebyrank lex 0 -1
        exists lex
        zadd z1 1 a 2 b 3 c
        zadd z2 10 b 20 c 30 d
        sadd s1 a d x
        zunion 2 z1 z2 withscores
        zunion 2 z1 z2 weights 2 3 withscores
        zunion 2 z1 z2 aggregate min withscores
        zunion 2 z1 z2 aggregate max withscores
        zunion 3 z1 z2 s1 withscores
        zinter 2 z1 z2 withscores
        zinter 2 z1 z2 aggregate max withscores
        zinter 3 z1 z2 s1 withscores
        zinter 2 z1 s1 withscores
        zdiff 2 z1 z2 withscores
        zdiff 2 z1 s1
        zdiff 2 z1 z1
        zdiff 2 z1 z2 weights 1 2
        zdiff 1 nokey
        zunion 0 z1
        zunion -1 z1
        zunion 3 z1 z2
        zunion 2 z1 z2 weights 1
        zunion 2 z1 z2 weights 1 a
        zunion 2 z1 z2 aggregate foo
        zunion 2 z1 z2 foo
        zunion abc z1
        zunion 2 z1 str
        set str x
        zunion 2 z1 str
        zunion 2 z1 str foo
        zinter 2 z1 nokey
        zunionstore out 2 z1 z2
        zrange out 0 -1 withscores
        zunionstore out 2 z1 z2 withscores
        zinterstore out 2 z1 z2 weights 1 0.5
        zrange out 0 -1 withscores
        zinterstore out 2 z1 nokey
        exists out
        zdiffstore out 2 z1 z2
        zrange out 0 -1 withscores
        zdiffstore out 0 z1
        zadd inf 1 a
        zadd inf2 inf a
        zunion 2 inf inf2 weights 0 1 withscores
        zadd ninf -inf a
        zunion 2 inf2 ninf withscores
        zinter 2 inf2 inf2 weights 0 0 withscores
        zpopmin z1
        zpopmin z1 5
        exists z1
        zpopmax z2 2
        zpopmax z2 0
        zpopmax z2 -1
        zpopmax z2 abc
        zpopmax z2 1 2
        zpopmin nokey
        zpopmin str
        zrandmember nokey
        zrandmember nokey 1
        zrandmember z2 0
        zrandmember z2 1 withscore
        zrandmember z2 5 withscores
        zrandmember z2 -3 withscores
        zrandmember z2 -9223372036854775808
        zscan z2 0
        zscan z 0 match x* count 5
        zscan nokey 0
        zscan z abc
        zscan z 0 count 0
        zadd scores 1.1 a 0.1 b 1e-5 c 1e17 d 123456789.123 e -0.5 f 1.7976931348623157e308 g 5e-324 h
        zrange scores 0 -1 withscores
        zscan scores 0
        zadd big 1 0123456789012345678901234567890123456789012345678901234567890123
        object encoding big
        zadd big 1 01234567890123456789012345678901234567890123456789012345678901234
        object encoding big
        zadd big2 1 01234567890123456789012345678901234567890123456789012345678901234
        object encoding big2
        type z
        zrange z (1 (1 byscore
        zrange z 1 1 byscore
        zcount z 1 1
        zrange str 0 -1
        zadd str 1 a
        zrank str a
        zscore str a
        zrem str a
        zincrby str 1 a
        zrangestore dst str 0 -1
        zrangestore str z 0 -1
        type str
        """);
}
