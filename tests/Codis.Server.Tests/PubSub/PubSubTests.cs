using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text;
using Codis.Core.Resp;
using Codis.Server.Tests.Infrastructure;
using Codis.Testing;
using StackExchange.Redis;

namespace Codis.Server.Tests.PubSub;

/// <summary>
/// Pub/sub on codis-server alone: StackExchange.Redis subscribers, a subscriber that stops reading (disconnected by
/// client-output-buffer-limit instead of growing), CLIENT LIST/KILL and INFO, RESET, and PUBLISH through replication.
/// </summary>
public class PubSubTests(ServerFixture fx) : IClassFixture<ServerFixture>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task StackExchange_subscriber_gets_channel_and_pattern_messages()
    {
        using var mux = await ConnectionMultiplexer.ConnectAsync(new ConfigurationOptions
        {
            EndPoints = { { "127.0.0.1", fx.Server.Port } },
            ConnectTimeout = 10_000,
            SyncTimeout = 10_000,
        });
        var got = new BlockingCollection<string>();
        var sub = mux.GetSubscriber();
        await sub.SubscribeAsync(RedisChannel.Literal("se:news"), (c, m) => got.Add($"{c}={m}"));
        await sub.SubscribeAsync(RedisChannel.Pattern("se:p.*"), (c, m) => got.Add($"{c}~{m}"));
        var db = mux.GetDatabase();
        Assert.Equal(1, await db.PublishAsync(RedisChannel.Literal("se:news"), "hello"));
        Assert.Equal(1, await db.PublishAsync(RedisChannel.Literal("se:p.one"), "via pattern"));
        Assert.Equal(0, await db.PublishAsync(RedisChannel.Literal("se:nobody"), "lost"));
        var seen = new HashSet<string>();
        for (int i = 0; i < 2; i++)
        {
            Assert.True(got.TryTake(out var m, TimeSpan.FromSeconds(10)), "a message did not arrive");
            seen.Add(m!);
        }
        Assert.Contains("se:news=hello", seen);
        Assert.Contains("se:p.one~via pattern", seen);

        await sub.UnsubscribeAsync(RedisChannel.Literal("se:news"));
        Assert.Equal(0, await db.PublishAsync(RedisChannel.Literal("se:news"), "after"));
        // Many messages in a row arrive whole and in order (a message queue: handlers may run concurrently).
        var queue = await sub.SubscribeAsync(RedisChannel.Literal("se:seq"));
        for (int i = 0; i < 500; i++) await db.PublishAsync(RedisChannel.Literal("se:seq"), i.ToString());
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        for (int i = 0; i < 500; i++)
        {
            var m = await queue.ReadAsync(timeout.Token);
            Assert.Equal(i.ToString(), (string?)m.Message);
        }
    }

    [Fact]
    public void Message_published_before_a_command_arrives_before_its_reply()
    {
        using var sub = fx.Client();
        using var pub = fx.Client();
        sub.Call("SUBSCRIBE", "order:ch");
        // The subscriber pipelines PING after a message is already queued for it: the message comes first.
        Assert.Equal(1, pub.Call("PUBLISH", "order:ch", "first").Integer);
        sub.Send([Encoding.UTF8.GetBytes("PING")]);
        sub.Flush();
        var message = sub.Read();
        Assert.Equal("message,order:ch,first", string.Join(",", message.Strings()));
        Assert.Equal("pong,", string.Join(",", sub.Read().Strings()));
    }

    [Fact]
    public void Client_list_info_and_client_kill_know_subscribers()
    {
        using var sub = fx.Client();
        using var c = fx.Client();
        sub.Call("CLIENT", "SETNAME", "subscriber");
        sub.Send(PeerFixture.Words("SUBSCRIBE info:a info:b"));
        sub.Send(PeerFixture.Words("PSUBSCRIBE info:*"));
        sub.Flush();
        for (int i = 0; i < 3; i++) sub.Read();
        var line = c.Call("CLIENT", "LIST").Text!.Split('\n').Single(l => l.Contains("name=subscriber "));
        Assert.Contains(" flags=P ", line);
        Assert.Contains(" sub=2 psub=1 ", line);
        var pubsubType = c.Call("CLIENT", "LIST", "TYPE", "pubsub").Text!;
        Assert.Contains("name=subscriber ", pubsubType);
        Assert.DoesNotContain("name=subscriber ", c.Call("CLIENT", "LIST", "TYPE", "normal").Text!);
        var stats = c.Call("INFO", "stats").Text!;
        Assert.Matches(@"pubsub_channels:[1-9]", stats);
        Assert.Matches(@"pubsub_patterns:[1-9]", stats);
        Assert.Equal(1, c.Call("CLIENT", "KILL", "TYPE", "pubsub", "SKIPME", "yes").Integer);
        Eventually.True(() => c.Call("PUBSUB", "NUMSUB", "info:a").Items![1].Integer == 0, Patience, "the killed subscriber's channels to go");
        Assert.Equal(0, c.Call("PUBLISH", "info:a", "x").Integer);
    }

    [Fact]
    public void Idle_timeout_spares_subscribers()
    {
        // 2 s, not 1: a fresh client whose first command waits over the timeout on a loaded machine is idle too
        using var server = CodisServerProcess.Start("--save", "", "--timeout", "2");
        using var sub = server.Client();
        using var idle = server.Client();
        idle.Call("PING");
        sub.Call("SUBSCRIBE", "idle:ch");
        Thread.Sleep(4500);
        using var pub = server.Client();
        Assert.Equal(1, pub.Call("PUBLISH", "idle:ch", "still here").Integer);
        Assert.Equal("message,idle:ch,still here", string.Join(",", sub.Read().Strings()));
        Assert.ThrowsAny<IOException>(() => idle.Call("PING")); // an idle normal client was closed
    }

    [Fact]
    public void Reset_and_disconnect_drop_the_subscriptions()
    {
        using var c = fx.Client();
        using (var sub = fx.Client())
        {
            sub.Call("SUBSCRIBE", "gone:ch");
            Assert.Equal("RESET", sub.Call("RESET").Text);
            Assert.Equal(0, c.Call("PUBLISH", "gone:ch", "x").Integer);
            Assert.Equal("PONG", sub.Call("PING").Text); // no longer in the subscribed state
            sub.Call("PSUBSCRIBE", "gone:*");
        }
        Eventually.True(() => c.Call("PUBLISH", "gone:ch", "x").Integer == 0, Patience, "the closed subscriber to go");
    }

    /// <summary>A subscriber that never reads: its socket buffers fill, then the outbox, then it is dropped.</summary>
    private static Socket StalledSubscriber(int port, string channel)
    {
        var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
        s.Connect("127.0.0.1", port);
        s.Send(Encoding.ASCII.GetBytes($"SUBSCRIBE {channel}\r\n"));
        var buf = new byte[128];
        int n = s.Receive(buf); // the confirmation; from here on it reads nothing
        Assert.Contains("subscribe", Encoding.ASCII.GetString(buf, 0, n));
        return s;
    }

    private static bool Closed(Socket s)
    {
        try
        {
            var buf = new byte[1 << 20];
            s.ReceiveTimeout = 5000;
            while (true) if (s.Receive(buf) == 0) return true; // drain what was sent until the close
        }
        catch (SocketException) { return true; } // reset
    }

    [Fact]
    public void Slow_subscriber_is_disconnected_at_the_hard_limit()
    {
        using var server = CodisServerProcess.Start("--save", "", "--client-output-buffer-limit", "pubsub 1mb 0 0");
        using var pub = server.Client();
        using var sub = StalledSubscriber(server.Port, "slow");
        var message = new byte[100_000];
        int sent = 0;
        while (sent < 400 && pub.Call("PUBLISH"u8.ToArray(), "slow"u8.ToArray(), message).Integer == 1) sent++;
        // Kernel buffers take a few MB; then 1 MB of queue, and it is gone (not 40 MB later).
        Assert.True(sent < 400, "the stalled subscriber was never disconnected");
        Assert.Equal(0, pub.Call("PUBSUB", "NUMSUB", "slow").Items![1].Integer);
        Assert.True(Closed(sub), "the subscriber's connection stayed open");
        server.WaitForOutput("closing a client over its output buffer limit", TimeSpan.FromSeconds(10)); // the log line may lag the close
        Assert.Equal("PONG", pub.Call("PING").Text);
    }

    [Fact]
    public void Slow_subscriber_is_disconnected_after_the_soft_limit_seconds()
    {
        using var server = CodisServerProcess.Start("--save", "");
        using var pub = server.Client();
        pub.Call("CONFIG", "SET", "client-output-buffer-limit", "pubsub 0 256kb 1").AssertOk();
        Assert.Equal("pubsub 0 256kb 1", pub.Call("CONFIG", "GET", "client-output-buffer-limit").Items![1].Text);
        pub.Call("CONFIG", "SET", "client-output-buffer-limit", "pubsub 1mb").AssertError("ERR");
        using var sub = StalledSubscriber(server.Port, "soft");
        var message = new byte[100_000];
        // Fill the kernel buffers and go over the soft limit, staying under any hard one.
        int sent = 0;
        Eventually.True(() =>
        {
            pub.Call("PUBLISH"u8.ToArray(), "soft"u8.ToArray(), message);
            sent++;
            var line = pub.Call("CLIENT", "LIST", "TYPE", "pubsub").Text!;
            return System.Text.RegularExpressions.Regex.Match(line, @"omem=(\d+)") is { Success: true } m && long.Parse(m.Groups[1].Value) > 300_000;
        }, Patience, "the subscriber's queue to pass the soft limit");
        Assert.Equal(1, pub.Call("PUBSUB", "NUMSUB", "soft").Items![1].Integer); // over soft, but not for long yet
        Thread.Sleep(1500);
        pub.Call("PUBLISH"u8.ToArray(), "soft"u8.ToArray(), message);
        Eventually.True(() => pub.Call("PUBSUB", "NUMSUB", "soft").Items![1].Integer == 0, Patience, "the subscriber to be dropped");
        Assert.True(Closed(sub));
    }

    [Fact]
    public void Publish_on_the_master_reaches_subscribers_of_codis_and_redis_replicas_but_not_the_aof()
    {
        using var master = CodisServerProcess.Start("--save", "", "--appendonly", "yes", "--appendfsync", "always");
        using var codisReplica = CodisServerProcess.Start("--save", "", "--replicaof", $"127.0.0.1 {master.Port}");
        using var redisReplica = RedisServerProcess.Start("--replicaof", "127.0.0.1", master.Port.ToString());
        using var m = master.Client();
        using var sc = codisReplica.Client();
        using var sr = redisReplica.Client();
        foreach (var r in new[] { sc, sr })
        {
            Eventually.True(() => r.Call("INFO", "replication").Text!.Contains("master_link_status:up"), Patience, "the replica link");
            r.Call("SUBSCRIBE", "repl:news");
        }
        Assert.Equal(0, m.Call("PUBLISH", "repl:news", "from master").Integer); // nobody on the master itself
        foreach (var r in new[] { sc, sr })
            Assert.Equal("message,repl:news,from master", string.Join(",", r.Read().Strings()));
        // Inside a transaction too.
        m.Call("MULTI");
        m.Call("SET", "repl:k", "v");
        m.Call("PUBLISH", "repl:news", "in tx");
        m.Call("EXEC");
        foreach (var r in new[] { sc, sr })
            Assert.Equal("message,repl:news,in tx", string.Join(",", r.Read().Strings()));
        string aof = File.ReadAllText(Path.Combine(master.DataDir, "appendonlydir", "appendonly.aof.1.incr.aof"));
        Assert.DoesNotContain("PUBLISH", aof);
        Assert.Contains("repl:k", aof);
    }
}
