using Codis.Server.Tests.Infrastructure;

namespace Codis.Server.Tests.Strings;

/// <summary>GETBIT SETBIT BITCOUNT BITPOS BITOP.</summary>
public class BitTests(ServerFixture fx) : IClassFixture<ServerFixture>
{
    private static byte[] Bytes(params int[] b) => b.Select(x => (byte)x).ToArray();

    [Fact]
    public void SetBit_GrowsWithZeros_BitZeroIsMostSignificant()
    {
        using var c = fx.Client();
        Assert.Equal(0, c.Call("SETBIT", "bt:a", "1", "1").AssertInt());
        Assert.Equal("@", c.Call("GET", "bt:a").Text); // 0b0100_0000
        Assert.Equal(1, c.Call("SETBIT", "bt:a", "1", "0").AssertInt());
        Assert.Equal(0, c.Call("SETBIT", "bt:a", "23", "1").AssertInt());
        Assert.Equal(3, c.Call("STRLEN", "bt:a").AssertInt());
        Assert.Equal(1, c.Call("GETBIT", "bt:a", "23").AssertInt());
        Assert.Equal(0, c.Call("GETBIT", "bt:a", "22").AssertInt());
        Assert.Equal(0, c.Call("GETBIT", "bt:a", "100000").AssertInt());
        Assert.Equal(0, c.Call("GETBIT", "bt:none", "3").AssertInt());
    }

    [Theory]
    [InlineData("-1", "1", "ERR bit offset is not an integer or out of range")]
    [InlineData("x", "1", "ERR bit offset is not an integer or out of range")]
    [InlineData("4294967296", "1", "ERR bit offset is not an integer or out of range")]
    [InlineData("1", "2", "ERR bit is not an integer or out of range")]
    [InlineData("1", "-1", "ERR bit is not an integer or out of range")]
    [InlineData("1", "on", "ERR bit is not an integer or out of range")]
    public void SetBit_BadArguments_RedisErrors(string offset, string bit, string error)
    {
        using var c = fx.Client();
        c.Call("SETBIT", "bt:bad", offset, bit).AssertError(error);
        Assert.Equal(0, c.Call("EXISTS", "bt:bad").AssertInt());
    }

    [Theory]
    [InlineData(new string[0], 26)]
    [InlineData(new[] { "0", "0" }, 4)]
    [InlineData(new[] { "1", "1" }, 6)]
    [InlineData(new[] { "1", "1", "BYTE" }, 6)]
    [InlineData(new[] { "5", "30", "BIT" }, 17)]
    [InlineData(new[] { "-5", "-1", "bit" }, 2)]
    [InlineData(new[] { "-1", "-5" }, 0)]
    [InlineData(new[] { "100", "200" }, 0)]
    public void BitCount_Ranges_MatchRedis(string[] range, long expected)
    {
        using var c = fx.Client();
        c.Call("SET", "bt:c", "foobar").AssertOk();
        Assert.Equal(expected, c.Call(["BITCOUNT", "bt:c", .. range]).AssertInt());
    }

    [Fact]
    public void BitCount_BadArguments()
    {
        using var c = fx.Client();
        c.Call("SET", "bt:c2", "foobar").AssertOk();
        c.Call("BITCOUNT", "bt:c2", "0").AssertError("ERR syntax error");
        c.Call("BITCOUNT", "bt:c2", "0", "1", "WORD").AssertError("ERR syntax error");
        c.Call("BITCOUNT", "bt:c2", "a", "1").AssertError("ERR value is not an integer or out of range");
        Assert.Equal(0, c.Call("BITCOUNT", "bt:none", "a", "b").AssertInt());
    }

    [Fact]
    public void BitPos_FindsSetAndClearBits()
    {
        using var c = fx.Client();
        c.Call("SET", "bt:p", Bytes(0xff, 0xf0, 0x00)).AssertOk();
        Assert.Equal(12, c.Call("BITPOS", "bt:p", "0").AssertInt());
        Assert.Equal(0, c.Call("BITPOS", "bt:p", "1").AssertInt());
        Assert.Equal(16, c.Call("BITPOS", "bt:p", "0", "2").AssertInt());
        Assert.Equal(-1, c.Call("BITPOS", "bt:p", "1", "2").AssertInt());
        Assert.Equal(12, c.Call("BITPOS", "bt:p", "0", "7", "15", "BIT").AssertInt());
        Assert.Equal(-1, c.Call("BITPOS", "bt:p", "0", "0", "11", "BIT").AssertInt());
        c.Call("SET", "bt:ones", Bytes(0xff, 0xff)).AssertOk();
        // Without an end the string continues with zeros; with an end there is no clear bit inside.
        Assert.Equal(16, c.Call("BITPOS", "bt:ones", "0").AssertInt());
        Assert.Equal(-1, c.Call("BITPOS", "bt:ones", "0", "0", "-1").AssertInt());
        Assert.Equal(0, c.Call("BITPOS", "bt:none", "0").AssertInt());
        Assert.Equal(-1, c.Call("BITPOS", "bt:none", "1").AssertInt());
        c.Call("BITPOS", "bt:p", "2").AssertError("ERR The bit argument must be 1 or 0.");
        c.Call("BITPOS", "bt:p", "0", "0", "1", "WORD").AssertError("ERR syntax error");
    }

    [Fact]
    public void BitOp_AndOrXorNot_LengthIsLongestSource()
    {
        using var c = fx.Client();
        c.Call("SET", "bt:k1", Bytes(0xf0, 0x0f)).AssertOk();
        c.Call("SET", "bt:k2", Bytes(0xff)).AssertOk();
        Assert.Equal(2, c.Call("BITOP", "AND", "bt:d", "bt:k1", "bt:k2").AssertInt());
        Assert.Equal(Bytes(0xf0, 0x00), c.Call("GET", "bt:d").Bytes);
        Assert.Equal(2, c.Call("BITOP", "or", "bt:d", "bt:k1", "bt:k2").AssertInt());
        Assert.Equal(Bytes(0xff, 0x0f), c.Call("GET", "bt:d").Bytes);
        Assert.Equal(2, c.Call("BITOP", "XOR", "bt:d", "bt:k1", "bt:k2").AssertInt());
        Assert.Equal(Bytes(0x0f, 0x0f), c.Call("GET", "bt:d").Bytes);
        Assert.Equal(2, c.Call("BITOP", "NOT", "bt:d", "bt:k1").AssertInt());
        Assert.Equal(Bytes(0x0f, 0xf0), c.Call("GET", "bt:d").Bytes);
        c.Call("BITOP", "NOT", "bt:d", "bt:k1", "bt:k2").AssertError("ERR BITOP NOT must be called with a single source key.");
        c.Call("BITOP", "NAND", "bt:d", "bt:k1").AssertError("ERR syntax error");
        // All sources missing: the destination is deleted.
        Assert.Equal(0, c.Call("BITOP", "OR", "bt:d", "bt:none1", "bt:none2").AssertInt());
        Assert.Equal(0, c.Call("EXISTS", "bt:d").AssertInt());
    }

    [Fact]
    public void BitOp_LongStrings_WordPathAgreesWithBytes()
    {
        using var c = fx.Client();
        var rnd = new Random(5);
        var a = new byte[1000];
        var b = new byte[777];
        rnd.NextBytes(a);
        rnd.NextBytes(b);
        c.Call("SET", "bt:la", a).AssertOk();
        c.Call("SET", "bt:lb", b).AssertOk();
        c.Call("BITOP", "XOR", "bt:lx", "bt:la", "bt:lb").AssertInt();
        var x = c.Call("GET", "bt:lx").Bytes!;
        Assert.Equal(1000, x.Length);
        for (int i = 0; i < 1000; i++) Assert.Equal((byte)(a[i] ^ (i < b.Length ? b[i] : 0)), x[i]);
        long ones = a.Sum(v => System.Numerics.BitOperations.PopCount(v));
        Assert.Equal(ones, c.Call("BITCOUNT", "bt:la").AssertInt());
    }
}
