using Codis.Server.Tests.Infrastructure;

namespace Codis.Server.Tests.Keys;

/// <summary>DEL UNLINK EXISTS TYPE TOUCH RENAME RENAMENX MOVE COPY DBSIZE FLUSHDB FLUSHALL RANDOMKEY.</summary>
public class KeyCommandTests(ServerFixture fx) : IClassFixture<ServerFixture>
{
    [Fact]
    public void DelUnlink_CountOnlyExistingKeys()
    {
        using var c = fx.Client();
        c.Call("MSET", "kd:a", "1", "kd:b", "2", "kd:c", "3").AssertOk();
        Assert.Equal(2, c.Call("DEL", "kd:a", "kd:b", "kd:none", "kd:a").AssertInt());
        Assert.Equal(1, c.Call("UNLINK", "kd:c").AssertInt());
        Assert.Equal(0, c.Call("DEL", "kd:c").AssertInt());
        c.Call("DEL").AssertError("ERR wrong number of arguments for 'del' command");
    }

    [Fact]
    public void Exists_CountsRepeats_TypeNamesValue()
    {
        using var c = fx.Client();
        c.Call("SET", "ke:a", "1").AssertOk();
        Assert.Equal(2, c.Call("EXISTS", "ke:a", "ke:a", "ke:none").AssertInt());
        Assert.Equal("string", c.Call("TYPE", "ke:a").Text);
        Assert.Equal("none", c.Call("TYPE", "ke:none").Text);
        Assert.Equal(1, c.Call("TOUCH", "ke:a", "ke:none").AssertInt());
    }

    [Fact]
    public void Rename_MovesValueAndTtl_OverwritesTarget()
    {
        using var c = fx.Client();
        c.Call("SET", "kr:a", "v").AssertOk();
        c.Call("EXPIRE", "kr:a", "100");
        c.Call("SET", "kr:b", "old").AssertOk();
        c.Call("RENAME", "kr:a", "kr:b").AssertOk();
        Assert.Equal("v", c.Call("GET", "kr:b").Text);
        Assert.InRange(c.Call("TTL", "kr:b").AssertInt(), 99, 100);
        Assert.Equal(0, c.Call("EXISTS", "kr:a").AssertInt());
        c.Call("RENAME", "kr:a", "kr:c").AssertError("ERR no such key");
        c.Call("RENAME", "kr:b", "kr:b").AssertOk();
        // Different slots ({tags} hash differently): the key must still be found afterwards.
        c.Call("RENAME", "kr:b", "{other}kr").AssertOk();
        Assert.Equal("v", c.Call("GET", "{other}kr").Text);
    }

    [Fact]
    public void RenameNx_ExistingTarget_Replies0()
    {
        using var c = fx.Client();
        c.Call("MSET", "krn:a", "1", "krn:b", "2").AssertOk();
        Assert.Equal(0, c.Call("RENAMENX", "krn:a", "krn:b").AssertInt());
        Assert.Equal(0, c.Call("RENAMENX", "krn:a", "krn:a").AssertInt());
        Assert.Equal(1, c.Call("RENAMENX", "krn:a", "krn:c").AssertInt());
        Assert.Equal("1", c.Call("GET", "krn:c").Text);
        c.Call("RENAMENX", "krn:none", "krn:d").AssertError("ERR no such key");
    }

    [Fact]
    public void Move_ToAnotherDb_KeepsTtl()
    {
        using var c = fx.Client();
        c.Call("SELECT", "2").AssertOk();
        c.Call("SETEX", "km:a", "100", "v").AssertOk();
        Assert.Equal(1, c.Call("MOVE", "km:a", "3").AssertInt());
        Assert.Equal(0, c.Call("EXISTS", "km:a").AssertInt());
        Assert.Equal(0, c.Call("MOVE", "km:a", "3").AssertInt());
        c.Call("MOVE", "km:a", "2").AssertError("ERR source and destination objects are the same");
        c.Call("MOVE", "km:a", "16").AssertError("ERR DB index is out of range");
        c.Call("MOVE", "km:a", "x").AssertError("ERR value is not an integer or out of range");
        c.Call("SELECT", "3").AssertOk();
        Assert.Equal("v", c.Call("GET", "km:a").Text);
        Assert.InRange(c.Call("TTL", "km:a").AssertInt(), 99, 100);
        c.Call("SET", "km:b", "here").AssertOk();
        c.Call("SELECT", "2").AssertOk();
        c.Call("SET", "km:b", "there").AssertOk();
        Assert.Equal(0, c.Call("MOVE", "km:b", "3").AssertInt()); // exists in the target: nothing moves
        Assert.Equal("there", c.Call("GET", "km:b").Text);
    }

    [Fact]
    public void Copy_IndependentValue_DbAndReplaceOptions()
    {
        using var c = fx.Client();
        c.Call("SET", "kc:a", "v").AssertOk();
        c.Call("EXPIRE", "kc:a", "100");
        Assert.Equal(1, c.Call("COPY", "kc:a", "kc:b").AssertInt());
        Assert.InRange(c.Call("TTL", "kc:b").AssertInt(), 99, 100);
        // The copy is a value of its own: changing it in place must not touch the source.
        c.Call("SETRANGE", "kc:b", "0", "X").AssertInt();
        Assert.Equal("v", c.Call("GET", "kc:a").Text);
        Assert.Equal(0, c.Call("COPY", "kc:a", "kc:b").AssertInt());
        Assert.Equal(1, c.Call("COPY", "kc:a", "kc:b", "REPLACE").AssertInt());
        Assert.Equal("v", c.Call("GET", "kc:b").Text);
        Assert.Equal(0, c.Call("COPY", "kc:none", "kc:c").AssertInt());
        c.Call("COPY", "kc:a", "kc:a").AssertError("ERR source and destination objects are the same");
        c.Call("COPY", "kc:a", "kc:b", "DB", "16").AssertError("ERR DB index is out of range");
        c.Call("COPY", "kc:a", "kc:b", "FOO").AssertError("ERR syntax error");
        Assert.Equal(1, c.Call("COPY", "kc:a", "kc:a", "DB", "4").AssertInt());
        c.Call("SELECT", "4").AssertOk();
        Assert.Equal("v", c.Call("GET", "kc:a").Text);
    }

    [Fact]
    public void FlushDb_EmptiesOnlySelectedDb_FlushAllEmptiesEvery()
    {
        // A server of its own: flushing would wipe the other tests' keys.
        using var server = Codis.Testing.CodisServerProcess.Start();
        using var c = server.Client();
        c.Call("MSET", "a", "1", "b", "2").AssertOk();
        c.Call("SELECT", "1").AssertOk();
        c.Call("SET", "c", "3").AssertOk();
        Assert.Equal(1, c.Call("DBSIZE").AssertInt());
        c.Call("FLUSHDB", "FOO").AssertError("ERR syntax error");
        c.Call("FLUSHDB", "ASYNC").AssertOk();
        Assert.Equal(0, c.Call("DBSIZE").AssertInt());
        c.Call("SELECT", "0").AssertOk();
        Assert.Equal(2, c.Call("DBSIZE").AssertInt());
        c.Call("SELECT", "5").AssertOk();
        c.Call("SET", "d", "4").AssertOk();
        c.Call("FLUSHALL", "SYNC").AssertOk();
        Assert.Equal(0, c.Call("DBSIZE").AssertInt());
        c.Call("SELECT", "0").AssertOk();
        Assert.Equal(0, c.Call("DBSIZE").AssertInt());
        Assert.True(c.Call("RANDOMKEY").IsNull);
        c.Call("FLUSHALL", "ASYNC", "SYNC").AssertError("ERR syntax error");
    }

    [Fact]
    public void RandomKey_ReturnsEveryKeyEventually_NeverAnExpiredOne()
    {
        using var c = fx.Client();
        c.Call("SELECT", "7").AssertOk();
        for (int i = 0; i < 5; i++) c.Call("SET", "rk:" + i, "v").AssertOk();
        c.Call("SET", "rk:gone", "v", "PX", "1").AssertOk();
        Thread.Sleep(20);
        var seen = new HashSet<string>();
        for (int i = 0; i < 300 && seen.Count < 5; i++) seen.Add(c.Call("RANDOMKEY").Text!);
        Assert.Equal(5, seen.Count);
        Assert.DoesNotContain("rk:gone", seen);
    }
}
