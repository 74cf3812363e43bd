using Codis.Server.Tests.Infrastructure;

namespace Codis.Server.Tests.SortedSets;

/// <summary>ZINTERCARD against Debian's redis-server 7.0: sorted sets and sets (score 1), LIMIT, and the order of Redis's checks.</summary>
public class ZInterCardOracleTests(PeerFixture peers) : IClassFixture<PeerFixture>
{
    [Fact]
    public void ZInterCard_SameRepliesAsRedis() => peers.AssertSame("""
        flushdb
        zadd z1 1 a 2 b 3 c 4 d 5 e
        zadd z2 1 b 2 c 3 d 9 x
        zadd z3 0 d 0 c
        sadd s1 a b c d
        sadd si 1 2 3
        zadd zi 1 1 2 3 5 5
        set str x
        zintercard 1 z1
        zintercard 2 z1 z2
        zintercard 3 z1 z2 z3
        zintercard 3 z1 z2 s1
        zintercard 2 si zi
        zintercard 2 z1 z1
        zintercard 2 z1 z2 limit 1
        zintercard 2 z1 z2 LIMIT 2
        zintercard 2 z1 z2 limit 3
        zintercard 2 z1 z2 limit 100
        zintercard 2 z1 z2 limit 0
        zintercard 2 z1 z2 limit 9223372036854775807
        zintercard 2 z1 z2 limit 1 limit 0
        zintercard 2 z1 z2 limit -1
        zintercard 2 z1 z2 limit abc
        zintercard 2 z1 z2 limit 1.5
        zintercard 2 z1 z2 limit 9223372036854775808
        zintercard 2 z1 z2 limit
        zintercard 2 z1 z2 foo
        zintercard 2 z1 z2 withscores
        zintercard 2 z1 z2 weights 1 2
        zintercard 2 z1 z2 aggregate max
        zintercard 0 z1
        zintercard -1 z1
        zintercard abc z1
        zintercard 9223372036854775808 z1
        zintercard 3 z1 z2
        zintercard 2 z1 str
        zintercard 2 str z1 foo
        zintercard 2 z1 missing
        zintercard 2 missing str
        zintercard 1 missing
        zintercard 1 missing limit -1
        zintercard 2 z1 missing limit -1
        zintercard
        zintercard 1
        command getkeys zintercard 2 z1 z2 limit 1
        command info zintercard
        """);
}
