using Codis.Server.Tests.Infrastructure;

namespace Codis.Server.Tests.Streams;

/// <summary>
/// The stream commands against Debian's redis-server 7.0, same commands, same replies, errors included. IDs are
/// explicit (generated ones follow the clock) and time-dependent fields are kept out of the compared replies.
/// </summary>
public class StreamOracleTests(PeerFixture peers) : IClassFixture<PeerFixture>
{
    [Fact]
    public void EntryCommands_SameRepliesAsRedis() => StreamPeers.AssertSame(peers, """
        del s s2 str nokey t big
        set str x
        xadd s 1-1 f v
        xadd s 1-1 f v
        xadd s 1-0 f v
        xadd s 0-0 f v
        xadd s2 0-0 f v
        exists s2
        xadd s 1-* a b
        xadd s 2-* a b c d
        xadd s 2-5 a b
        xadd s 2-3 a b
        xadd s 3 f v2
        xadd s f v
        xadd s 4-1 f
        xadd s 4-1
        xadd s nomkstream 5-0 f v
        xadd nokey nomkstream 5-0 f v
        exists nokey
        xadd s maxlen 10 minid 1 5-0 f v
        xadd s limit 10 5-0 f v
        xadd s maxlen 10 limit 10 5-0 f v
        xadd s maxlen -1 5-0 f v
        xadd s maxlen abc 5-0 f v
        xadd s minid bad 5-0 f v
        xadd s maxlen ~ 10 limit -1 5-0 f v
        xadd s 5-x f v
        xadd s - f v
        xadd s + f v
        xadd s 18446744073709551615-18446744073709551616 f v
        xadd str 9-0 f v
        xlen s
        xlen nokey
        xlen str
        xrange s - +
        xrange s - + count 2
        xrange s - + count 0
        xrange s - + count -5
        xrange s - + count
        xrange s - + foo 1
        xrange s (1-1 +
        xrange s - (2-1
        xrange s 2 2
        xrange s 1-2 3
        xrange s (18446744073709551615-18446744073709551615 +
        xrange s - (0-0
        xrange s (- +
        xrange s x +
        xrange nokey - +
        xrange str - +
        xrevrange s + -
        xrevrange s + - count 2
        xrevrange s (3-0 (1-1
        xrevrange s 2 -
        xrevrange nokey + -
        xdel s 1-2 1-2 9-9
        xdel s bad
        xdel nokey 1-1
        xdel str 1-1
        xrange s - +
        xadd s 1-5 f v
        xdel s 1-1 2-0
        xinfo stream s
        xadd s 6-* f v
        xlen s
        xtrim s maxlen 2
        xrange s - +
        xtrim s
        xtrim s foo 1
        xtrim s minid 3-0
        xlen s
        xtrim s maxlen ~ 0 limit 5
        xtrim s maxlen 1 limit 5
        xtrim nokey maxlen 0
        xtrim str maxlen 0
        xsetid s 1-0
        xsetid s 99999999999999999-0
        xsetid s 99999999999999999-0 entriesadded 0
        xsetid s 99999999999999999-0 entriesadded -1
        xsetid s 99999999999999999-0 maxdeletedid 999999999999999999-0
        xsetid s 99999999999999999-5 entriesadded 100 maxdeletedid 99999999999999999-1
        xsetid s 99999999999999999-0
        xsetid s 99999999999999999-9 foo
        xsetid nokey 1-1
        xsetid str 1-1
        xinfo stream s
        xadd s 99999999999999999-5 f v
        xadd s 99999999999999999-* f v
        """);

    [Fact]
    public void NodesAndApproximateTrimming_SameAsRedis()
    {
        var script = new System.Text.StringBuilder("del big big2\n");
        for (int i = 1; i <= 350; i++) script.Append($"xadd big {i}-1 field value{i}\n");
        // Entries whose fields differ from the node's master fields, and long values that fill nodes by bytes.
        for (int i = 1; i <= 40; i++) script.Append($"xadd big2 {i}-0 f{i % 3} {new string('x', 50 + i * 7)}\n");
        script.Append("""
            xinfo stream big2
            xtrim big2 maxlen ~ 20
            xlen big2
            xinfo stream big
            xtrim big maxlen ~ 130
            xlen big
            xtrim big maxlen ~ 130 limit 50
            xtrim big minid ~ 200-0
            xlen big
            xtrim big minid 205-0
            xadd big maxlen ~ 60 351-0 f v
            xlen big
            xadd big maxlen 60 352-0 f v
            xinfo stream big
            xrange big - + count 3
            xrevrange big + - count 3
            xdel big 300-1 301-1 302-1
            xinfo stream big
            """);
        StreamPeers.AssertSame(peers, script.ToString());
    }

    [Fact]
    public void GroupCommands_SameRepliesAsRedis() => StreamPeers.AssertSame(peers, """
        del gs str nokey gs2
        set str x
        xadd gs 1-0 a 1
        xadd gs 2-0 b 2
        xadd gs 3-0 c 3
        xgroup create gs g 0
        xgroup create gs g 0
        xgroup create gs g2 $
        xgroup create gs g3 1-0 entriesread 1
        xgroup create gs g4 0 entriesread -2
        xgroup create gs g4 0 entriesread x
        xgroup create gs g4 0 foo
        xgroup create nokey g 0
        xgroup create str g 0
        xgroup create gs2 g $ mkstream
        exists gs2
        xgroup create gs2 gx bad mkstream
        xgroup foo gs g
        xgroup create gs
        xgroup destroy gs
        xgroup setid gs nogroup 0
        xgroup createconsumer gs nogroup c
        xinfo groups gs
        xreadgroup group g alice count 1 streams gs >
        xreadgroup group g bob streams gs >
        xreadgroup group g bob streams gs >
        xreadgroup group g alice streams gs 0
        xreadgroup group g alice count 0 streams gs 0-0
        xreadgroup group g bob streams gs 2-0
        xreadgroup group nog alice streams gs >
        xreadgroup group g alice streams nokey >
        xreadgroup group g alice streams gs $
        xreadgroup group g alice streams gs
        xreadgroup group g alice streams gs > >
        xreadgroup streams gs >
        xreadgroup group g alice streams str >
        xread group g alice streams gs 0
        xread noack streams gs 0
        xreadgroup group g alice noack streams gs 0 extra
        xpending gs g
        xpending gs g - + 10
        xpending gs g - + 10 bob
        xpending gs g - + 10 nobody
        xpending gs g (1-0 + 1
        xpending gs g - + 0
        xpending gs g - + -1
        xpending gs g - + x
        xpending gs g - +
        xpending gs g idle 0 - + 10
        xpending gs g idle x - + 10
        xpending gs g idle 0 - +
        xpending gs nog
        xpending nokey g
        xpending str g
        xinfo groups gs
        xack gs g 1-0 1-0 9-0
        xack gs g bad
        xack gs nog bad
        xack nokey g 1-0
        xack str g 1-0
        xpending gs g
        xgroup createconsumer gs g carol
        xgroup createconsumer gs g carol
        xgroup delconsumer gs g bob
        xgroup delconsumer gs g nobody
        xpending gs g
        xgroup setid gs g 0
        xgroup setid gs g $ entriesread 3
        xgroup setid gs g 1-0 entriesread 1
        xgroup setid gs g 1-0 entriesread
        xgroup setid gs g bad
        xinfo groups gs
        xreadgroup group g carol noack streams gs >
        xpending gs g
        xgroup destroy gs g3
        xgroup destroy gs g3
        xinfo groups gs
        xinfo stream gs
        xinfo stream gs full count 1
        xinfo stream gs foo
        xinfo stream gs full count x
        xinfo consumers gs nog
        xinfo stream nokey
        xinfo stream str
        xinfo foo gs
        xinfo groups nokey
        xgroup help
        xinfo help
        """);

    [Fact]
    public void ClaimCommands_SameRepliesAsRedis() => StreamPeers.AssertSame(peers, """
        del cs
        xadd cs 1-0 a 1
        xadd cs 2-0 b 2
        xadd cs 3-0 c 3
        xadd cs 4-0 d 4
        xgroup create cs g 0
        xreadgroup group g alice streams cs >
        xdel cs 2-0
        xclaim cs g bob 0 1-0 2-0 9-0
        xpending cs g - + 10
        xclaim cs g bob 0 3-0 justid
        xclaim cs g bob 0 3-0 retrycount 7 justid
        xclaim cs g carol 0 4-0 idle 1000000000000000
        xclaim cs g carol 0 5-0 force
        xclaim cs g carol 0 3-0 force justid lastid 10-0
        xinfo groups cs
        xclaim cs g carol 0 3-0 foo
        xclaim cs g carol x 3-0
        xclaim cs g carol 0 3-0 idle x
        xclaim cs g carol 0 3-0 time x
        xclaim cs g carol 0 3-0 retrycount x
        xclaim cs g carol 0 3-0 lastid x
        xclaim cs nog carol 0 3-0
        xclaim nokey g carol 0 3-0
        xclaim cs g carol 999999999 1-0
        xpending cs g - + 10
        xadd cs 5-0 e 5
        xadd cs 6-0 f 6
        xreadgroup group g alice streams cs >
        xdel cs 5-0
        xautoclaim cs g dave 0 0 count 2
        xautoclaim cs g dave 0 0 count 2 justid
        xautoclaim cs g dave 0 (3-0
        xautoclaim cs g dave 99999999 0
        xautoclaim cs g dave 0 0 count 0
        xautoclaim cs g dave 0 0 count x
        xautoclaim cs g dave 0 0 foo
        xautoclaim cs g dave x 0
        xautoclaim cs g dave 0 x
        xautoclaim cs nog dave 0 0
        xautoclaim nokey g dave 0 0
        xpending cs g - + 10
        xpending cs g
        """);
}
