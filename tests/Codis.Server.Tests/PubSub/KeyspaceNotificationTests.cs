using System.Globalization;
using System.Text;
using Codis.Core.Resp;
using Codis.Server.Tests.Infrastructure;
using Codis.Testing;

namespace Codis.Server.Tests.PubSub;

/// <summary>
/// Keyspace notifications (notify-keyspace-events) against Debian's redis-server 7.0: the same script on both
/// servers, a PSUBSCRIBE '__key*__:*' client on each, and the message sequences must be identical.
/// </summary>
public class KeyspaceNotificationTests(PeerFixture peers) : IClassFixture<PeerFixture>
{
    /// <summary>
    /// Runs the script (one command per line) with the given flags and returns what the subscriber got: one line per
    /// message, "channel payload", and after each command a line "## command" (published as a marker).
    /// </summary>
    private static List<string> Events(Func<RespClient> connect, string flags, string script) => Events(connect, flags, script, null, "");

    /// <summary><see cref="Events(Func{RespClient}, string, string)"/> with <paramref name="between"/> run after the script, then <paramref name="more"/>.</summary>
    private static List<string> Events(Func<RespClient> connect, string flags, string script, Action? between, string more)
    {
        using var c = connect();
        using var sub = connect();
        Assert.Equal("OK", c.Call("FLUSHALL").ToString());
        Assert.Equal("OK", c.Call("CONFIG", "SET", "notify-keyspace-events", flags).ToString());
        sub.Call("PSUBSCRIBE", "__key*__:*");
        Run(c, script);
        between?.Invoke();
        Run(c, more);
        c.Call("PUBLISH", "__keyend__:", "");
        c.Call("CONFIG", "SET", "notify-keyspace-events", "");
        var got = new List<string>();
        while (true)
        {
            var m = sub.Read();
            string channel = Encoding.UTF8.GetString(m.Items![2].Bytes!), payload = Encoding.UTF8.GetString(m.Items[3].Bytes!);
            if (channel == "__keyend__:") return got;
            got.Add(channel == "__keymark__:" ? "## " + payload : channel + " " + payload);
        }
    }

    /// <summary>Each command of the script, followed by a marker message naming it.</summary>
    private static void Run(RespClient c, string script)
    {
        foreach (var raw in script.Split('\n'))
        {
            string line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            c.Call(PeerFixture.Words(line));
            c.Call("PUBLISH", "__keymark__:", line);
        }
    }

    private void AssertSameEvents(string script, string flags = "KEA")
    {
        var expected = Events(() => peers.Redis.Client(), flags, script);
        var actual = Events(() => peers.Codis.Client(), flags, script);
        Assert.Contains(expected, e => !e.StartsWith("## ", StringComparison.Ordinal)); // the script did announce something
        Assert.Equal(string.Join("\n", expected), string.Join("\n", actual));
    }

    [Fact]
    public void Strings_and_generic_commands_publish_as_redis() => AssertSameEvents("""
        set a 1
        set a 2 EX 10
        set a 3 KEEPTTL
        set a 4 PX 100000 GET
        setnx a 4
        setnx b 4
        set c 1 NX
        set c 1 XX
        set nokey 1 XX
        set c 1 GET
        getset c 2
        getdel c
        getdel c
        getex a PERSIST
        getex a PERSIST
        getex a EX 100
        getex a PXAT 1
        incr n
        decr n
        incrby n 5
        decrby n 2
        incrbyfloat f 1.5
        append s xx
        append s yy
        setrange s 1 ZZ
        setrange s2 0 ""
        setrange s 0 ""
        setrange s3 2 ab
        mset m1 1 m2 2
        msetnx m3 1 m4 2
        msetnx m3 1 m5 2
        psetex p 1000 v
        setex p2 100 v
        del a b nokey
        expire n 100
        pexpire n 100000
        expireat n 99999999999
        pexpireat n 99999999999000
        expire nokey 100
        persist n
        persist n
        expire n 0
        expire f -1
        set t 1
        expire t 100 NX
        expire t 100 NX
        expire t 200 GT
        rename s s9
        rename s9 s9
        renamenx s9 m1
        renamenx s9 zz
        set zz2 1
        rename zz zz2
        move zz2 3
        move nokey 3
        copy m1 m5
        copy m1 m2 REPLACE
        copy m1 m2
        copy m1 m7 DB 2
        unlink m2 m3
        set e 1 PXAT 1
        """);

    [Fact]
    public void List_commands_publish_as_redis() => AssertSameEvents("""
        rpush l a b c d e
        lpush l z
        lpushx l y
        rpushx nol y
        lpop l
        rpop l 2
        lpop nol
        linsert l BEFORE a q
        linsert l BEFORE nothere q
        lset l 0 w
        lrem l 1 w
        lrem l 1 nothere
        ltrim l 0 -1
        ltrim l 0 1
        ltrim l 5 10
        rpush l2 a b
        rpoplpush l2 l3
        lmove l2 l3 RIGHT LEFT
        lmove l3 l3 LEFT RIGHT
        rpush l4 x
        lmove l4 l3 LEFT LEFT
        lmpop 1 l3 LEFT COUNT 5
        rpush bl a
        blpop bl 0
        rpush bl a b
        blmove bl bl2 LEFT LEFT 0
        brpoplpush bl bl3 0
        rpush bl a b
        blmpop 0 1 bl RIGHT COUNT 5
        """);

    [Fact]
    public void Hash_commands_publish_as_redis() => AssertSameEvents("""
        hset h a 1 b 2
        hset h a 1
        hsetnx h a 2
        hsetnx h c 2
        hmset h d 4
        hdel h a nothere
        hdel h nothere
        hincrby h n 1
        hincrbyfloat h f 1.5
        hdel h b c d n f
        hincrby h2 x 1
        """);

    [Fact]
    public void Set_commands_publish_as_redis() => AssertSameEvents("""
        sadd s a b c
        sadd s a
        srem s a nothere
        srem s nothere
        spop s
        spop s 5
        sadd s a b c
        smove s s2 a
        smove s s2 nothere
        smove s s b
        sadd s2 b
        smove s s2 b
        smove s s2 c
        sadd s a b c
        sadd s3 b x
        sinterstore d s s3
        sunionstore d s s3
        sdiffstore d s s3
        sdiffstore d s s
        sinterstore nod s nothere
        sadd t a b c
        spop t 0
        srem t a b c
        """);

    [Fact]
    public void Sorted_set_commands_publish_as_redis() => AssertSameEvents("""
        zadd z 1 a 2 b 3 c
        zadd z 1 a
        zadd z XX 5 nothere
        zadd z CH 9 a
        zadd z INCR 1 a
        zadd z NX INCR 1 a
        zincrby z 2 b
        zincrby nz 2 b
        zrem z a nothere
        zrem z nothere
        zadd z 1 a 4 d 5 e 6 f
        zremrangebyscore z 1 1
        zremrangebyscore z 100 200
        zremrangebyrank z 0 0
        zremrangebylex z - [d
        zpopmin z
        zpopmax z 2
        zpopmin nz2
        zadd z 7 g 8 h
        zadd z2 1 x 2 y
        zinterstore zd 2 z z2
        zunionstore zd 2 z z2
        zinterstore zd 2 z z2
        zdiffstore zd 1 z
        zrangestore zd z 0 -1
        zrangestore zd z 5 10
        zmpop 1 z MIN COUNT 10
        zadd z3 1 a
        bzpopmin z3 0
        zadd z3 1 a 2 b
        bzpopmax z3 0
        bzmpop 0 1 z3 MAX COUNT 3
        """);

    /// <summary>A BLPOP and a BLMOVE wait, then pushes serve them: the pusher's event, then the served pop's.</summary>
    private static List<string> BlockedEvents(Func<RespClient> connect)
    {
        using var blpop = connect();
        using var blmove = connect();
        var events = Events(connect, "KEA", "", () =>
        {
            blpop.Send(PeerFixture.Words("blpop bq 0"));
            blpop.Flush();
            blmove.Send(PeerFixture.Words("blmove bq2 dq LEFT LEFT 0"));
            blmove.Flush();
            Thread.Sleep(200); // both are waiting before anything is pushed
        }, "rpush bq a b\nrpush bq2 x");
        Assert.Equal("*2\r\n$2\r\nbq\r\n$1\r\na\r\n", Encoding.UTF8.GetString(blpop.ReadRawAvailable(TimeSpan.FromSeconds(1))));
        return events;
    }

    [Fact]
    public void Served_blocked_pops_publish_as_redis() =>
        Assert.Equal(string.Join("\n", BlockedEvents(() => peers.Redis.Client())), string.Join("\n", BlockedEvents(() => peers.Codis.Client())));

    [Fact]
    public void Stream_commands_publish_as_redis() => AssertSameEvents("""
        xadd x 1-1 f v
        xadd x 2-1 f v
        xadd x NOMKSTREAM 3-1 f v
        xadd nox NOMKSTREAM 3-1 f v
        xadd x MAXLEN 1 4-1 f v
        xadd x MAXLEN 5 5-1 f v
        xtrim x MAXLEN 0
        xtrim x MAXLEN 0
        xadd x 6-1 f v
        xdel x 6-1
        xdel x 9-9
        xgroup CREATE x g 0
        xgroup CREATE x g 0
        xgroup CREATE y g 0 MKSTREAM
        xgroup CREATECONSUMER x g c
        xgroup CREATECONSUMER x g c
        xgroup SETID x g 0
        xgroup DELCONSUMER x g c
        xgroup DELCONSUMER x g c
        xgroup DESTROY x g
        xgroup DESTROY x g
        xsetid x 10-10
        xadd x 11-1 f v
        xgroup CREATE x g2 0
        xreadgroup GROUP g2 c1 COUNT 1 STREAMS x >
        xack x g2 11-1
        xadd x 12-1 f v
        xreadgroup GROUP g2 c1 COUNT 1 STREAMS x >
        xclaim x g2 c2 0 12-1
        xautoclaim x g2 c3 0 0
        del x y
        """);

    [Fact]
    public void Other_writers_publish_as_redis() => AssertSameEvents("""
        rpush sl 3 1 2
        sort sl STORE sd
        sort sl LIMIT 5 5 STORE sd
        sort nol STORE sd2
        setbit b 1 1
        setbit b 1 1
        bitfield bf SET u8 0 1
        bitfield bf SET u8 0 1
        bitfield bf GET u8 0
        bitfield bf OVERFLOW FAIL INCRBY u8 0 300
        bitop AND bo b bf
        bitop AND bo nothere
        pfadd h a
        pfadd h a
        pfmerge h2 h
        pfmerge h2 h
        geoadd g 1 1 m
        geoadd g 1 1 m
        geosearchstore g2 g FROMLONLAT 1 1 BYRADIUS 10 km
        georadius g 1 1 10 km STORE g3
        georadius g 50 50 10 km STORE g3
        set r 1
        restore r2 0 hex:00c0010a002678e7b6d10111fc
        restore r2 0 hex:00c0010a002678e7b6d10111fc REPLACE
        restore r2 1 hex:00c0010a002678e7b6d10111fc REPLACE ABSTTL
        """);

    [Fact]
    public void Read_misses_publish_keymiss_as_redis() => AssertSameEvents("""
        get a
        mget a b
        exists a
        type a
        ttl a
        lrange l 0 -1
        hget h f
        smembers s
        zscore z m
        xrange x - +
        sunion s1 s2
        strlen a
        set a 1
        get a
        getrange a 0 1
        lindex l 0
        dump zz
        object encoding zz
        """, "KEm");

    /// <summary>Writing commands whose source keys Redis looks up as reads (lookupKeyRead): their misses are announced too.</summary>
    [Fact]
    public void Source_misses_of_writing_commands_publish_keymiss_as_redis() => AssertSameEvents("""
        sunionstore d s1 s2
        sinterstore d s1
        sdiffstore d s1 s2
        zunionstore d 2 z1 z2
        zinterstore d 1 z1
        zdiffstore d 1 z1
        zrangestore d z1 0 -1
        sort l store d
        sort l
        rpush l 1 2
        sort l by w_* get o_*
        copy src dst
        pfmerge d h1 h2
        bitop and d b1 b2
        geosearchstore d g fromlonlat 0 0 byradius 1 km
        georadius g 0 0 1 km
        getdel g1
        getex g1
        getset g1 v
        set g2 v get
        set g3 v nx
        bitfield bf get u8 0
        bitfield bf2 set u8 0 1
        rpoplpush l1 l2
        smove s1 s2 m
        rename nokey x
        """, "KEm");

    /// <summary>The same lookups count in INFO's keyspace_hits / keyspace_misses, hits included.</summary>
    [Theory]
    [InlineData("sadd s1 a", "sunionstore d s1 s2")]
    [InlineData("sadd d x", "sinterstore d d s2")]
    [InlineData("zadd z 1 a", "zunionstore d 2 z z2")]
    [InlineData("zadd z 1 a", "zrangestore d z 0 -1")]
    [InlineData("set src v", "copy src dst")]
    [InlineData("set g1 v", "getdel g1")]
    [InlineData("set g1 v", "getex g1 persist")]
    [InlineData("set g2 a", "set g2 v get")]
    [InlineData("set g2 a", "set g2 v nx")]
    [InlineData("pfadd h1 a", "pfmerge d h1")]
    [InlineData("rpush l 1 2", "sort l by w_* get o_*")]
    [InlineData("set b1 x", "bitop or d b1 b2")]
    [InlineData("set bf a", "bitfield bf get u8 0")]
    [InlineData("set bf a", "bitfield bf incrby u8 0 1")]
    [InlineData("geoadd g 0 0 m", "geosearchstore d g fromlonlat 0 0 byradius 1 km")]
    [InlineData("set k v", "rename k k2")]
    public void Source_lookups_count_in_keyspace_hits_and_misses_as_redis(string setup, string command)
    {
        string Counts(RespClient c)
        {
            Assert.Equal("OK", c.Call("FLUSHALL").ToString());
            c.Call(PeerFixture.Words(setup));
            Assert.Equal("OK", c.Call("CONFIG", "RESETSTAT").ToString());
            c.Call(PeerFixture.Words(command));
            var stats = c.Call("INFO", "stats").Text!.Split("\r\n");
            return string.Join(" ", stats.Where(l => l.StartsWith("keyspace_hits:", StringComparison.Ordinal) || l.StartsWith("keyspace_misses:", StringComparison.Ordinal)));
        }
        using var redis = peers.Redis.Client();
        using var codis = peers.Codis.Client();
        Assert.Equal(Counts(redis), Counts(codis));
    }

    [Fact]
    public void New_key_events_come_first_as_redis() => AssertSameEvents("""
        set a 1
        set a 2
        rename a b
        set c 1
        rename b c
        move c 2
        set d 1
        copy d e
        copy d e REPLACE
        incr i
        append ap x
        setrange sr 1 x
        lpush l x
        lmove l l2 LEFT RIGHT
        sadd s1 a
        smove s1 s2 a
        sunionstore s3 s2
        hset h f v
        zadd z 1 a
        zunionstore z2 1 z
        """, "KEAn");

    [Fact]
    public void Only_the_enabled_classes_and_channels_are_published() => AssertSameEvents("""
        set a 1
        expire a 100
        del a
        incr b
        rename b c
        """, "K$");

    [Fact]
    public void Config_get_shows_the_canonical_flags_as_redis() => peers.AssertSame("""
        config set notify-keyspace-events KEA
        config get notify-keyspace-events
        config set notify-keyspace-events KEAnm
        config get notify-keyspace-events
        config set notify-keyspace-events Kg
        config get notify-keyspace-events
        config set notify-keyspace-events nKE
        config get notify-keyspace-events
        config set notify-keyspace-events "g$lshzxetd"
        config get notify-keyspace-events
        config set notify-keyspace-events "g$lshzxe"
        config get notify-keyspace-events
        config set notify-keyspace-events mgg
        config get notify-keyspace-events
        config set notify-keyspace-events kea
        config set notify-keyspace-events "AKE "
        config get notify-keyspace-events
        config set notify-keyspace-events ""
        config get notify-keyspace-events
        """);

    [Fact]
    public void Flags_dropped_from_the_shown_form_still_apply() =>
        // "AKEn" reads back "AKE" (Redis 7.0 shows n only without A), yet new keys are still announced.
        AssertSameEvents("""
            config get notify-keyspace-events
            set a 1
            """, "AKEn");

    [Fact]
    public void Config_rewrite_keeps_the_setting_and_a_restart_applies_it()
    {
        string dir = Directory.CreateTempSubdirectory("codis-notify-").FullName;
        string file = Path.Combine(dir, "server.toml");
        File.WriteAllText(file, "# keyspace events\n");
        using (var server = CodisServerProcess.Start(file))
        using (var c = server.Client())
        {
            Assert.Equal("OK", c.Call("CONFIG", "SET", "notify-keyspace-events", "KEA").ToString());
            Assert.Equal("OK", c.Call("CONFIG", "REWRITE").ToString());
        }
        Assert.Contains("notify-keyspace-events = \"AKE\"", File.ReadAllText(file));
        using var again = CodisServerProcess.Start(file);
        using var c2 = again.Client();
        using var sub = again.Client();
        Assert.Equal("AKE", c2.Call("CONFIG", "GET", "notify-keyspace-events").Items![1].Text);
        sub.Call("SUBSCRIBE", "__keyspace@0__:k");
        c2.Call("SET", "k", "v");
        Assert.Equal("message __keyspace@0__:k set", string.Join(" ", sub.Read().Items!.Select(i => i.Text)));
    }

    [Fact]
    public void Active_expiry_publishes_expired()
    {
        using var c = peers.Codis.Client();
        using var sub = peers.Codis.Client();
        c.Call("CONFIG", "SET", "notify-keyspace-events", "Ex");
        sub.Call("SUBSCRIBE", "__keyevent@0__:expired");
        c.Call("SET", "gone-soon", "v", "PX", "100");
        // Nobody touches the key: only the cron's active expiry can delete it.
        sub.Timeout = TimeSpan.FromSeconds(5);
        var m = sub.Read();
        c.Call("CONFIG", "SET", "notify-keyspace-events", "");
        Assert.Equal("message __keyevent@0__:expired gone-soon",
            string.Join(" ", m.Items!.Select(i => Encoding.UTF8.GetString(i.Bytes!))));
        Assert.Equal(0, c.Call("EXISTS", "gone-soon").Integer);
    }

    [Fact]
    public void Eviction_publishes_evicted()
    {
        using var server = CodisServerProcess.Start("--save", "", "--maxmemory-policy", "allkeys-random", "--notify-keyspace-events", "Ee");
        using var c = server.Client();
        using var sub = server.Client();
        sub.Call("SUBSCRIBE", "__keyevent@0__:evicted");
        var value = new string('v', 1000);
        for (int i = 0; i < 2000; i++) c.Call("SET", $"big:{i}", value);
        c.Call("MEMORY", "PURGE");
        var info = c.Call("INFO", "memory").Text!.Split("\r\n").First(l => l.StartsWith("used_memory:", StringComparison.Ordinal));
        long used = long.Parse(info["used_memory:".Length..], CultureInfo.InvariantCulture);
        c.Call("CONFIG", "SET", "maxmemory", (used / 2).ToString(CultureInfo.InvariantCulture));
        c.Call("SET", "one-more", "v"); // the write that makes room first
        sub.Timeout = TimeSpan.FromSeconds(5);
        var m = sub.Read();
        Assert.Equal("message", m.Items![0].Text);
        Assert.StartsWith("big:", m.Items[2].Text, StringComparison.Ordinal);
        Assert.Equal(0, c.Call("EXISTS", m.Items[2].Text!).Integer);
    }

    [Fact]
    public void Nothing_is_published_while_the_setting_is_empty()
    {
        using var c = peers.Codis.Client();
        using var sub = peers.Codis.Client();
        Assert.Equal("", c.Call("CONFIG", "GET", "notify-keyspace-events").Items![1].ToString());
        sub.Call("PSUBSCRIBE", "*");
        c.Call("SET", "quiet", "1", "PX", "50");
        c.Call("LPUSH", "quiet-list", "a");
        c.Call("DEL", "quiet-list");
        Thread.Sleep(300); // the key's active expiry happens meanwhile
        c.Call("PUBLISH", "after", "x");
        var m = sub.Read();
        Assert.Equal("pmessage * after x", string.Join(" ", m.Items!.Select(i => Encoding.UTF8.GetString(i.Bytes!))));
    }
}
