using Codis.Core.Resp;
using Codis.Server.Tests.Infrastructure;

namespace Codis.Server.Tests.Admin;

/// <summary>CLIENT UNBLOCK and CLIENT NO-EVICT, side by side with redis-server 7.0.</summary>
public class ClientUnblockTests(AdminFixture fx) : IClassFixture<AdminFixture>
{
    [Fact]
    public void Errors_SameAsRedis() => fx.AssertSame("""
        CLIENT UNBLOCK 999999
        CLIENT UNBLOCK 999999 TIMEOUT
        CLIENT UNBLOCK 999999 error
        CLIENT UNBLOCK abc
        CLIENT UNBLOCK -1 ERROR
        CLIENT UNBLOCK 1 foo
        CLIENT UNBLOCK 1 timeout x
        CLIENT UNBLOCK
        CLIENT NO-EVICT on
        CLIENT NO-EVICT OFF
        CLIENT NO-EVICT foo
        CLIENT NO-EVICT
        CLIENT NO-EVICT on x
        COMMAND INFO client|unblock client|no-evict
        """);

    /// <summary>Blocks a client in <paramref name="blocking"/>, unblocks it with <paramref name="how"/>; returns both replies.</summary>
    private static string UnblockFlow(Func<RespClient> connect, string[] blocking, params string[] how)
    {
        using var blocked = connect();
        using var admin = connect();
        long id = blocked.Call("CLIENT", "ID").Integer;
        blocked.Send(blocking.Select(a => System.Text.Encoding.UTF8.GetBytes(a)).ToArray());
        blocked.Flush();
        Eventually.True(() => admin.Call("CLIENT", "LIST", "ID", id.ToString()).Text!.Contains("cmd=" + blocking[0].ToLowerInvariant()),
            TimeSpan.FromSeconds(10), "the client to block");
        var unblock = admin.Call(["CLIENT", "UNBLOCK", id.ToString(), .. how]);
        var reply = blocked.Read();
        var again = admin.Call("CLIENT", "UNBLOCK", id.ToString());
        return $"unblock: {unblock}; blocked got: {reply}; again: {again}";
    }

    public static TheoryData<string, string> Cases => new()
    {
        { "BLPOP ub:list 0", "" },
        { "BLPOP ub:list 0", "TIMEOUT" },
        { "BLPOP ub:list 0", "ERROR" },
        { "BZPOPMIN ub:zset 100", "error" },
        { "XREAD BLOCK 0 STREAMS ub:stream $", "TIMEOUT" },
        { "BLMOVE ub:a ub:b LEFT RIGHT 0", "ERROR" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Unblock_BlockedCommand_SameRepliesAsRedis(string command, string how)
    {
        var words = command.Split(' ');
        string[] reason = how.Length == 0 ? [] : [how];
        string expected = UnblockFlow(() => fx.Redis.Client(), words, reason);
        string actual = UnblockFlow(() => fx.Codis.Client(), words, reason);
        Assert.Equal(expected, actual);
        Assert.Contains(how.Equals("error", StringComparison.OrdinalIgnoreCase) ? "UNBLOCKED client unblocked via CLIENT UNBLOCK" : "unblock: (integer) 1", actual);
    }

    [Fact]
    public void NoEvict_ShownAsFlagE()
    {
        using var ours = fx.Client();
        using var theirs = fx.Redis.Client();
        foreach (var c in new[] { ours, theirs })
        {
            c.Call("CLIENT", "NO-EVICT", "on").AssertOk();
            Assert.Contains(" flags=e ", c.Call("CLIENT", "INFO").Text);
            c.Call("CLIENT", "NO-EVICT", "off").AssertOk();
            Assert.Contains(" flags=N ", c.Call("CLIENT", "INFO").Text);
        }
    }
}
