using Codis.Server.Tests.Infrastructure;

namespace Codis.Server.Tests.Keys;

/// <summary>The generic key commands against Debian's redis-server 7.0: same commands, same replies.</summary>
public class KeyOracleTests(PeerFixture peers) : IClassFixture<PeerFixture>
{
    [Fact]
    public void KeyCommands_SameRepliesAsRedis() => peers.AssertSame("""
        flushall
        mset a 1 b 2 c 3
        del a b nokey
        del nokey
        unlink c
        exists a
        set a 1
        exists a a nokey
        type a
        type nokey
        expire a 100
        ttl a
        pttl nokey
        ttl nokey
        set p 1
        ttl p
        pttl p
        expiretime p
        pexpiretime p
        expiretime nokey
        expire a 100 NX
        expire a 200 XX
        expire a 50 GT
        expire a 300 GT
        ttl a
        expire a 400 LT
        expire a 10 LT
        ttl a
        expire p 10 XX
        expire p 10 GT
        expire p 10 LT
        ttl p
        persist p
        persist p
        persist nokey
        expire p 10 NX
        expire p 10 NX XX
        expire p 10 GT LT
        expire p 10 NX GT
        expire p 10 FOO
        expire p abc FOO
        expire p abc
        expire p 9223372036854775807
        expire p -9223372036854775808
        pexpire p 9223372036854775807
        pexpireat p 9223372036854775807
        expireat p 9223372036854775807
        expire nokey 10
        expire nokey abc
        expire nokey 10 FOO
        set q 1
        expire q -1
        exists q
        set q 1
        expire q 0
        exists q
        set q 1
        pexpire q 0
        exists q
        set q 1
        expireat q 1
        exists q
        set q 1
        pexpireat q 100
        exists q
        set q 1
        expireat q 99999999999
        expiretime q
        pexpiretime q
        pexpireat q 99999999999123
        pexpiretime q
        expiretime q
        ttl q
        expire q 10 gt
        expire q -1 LT
        exists q
        set r1 v
        expire r1 100
        rename r1 r2
        ttl r2
        exists r1
        rename nokey r3
        rename r2 r2
        rename nokey nokey
        renamenx nokey x
        set r3 x
        renamenx r2 r3
        renamenx r2 r2
        renamenx r2 r4
        get r4
        rename r4 r3
        get r3
        set m 1
        move m 1
        move m 0
        move m 16
        move m -1
        move m abc
        exists m
        select 1
        get m
        set m 2
        move m 0
        select 0
        move m 1
        copy r3 r5
        get r5
        copy r3 r5
        copy r3 r5 REPLACE
        copy r3 r3
        copy r3 r3 DB 1
        copy r3 r3 DB 0
        copy nokey r9
        copy r3 r6 DB 16
        copy r3 r6 DB abc
        copy r3 r6 DB
        copy r3 r6 FOO
        copy r3 r6 REPLACE REPLACE DB 2 DB 3
        select 3
        get r6
        select 0
        set t 1
        expire t 100
        copy t t2
        ttl t2
        touch t t2 nokey
        dbsize
        flushdb foo
        flushdb async extra
        flushdb async
        dbsize
        select 3
        dbsize
        flushall sync
        dbsize
        select 0
        randomkey
        set only 1
        randomkey
        object encoding only
        object encoding nokey
        set str123456789012345678901234567890123456789012 v
        set e44 abcdefghijabcdefghijabcdefghijabcdefghij1234
        object encoding e44
        set e45 abcdefghijabcdefghijabcdefghijabcdefghij12345
        object encoding e45
        set i1 -123
        object encoding i1
        set i2 9223372036854775807
        object encoding i2
        set i3 9223372036854775808
        object encoding i3
        set i4 0
        object refcount i4
        set i5 9999
        object refcount i5
        set i6 10000
        object refcount i6
        set i7 -1
        object refcount i7
        object refcount e45
        object refcount nokey
        object idletime e45
        object freq e45
        object
        object help
        object foo bar
        object encoding
        object encoding a b
        set i8 " 12"
        object encoding i8
        set i9 007
        object encoding i9
        set i10 +5
        object encoding i10
        set i11 -0
        object encoding i11
        incrbyfloat fl 1.5
        object encoding fl
        incr ci
        object encoding ci
        incrbyfloat fl2 3
        object encoding i1 extra
        """);

    [Fact]
    public void ScanAndKeys_ErrorsAndSingleKeyReplies_SameAsRedis() => peers.AssertSame("""
        flushall
        set a 1
        scan abc
        scan " 1"
        scan 18446744073709551616
        scan 0 count 0
        scan 0 count -1
        scan 0 count abc
        scan 0 count
        scan 0 match
        scan 0 foo
        scan 0 type
        scan 0 type string count 10 match a
        scan 0 type list
        scan 0 match b
        scan 0 match a
        scan 0 match * count 5 type STRING
        scan -
        scan +
        scan 0 count 9223372036854775807
        keys a
        keys *
        keys b
        keys
        """);

    /// <summary>SCAN's order differs by design (slots); the set of keys over a full iteration must not.</summary>
    [Fact]
    public void Scan_FullIterationWithFilters_SameKeySetAsRedis()
    {
        using var ours = peers.Codis.Client();
        using var theirs = peers.Redis.Client();
        foreach (var c in new[] { ours, theirs })
        {
            c.Call("SELECT", "9").AssertOk();
            c.Call("FLUSHDB").AssertOk();
            for (int i = 0; i < 300; i++) c.Call("SET", $"{(i % 3 == 0 ? "user" : "item")}:{i}", "v").AssertOk();
        }
        foreach (var options in new[] { new[] { "MATCH", "user:*" }, ["MATCH", "*1?"], ["TYPE", "string", "COUNT", "3"], ["TYPE", "list"] })
        {
            Assert.Equal(Scan(theirs, options), Scan(ours, options));
            if (options[0] == "MATCH")
                Assert.Equal(theirs.Call("KEYS", options[1]).Strings().Order(), ours.Call("KEYS", options[1]).Strings().Order());
        }
    }

    private static List<string> Scan(Codis.Core.Resp.RespClient c, string[] options)
    {
        var keys = new List<string>();
        string cursor = "0";
        do
        {
            var reply = c.Call(["SCAN", cursor, .. options]);
            cursor = reply.Items![0].Text!;
            keys.AddRange(reply.Items[1].Strings()!);
        }
        while (cursor != "0");
        keys.Sort(StringComparer.Ordinal);
        return keys;
    }
}
