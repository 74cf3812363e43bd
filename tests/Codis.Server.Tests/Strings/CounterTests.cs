using Codis.Server.Tests.Infrastructure;

namespace Codis.Server.Tests.Strings;

/// <summary>INCR DECR INCRBY DECRBY INCRBYFLOAT.</summary>
public class CounterTests(ServerFixture fx) : IClassFixture<ServerFixture>
{
    [Fact]
    public void IncrDecr_MissingKeyStartsAtZero_AndKeepsTtl()
    {
        using var c = fx.Client();
        Assert.Equal(1, c.Call("INCR", "ct:a").AssertInt());
        c.Call("EXPIRE", "ct:a", "100");
        Assert.Equal(11, c.Call("INCRBY", "ct:a", "10").AssertInt());
        Assert.Equal(10, c.Call("DECR", "ct:a").AssertInt());
        Assert.Equal(-5, c.Call("DECRBY", "ct:a", "15").AssertInt());
        Assert.Equal("-5", c.Call("GET", "ct:a").Text);
        Assert.InRange(c.Call("TTL", "ct:a").AssertInt(), 99, 100);
    }

    [Fact]
    public void Incr_Overflow_IsAnErrorAndLeavesValue()
    {
        using var c = fx.Client();
        c.Call("SET", "ct:max", "9223372036854775807").AssertOk();
        c.Call("INCR", "ct:max").AssertError("ERR increment or decrement would overflow");
        Assert.Equal("9223372036854775807", c.Call("GET", "ct:max").Text);
        c.Call("SET", "ct:min", "-9223372036854775808").AssertOk();
        c.Call("DECR", "ct:min").AssertError("ERR increment or decrement would overflow");
        c.Call("INCRBY", "ct:min", "-1").AssertError("ERR increment or decrement would overflow");
        c.Call("DECRBY", "ct:min", "-9223372036854775808").AssertError("ERR decrement would overflow");
    }

    [Theory]
    [InlineData("abc")]
    [InlineData(" 1")]
    [InlineData("1 ")]
    [InlineData("01")]
    [InlineData("+1")]
    [InlineData("-0")]
    [InlineData("1.0")]
    [InlineData("")]
    [InlineData("92233720368547758070")]
    public void Incr_NonCanonicalInteger_IsNotAnInteger(string stored)
    {
        using var c = fx.Client();
        c.Call("SET", "ct:bad", stored).AssertOk();
        c.Call("INCR", "ct:bad").AssertError("ERR value is not an integer or out of range");
        c.Call("INCRBY", "ct:ok", stored).AssertError("ERR value is not an integer or out of range");
    }

    [Fact]
    public void IncrByFloat_RepeatedTenths_PrintLikeRedis()
    {
        using var c = fx.Client();
        var seen = new List<string>();
        for (int i = 0; i < 10; i++) seen.Add(c.Call("INCRBYFLOAT", "ct:f", "0.1").Text!);
        // Redis adds in 80-bit long double and prints %.17Lf trimmed: no 0.30000000000000004 here.
        Assert.Equal(["0.1", "0.2", "0.3", "0.4", "0.5", "0.6", "0.7", "0.8", "0.9", "1"], seen);
    }

    [Theory]
    [InlineData("3.0e3", "0", "3000")]
    [InlineData("10.5", "0.1", "10.6")]
    [InlineData("5", "-5", "0")]
    [InlineData("0", "1.23456789012345678", "1.23456789012345678")]
    [InlineData("0", "1.5e-10", "0.00000000015")]
    [InlineData("0", "1e-20", "0")]
    [InlineData("-1e-30", "0", "0")]
    [InlineData("0", "0x1p3", "8")]
    [InlineData("0", "+.5", "0.5")]
    [InlineData("0", "5.", "5")]
    [InlineData("1e300", "0", "1000000000000000000008997324079559193870523944273290747938260082321265646596180935755849152083750497190350372508614274835903592556184672983913096260520748646287327135641843653294084255107606016789726652932370030551382947620994540294772781889620606179267611627097410650567187386105690089424915104006144")]
    public void IncrByFloat_Formatting_MatchesRedis(string start, string by, string expected)
    {
        using var c = fx.Client();
        string key = "ct:fmt:" + Guid.NewGuid();
        c.Call("SET", key, start).AssertOk();
        Assert.Equal(expected, c.Call("INCRBYFLOAT", key, by).Text);
        Assert.Equal(expected, c.Call("GET", key).Text);
    }

    [Theory]
    [InlineData("inf")]
    [InlineData("-inf")]
    [InlineData("infinity")]
    [InlineData("1e4932")]
    public void IncrByFloat_InfiniteResult_IsRefused(string by)
    {
        using var c = fx.Client();
        c.Call("SET", "ct:inf", "1e4932").AssertOk();
        c.Call("INCRBYFLOAT", "ct:inf", by).AssertError("ERR increment would produce NaN or Infinity");
        Assert.Equal("1e4932", c.Call("GET", "ct:inf").Text);
    }

    [Theory]
    [InlineData("nan")]
    [InlineData("abc")]
    [InlineData(" 1")]
    [InlineData("1 ")]
    [InlineData("")]
    [InlineData("1e")]
    [InlineData("0x")]
    [InlineData("1e5000")]
    [InlineData("1e-5000")]
    public void IncrByFloat_NotAFloat_IsRefused(string by)
    {
        using var c = fx.Client();
        c.Call("INCRBYFLOAT", "ct:nf", by).AssertError("ERR value is not a valid float");
        c.Call("SET", "ct:nf2", by).AssertOk();
        c.Call("INCRBYFLOAT", "ct:nf2", "1").AssertError("ERR value is not a valid float");
    }

    [Fact]
    public void IncrByFloat_KeepsTtl()
    {
        using var c = fx.Client();
        c.Call("SETEX", "ct:ttl", "100", "1").AssertOk();
        Assert.Equal("2.5", c.Call("INCRBYFLOAT", "ct:ttl", "1.5").Text);
        Assert.InRange(c.Call("TTL", "ct:ttl").AssertInt(), 99, 100);
    }
}
