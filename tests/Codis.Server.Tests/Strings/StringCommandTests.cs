using Codis.Server.Tests.Infrastructure;
using Codis.Testing;

namespace Codis.Server.Tests.Strings;

/// <summary>SETNX SETEX PSETEX GETSET GETDEL GETEX MGET MSET MSETNX APPEND STRLEN GETRANGE SUBSTR SETRANGE.</summary>
public class StringCommandTests(ServerFixture fx) : IClassFixture<ServerFixture>
{
    [Fact]
    public void SetNx_ExistingKey_KeepsValueAndReplies0()
    {
        using var c = fx.Client();
        Assert.Equal(1, c.Call("SETNX", "snx:a", "1").AssertInt());
        Assert.Equal(0, c.Call("SETNX", "snx:a", "2").AssertInt());
        Assert.Equal("1", c.Call("GET", "snx:a").Text);
        c.Call("SETNX", "snx:a").AssertError("ERR wrong number of arguments for 'setnx' command");
    }

    [Fact]
    public void SetEx_SetsValueAndTtl_RejectsBadTimes()
    {
        using var c = fx.Client();
        c.Call("SETEX", "sx:a", "100", "v").AssertOk();
        Assert.Equal("v", c.Call("GET", "sx:a").Text);
        Assert.InRange(c.Call("TTL", "sx:a").AssertInt(), 99, 100);
        c.Call("PSETEX", "sx:b", "100000", "w").AssertOk();
        Assert.InRange(c.Call("PTTL", "sx:b").AssertInt(), 99000, 100000);
        c.Call("SETEX", "sx:a", "0", "v").AssertError("ERR invalid expire time in 'setex' command");
        c.Call("PSETEX", "sx:a", "-5", "v").AssertError("ERR invalid expire time in 'psetex' command");
        c.Call("SETEX", "sx:a", "abc", "v").AssertError("ERR value is not an integer or out of range");
        c.Call("SETEX", "sx:a", "9223372036854775807", "v").AssertError("ERR invalid expire time in 'setex' command");
    }

    [Fact]
    public void GetSet_ReturnsOldValueAndClearsTtl()
    {
        using var c = fx.Client();
        Assert.True(c.Call("GETSET", "gs:a", "1").IsNull);
        c.Call("EXPIRE", "gs:a", "100");
        Assert.Equal("1", c.Call("GETSET", "gs:a", "2").Text);
        Assert.Equal("2", c.Call("GET", "gs:a").Text);
        Assert.Equal(-1, c.Call("TTL", "gs:a").AssertInt());
    }

    [Fact]
    public void Same_length_overwrites_change_only_their_key_and_old_values_come_back_whole()
    {
        using var c = fx.Client();
        c.Call("SET", "ow:a", "aaaa").AssertOk();
        Assert.Equal(1, c.Call("COPY", "ow:a", "ow:b").AssertInt());
        c.Call("MSET", "ow:b", "bbbb", "ow:c", "cccc", "ow:c", "dddd").AssertOk();
        Assert.Equal("aaaa", c.Call("GET", "ow:a").Text);
        Assert.Equal("bbbb", c.Call("GET", "ow:b").Text);
        Assert.Equal("dddd", c.Call("GET", "ow:c").Text);
        // GETSET's reply is the old value, even when the new one overwrites its bytes (pipelined: one round).
        string[][] batch = [["GETSET", "ow:b", "eeee"], ["GETSET", "ow:b", "ffff"], ["SET", "ow:b", "gggg", "GET"], ["GET", "ow:b"]];
        c.SendRaw(System.Text.Encoding.ASCII.GetBytes(string.Concat(batch.Select(cmd =>
            $"*{cmd.Length}\r\n" + string.Concat(cmd.Select(a => $"${a.Length}\r\n{a}\r\n"))))));
        Assert.Equal(["bbbb", "eeee", "ffff", "gggg"], batch.Select(_ => c.Read().Text));
        c.Call("SETEX", "ow:b", "100", "hhhh").AssertOk();
        Assert.InRange(c.Call("TTL", "ow:b").AssertInt(), 99, 100);
        c.Call("PSETEX", "ow:b", "200000", "iiii").AssertOk();
        Assert.InRange(c.Call("TTL", "ow:b").AssertInt(), 199, 200);
        Assert.Equal("iiii", c.Call("GET", "ow:b").Text);
        c.Call("MSET", "ow:b", "jjjj").AssertOk();
        Assert.Equal(-1, c.Call("TTL", "ow:b").AssertInt());
        Assert.Equal("jjjj", c.Call("GET", "ow:b").Text);
        Assert.Equal("aaaa", c.Call("GET", "ow:a").Text);
    }

    [Fact]
    public void GetDel_ReturnsValueThenKeyIsGone()
    {
        using var c = fx.Client();
        c.Call("SET", "gd:a", "v").AssertOk();
        Assert.Equal("v", c.Call("GETDEL", "gd:a").Text);
        Assert.Equal(0, c.Call("EXISTS", "gd:a").AssertInt());
        Assert.True(c.Call("GETDEL", "gd:a").IsNull);
    }

    [Fact]
    public void GetEx_Options_SetOrRemoveTtl()
    {
        using var c = fx.Client();
        c.Call("SET", "gx:a", "v").AssertOk();
        Assert.Equal("v", c.Call("GETEX", "gx:a", "EX", "100").Text);
        Assert.InRange(c.Call("TTL", "gx:a").AssertInt(), 99, 100);
        Assert.Equal("v", c.Call("GETEX", "gx:a", "PERSIST").Text);
        Assert.Equal(-1, c.Call("TTL", "gx:a").AssertInt());
        long at = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + 50_000;
        Assert.Equal("v", c.Call("GETEX", "gx:a", "PXAT", at).Text);
        Assert.Equal(at, c.Call("PEXPIRETIME", "gx:a").AssertInt());
        Assert.Equal("v", c.Call("GETEX", "gx:a").Text);
        Assert.Equal(at, c.Call("PEXPIRETIME", "gx:a").AssertInt());
    }

    [Fact]
    public void GetEx_TimestampInThePast_DeletesKeyAfterReplying()
    {
        using var c = fx.Client();
        c.Call("SET", "gx:past", "v").AssertOk();
        Assert.Equal("v", c.Call("GETEX", "gx:past", "EXAT", "1").Text);
        Assert.Equal(0, c.Call("EXISTS", "gx:past").AssertInt());
    }

    [Fact]
    public void GetEx_BadOptions_ErrorsInRedisOrder()
    {
        using var c = fx.Client();
        c.Call("SET", "gx:b", "v").AssertOk();
        c.Call("GETEX", "gx:b", "EX", "10", "PX", "10").AssertError("ERR syntax error");
        c.Call("GETEX", "gx:b", "PERSIST", "EX", "10").AssertError("ERR syntax error");
        c.Call("GETEX", "gx:b", "EX").AssertError("ERR syntax error");
        c.Call("GETEX", "gx:b", "EX", "abc").AssertError("ERR value is not an integer or out of range");
        c.Call("GETEX", "gx:b", "EX", "0").AssertError("ERR invalid expire time in 'getex' command");
        // A missing key answers nil before the number is even looked at.
        Assert.True(c.Call("GETEX", "gx:none", "EX", "abc").IsNull);
    }

    [Fact]
    public void MSetMGet_RoundTrip_MissingKeysAreNil()
    {
        using var c = fx.Client();
        c.Call("MSET", "ms:a", "1", "ms:b", "2").AssertOk();
        Assert.Equal(new string?[] { "1", "2", null }, c.Call("MGET", "ms:a", "ms:b", "ms:c").Strings());
        c.Call("MSET", "ms:a", "1", "ms:b").AssertError("ERR wrong number of arguments for 'mset' command");
    }

    [Fact]
    public void MSetNx_AnyKeyExists_SetsNothing()
    {
        using var c = fx.Client();
        c.Call("SET", "mn:a", "old").AssertOk();
        Assert.Equal(0, c.Call("MSETNX", "mn:a", "1", "mn:b", "2").AssertInt());
        Assert.Equal(0, c.Call("EXISTS", "mn:b").AssertInt());
        Assert.Equal(1, c.Call("MSETNX", "mn:c", "1", "mn:d", "2").AssertInt());
        Assert.Equal(new string?[] { "1", "2" }, c.Call("MGET", "mn:c", "mn:d").Strings());
    }

    [Fact]
    public void Append_GrowsValueAndKeepsTtl()
    {
        using var c = fx.Client();
        Assert.Equal(5, c.Call("APPEND", "ap:a", "hello").AssertInt());
        c.Call("EXPIRE", "ap:a", "100");
        Assert.Equal(11, c.Call("APPEND", "ap:a", " world").AssertInt());
        Assert.Equal("hello world", c.Call("GET", "ap:a").Text);
        Assert.Equal(11, c.Call("STRLEN", "ap:a").AssertInt());
        Assert.InRange(c.Call("TTL", "ap:a").AssertInt(), 99, 100);
        Assert.Equal(0, c.Call("STRLEN", "ap:none").AssertInt());
    }

    [Theory]
    [InlineData("0", "-1", "Hello World")]
    [InlineData("0", "4", "Hello")]
    [InlineData("-5", "-1", "World")]
    [InlineData("-1", "-5", "")]
    [InlineData("5", "2", "")]
    [InlineData("-100", "100", "Hello World")]
    [InlineData("20", "30", "")]
    [InlineData("-9223372036854775808", "1", "He")]
    public void GetRange_Indexes_LikeRedis(string start, string end, string expected)
    {
        using var c = fx.Client();
        c.Call("SET", "gr:a", "Hello World").AssertOk();
        Assert.Equal(expected, c.Call("GETRANGE", "gr:a", start, end).Text);
        Assert.Equal(expected, c.Call("SUBSTR", "gr:a", start, end).Text);
    }

    [Fact]
    public void GetRange_MissingKeyOrBadIndex()
    {
        using var c = fx.Client();
        Assert.Equal("", c.Call("GETRANGE", "gr:none", "0", "-1").Text);
        c.Call("GETRANGE", "gr:none", "x", "1").AssertError("ERR value is not an integer or out of range");
    }

    [Fact]
    public void SetRange_PadsWithZeros_AndOverwritesInPlace()
    {
        using var c = fx.Client();
        Assert.Equal(7, c.Call("SETRANGE", "sr:a", "5", "hi").AssertInt());
        Assert.Equal("\0\0\0\0\0hi", c.Call("GET", "sr:a").Text);
        Assert.Equal(7, c.Call("SETRANGE", "sr:a", "0", "AB").AssertInt());
        Assert.Equal("AB\0\0\0hi", c.Call("GET", "sr:a").Text);
        Assert.Equal(7, c.Call("SETRANGE", "sr:a", "1", "").AssertInt());
        Assert.Equal(0, c.Call("SETRANGE", "sr:none", "3", "").AssertInt());
        Assert.Equal(0, c.Call("EXISTS", "sr:none").AssertInt());
        c.Call("SETRANGE", "sr:a", "-1", "x").AssertError("ERR offset is out of range");
    }

    [Fact]
    public void SetRange_PastProtoMaxBulkLen_IsRefused()
    {
        using var c = fx.Client();
        c.Call("SETRANGE", "sr:big", "536870912", "x").AssertError("ERR string exceeds maximum allowed size (proto-max-bulk-len)");
        c.Call("SETRANGE", "sr:big", "9223372036854775807", "x").AssertError("ERR string exceeds maximum allowed size (proto-max-bulk-len)");
        Assert.Equal(0, c.Call("EXISTS", "sr:big").AssertInt());
    }

    [Fact]
    public void Append_PastProtoMaxBulkLen_IsRefused()
    {
        // A server of its own with the smallest limit, so the test moves little data.
        using var server = CodisServerProcess.Start("--proto-max-bulk-len", "1048576");
        using var c = server.Client();
        var chunk = new string('x', 600_000);
        Assert.Equal(600_000, c.Call("APPEND", "ap:big", chunk).AssertInt());
        c.Call("APPEND", "ap:big", chunk).AssertError("ERR string exceeds maximum allowed size (proto-max-bulk-len)");
        Assert.Equal(600_000, c.Call("STRLEN", "ap:big").AssertInt());
        c.Call("SETRANGE", "ap:big", "1048576", "y").AssertError("ERR string exceeds maximum allowed size (proto-max-bulk-len)");
        Assert.Equal(1048576, c.Call("SETRANGE", "ap:big", "1048575", "y").AssertInt());
        // SETBIT reports the limit as a bad offset, as Redis does.
        c.Call("SETBIT", "ap:bits", "8388608", "1").AssertError("ERR bit offset is not an integer or out of range");
        Assert.Equal(0, c.Call("SETBIT", "ap:bits", "8388607", "1").AssertInt());
        Assert.Equal(1048576, c.Call("STRLEN", "ap:bits").AssertInt());
    }
}
