using Codis.Server.Tests.Infrastructure;

namespace Codis.Server.Tests.Keys;

/// <summary>OBJECT ENCODING REFCOUNT IDLETIME FREQ HELP.</summary>
public class ObjectTests(ServerFixture fx) : IClassFixture<ServerFixture>
{
    [Theory]
    [InlineData("123", "int")]
    [InlineData("-9223372036854775808", "int")]
    [InlineData("9223372036854775808", "embstr")]
    [InlineData("007", "embstr")]
    [InlineData("abcdefghijabcdefghijabcdefghijabcdefghij1234", "embstr")]
    [InlineData("abcdefghijabcdefghijabcdefghijabcdefghij12345", "raw")]
    public void Encoding_OfStrings_ByContent(string value, string expected)
    {
        using var c = fx.Client();
        c.Call("SET", "ob:e", value).AssertOk();
        Assert.Equal(expected, c.Call("OBJECT", "ENCODING", "ob:e").Text);
    }

    [Fact]
    public void RefCount_SharedSmallIntegers_LikeRedis()
    {
        using var c = fx.Client();
        c.Call("SET", "ob:r1", "9999").AssertOk();
        c.Call("SET", "ob:r2", "10000").AssertOk();
        Assert.Equal(2147483647, c.Call("OBJECT", "REFCOUNT", "ob:r1").AssertInt());
        Assert.Equal(1, c.Call("OBJECT", "REFCOUNT", "ob:r2").AssertInt());
        Assert.True(c.Call("OBJECT", "REFCOUNT", "ob:none").IsNull);
    }

    [Fact]
    public void IdleTime_GrowsUntilTheKeyIsRead_InspectionDoesNotReset()
    {
        using var c = fx.Client();
        c.Call("SET", "ob:i", "v").AssertOk();
        // Idle time counts whole seconds of the clock, so a second boundary between SET and OBJECT may show 1.
        Assert.InRange(c.Call("OBJECT", "IDLETIME", "ob:i").AssertInt(), 0, 1);
        Thread.Sleep(2100);
        // TYPE, TTL, EXISTS and OBJECT look without touching, as in Redis.
        c.Call("TYPE", "ob:i");
        c.Call("TTL", "ob:i");
        c.Call("EXISTS", "ob:i");
        Assert.InRange(c.Call("OBJECT", "IDLETIME", "ob:i").AssertInt(), 2, 4);
        c.Call("GET", "ob:i");
        Assert.InRange(c.Call("OBJECT", "IDLETIME", "ob:i").AssertInt(), 0, 1);
    }

    [Fact]
    public void Subcommands_ErrorsAndHelp_LikeRedis()
    {
        using var c = fx.Client();
        c.Call("SET", "ob:h", "v").AssertOk();
        c.Call("OBJECT", "FREQ", "ob:h").AssertError("ERR An LFU maxmemory policy is not selected, access frequency not tracked.");
        c.Call("OBJECT", "FOO", "ob:h").AssertError("ERR unknown subcommand 'FOO'. Try OBJECT HELP.");
        c.Call("OBJECT", "ENCODING").AssertError("ERR wrong number of arguments for 'object|encoding' command");
        c.Call("OBJECT", "HELP", "x").AssertError("ERR wrong number of arguments for 'object|help' command");
        var help = c.Call("OBJECT", "HELP").Strings();
        Assert.Equal(15, help.Length);
        Assert.Equal("OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:", help[0]);
        Assert.True(c.Call("OBJECT", "ENCODING", "ob:none").IsNull);
    }
}
