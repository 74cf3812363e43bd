using System.Text;
using Codis.Core.Resp;
using Codis.Server.Tests.Infrastructure;

namespace Codis.Server.Tests.PubSub;

/// <summary>
/// Keyspace notifications (notify-keyspace-events) against Debian's redis-server 7.0: the same script on both
/// servers, a PSUBSCRIBE '__key*__:*' client on each, and the message sequences must be identical.
/// </summary>
public class KeyspaceNotificationTests(PeerFixture peers) : IClassFixture<PeerFixture>
{
    /// <summary>
    /// Runs the script (one command per line) with the given flags and returns what the subscriber got: one line per
    /// message, "channel payload", and after each command a line "## command" (published as a marker).
    /// </summary>
    private static List<string> Events(Func<RespClient> connect, string flags, string script)
    {
        using var c = connect();
        using var sub = connect();
        Assert.Equal("OK", c.Call("FLUSHALL").ToString());
        Assert.Equal("OK", c.Call("CONFIG", "SET", "notify-keyspace-events", flags).ToString());
        sub.Call("PSUBSCRIBE", "__key*__:*");
        foreach (var raw in script.Split('\n'))
        {
            string line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            c.Call(PeerFixture.Words(line));
            c.Call("PUBLISH", "__keymark__:", line);
        }
        c.Call("PUBLISH", "__keyend__:", "");
        c.Call("CONFIG", "SET", "notify-keyspace-events", "");
        var got = new List<string>();
        while (true)
        {
            var m = sub.Read();
            string channel = Encoding.UTF8.GetString(m.Items![2].Bytes!), payload = Encoding.UTF8.GetString(m.Items[3].Bytes!);
            if (channel == "__keyend__:") return got;
            got.Add(channel == "__keymark__:" ? "## " + payload : channel + " " + payload);
        }
    }

    private void AssertSameEvents(string script, string flags = "KEA")
    {
        var expected = Events(() => peers.Redis.Client(), flags, script);
        var actual = Events(() => peers.Codis.Client(), flags, script);
        Assert.Equal(string.Join("\n", expected), string.Join("\n", actual));
    }

    [Fact]
    public void Strings_and_generic_commands_publish_as_redis() => AssertSameEvents("""
        set a 1
        set a 2 EX 10
        set a 3 KEEPTTL
        set a 4 PX 100000 GET
        setnx a 4
        setnx b 4
        set c 1 NX
        set c 1 XX
        set nokey 1 XX
        set c 1 GET
        getset c 2
        getdel c
        getdel c
        getex a PERSIST
        getex a PERSIST
        getex a EX 100
        getex a PXAT 1
        incr n
        decr n
        incrby n 5
        decrby n 2
        incrbyfloat f 1.5
        append s xx
        append s yy
        setrange s 1 ZZ
        setrange s2 0 ""
        setrange s 0 ""
        setrange s3 2 ab
        mset m1 1 m2 2
        msetnx m3 1 m4 2
        msetnx m3 1 m5 2
        psetex p 1000 v
        setex p2 100 v
        del a b nokey
        expire n 100
        pexpire n 100000
        expireat n 99999999999
        pexpireat n 99999999999000
        expire nokey 100
        persist n
        persist n
        expire n 0
        expire f -1
        set t 1
        expire t 100 NX
        expire t 100 NX
        expire t 200 GT
        rename s s9
        rename s9 s9
        renamenx s9 m1
        renamenx s9 zz
        set zz2 1
        rename zz zz2
        move zz2 3
        move nokey 3
        copy m1 m5
        copy m1 m2 REPLACE
        copy m1 m2
        copy m1 m7 DB 2
        unlink m2 m3
        set e 1 PXAT 1
        """);

    [Fact]
    public void New_key_events_come_first_as_redis() => AssertSameEvents("""
        set a 1
        set a 2
        rename a b
        set c 1
        rename b c
        move c 2
        set d 1
        copy d e
        copy d e REPLACE
        incr i
        append ap x
        setrange sr 1 x
        """, "KEAn");

    [Fact]
    public void Only_the_enabled_classes_and_channels_are_published() => AssertSameEvents("""
        set a 1
        expire a 100
        del a
        incr b
        rename b c
        """, "K$");

    [Fact]
    public void Config_get_shows_the_canonical_flags_as_redis() => peers.AssertSame("""
        config set notify-keyspace-events KEA
        config get notify-keyspace-events
        config set notify-keyspace-events KEAnm
        config get notify-keyspace-events
        config set notify-keyspace-events Kg
        config get notify-keyspace-events
        config set notify-keyspace-events nKE
        config get notify-keyspace-events
        config set notify-keyspace-events "g$lshzxetd"
        config get notify-keyspace-events
        config set notify-keyspace-events "g$lshzxe"
        config get notify-keyspace-events
        config set notify-keyspace-events mgg
        config get notify-keyspace-events
        config set notify-keyspace-events kea
        config set notify-keyspace-events "AKE "
        config get notify-keyspace-events
        config set notify-keyspace-events ""
        config get notify-keyspace-events
        """);

    [Fact]
    public void Flags_dropped_from_the_shown_form_still_apply() =>
        // "AKEn" reads back "AKE" (Redis 7.0 shows n only without A), yet new keys are still announced.
        AssertSameEvents("""
            config get notify-keyspace-events
            set a 1
            """, "AKEn");

    [Fact]
    public void Active_expiry_publishes_expired()
    {
        using var c = peers.Codis.Client();
        using var sub = peers.Codis.Client();
        c.Call("CONFIG", "SET", "notify-keyspace-events", "Ex");
        sub.Call("SUBSCRIBE", "__keyevent@0__:expired");
        c.Call("SET", "gone-soon", "v", "PX", "100");
        // Nobody touches the key: only the cron's active expiry can delete it.
        sub.Timeout = TimeSpan.FromSeconds(5);
        var m = sub.Read();
        c.Call("CONFIG", "SET", "notify-keyspace-events", "");
        Assert.Equal("message __keyevent@0__:expired gone-soon",
            string.Join(" ", m.Items!.Select(i => Encoding.UTF8.GetString(i.Bytes!))));
        Assert.Equal(0, c.Call("EXISTS", "gone-soon").Integer);
    }

    [Fact]
    public void Nothing_is_published_while_the_setting_is_empty()
    {
        using var c = peers.Codis.Client();
        using var sub = peers.Codis.Client();
        Assert.Equal("", c.Call("CONFIG", "GET", "notify-keyspace-events").Items![1].ToString());
        sub.Call("PSUBSCRIBE", "*");
        c.Call("SET", "quiet", "1", "PX", "50");
        c.Call("LPUSH", "quiet-list", "a");
        c.Call("DEL", "quiet-list");
        Thread.Sleep(300); // the key's active expiry happens meanwhile
        c.Call("PUBLISH", "after", "x");
        var m = sub.Read();
        Assert.Equal("pmessage * after x", string.Join(" ", m.Items!.Select(i => Encoding.UTF8.GetString(i.Bytes!))));
    }
}
