using Codis.Server.Tests.Infrastructure;

namespace Codis.Server.Tests.Acl;

/// <summary>
/// ACL against Debian's redis-server 7.0: the rule parser (each rule and its error text), ACL GETUSER / LIST of the
/// result, the other ACL subcommands, and NOPERM for commands, subcommands, keys (read vs write patterns) and
/// channels, in MULTI and in scripts. Rules here give one reply in Redis: its single-command rules come out in
/// hash order, so a case lists at most one command beyond the categories.
/// </summary>
public class AclOracleTests(PeerFixture peers) : IClassFixture<PeerFixture>
{
    [Fact]
    public void RuleParser_SameRepliesAndRulesAsRedis() => peers.AssertSame("""
        acl setuser p1
        acl getuser p1
        acl setuser p1 on >secret >secret >other <other
        acl getuser p1
        acl setuser p1 <nosuch
        acl setuser p1 #abc
        acl setuser p1 #2D711642B726B04401627CA9FBAC32F5C8530FB1903CC4DB02258717921A4881
        acl setuser p1 #2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881
        acl setuser p1 !2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881
        acl setuser p1 !2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881
        acl setuser p1 !xyz
        acl getuser p1
        acl setuser p1 nopass
        acl getuser p1
        acl setuser p1 >again
        acl getuser p1
        acl setuser p1 resetpass
        acl getuser p1
        acl setuser p1 +nosuch
        acl setuser p1 +@nosuch
        acl setuser p1 -@nosuch
        acl setuser p1 -nosuch
        acl setuser p1 +config|nosuch
        acl setuser p1 +config|get|x
        acl setuser p1 +get|
        acl setuser p1 -get|x
        acl setuser p1 xyz
        acl setuser p1 ""
        acl setuser p1 %X~a
        acl setuser p1 %~a
        acl setuser p1 %R
        acl setuser p1 %RRR~a
        acl setuser p1 %rw~lower
        acl setuser p1 ~a allkeys ~b
        acl setuser p1 allkeys ~b
        acl setuser p1 &a allchannels &b
        acl setuser p1 allchannels &c
        acl getuser p1
        acl setuser p1 (~x
        acl setuser p1 "(~x" +get
        acl setuser p1 (+nosuch)
        acl setuser "a b" on
        acl setuser p1 reset
        acl getuser p1
        acl list
        acl setuser p2 on nopass ~k* %R~r* %W~w* %RW~rw* ~k* &ch* &ch* &other -@all +@read
        acl getuser p2
        acl setuser p3 reset +@all -@admin resetkeys %R~* resetchannels &x
        acl getuser p3
        acl setuser p4 reset +@all -config|set
        acl getuser p4
        acl setuser p5 reset -@all +config -config|set
        acl getuser p5
        acl setuser p6 reset -@all +get|x
        acl getuser p6
        acl setuser p7 reset -@all +select|0 +select|1
        acl getuser p7
        acl setuser p8 reset on >pw ~a* "(+get ~x)" "(+set %W~y &z)"
        acl getuser p8
        acl setuser p8 clearselectors
        acl getuser p8
        acl setuser p9 reset nocommands allkeys allchannels skip-sanitize-payload
        acl getuser p9
        acl setuser p9 allcommands sanitize-payload
        acl getuser p9
        acl setuser p10 reset -@all +@write +@read
        acl getuser p10
        acl setuser p11 reset +@all -@dangerous
        acl getuser p11
        acl setuser p12 reset -@all +@connection +@pubsub
        acl getuser p12
        acl list
        acl users
        acl getuser nosuch
        acl deluser p1 default
        acl deluser p1 nosuch p2
        acl deluser nosuch
        acl users
        """);

    [Fact]
    public void OtherSubcommands_SameRepliesAsRedis() => peers.AssertSame("""
        acl
        acl nosuch
        acl help
        acl help x
        acl whoami
        acl whoami x
        acl users x
        acl list x
        acl cat
        acl cat nosuch
        acl cat geo x
        acl genpass 0
        acl genpass 4097
        acl genpass -1
        acl genpass abc
        acl genpass 1 2
        acl log x
        acl log -1
        acl log 0
        acl log 1 2
        acl load
        acl save
        acl getuser
        acl setuser
        acl deluser
        acl dryrun x
        acl dryrun nosuch get k
        acl setuser dry on nopass ~k* &ch* +get +publish +config|get +select|0
        acl dryrun dry get k1
        acl dryrun dry get x
        acl dryrun dry set k1 v
        acl dryrun dry nocmd
        acl dryrun dry get
        acl dryrun dry config get maxmemory
        acl dryrun dry config set maxmemory 0
        acl dryrun dry config nosuch
        acl dryrun dry publish ch1 m
        acl dryrun dry publish other m
        acl dryrun dry select 0
        acl dryrun dry select 1
        acl dryrun dry auth x y
        acl deluser dry
        """);

    [Fact]
    public void Enforcement_SameRepliesAsRedis() => peers.AssertSame($$"""
        # library acllib: aclget(key) returns redis.call('get', key), aclx() redis.call('get', 'x')
        function load replace hex:{{AclLibrary}}
        acl setuser en on >pw ~k* %R~r* %W~w* &ch* +get +set +lpush +incr +del +publish +subscribe +multi +exec +discard +eval +fcall +config|get +select|0 +client +ping
        auth en wrong
        auth nosuch pw
        auth en pw
        acl whoami
        get k1
        get x
        set x v
        set k1 v
        get r1
        set r1 v
        set r1 v get
        set w1 v
        set w1 v get
        get w1
        lpush w2 a
        incr w3
        incr k3
        del k1
        del r1
        del w1
        hset k1 f v
        config get maxmemory
        config set maxmemory 0
        select 0
        select 1
        publish ch1 m
        publish other m
        eval "return redis.call('get','k1')" 0
        eval "return redis.call('get','x')" 0
        eval "return redis.pcall('get','x')" 0
        eval "return redis.call('hset','k1','f','v')" 0
        eval "return redis.call('publish','other','m')" 0
        fcall aclget 1 k1
        fcall aclget 1 x
        fcall aclx 0
        multi
        get k1
        get x
        hset k1 f v
        exec
        multi
        get k1
        exec
        auth default x
        acl setuser en -ping
        auth en pw
        ping
        auth default x
        acl deluser en
        acl whoami
        function delete acllib
        """);

    /// <summary>Read-only and write-only key patterns against each key's own spec: the sources read, the destination written.</summary>
    [Fact]
    public void KeyAccess_PerKeySpec_SameRepliesAsRedis() => peers.AssertSame("""
        acl setuser ka on >pw %R~r* %W~w* +@all
        sadd r1 a
        zadd r2 1 a
        set r3 v
        setbit rb 1 1
        auth ka pw
        sunionstore w1 r1
        sunionstore r9 r1
        sunionstore w1 w2
        zunionstore w1 1 r2
        zunionstore w1 1 w2
        zinterstore r9 1 r2
        zrangestore w1 r2 0 -1
        copy r3 w3
        copy w3 r9
        bitop or w4 rb
        bitop or w4 w5
        zrem w6 a
        zrem r2 a
        srem w7 a
        set w8 v
        set w8 v get
        bitfield rb get u8 0
        bitfield rb set u8 0 1
        bitfield wb set u8 0 1
        getdel r3
        pfmerge w9 rh
        lmove r1 w1 left left
        rename r3 w3
        auth default x
        acl deluser ka
        """);

    private static readonly string AclLibrary = Convert.ToHexString(System.Text.Encoding.UTF8.GetBytes(
        "#!lua name=acllib\nredis.register_function('aclget', function(keys, args) return redis.call('get', keys[1]) end)\n" +
        "redis.register_function('aclx', function(keys, args) return redis.call('get', 'x') end)"));

    [Fact]
    public void ExecNotAllowed_AbortsTheTransaction_SameAsRedis() => peers.AssertSame("""
        acl setuser nx on >pw ~* +multi +get +ping
        auth nx pw
        multi
        get a
        exec
        ping
        multi
        ping
        discard
        reset
        acl whoami
        acl deluser nx
        """);
}
