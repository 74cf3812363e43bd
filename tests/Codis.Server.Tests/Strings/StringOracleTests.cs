using System.Globalization;
using System.Text;
using Codis.Server.Tests.Infrastructure;

namespace Codis.Server.Tests.Strings;

/// <summary>The string and bit commands against Debian's redis-server 7.0: same commands, same replies.</summary>
public class StringOracleTests(PeerFixture peers) : IClassFixture<PeerFixture>
{
    [Fact]
    public void StringCommands_SameRepliesAsRedis() => peers.AssertSame("""
        del s s2 e e2 nokey nokey2 s3 a b c d x y ap n f g h i j k sr nok ap2
        set s hello
        setnx s x
        setnx s2 x
        get s2
        setex e 100 v
        ttl e
        setex e 0 v
        setex e -1 v
        setex e abc v
        setex e 9223372036854775807 v
        psetex e2 100000 v
        psetex e2 0 v
        setex e 10
        getset s world
        getset nokey v
        getset nokey2
        getdel s
        getdel s
        getex nokey EX 10
        getex s2 EX 100
        ttl s2
        getex s2 PERSIST
        ttl s2
        getex s2 EX 10 PX 10
        getex s2 PERSIST EX 10
        getex s2 EX
        getex s2 FOO
        getex s2 EX abc
        getex nokey EX abc
        getex s2 EX 0
        getex s2 EX -5
        getex s2 EXAT 1
        exists s2
        set s3 v
        getex s3 PXAT 1
        exists s3
        getex s3
        mset a 1 b 2 c 3
        mset a 1 b
        mget a b c d
        msetnx a 1 x 2
        msetnx x 1 y 2
        mget x y
        append ap hello
        append ap " world"
        get ap
        strlen ap
        strlen nokey
        get n
        set s world
        getrange s 0 -1
        getrange s 1 3
        getrange s -3 -1
        getrange s -1 -3
        getrange s 10 20
        getrange s -100 100
        getrange s 3 1
        getrange nokey 0 -1
        getrange s a 1
        substr s 0 2
        getrange s 0 -9223372036854775808
        getrange s -9223372036854775808 2
        setrange sr 5 hi
        get sr
        setrange sr 0 XY
        get sr
        setrange sr -1 x
        setrange sr 0 ""
        setrange nok 0 ""
        exists nok
        setrange sr 536870912 x
        setrange sr 9223372036854775807 x
        setrange sr abc x
        append ap2 ""
        exists ap2
        """);

    [Fact]
    public void Counters_SameRepliesAsRedis() => peers.AssertSame("""
        del n big small ns sp lz bigstr f g h i j k
        incr n
        incr n
        incrby n 10
        decr n
        decrby n 5
        incrby n abc
        decrby n -9223372036854775808
        set big 9223372036854775807
        incr big
        set small -9223372036854775808
        decr small
        decrby small 1
        incrby small -1
        set ns abc
        incr ns
        set sp " 1"
        incr sp
        set lz 01
        incr lz
        set bigstr 123456789012345678901
        incr bigstr
        incrbyfloat f 0.1
        incrbyfloat f 0.2
        incrbyfloat f 1e300
        incrbyfloat ns 1
        incrbyfloat f abc
        incrbyfloat g 3.0e3
        incrbyfloat g -3000
        incrbyfloat g -0.1
        incrbyfloat g 0.1
        incrbyfloat h 1.5e-10
        incrbyfloat h 1e-20
        incrbyfloat i 10.5
        incrbyfloat i inf
        incrbyfloat i -inf
        incrbyfloat i nan
        incrbyfloat i 0x1p-3
        incrbyfloat i 1e-4940
        incrbyfloat j 5.0e3
        incrbyfloat j 1e4932
        incrbyfloat k 7
        incrbyfloat k 1e4932
        incrbyfloat k 1e4933
        """);

    [Fact]
    public void BitCommands_SameRepliesAsRedis() => peers.AssertSame("""
        del b bc e bp ff z k1 k2 d
        setbit b 7 1
        get b
        setbit b 7 0
        setbit b 100 1
        strlen b
        getbit b 100
        getbit b 101
        getbit b 99999
        getbit nokey 5
        setbit b -1 1
        setbit b abc 1
        setbit b 1 2
        setbit b 1 -1
        setbit b 1 x
        strlen b
        setbit b 4294967296 1
        setbit b 9223372036854775807 1
        getbit b 4294967296
        getbit b -1
        set bc foobar
        bitcount bc
        bitcount bc 0 0
        bitcount bc 1 1
        bitcount bc 1 1 BYTE
        bitcount bc 5 30 BIT
        bitcount bc -5 -1 BIT
        bitcount bc -1 -5
        bitcount bc 0 -1 bit
        bitcount bc 0 -1 foo
        bitcount bc 0
        bitcount bc 0 1 2 3
        bitcount nokey 0 a
        bitcount bc a 1
        bitcount bc 1 a
        bitcount bc -1 -5 foo
        bitcount bc 100 200
        bitcount bc -100 -50
        bitcount bc 3 2 BIT
        bitcount bc 7 7 BIT
        bitcount bc 9 14 BIT
        set e ""
        bitcount e
        bitcount e 0 -1
        bitpos e 0
        bitpos e 1
        bitpos nokey 0
        bitpos nokey 1
        bitpos nokey 2
        bitpos bc 2
        bitpos bc a
        set bp hex:fff000
        bitpos bp 0
        bitpos bp 1
        bitpos bp 0 0
        bitpos bp 0 2
        bitpos bp 0 -1
        bitpos bp 1 2
        bitpos bp 1 1 -1
        bitpos bp 0 0 1
        bitpos bp 0 0 0
        bitpos bp 1 7 15 BIT
        bitpos bp 0 7 15 BIT
        bitpos bp 0 0 11 BIT
        bitpos bp 0 0 12 BIT
        bitpos bp 1 12 23 BIT
        bitpos bp 0 3 2
        bitpos bp 0 0 1 FOO
        bitpos bp 0 0 1 BIT extra
        bitpos bp 0 a
        bitpos bp 0 0 b
        set ff hex:ffff
        bitpos ff 0
        bitpos ff 0 0
        bitpos ff 0 0 -1
        bitpos ff 0 0 15 BIT
        bitpos ff 0 3 9 BIT
        bitpos ff 1 3 9 BIT
        bitpos ff 0 1
        set z hex:000000
        bitpos z 1
        bitpos z 0
        bitpos z 1 1 2
        bitpos z 0 9 20 bit
        set k1 hex:f00f
        set k2 hex:ff
        bitop and d k1 k2
        get d
        bitop or d k1 k2
        get d
        bitop xor d k1 k2
        get d
        bitop not d k1
        get d
        bitop not d k1 k2
        bitop foo d k1
        bitop and d nokey nokey2
        exists d
        bitop or d k1 nokey
        get d
        bitop and d k1 nokey
        get d
        set d x
        expire d 100
        bitop or d k1
        ttl d
        bitop AND d
        """);

    /// <summary>Random strings and ranges through BITCOUNT and BITPOS, BYTE and BIT units.</summary>
    [Fact]
    public void BitRanges_RandomCases_SameRepliesAsRedis()
    {
        var rnd = new Random(7);
        var script = new StringBuilder();
        for (int k = 0; k < 150; k++)
        {
            var value = new byte[rnd.Next(0, 7)];
            for (int i = 0; i < value.Length; i++) value[i] = (byte)(rnd.Next(3) switch { 0 => 0, 1 => 0xff, _ => rnd.Next(256) });
            script.AppendLine(value.Length == 0 ? "set r \"\"" : "set r hex:" + Convert.ToHexString(value));
            for (int j = 0; j < 4; j++)
            {
                int s = rnd.Next(-60, 61), e = rnd.Next(-60, 61), bit = rnd.Next(2);
                string unit = rnd.Next(3) switch { 0 => "BIT", 1 => "BYTE", _ => "" };
                script.AppendLine(CultureInfo.InvariantCulture, $"bitcount r {s} {e} {unit}");
                script.AppendLine(rnd.Next(4) switch
                {
                    0 => $"bitpos r {bit}",
                    1 => $"bitpos r {bit} {s}",
                    2 => $"bitpos r {bit} {s} {e}",
                    _ => $"bitpos r {bit} {s} {e} {(unit.Length == 0 ? "BIT" : unit)}",
                });
            }
        }
        peers.AssertSame(script.ToString());
    }

    /// <summary>
    /// INCRBYFLOAT over numbers of every shape: Redis sums in 80-bit long double and prints "%.17Lf" trimmed,
    /// which double arithmetic does not reproduce.
    /// </summary>
    [Fact]
    public void IncrByFloat_RandomNumbers_SameTextAsRedis()
    {
        var rnd = new Random(11);
        string[] odd =
        [
            "0x1p-16445", "0x1p-16446", "0x1.fffffffffffffffep16383", "0x1p16384", "-0x.1", "0X1P+3", "1e-4951",
            "3.6e-4951", "1.18973149535723176502e4932", "1.18973149535723176503e4932", "-0", "+.5", "5.", "1e",
            "1e+", "e5", "..5", "1..2", "1e5.5", "infinity", "-INF", "nan", "1_000", "0.1", "-0.1", "1e-5",
        ];
        string Number() => rnd.Next(9) switch
        {
            0 => rnd.NextInt64(-1_000_000, 1_000_000).ToString(CultureInfo.InvariantCulture),
            1 => ((rnd.NextDouble() - 0.5) * 2000).ToString("R", CultureInfo.InvariantCulture),
            2 => ((rnd.NextDouble() - 0.5) * 2e10).ToString("0.000e0", CultureInfo.InvariantCulture),
            3 => $"{rnd.Next(1, 1000)}e{rnd.Next(-4950, 4936)}",
            4 => "0." + string.Concat(Enumerable.Range(0, rnd.Next(1, 40)).Select(_ => (char)('0' + rnd.Next(10)))),
            5 => odd[rnd.Next(odd.Length)],
            6 => $"{rnd.NextInt64()}{rnd.Next(100000)}.{rnd.NextInt64()}",
            _ => ((rnd.NextDouble() - 0.5) * Math.Pow(10, rnd.Next(-30, 31))).ToString("R", CultureInfo.InvariantCulture),
        };
        var script = new StringBuilder();
        for (int i = 0; i < 600; i++)
        {
            if (rnd.Next(10) < 3) script.AppendLine("set x " + Number());
            script.AppendLine("incrbyfloat x " + Number());
            if (rnd.Next(10) == 0) script.AppendLine("del x");
        }
        peers.AssertSame(script.ToString());
    }
}
