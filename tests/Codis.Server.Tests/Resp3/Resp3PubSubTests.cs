using System.Text;
using Codis.Server.Tests.Infrastructure;

namespace Codis.Server.Tests.Resp3;

/// <summary>
/// Pub/sub on RESP3 connections against Debian's redis-server 7.0, frame for frame: confirmations and messages are
/// push frames, a subscribed client runs any command, and keyspace notifications arrive as pushes.
/// </summary>
public class Resp3PubSubTests(PeerFixture peers) : IClassFixture<PeerFixture>
{
    /// <summary>Runs the same steps on both servers: each step sends a command on one of two RESP3 connections, then reads the frames it expects.</summary>
    private void AssertSame(Action<Resp3Connection, Resp3Connection, List<string>> steps)
    {
        var seen = new List<string>[2];
        int i = 0;
        foreach (int port in new[] { peers.Redis.Port, peers.Codis.Port })
        {
            using var sub = new Resp3Connection(port);
            using var pub = new Resp3Connection(port);
            var log = new List<string>();
            steps(sub, pub, log);
            seen[i++] = log;
        }
        Assert.Equal(string.Join("\n", seen[0]), string.Join("\n", seen[1]));
    }

    private static string Frame(byte[] f) => Resp3Frames.Show(f);

    [Fact]
    public void Confirmations_AndMessages_ArePushFrames()
    {
        AssertSame((sub, pub, log) =>
        {
            sub.Send("SUBSCRIBE", "r3:a", "r3:b");
            log.Add(Frame(sub.ReadFrame()));
            log.Add(Frame(sub.ReadFrame()));
            sub.Send("PSUBSCRIBE", "r3:p*");
            log.Add(Frame(sub.ReadFrame()));
            sub.Send("SSUBSCRIBE", "r3:s");
            log.Add(Frame(sub.ReadFrame()));
            log.Add(Frame(pub.Call("PUBLISH", "r3:a", "hello")));
            log.Add(Frame(sub.ReadFrame()));
            log.Add(Frame(pub.Call("PUBLISH", "r3:px", "pattern")));
            log.Add(Frame(sub.ReadFrame()));
            log.Add(Frame(pub.Call("SPUBLISH", "r3:s", "shard")));
            log.Add(Frame(sub.ReadFrame()));
            sub.Send("UNSUBSCRIBE", "r3:b", "r3:a");
            log.Add(Frame(sub.ReadFrame()));
            log.Add(Frame(sub.ReadFrame()));
            sub.Send("PUNSUBSCRIBE");
            log.Add(Frame(sub.ReadFrame()));
            sub.Send("SUNSUBSCRIBE");
            log.Add(Frame(sub.ReadFrame()));
            sub.Send("UNSUBSCRIBE");
            log.Add(Frame(sub.ReadFrame()));
        });
    }

    [Fact]
    public void Subscribed_Resp3Client_RunsAnyCommand()
    {
        AssertSame((sub, pub, log) =>
        {
            sub.Send("SUBSCRIBE", "r3:any");
            log.Add(Frame(sub.ReadFrame()));
            log.Add(Frame(sub.Call("SET", "r3:anykey", "v")));
            log.Add(Frame(sub.Call("GET", "r3:anykey")));
            log.Add(Frame(sub.Call("PING")));
            log.Add(Frame(sub.Call("HGETALL", "r3:nohash")));
            log.Add(Frame(pub.Call("PUBLISH", "r3:any", "between")));
            log.Add(Frame(sub.ReadFrame()));
            log.Add(Frame(sub.Call("DEL", "r3:anykey")));
            log.Add(Frame(sub.Call("RESET")));
        });
    }

    [Fact]
    public void Subscribed_Resp2Client_StillRefusesOtherCommands()
    {
        using var c = new Resp3Connection(peers.Codis.Port, protocol: 2);
        c.Send("SUBSCRIBE", "r3:two");
        Assert.StartsWith("*3\r\n", Encoding.UTF8.GetString(c.ReadFrame()));
        Assert.StartsWith("-ERR Can't execute 'get'", Encoding.UTF8.GetString(c.Call("GET", "x")));
        Assert.Equal("*2\r\n$4\r\npong\r\n$0\r\n\r\n", Encoding.UTF8.GetString(c.Call("PING")));
    }

    [Fact]
    public void KeyspaceNotifications_ArePushFrames()
    {
        using (var a = peers.Codis.Client()) a.Call("CONFIG", "SET", "notify-keyspace-events", "KEA");
        using (var b = peers.Redis.Client()) b.Call("CONFIG", "SET", "notify-keyspace-events", "KEA");
        try
        {
            AssertSame((sub, pub, log) =>
            {
                sub.Send("PSUBSCRIBE", "__keyspace@0__:r3:ev*");
                log.Add(Frame(sub.ReadFrame()));
                sub.Send("SUBSCRIBE", "__keyevent@0__:del");
                log.Add(Frame(sub.ReadFrame()));
                log.Add(Frame(pub.Call("SET", "r3:ev", "1")));
                log.Add(Frame(sub.ReadFrame()));
                log.Add(Frame(pub.Call("DEL", "r3:ev")));
                log.Add(Frame(sub.ReadFrame()));
                log.Add(Frame(sub.ReadFrame()));
            });
        }
        finally
        {
            using (var a = peers.Codis.Client()) a.Call("CONFIG", "SET", "notify-keyspace-events", "");
            using (var b = peers.Redis.Client()) b.Call("CONFIG", "SET", "notify-keyspace-events", "");
        }
    }
}
