using Codis.Server.Tests.Infrastructure;

namespace Codis.Server.Tests.Keys;

/// <summary>EXPIRE PEXPIRE EXPIREAT PEXPIREAT with NX XX GT LT, TTL PTTL EXPIRETIME PEXPIRETIME PERSIST.</summary>
public class ExpireTests(ServerFixture fx) : IClassFixture<ServerFixture>
{
    private static long NowMs => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    [Fact]
    public void Ttl_MissingKeyMinus2_NoExpireMinus1()
    {
        using var c = fx.Client();
        c.Call("SET", "ex:p", "v").AssertOk();
        Assert.Equal(-2, c.Call("TTL", "ex:none").AssertInt());
        Assert.Equal(-2, c.Call("PTTL", "ex:none").AssertInt());
        Assert.Equal(-2, c.Call("EXPIRETIME", "ex:none").AssertInt());
        Assert.Equal(-1, c.Call("TTL", "ex:p").AssertInt());
        Assert.Equal(-1, c.Call("PEXPIRETIME", "ex:p").AssertInt());
        Assert.Equal(0, c.Call("EXPIRE", "ex:none", "10").AssertInt());
    }

    [Fact]
    public void ExpireVariants_AllStoreTheSameAbsoluteDeadline()
    {
        using var c = fx.Client();
        c.Call("SET", "ex:a", "v").AssertOk();
        long at = NowMs / 1000 + 1000;
        Assert.Equal(1, c.Call("EXPIREAT", "ex:a", at).AssertInt());
        Assert.Equal(at, c.Call("EXPIRETIME", "ex:a").AssertInt());
        Assert.Equal(at * 1000, c.Call("PEXPIRETIME", "ex:a").AssertInt());
        Assert.Equal(1, c.Call("PEXPIREAT", "ex:a", at * 1000 + 123).AssertInt());
        Assert.Equal(at * 1000 + 123, c.Call("PEXPIRETIME", "ex:a").AssertInt());
        Assert.Equal(1, c.Call("PEXPIRE", "ex:a", "50000").AssertInt());
        Assert.InRange(c.Call("PTTL", "ex:a").AssertInt(), 49000, 50000);
        Assert.Equal(1, c.Call("EXPIRE", "ex:a", "70").AssertInt());
        Assert.Equal(70, c.Call("TTL", "ex:a").AssertInt());
    }

    [Fact]
    public void Expire_InThePast_DeletesTheKey()
    {
        using var c = fx.Client();
        foreach (var (cmd, n) in new[] { ("EXPIRE", "-1"), ("EXPIRE", "0"), ("PEXPIRE", "0"), ("EXPIREAT", "1"), ("PEXPIREAT", "100") })
        {
            c.Call("SET", "ex:past", "v").AssertOk();
            Assert.Equal(1, c.Call(cmd, "ex:past", n).AssertInt());
            Assert.Equal(0, c.Call("EXISTS", "ex:past").AssertInt());
        }
    }

    [Fact]
    public void ExpireOptions_NxXxGtLt_FollowRedisRules()
    {
        using var c = fx.Client();
        c.Call("SET", "ex:o", "v").AssertOk();
        Assert.Equal(0, c.Call("EXPIRE", "ex:o", "100", "XX").AssertInt());
        Assert.Equal(0, c.Call("EXPIRE", "ex:o", "100", "GT").AssertInt()); // no TTL counts as infinite
        Assert.Equal(1, c.Call("EXPIRE", "ex:o", "100", "NX").AssertInt());
        Assert.Equal(0, c.Call("EXPIRE", "ex:o", "200", "NX").AssertInt());
        Assert.Equal(0, c.Call("EXPIRE", "ex:o", "50", "GT").AssertInt());
        Assert.Equal(1, c.Call("EXPIRE", "ex:o", "300", "gt").AssertInt());
        Assert.Equal(0, c.Call("EXPIRE", "ex:o", "400", "LT").AssertInt());
        Assert.Equal(1, c.Call("EXPIRE", "ex:o", "200", "XX", "LT").AssertInt());
        Assert.Equal(200, c.Call("TTL", "ex:o").AssertInt());
        c.Call("PERSIST", "ex:o").AssertInt();
        Assert.Equal(1, c.Call("EXPIRE", "ex:o", "100", "LT").AssertInt());
    }

    [Fact]
    public void ExpireOptions_Conflicts_AreErrors()
    {
        using var c = fx.Client();
        c.Call("SET", "ex:c", "v").AssertOk();
        c.Call("EXPIRE", "ex:c", "10", "NX", "XX").AssertError("ERR NX and XX, GT or LT options at the same time are not compatible");
        c.Call("EXPIRE", "ex:c", "10", "NX", "GT").AssertError("ERR NX and XX, GT or LT options at the same time are not compatible");
        c.Call("EXPIRE", "ex:c", "10", "GT", "LT").AssertError("ERR GT and LT options at the same time are not compatible");
        c.Call("EXPIRE", "ex:c", "10", "FOO").AssertError("ERR Unsupported option FOO");
        c.Call("EXPIRE", "ex:c", "abc").AssertError("ERR value is not an integer or out of range");
        c.Call("EXPIRE", "ex:c", "9223372036854775807").AssertError("ERR invalid expire time in 'expire' command");
        c.Call("PEXPIRE", "ex:c", "9223372036854775807").AssertError("ERR invalid expire time in 'pexpire' command");
        Assert.Equal(-1, c.Call("TTL", "ex:c").AssertInt());
    }

    [Fact]
    public void Persist_RemovesTtl_OnlyOnce()
    {
        using var c = fx.Client();
        c.Call("SETEX", "ex:ps", "100", "v").AssertOk();
        Assert.Equal(1, c.Call("PERSIST", "ex:ps").AssertInt());
        Assert.Equal(0, c.Call("PERSIST", "ex:ps").AssertInt());
        Assert.Equal(0, c.Call("PERSIST", "ex:none").AssertInt());
        Assert.Equal(-1, c.Call("TTL", "ex:ps").AssertInt());
    }

    [Fact]
    public void ExpiredKey_IsGoneForReadsAndWrites()
    {
        using var c = fx.Client();
        c.Call("SET", "ex:short", "v", "PX", "30").AssertOk();
        c.Call("SET", "ex:short2", "v", "PX", "30").AssertOk();
        Thread.Sleep(80);
        Assert.True(c.Call("GET", "ex:short").IsNull);
        Assert.Equal(-2, c.Call("TTL", "ex:short2").AssertInt());
        Assert.Equal(1, c.Call("SETNX", "ex:short2", "new").AssertInt());
        Assert.Equal(-1, c.Call("TTL", "ex:short2").AssertInt());
    }
}
