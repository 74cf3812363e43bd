using System.Globalization;
using Codis.Core.Resp;
using Codis.Server.Tests.Infrastructure;
using Codis.Testing;

namespace Codis.Server.Tests.Acl;

/// <summary>
/// ACL users on one codis-server: connections of a deleted user are closed (a user turned off keeps them, as in
/// Redis 7.0), the ACL LOG's entries and the INFO counters, rules changed between MULTI and EXEC, requirepass as the
/// default user's password, HELLO AUTH, CLIENT LIST/KILL by user.
/// </summary>
public class AclTests(ServerFixture fx) : IClassFixture<ServerFixture>
{
    internal static RespClient As(CodisServerProcess server, string user, string password)
    {
        var c = server.Client();
        Assert.Equal("OK", c.Call("AUTH", user, password).Text);
        return c;
    }

    /// <summary>Whether the server closed the connection (a command gets no reply).</summary>
    internal static bool Closed(RespClient c)
    {
        try
        {
            c.Call("PING");
            return false;
        }
        catch (Exception e) when (e is IOException or EndOfStreamException or System.Net.Sockets.SocketException or ObjectDisposedException)
        {
            return true;
        }
    }

    private static Dictionary<string, string> Stats(RespClient c) =>
        c.Call("INFO", "stats").Text!.Split("\r\n").Where(l => l.Contains(':')).ToDictionary(l => l[..l.IndexOf(':')], l => l[(l.IndexOf(':') + 1)..]);

    private static Dictionary<string, RespValue> Fields(RespValue entry)
    {
        var items = entry.Items!;
        var d = new Dictionary<string, RespValue>();
        for (int i = 0; i + 1 < items.Length; i += 2) d[items[i].Text!] = items[i + 1];
        return d;
    }

    public static TheoryData<string> RuleSets => new()
    {
        "on >pw ~k* %R~r* &c* -@all +@hash -hset +config|get +select|0",
        "+@all -@dangerous -get +flushall",
        "-@all +@read +@write -@keyspace +del (~x +set) (%W~w* &z -@all +lpush)",
        "allkeys allchannels -@all +@pubsub +@connection -client|kill +client",
        "+@all -@slow +info +keys",
        "nopass -@all +@fast -@string +get|x",
    };

    [Theory]
    [MemberData(nameof(RuleSets))]
    public void AclList_RebuildsTheSameUser(string rules)
    {
        using var admin = fx.Client();
        string name = "rt" + (uint)rules.GetHashCode();
        admin.Call(["ACL", "SETUSER", name, "reset", .. rules.Split(' ')]).AssertOk();
        string line = admin.Call("ACL", "LIST").Names().Single(l => l.StartsWith("user " + name + " ", StringComparison.Ordinal));
        string listed = line[("user " + name + " ").Length..];
        admin.Call(["ACL", "SETUSER", name + "copy", "reset", .. listed.Split(' ')]).AssertOk();
        Assert.Equal(admin.Call("ACL", "GETUSER", name).ToString(), admin.Call("ACL", "GETUSER", name + "copy").ToString());
        string[][] probes =
        [
            ["get", "k1"], ["get", "x"], ["set", "k1", "v"], ["set", "w1", "v"], ["hset", "k1", "f", "v"], ["hget", "r1", "f"],
            ["config", "get", "x"], ["config", "set", "a", "b"], ["client", "list"], ["client", "kill", "id", "1"], ["select", "0"],
            ["select", "1"], ["publish", "c1", "m"], ["publish", "z", "m"], ["flushall"], ["keys", "*"], ["info"], ["lpush", "w1", "a"],
            ["del", "x"], ["subscribe", "c1"], ["ping"], ["incr", "k1"], ["strlen", "k1"], ["eval", "return 1", "0"],
        ];
        foreach (var probe in probes)
            Assert.Equal(admin.Call(["ACL", "DRYRUN", name, .. probe]).ToString(), admin.Call(["ACL", "DRYRUN", name + "copy", .. probe]).ToString());
    }

    [Fact]
    public void DeletedUser_ItsConnectionsAreClosed_OffKeepsThem()
    {
        using var admin = fx.Client();
        admin.Call("ACL", "SETUSER", "gone", "on", ">pw", "+@all", "~*").AssertOk();
        using var first = As(fx.Server, "gone", "pw");
        using var second = As(fx.Server, "gone", "pw");
        admin.Call("ACL", "SETUSER", "gone", "off").AssertOk();
        Assert.Equal("PONG", first.Call("PING").Text); // Redis 7.0 keeps a disabled user's connections
        Assert.StartsWith("WRONGPASS", admin.Call("AUTH", "gone", "pw").Text);
        Assert.Equal(1, admin.Call("ACL", "DELUSER", "gone").AssertInt());
        Assert.True(Closed(first), "a deleted user's connection stays open");
        Assert.True(Closed(second), "a deleted user's second connection stays open");
        Assert.Equal("PONG", admin.Call("PING").Text);
    }

    [Fact]
    public void DeletingItsOwnUser_TheReplyComesThenTheConnectionCloses()
    {
        using var admin = fx.Client();
        admin.Call("ACL", "SETUSER", "self", "on", ">pw", "+@all", "~*").AssertOk();
        using var self = As(fx.Server, "self", "pw");
        Assert.Equal(1, self.Call("ACL", "DELUSER", "self").AssertInt());
        Assert.True(Closed(self));
    }

    [Fact]
    public void AclLog_RecordsEachDenial_WithRedisFields_AndCountsThem()
    {
        using var admin = fx.Client();
        admin.Call("ACL", "SETUSER", "logged", "on", ">pw", "~k*", "&ch*", "+get", "+publish", "+multi", "+exec", "+eval").AssertOk();
        admin.Call("ACL", "LOG", "RESET").AssertOk();
        var before = Stats(admin);
        using var user = As(fx.Server, "logged", "pw");
        user.Call("GET", "other").AssertError("NOPERM");
        user.Call("GET", "other").AssertError("NOPERM");
        user.Call("SET", "k1", "v").AssertError("NOPERM this user has no permissions to run the 'set' command");
        user.Call("PUBLISH", "news", "m").AssertError("NOPERM this user has no permissions to access one of the channels");
        user.Call("MULTI").AssertOk();
        user.Call("DEL", "k1").AssertError("NOPERM");
        user.Call("EXEC").AssertError("EXECABORT Transaction discarded because of previous errors.");
        user.Call("EVAL", "return redis.call('get', 'zz')", "0").AssertError("ERR The user executing the script can't access at least one of the keys");
        admin.Call("AUTH", "logged", "wrong").AssertError("WRONGPASS");

        var entries = admin.Call("ACL", "LOG").Items!.Select(e => Fields(e)).ToList();
        Assert.Equal(["auth", "key", "command", "channel", "command", "key"], entries.Select(e => e["reason"].Text!).ToArray());
        Assert.Equal(["toplevel", "lua", "multi", "toplevel", "toplevel", "toplevel"], entries.Select(e => e["context"].Text!).ToArray());
        Assert.Equal(["AUTH", "zz", "del", "news", "set", "other"], entries.Select(e => e["object"].Text!).ToArray());
        Assert.All(entries, e => Assert.Equal("logged", e["username"].Text));
        Assert.Equal(2, entries[5]["count"].Integer); // the same denial twice is one entry
        Assert.Equal(1, entries[4]["count"].Integer);
        Assert.All(entries, e => Assert.InRange(double.Parse(e["age-seconds"].Text!, CultureInfo.InvariantCulture), 0, 60));
        Assert.Contains("user=logged", entries[5]["client-info"].Text);
        Assert.Contains("cmd=get", entries[5]["client-info"].Text);
        Assert.Equal(14, admin.Call("ACL", "LOG", "1").Items![0].Items!.Length);

        var after = Stats(admin);
        long Delta(string name) => long.Parse(after[name], CultureInfo.InvariantCulture) - long.Parse(before[name], CultureInfo.InvariantCulture);
        Assert.Equal(1, Delta("acl_access_denied_auth"));
        Assert.Equal(2, Delta("acl_access_denied_cmd"));
        Assert.Equal(3, Delta("acl_access_denied_key"));
        Assert.Equal(1, Delta("acl_access_denied_channel"));
        admin.Call("ACL", "LOG", "RESET").AssertOk();
        Assert.Empty(admin.Call("ACL", "LOG").Items!);
    }

    [Fact]
    public void RulesChangedAfterQueueing_ExecRefusesThatCommand()
    {
        using var admin = fx.Client();
        admin.Call("ACL", "SETUSER", "queued", "on", ">pw", "~*", "+multi", "+exec", "+set", "+get").AssertOk();
        using var user = As(fx.Server, "queued", "pw");
        user.Call("MULTI").AssertOk();
        Assert.Equal("QUEUED", user.Call("SET", "qk", "1").Text);
        Assert.Equal("QUEUED", user.Call("GET", "qk").Text);
        admin.Call("ACL", "SETUSER", "queued", "-set").AssertOk();
        var replies = user.Call("EXEC").Items!;
        replies[0].AssertError("NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: no permission to execute the command or subcommand");
        Assert.True(replies[1].IsNull);
        Assert.Equal(0, admin.Call("EXISTS", "qk").AssertInt());
    }

    [Fact]
    public void ClientListShowsTheUser_ClientKillByUser()
    {
        using var admin = fx.Client();
        admin.Call("ACL", "SETUSER", "listed", "on", ">pw", "+@all", "~*").AssertOk();
        using var user = As(fx.Server, "listed", "pw");
        Assert.Contains("user=listed", user.Call("CLIENT", "INFO").Text);
        Assert.Contains("user=default", admin.Call("CLIENT", "INFO").Text);
        Assert.Contains(admin.Call("CLIENT", "LIST").Text!.Split('\n'), l => l.Contains("user=listed"));
        admin.Call("CLIENT", "KILL", "USER", "nosuch").AssertError("ERR No such user 'nosuch'");
        Assert.Equal(1, admin.Call("CLIENT", "KILL", "USER", "listed").AssertInt());
        Assert.True(Closed(user));
        Assert.Equal("listed", admin.Call("ACL", "USERS").Names().Single(n => n == "listed"));
    }

    [Fact]
    public void ChannelsRevoked_SubscribersOfThemAreDisconnected()
    {
        using var admin = fx.Client();
        admin.Call("ACL", "SETUSER", "sub", "on", ">pw", "+subscribe", "+psubscribe", "+ping", "&news*").AssertOk();
        using var channel = As(fx.Server, "sub", "pw");
        using var pattern = As(fx.Server, "sub", "pw");
        Assert.Equal("subscribe", channel.Call("SUBSCRIBE", "news1").Items![0].Text);
        Assert.Equal("psubscribe", pattern.Call("PSUBSCRIBE", "news*").Items![0].Text);
        pattern.Call("PSUBSCRIBE", "new*").AssertError("NOPERM this user has no permissions to access one of the channels used as arguments");
        admin.Call("ACL", "SETUSER", "sub", "resetchannels", "&news1").AssertOk();
        Assert.True(Closed(pattern), "a subscriber of a pattern no longer allowed stays connected");
        Assert.Equal("pong", channel.Call("PING").Items![0].Text);
    }

    [Fact]
    public void HelloAuth_WithAUser()
    {
        using var admin = fx.Client();
        admin.Call("ACL", "SETUSER", "hi", "on", ">pw", "+@all", "~*").AssertOk();
        using var c = fx.Client();
        c.Call("HELLO", "2", "AUTH", "hi", "wrong").AssertError("WRONGPASS invalid username-password pair or user is disabled.");
        Assert.Equal("default", c.Call("ACL", "WHOAMI").Text);
        var hello = c.Call("HELLO", "2", "AUTH", "hi", "pw", "SETNAME", "named").Names();
        Assert.Equal("redis", hello[1]);
        Assert.Equal("hi", c.Call("ACL", "WHOAMI").Text);
        Assert.Equal("named", c.Call("CLIENT", "GETNAME").Text);
        Assert.Equal("RESET", c.Call("RESET").Text);
        Assert.Equal("default", c.Call("ACL", "WHOAMI").Text);
    }
}

/// <summary>requirepass is the default user's password (flag, CONFIG SET), as in Redis 7.0; its own server, since it locks clients out.</summary>
public class AclRequirePassTests
{
    [Fact]
    public void Requirepass_IsTheDefaultUsersPassword()
    {
        using var server = CodisServerProcess.Start("--requirepass", "first");
        using var c = server.Client();
        c.Call("PING").AssertError("NOAUTH Authentication required.");
        c.Call("HELLO", "2").AssertError("NOAUTH HELLO must be called with the client already authenticated");
        c.Call("AUTH", "default", "wrong").AssertError("WRONGPASS");
        c.Call("AUTH", "first").AssertOk();
        var user = c.Call("ACL", "GETUSER", "default").Items!;
        Assert.Equal(["on"], user[1].Names());
        Assert.Equal([Sha256("first")], user[3].Names());
        c.Call("CONFIG", "SET", "requirepass", "second").AssertOk();
        Assert.Equal("second", c.Call("CONFIG", "GET", "requirepass").Names()[1]);
        Assert.Equal([Sha256("second")], c.Call("ACL", "GETUSER", "default").Items![3].Names());
        using (var other = server.Client())
        {
            other.Call("AUTH", "first").AssertError("WRONGPASS");
            other.Call("AUTH", "default", "second").AssertOk();
        }
        c.Call("CONFIG", "SET", "requirepass", "").AssertOk();
        Assert.Equal("user default on nopass ~* &* +@all", c.Call("ACL", "LIST").Names()[0]);
        using var open = server.Client();
        Assert.Equal("PONG", open.Call("PING").Text);
        open.Call("AUTH", "x").AssertError("ERR AUTH <password> called without any password configured for the default user.");
    }

    private static string Sha256(string s) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(s)));
}
