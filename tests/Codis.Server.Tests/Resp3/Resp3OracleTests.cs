using Codis.Server.Tests.Infrastructure;

namespace Codis.Server.Tests.Resp3;

/// <summary>
/// Every command family after HELLO 3 (and the same scripts in RESP2, for the fallbacks) against Debian's
/// redis-server 7.0, comparing the raw reply frames byte for byte. Commands whose replies differ for reasons
/// other than the protocol (random picks, timings, hash order, encodings) are left out.
/// </summary>
public class Resp3OracleTests(PeerFixture peers) : IClassFixture<PeerFixture>
{
    [Theory, InlineData(3), InlineData(2)]
    public void Strings_SameFramesAsRedis(int protocol) => peers.AssertSameFrames("""
        flushall
        set s hello
        get s
        get nokey
        mget s nokey
        getdel nokey
        getex nokey
        getex s persist
        incrbyfloat f 1.5
        incrbyfloat f 0.1
        setrange s 10 x
        getrange s 0 -1
        strlen s
        set a ohmytext
        set b mynewtext
        lcs a b
        lcs a b len
        lcs a b idx
        lcs a b idx minmatchlen 4 withmatchlen
        lcs a nokey idx
        set k v
        ttl k
        pttl nokey
        expiretime k
        copy k k2
        type k
        exists k nokey
        bitfield bf incrby i5 100 1 get u4 0
        bitfield bf get u4 0 overflow fail incrby u2 0 10
        bitfield_ro bf get u4 0
        pfadd p a b c
        pfcount p
        echo hi
        ping
        ping x
        """, protocol);

    [Theory, InlineData(3), InlineData(2)]
    public void ListsAndBlocking_SameFramesAsRedis(int protocol) => peers.AssertSameFrames("""
        flushall
        rpush l a b c
        lrange l 0 -1
        lpop nol
        lpop nol 2
        lpop l 0
        rpop l 5
        rpush l a b c
        lpos l a
        lpos l zz
        lpos l b count 0
        lindex l 99
        lmpop 1 nol left
        lmpop 1 l right count 2
        blpop nol 0.01
        brpop nol 0.01
        blmpop 0.01 1 nol left
        brpoplpush nol x 0.01
        blmove nol x left left 0.01
        lpush bl a
        blpop bl 0
        sort nol
        rpush n 3 1 2
        sort n
        sort n limit 0 1
        sort_ro n
        sort n by nosort get #
        """, protocol);

    [Theory, InlineData(3), InlineData(2)]
    public void Hashes_SameFramesAsRedis(int protocol) => peers.AssertSameFrames("""
        flushall
        hset h f1 v1 f2 v2
        hgetall h
        hgetall noh
        hget h nof
        hmget h f1 nof
        hkeys h
        hvals h
        hrandfield h 0
        hrandfield noh
        hrandfield noh 2
        hrandfield noh 2 withvalues
        hset h1 only one
        hrandfield h1 1 withvalues
        hrandfield h1 -2 withvalues
        hrandfield h1 -2
        hrandfield h1
        hincrbyfloat h1 x 2.5
        hscan h1 0
        hstrlen h f1
        """, protocol);

    [Theory, InlineData(3), InlineData(2)]
    public void Sets_SameFramesAsRedis(int protocol) => peers.AssertSameFrames("""
        flushall
        sadd st a
        smembers st
        smembers nost
        sinter st st
        sunion st nost
        sdiff st nost
        sinter nost st
        srandmember st
        srandmember st 1
        srandmember st -2
        srandmember nost
        srandmember nost 3
        spop nost
        spop nost 2
        spop st 0
        spop st 5
        sadd st a
        smismember st a b
        sscan st 0
        sadd s1 a b
        sadd s2 b c
        sinter s1 s2
        sunionstore s3 s1 s2
        sdiffstore s4 s1 s2
        smembers s4
        sintercard 2 s1 s2
        smove s4 s5 a
        smembers s5
        """, protocol);

    [Theory, InlineData(3), InlineData(2)]
    public void SortedSets_SameFramesAsRedis(int protocol) => peers.AssertSameFrames("""
        flushall
        zadd z 1 a 2.5 b
        zadd z incr 1.1 a
        zadd z nx incr 1 a
        zadd z xx incr 1 zz
        zincrby z 1 b
        zscore z a
        zscore z zz
        zscore noz a
        zmscore z a zz b
        zmscore noz a
        zrange z 0 -1
        zrange z 0 -1 withscores
        zrevrange z 0 -1 withscores
        zrangebyscore z -inf +inf withscores
        zrevrangebyscore z +inf -inf withscores
        zrange z 0 -1 byscore rev withscores
        zrange nz 0 -1 withscores
        zrangebylex z - +
        zrank z a
        zrank z zz
        zrevrank z zz
        zadd z1 5 m
        zrandmember z1 1 withscores
        zrandmember z1 -2 withscores
        zrandmember z1
        zrandmember noz
        zrandmember noz 1 withscores
        zunion 2 z z1 withscores
        zinter 2 z z withscores
        zdiff 2 z z1 withscores
        zunion 2 z z1
        zunion 1 z withscores aggregate max
        zinterstore d2 2 z z weights 1.5 2
        zrange d2 0 -1 withscores
        zrangestore dst z 0 -1
        zrange dst 0 -1 withscores
        zpopmin z1
        zadd z1 5 m 6 n
        zpopmin z1 1
        zpopmax z1
        zpopmin noz
        zpopmin noz 2
        zadd z1 5 m 6 n
        zpopmax z1 5
        zadd z1 5 m
        bzpopmin z1 0.01
        bzpopmin noz 0.01
        zadd z1 5 m
        bzpopmax z1 0.01
        zadd z1 5 m 7 n
        zmpop 1 z1 min
        zmpop 1 noz min
        bzmpop 0.01 1 noz min
        zadd z1 5 m
        bzmpop 0.01 1 z1 max count 3
        zscan z 0
        zadd zinf inf a -inf b
        zrange zinf 0 -1 withscores
        zscore zinf a
        zadd zf 0.1 x 1e20 y 3.0000000000000004 w -0.5 v
        zrange zf 0 -1 withscores
        zincrby zf 1e300 y
        zadd zf gt ch incr 5 x
        """, protocol);

    [Theory, InlineData(3), InlineData(2)]
    public void Geo_SameFramesAsRedis(int protocol) => peers.AssertSameFrames("""
        flushall
        geoadd g 13.361389 38.115556 Palermo 15.087269 37.502669 Catania
        geodist g Palermo Catania
        geodist g Palermo nope
        geodist g Palermo Palermo km
        geopos g Palermo nope
        geopos nog a
        geohash g Palermo nope
        georadius g 15 37 200 km withdist withcoord withhash asc
        geosearch g fromlonlat 15 37 byradius 200 km withdist withcoord asc
        geosearch g fromlonlat 13 38 byradius 100 km withcoord count 1
        georadiusbymember g Palermo 200 km withcoord asc
        geosearchstore g2 g fromlonlat 13 38 byradius 100 km storedist
        zrange g2 0 -1 withscores
        """, protocol);

    [Theory, InlineData(3), InlineData(2)]
    public void Streams_SameFramesAsRedis(int protocol) => peers.AssertSameFrames("""
        flushall
        xadd x 1-1 a 1
        xadd x 2-1 b 2
        xrange x - +
        xrevrange x + -
        xread streams x 0
        xread count 1 streams x nox 0 0
        xread streams nox 0
        xread block 10 streams nox $
        xlen x
        xinfo stream x
        xinfo stream nox
        xadd e 1-1 a 1
        xdel e 1-1
        xinfo stream e
        xgroup create x g 0
        xreadgroup group g c streams x >
        xreadgroup group g c streams x 0
        xreadgroup group g c2 block 10 streams x >
        xpending x g
        xinfo groups x
        xgroup createconsumer x g c1
        xdel x 1-1
        xreadgroup group g c streams x 0
        xautoclaim x g c 0 0 count 10 justid
        xclaim x g c 0 2-1 justid
        xack x g 1-1 2-1
        xclaim x nog c 0 1-1
        """, protocol);

    [Theory, InlineData(3), InlineData(2)]
    public void KeysTransactionsAndServer_SameFramesAsRedis(int protocol) => peers.AssertSameFrames("""
        flushall
        set s v
        hset h f1 v1
        zadd z 2.5 a
        scan 0 count 1000 match nothing*
        object freq nokey
        dbsize
        config get maxmemory
        config get maxmemory-policy
        config get nonexistingthing
        config get maxmemory maxmemory
        multi
        get s
        zscore z a
        hgetall h
        smembers nos
        exec
        watch s
        set s changed
        multi
        get s
        exec
        command getkeys get k
        command getkeysandflags set k v
        command getkeysandflags lmove a b left right
        command info get
        command info georadius
        command info lpush
        command info zunionstore
        command info nope
        command docs nope
        acl whoami
        acl getuser default
        acl getuser nobody
        acl deluser nobody
        client getname
        function stats
        function list
        latency latest
        latency history command
        slowlog get 0
        pubsub channels
        pubsub numsub a b
        pubsub numpat
        pubsub shardnumsub a
        module list
        script exists abc
        """, protocol);

    [Theory, InlineData(3), InlineData(2)]
    public void Functions_SameFramesAsRedis(int protocol) => peers.AssertSameFrames($$"""
        function flush
        function load hex:{{Convert.ToHexString("#!lua name=lib\nredis.register_function{function_name='f', callback=function() return 1 end, flags={'no-writes'}}"u8)}}
        function list
        function list withcode
        fcall f 0
        function flush
        """, protocol);
}
