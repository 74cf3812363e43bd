using System.Diagnostics;
using System.Text.RegularExpressions;
using Codis.Server.Tests.Infrastructure;

namespace Codis.Server.Tests.Admin;

public class ClientTests(AdminFixture fx) : IClassFixture<AdminFixture>
{
    [Fact]
    public void Errors_SameAsRedis() => fx.AssertSame("""
        CLIENT KILL 1.2.3.4:5
        CLIENT KILL ID abc
        CLIENT KILL ID 0
        CLIENT KILL ID 99999
        CLIENT KILL TYPE foo
        CLIENT KILL USER bob
        CLIENT KILL SKIPME maybe
        CLIENT KILL ADDR
        CLIENT KILL FOO bar
        CLIENT SETNAME "a b"
        CLIENT SETNAME
        CLIENT GETNAME
        CLIENT ID x
        CLIENT REPLY maybe
        CLIENT PAUSE abc
        CLIENT PAUSE -1
        CLIENT PAUSE 10 FOO
        CLIENT LIST TYPE foo
        CLIENT LIST ID abc
        CLIENT LIST ID 99999
        CLIENT LIST FOO
        CLIENT GETREDIR
        CLIENT FOO
        CLIENT
        """);

    [Fact]
    public void IdNameAndInfo()
    {
        using var c = fx.Client();
        long id = c.Call("CLIENT", "ID").AssertInt();
        Assert.True(c.Call("CLIENT", "GETNAME").IsNull);
        c.Call("CLIENT", "SETNAME", "worker-1").AssertOk();
        Assert.Equal("worker-1", c.Call("CLIENT", "GETNAME").Text);
        string info = c.Call("CLIENT", "INFO").Text!;
        Assert.StartsWith($"id={id} addr=127.0.0.1:", info);
        Assert.Contains(" name=worker-1 ", info);
        Assert.Contains(" cmd=client|info ", info);
        Assert.EndsWith("\n", info);
        c.Call("CLIENT", "SETNAME", "").AssertOk();
        Assert.True(c.Call("CLIENT", "GETNAME").IsNull);
        c.Call("CLIENT", "SETINFO", "lib-name", "mylib").AssertOk();
        c.Call("CLIENT", "SETINFO", "lib-ver", "1.2.3").AssertOk();
        c.Call("CLIENT", "SETINFO", "lib-color", "x").AssertError("ERR Unrecognized option 'lib-color'");
        c.Call("CLIENT", "SETINFO", "lib-name", "a b").AssertError("ERR lib-name cannot contain spaces");
        Assert.Contains(" lib-name=mylib lib-ver=1.2.3", c.Call("CLIENT", "INFO").Text!);
    }

    /// <summary>The fields of a CLIENT LIST line, in order, are Redis 7.0's (ours adds 7.2's lib-name/lib-ver at the end).</summary>
    [Fact]
    public void List_HasRedisFieldNamesInOrder()
    {
        using var ours = fx.Client();
        using var theirs = fx.Redis.Client();
        static string[] Names(string line) => line.Trim().Split(' ').Select(f => f[..f.IndexOf('=')]).ToArray();
        var expected = Names(theirs.Call("CLIENT", "INFO").Text!);
        var actual = Names(ours.Call("CLIENT", "INFO").Text!);
        Assert.Equal(expected, actual.Take(expected.Length));
        using var other = fx.Client();
        long otherId = other.Call("CLIENT", "ID").AssertInt();
        string list = ours.Call("CLIENT", "LIST").Text!;
        Assert.Contains($"id={otherId} ", list);
        string one = ours.Call("CLIENT", "LIST", "ID", otherId.ToString()).Text!;
        Assert.Single(one.TrimEnd('\n').Split('\n'));
        Assert.StartsWith($"id={otherId} ", one);
        Assert.Contains($"id={otherId} ", ours.Call("CLIENT", "LIST", "TYPE", "normal").Text!);
        Assert.Equal("", ours.Call("CLIENT", "LIST", "TYPE", "replica").Text);
    }

    [Fact]
    public void Kill_OldAndNewForms()
    {
        using var killer = fx.Client();
        using var victim = fx.Client();
        victim.Call("SET", "kill:k", "kept").AssertOk();
        string addr = Regex.Match(victim.Call("CLIENT", "INFO").Text!, @" addr=(\S+) ").Groups[1].Value;
        killer.Call("CLIENT", "KILL", addr).AssertOk();
        AssertClosed(victim);

        using var v2 = fx.Client();
        long id = v2.Call("CLIENT", "ID").AssertInt();
        Assert.Equal(1, killer.Call("CLIENT", "KILL", "ID", id.ToString()).AssertInt());
        AssertClosed(v2);
        Assert.Equal(0, killer.Call("CLIENT", "KILL", "ID", id.ToString()).AssertInt());

        using var v3 = fx.Client();
        string addr3 = Regex.Match(v3.Call("CLIENT", "INFO").Text!, @" addr=(\S+) ").Groups[1].Value;
        string laddr3 = Regex.Match(v3.Call("CLIENT", "INFO").Text!, @" laddr=(\S+) ").Groups[1].Value;
        Assert.Equal(1, killer.Call("CLIENT", "KILL", "ADDR", addr3, "LADDR", laddr3, "TYPE", "normal", "USER", "default").AssertInt());
        AssertClosed(v3);

        // SKIPME yes (the default) spares the caller; SKIPME no closes it after the reply.
        long me = killer.Call("CLIENT", "ID").AssertInt();
        Assert.Equal(0, killer.Call("CLIENT", "KILL", "ID", me.ToString()).AssertInt());
        Assert.Equal(1, killer.Call("CLIENT", "KILL", "ID", me.ToString(), "SKIPME", "no").AssertInt());
        AssertClosed(killer);
        using var check = fx.Client();
        Assert.Equal("kept", check.Call("GET", "kill:k").Text);
    }

    private static void AssertClosed(Codis.Core.Resp.RespClient c)
    {
        var sw = Stopwatch.StartNew();
        while (sw.ElapsedMilliseconds < 5000)
        {
            try
            {
                var r = c.Call("PING");
                if (r.Text != "PONG") return;
            }
            catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or EndOfStreamException or InvalidDataException or ObjectDisposedException)
            {
                return;
            }
            Thread.Sleep(20);
        }
        Assert.Fail("connection was not closed");
    }

    [Fact]
    public void Reply_OffSkipOn()
    {
        using var c = fx.Client();
        c.SendRaw("CLIENT REPLY OFF\r\nSET reply:a 1\r\nGET reply:a\r\nCLIENT REPLY ON\r\nGET reply:a\r\n"u8);
        Assert.Equal("+OK\r\n$1\r\n1\r\n", System.Text.Encoding.ASCII.GetString(c.ReadRawAvailable(TimeSpan.FromMilliseconds(500))));
        c.SendRaw("CLIENT REPLY SKIP\r\nSET reply:a 2\r\nGET reply:a\r\n"u8);
        Assert.Equal("$1\r\n2\r\n", System.Text.Encoding.ASCII.GetString(c.ReadRawAvailable(TimeSpan.FromMilliseconds(500))));
    }

    [Fact]
    public async Task Pause_WriteBlocksWritesOnly_AllBlocksEverything_UnpauseResumes()
    {
        using var admin = fx.Client();
        using var other = fx.Client();
        other.Call("SET", "pause:k", "1").AssertOk();
        admin.Call("CLIENT", "PAUSE", "800", "WRITE").AssertOk();
        var sw = Stopwatch.StartNew();
        Assert.Equal("1", other.Call("GET", "pause:k").Text);
        Assert.True(sw.ElapsedMilliseconds < 400, $"a read waited {sw.ElapsedMilliseconds} ms");
        sw.Restart();
        other.Call("SET", "pause:k", "2").AssertOk();
        Assert.True(sw.ElapsedMilliseconds >= 500, $"a write ran after {sw.ElapsedMilliseconds} ms of an 800 ms pause");

        // ALL: reads wait too (and, as in Redis, so does every other command, UNPAUSE included).
        sw.Restart();
        admin.Call("CLIENT", "PAUSE", "1200", "ALL").AssertOk();
        var get = Task.Run(() => other.Call("GET", "pause:k").Text);
        await Task.Delay(300);
        Assert.False(get.IsCompleted, "a read ran during CLIENT PAUSE ALL");
        Assert.Equal("2", await get);
        Assert.True(sw.ElapsedMilliseconds >= 1000, $"the read ran after {sw.ElapsedMilliseconds} ms of a 1200 ms pause");
        admin.Call("CLIENT", "PAUSE", "5000", "WRITE").AssertOk();
        admin.Call("CLIENT", "UNPAUSE").AssertOk();
        sw.Restart();
        other.Call("SET", "pause:k", "3").AssertOk();
        Assert.True(sw.ElapsedMilliseconds < 1000);
    }

    [Fact]
    public void NoTouch_LeavesIdleTimeAlone()
    {
        using var c = fx.Client();
        c.Call("SET", "touch:k", "v").AssertOk();
        Thread.Sleep(2100);
        c.Call("CLIENT", "NO-TOUCH", "ON").AssertOk();
        c.Call("GET", "touch:k");
        Assert.True(c.Call("OBJECT", "IDLETIME", "touch:k").AssertInt() >= 2);
        c.Call("CLIENT", "NO-TOUCH", "OFF").AssertOk();
        c.Call("GET", "touch:k");
        Assert.True(c.Call("OBJECT", "IDLETIME", "touch:k").AssertInt() <= 1);
        c.Call("CLIENT", "NO-TOUCH", "maybe").AssertError("ERR syntax error");
    }
}
