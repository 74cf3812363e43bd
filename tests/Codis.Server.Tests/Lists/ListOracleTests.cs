using Codis.Server.Tests.Infrastructure;

namespace Codis.Server.Tests.Lists;

/// <summary>The non-blocking list commands against Debian's redis-server 7.0: same commands, same replies.</summary>
public class ListOracleTests(PeerFixture peers) : IClassFixture<PeerFixture>
{
    [Fact]
    public void ListCommands_SameRepliesAsRedis() => peers.AssertSame("""
        flushdb
        lpush l a b c
        rpush l d e
        lrange l 0 -1
        object encoding l
        lpushx nokey a
        rpushx nokey a
        exists nokey
        lpushx l x y
        rpushx l z
        lrange l 0 -1
        llen l
        llen nokey
        lpush l
        lrange l 0 2
        lrange l -3 -1
        lrange l 5 2
        lrange l -100 100
        lrange l 100 200
        lrange l a 1
        lrange nokey 0 -1
        lindex l 0
        lindex l -1
        lindex l 100
        lindex l -100
        lindex l a
        lindex nokey 0
        lset l 0 first
        lset l -1 last
        lset l 100 x
        lset l a x
        lset nokey 0 x
        lrange l 0 -1
        lpop l
        rpop l
        lpop l 2
        rpop l 2
        lpop l 0
        lpop l -1
        lpop l a
        lpop l 1 2
        lpop nokey
        lpop nokey 2
        lpop nokey 0
        lpop nokey -1
        lrange l 0 -1
        rpop l 100
        exists l
        rpush r a b a c a d a
        lrem r 2 a
        lrange r 0 -1
        lrem r -1 a
        lrange r 0 -1
        lrem r 0 a
        lrange r 0 -1
        lrem r 0 zz
        lrem r x a
        lrem nokey 0 a
        lrem r 0 b
        lrem r 0 c
        lrem r 0 d
        exists r
        rpush t 1 2 3 4 5 6
        ltrim t 1 -2
        lrange t 0 -1
        ltrim t 0 0
        lrange t 0 -1
        ltrim t 5 10
        exists t
        ltrim nokey 0 1
        ltrim t a b
        rpush i a b c
        linsert i before b x
        linsert i after c y
        linsert i after zz y
        linsert i middle b y
        linsert nokey before a b
        lrange i 0 -1
        linsert i before a 0
        lrange i 0 -1
        rpush p a b c a b c a
        lpos p a
        lpos p a rank 2
        lpos p a rank -1
        lpos p a rank -2
        lpos p a count 0
        lpos p a count 2
        lpos p a rank 2 count 0
        lpos p a rank -1 count 0
        lpos p a maxlen 3 count 0
        lpos p a rank -1 maxlen 2 count 0
        lpos p zz
        lpos p zz count 0
        lpos p a rank 0
        lpos p a count -1
        lpos p a maxlen -1
        lpos p a rank -9223372036854775808
        lpos p a rank 9223372036854775807
        lpos p a foo
        lpos p a rank
        lpos nokey a
        lpos nokey a count 0
        rpush src 1 2 3
        rpoplpush src dst
        lrange src 0 -1
        lrange dst 0 -1
        rpoplpush src src
        lrange src 0 -1
        lmove src dst left right
        lmove src dst right left
        lmove src dst up left
        lmove src dst left
        lrange src 0 -1
        lrange dst 0 -1
        rpoplpush nokey dst
        lmove nokey dst left left
        set str x
        rpoplpush str dst
        rpoplpush src str
        rpoplpush nokey str
        lpush str a
        rpush str a
        lpushx str a
        lpop str
        llen str
        lrange str 0 -1
        lindex str 0
        lset str 0 a
        lrem str 0 a
        ltrim str 0 1
        linsert str before a b
        lpos str a
        lmove src src left left
        lrange src 0 -1
        type src
        """);

    [Fact]
    public void BlockingCommands_WithDataOrBadArguments_SameRepliesAsRedis() => peers.AssertSame("""
        flushdb
        rpush l a b c
        blpop l 0
        brpop l 0
        blpop nokey l 1
        rpush l x
        brpoplpush l dst 0
        blmove dst l left right 0
        lrange l 0 -1
        blmove l l right left 0
        lrange l 0 -1
        blpop l abc
        blpop l -1
        blpop l 1e300
        blpop l inf
        blpop l 10000000000000000
        blmove l dst up left 0
        blmove l dst left down 0
        blmove l dst left left abc
        set str x
        blpop str 0
        blpop nokey str 0
        brpop str 1
        brpoplpush str dst 0
        brpoplpush l str 0
        blmove l str left left 0
        zadd z 1 a 2 b 3 c
        bzpopmin z 0
        bzpopmax z 0
        bzpopmin nokey z 0
        bzpopmin str 0
        bzpopmin z abc
        bzpopmin z -1
        bzpopmax z 0.05
        blpop nokey 0.05
        brpoplpush nokey dst 0.05
        exists z
        blpop
        blpop l
        """);
}
