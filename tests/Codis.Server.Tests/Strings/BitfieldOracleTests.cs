using System.Globalization;
using System.Text;
using Codis.Server.Tests.Infrastructure;

namespace Codis.Server.Tests.Strings;

/// <summary>BITFIELD and BITFIELD_RO against Debian's redis-server 7.0: same commands, same replies.</summary>
public class BitfieldOracleTests(PeerFixture peers) : IClassFixture<PeerFixture>
{
    [Fact]
    public void Bitfield_OptionsOverflowAndErrors_SameRepliesAsRedis() => peers.AssertSame("""
        del bf s L nokey x
        bitfield bf
        bitfield bf get I8 0
        bitfield bf get u64 0
        bitfield bf get i65 0
        bitfield bf get i0 0
        bitfield bf get i8 -1
        bitfield bf get i8 #-1
        bitfield bf get i8 #1
        bitfield bf set i8 #1 5 get i8 8
        bitfield bf get u8 #536870912
        bitfield bf get u8 #536870911
        bitfield bf get i64 #9223372036854775807
        bitfield bf get u8 #
        bitfield bf get u8 +1
        bitfield bf get u8 01
        bitfield bf get i8
        bitfield bf set i8 0
        bitfield bf foo
        bitfield bf overflow foo
        bitfield bf overflow
        bitfield bf overflow sat
        bitfield bf overflow SAT set i8 0 200 get i8 0
        bitfield bf set u8 0 -1 get u8 0
        bitfield bf Get i8 0 SET u4 1 3 InCrBy u4 1 1 overflow Fail
        bitfield bf get x 0 set i8 0 abc
        bitfield bf set i8 0 abc get x 0
        bitfield_ro bf get i8 0 set i8 0 1
        bitfield_ro bf set i8 0 1 get x 0
        bitfield_ro bf incrby i8 0 1
        bitfield_ro bf overflow wrap
        bitfield_ro bf get u16 0 get i3 5
        set s hello
        bitfield s get u8 0 get i64 3 get u63 1
        lpush L a
        bitfield L get u8 0
        bitfield L set u8 0 1
        bitfield_ro L get u8 0
        bitfield nokey get u8 0
        exists nokey
        bitfield nokey overflow fail set u8 100 300
        strlen nokey
        get nokey
        bitfield bf get u8 4294967296
        bitfield bf incrby u2 100 1 incrby u2 100 1 incrby u2 100 1 incrby u2 100 1
        bitfield bf overflow fail incrby i64 0 9223372036854775807 incrby i64 0 1 get i64 0
        bitfield bf overflow wrap incrby i64 0 9223372036854775807 incrby i64 0 9223372036854775807
        bitfield bf overflow sat incrby i64 0 9223372036854775807 incrby i64 0 -9223372036854775808 incrby i64 0 -9223372036854775808
        bitfield x overflow sat set i8 0 -9223372036854775808 get i8 0
        bitfield x overflow sat set i8 0 -9223372036854775000 get i8 0
        bitfield x overflow wrap set i8 0 -9223372036854775000 get i8 0
        bitfield x set i8 0 -5 overflow sat incrby i8 0 200 get i8 0
        bitfield x overflow sat incrby i8 0 -9223372036854775808
        bitfield x overflow fail set i5 3 -17 get i5 3
        bitfield x overflow sat set i5 3 -17 get i5 3 set u63 0 -1 get u63 0
        get x
        """);

    /// <summary>Random operation lists of every width, offset form and overflow mode on a few keys; the strings are compared as they go.</summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void RandomBitfields_SameRepliesAsRedis(int seed)
    {
        var rnd = new Random(seed);
        string N(long v) => v.ToString(CultureInfo.InvariantCulture);
        string Type() => rnd.Next(30) == 0
            ? new[] { "u64", "i65", "i0", "x8", "I8", "u", "i08" }[rnd.Next(7)]
            : (rnd.Next(2) == 0 ? "i" : "u") + N(rnd.Next(1, rnd.Next(2) == 0 ? 65 : 17));
        string Offset() => rnd.Next(30) == 0
            ? new[] { "-1", "abc", "#-1", "#", "+1", "4294967296" }[rnd.Next(6)]
            : rnd.Next(4) == 0 ? "#" + N(rnd.Next(21)) : N(rnd.Next(101));
        string Value() => rnd.Next(6) switch
        {
            0 => N(rnd.Next(-300, 301)),
            1 => N(rnd.NextInt64(long.MinValue, long.MaxValue)),
            2 => "9223372036854775807",
            3 => "-9223372036854775808",
            4 => N(rnd.Next(-1 << 20, 1 << 20)),
            _ => rnd.Next(30) == 0 ? "abc" : "1",
        };
        var script = new StringBuilder("del b1 b2 str lst\nset str \"hello world\"\nrpush lst x\n");
        for (int i = 0; i < 1500; i++)
        {
            var line = new StringBuilder(rnd.Next(6) == 0 ? "bitfield_ro" : "bitfield");
            line.Append(' ').Append(new[] { "b1", "b2", "str", "lst" }[rnd.Next(4)]);
            for (int n = rnd.Next(6); n > 0; n--)
            {
                line.Append(' ').Append(rnd.Next(100) switch
                {
                    < 30 => $"get {Type()} {Offset()}",
                    < 55 => $"set {Type()} {Offset()} {Value()}",
                    < 80 => $"incrby {Type()} {Offset()} {Value()}",
                    < 97 => "overflow " + new[] { "wrap", "sat", "fail", "WRAP", "Sat", "foo" }[rnd.Next(rnd.Next(10) == 0 ? 6 : 5)],
                    _ => new[] { "foo", "get", "set" }[rnd.Next(3)],
                });
            }
            script.Append(line).Append('\n');
            if (i % 50 == 0) script.Append("get b1\nget b2\nget str\n");
            if (rnd.Next(50) == 0) script.Append("del b1 b2\n");
        }
        script.Append("get b1\nget b2\nget str\n");
        peers.AssertSame(script.ToString());
    }
}
