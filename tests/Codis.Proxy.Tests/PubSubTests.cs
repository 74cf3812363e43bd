using System.Text;
using System.Text.Json;
using Codis.Core.Resp;
using Codis.Core.Slots;
using Codis.Testing;
using StackExchange.Redis;

namespace Codis.Proxy.Tests;

/// <summary>Two groups behind two proxies (A and B) filled with the same slot table.</summary>
public class TwoProxyCluster : TwoGroupCluster
{
    public CodisProxyProcess ProxyB { get; }

    public TwoProxyCluster() : this([]) { }

    protected TwoProxyCluster(string[] proxyArgs) : base([], proxyArgs) => ProxyB = CodisProxyProcess.StartWithSlots(Slots(Group1.Port, Group2.Port), proxyArgs);

    public RespClient ClientB(int timeoutMs = 10000) => ProxyB.Client(timeoutMs);

    public IEnumerable<CodisProxyProcess> Proxies => [Proxy, ProxyB];

    /// <summary>Fills one slot entry on both proxies, as the dashboard does (every proxy before the next step).</summary>
    public async Task FillAll(object slot)
    {
        foreach (var p in Proxies)
        {
            var (status, body) = await AdminHttp.PutAsync(p.AdminAddr, $"/api/proxy/fillslots/{p.XAuth}", JsonSerializer.Serialize(new[] { slot }));
            Assert.True(status == System.Net.HttpStatusCode.OK, body.ToString());
        }
    }

    public override void Dispose()
    {
        ProxyB.Dispose();
        base.Dispose();
    }
}

public sealed class PubSubCluster : TwoProxyCluster;

public class PubSubTests(PubSubCluster cluster) : IClassFixture<PubSubCluster>
{
    /// <summary>A channel name whose slot is in [from, to] (group 1: 0–511, group 2: 512–1023).</summary>
    internal static string ChannelIn(string prefix, int from, int to) =>
        Enumerable.Range(0, 100_000).Select(i => $"{prefix}{i}").First(n => SlotHash.Slot(Encoding.UTF8.GetBytes(n)) is var s && s >= from && s <= to);

    private static void Expect(RespValue frame, params object[] items)
    {
        Assert.True(frame.Items != null, $"not an array: {frame}");
        Assert.Equal(items.Length, frame.Items!.Length);
        for (int i = 0; i < items.Length; i++)
        {
            if (items[i] is long n) Assert.Equal(n, frame.Items[i].Integer);
            else Assert.Equal((string?)items[i], frame.Items[i].Text);
        }
    }

    [Fact]
    public void SubscriberOnProxyB_GetsMessagesPublishedOnProxyA_ChannelsInBothGroups()
    {
        string c1 = ChannelIn("news:", 0, 511), c2 = ChannelIn("news:", 512, 1023);
        string p1 = ChannelIn("pat:", 0, 511), p2 = ChannelIn("pat:", 512, 1023);
        using var sub = cluster.ClientB();
        sub.Send([.. new[] { "SUBSCRIBE", c1, c2 }.Select(Encoding.UTF8.GetBytes)]);
        Expect(sub.Read(), "subscribe", c1, 1L);
        Expect(sub.Read(), "subscribe", c2, 2L);
        Expect(sub.Call("PSUBSCRIBE", "pat:*"), "psubscribe", "pat:*", 3L);
        // Subscribed mode: only (P)(UN)SUBSCRIBE, PING, QUIT, RESET.
        Assert.StartsWith("ERR Can't execute 'get'", sub.Call("GET", "k").Text);
        Expect(sub.Call("PING"), "pong", "");
        Expect(sub.Call("PING", "hi"), "pong", "hi");

        using var pub = cluster.Client();
        Assert.Equal(1, pub.Call("PUBLISH", c1, "m1").Integer);
        Assert.Equal(1, pub.Call("PUBLISH", c2, "m2").Integer);
        Assert.Equal(1, pub.Call("PUBLISH", p1, "m3").Integer);
        Assert.Equal(1, pub.Call("PUBLISH", p2, "m4").Integer);
        Assert.Equal(0, pub.Call("PUBLISH", "nobody-listens", "x").Integer);
        // Messages through different groups arrive on different links: no order between them (as Redis Cluster).
        var got = Enumerable.Range(0, 4).Select(_ => string.Join("|", sub.Read().Items!.Select(i => i.Text))).ToHashSet();
        Assert.Equal(new HashSet<string> { $"message|{c1}|m1", $"message|{c2}|m2", $"pmessage|pat:*|{p1}|m3", $"pmessage|pat:*|{p2}|m4" }, got);

        // PUBSUB through either proxy: channels from every group, NUMSUB from the owner, NUMPAT over the masters.
        var channels = pub.Call("PUBSUB", "CHANNELS", "news:*").Items!.Select(i => i.Text).ToHashSet();
        Assert.Equal(new HashSet<string?> { c1, c2 }, channels);
        var numsub = pub.Call("PUBSUB", "NUMSUB", c1, c2, "none").Items!;
        Assert.Equal([c1, "1", c2, "1", "none", "0"], numsub.Select(i => i.Type == RespType.Integer ? i.Integer.ToString() : i.Text));
        Assert.Equal(1, pub.Call("PUBSUB", "NUMPAT").Integer);
        using (var info = cluster.ClientB()) Assert.Contains("pubsub_clients:1", info.Call("INFO", "clients").Text);

        sub.Send([.. new[] { "UNSUBSCRIBE" }.Select(Encoding.UTF8.GetBytes)]);
        var left = new[] { sub.Read(), sub.Read() };
        Assert.Equal(new HashSet<string?> { c1, c2 }, left.Select(f => f.Items![1].Text).ToHashSet());
        Assert.Equal(1, left[1].Items![2].Integer);
        Expect(sub.Call("PUNSUBSCRIBE"), "punsubscribe", "pat:*", 0L);
        // Out of subscribed mode: regular commands again, and nothing is delivered any more.
        Assert.Equal("PONG", sub.Call("PING").Text);
        WaitFor(() => pub.Call("PUBLISH", c1, "late").Integer == 0, "the backend still has the unsubscribed link");
        Assert.Equal("PONG", sub.Call("PING").Text);
    }

    /// <summary>A key of group <paramref name="keyGroup"/> whose keyspace channel's own slot is in the other group.</summary>
    private static string KeyAwayFromItsChannel(int keyGroup) =>
        // (CRC-32 is affine: for keys of one length, prefix + key differs from key by a constant, so vary the length)
        Enumerable.Range(0, 100_000).Select(i => $"ks:{i}{new string('x', i % 16)}").First(k =>
            SlotHash.Slot(Encoding.UTF8.GetBytes(k)) < 512 == (keyGroup == 1) &&
            SlotHash.Slot(Encoding.UTF8.GetBytes($"__keyspace@0__:{k}")) < 512 != (keyGroup == 1));

    [Fact]
    public void KeyspaceNotifications_SubscribedByChannel_ComeFromTheServerThatHoldsTheKey()
    {
        // Each key's channel hashes to the other group, so routing the channel by its own slot would hear nothing.
        string k1 = KeyAwayFromItsChannel(1), k2 = KeyAwayFromItsChannel(2);
        string ks1 = $"__keyspace@0__:{k1}", ks2 = $"__keyspace@0__:{k2}", ev = "__keyevent@0__:set";
        var servers = new[] { cluster.Group1, cluster.Group2 };
        foreach (var g in servers) { using var c = g.Client(); Assert.Equal("OK", c.Call("CONFIG", "SET", "notify-keyspace-events", "KE$").Text); }
        try
        {
            using var sub = cluster.ClientB();
            sub.Send([.. new[] { "SUBSCRIBE", ks1, ks2, ev }.Select(Encoding.UTF8.GetBytes)]);
            Expect(sub.Read(), "subscribe", ks1, 1L);
            Expect(sub.Read(), "subscribe", ks2, 2L);
            Expect(sub.Read(), "subscribe", ev, 3L);

            using var c = cluster.Client();
            Assert.Equal("OK", c.Call("SET", k1, "v1").Text);
            Assert.Equal("OK", c.Call("SET", k2, "v2").Text);
            var got = Enumerable.Range(0, 4).Select(_ => string.Join("|", sub.Read().Items!.Select(i => i.Text))).ToHashSet();
            Assert.Equal(new HashSet<string> { $"message|{ks1}|set", $"message|{ev}|{k1}", $"message|{ks2}|set", $"message|{ev}|{k2}" }, got);

            // NUMSUB asks the server that carries each channel; every master carries the keyevent channel.
            var numsub = c.Call("PUBSUB", "NUMSUB", ks1, ks2, ev).Items!;
            Assert.Equal([ks1, "1", ks2, "1", ev, "1"], numsub.Select(i => i.Type == RespType.Integer ? i.Integer.ToString() : i.Text));
            foreach (var g in servers) { using var d = g.Client(); Assert.Equal(1, d.Call("PUBSUB", "NUMSUB", ev).Items![1].Integer); }
            // A PUBLISH to a keyspace channel goes where its subscribers are.
            Assert.Equal(1, c.Call("PUBLISH", ks2, "by-hand").Integer);
            Assert.Equal($"message|{ks2}|by-hand", string.Join("|", sub.Read().Items!.Select(i => i.Text)));
        }
        finally
        {
            foreach (var g in servers) { using var c = g.Client(); c.Call("CONFIG", "SET", "notify-keyspace-events", ""); }
        }
    }

    [Fact]
    public async Task Subscriber_KeepsReceiving_AcrossItsChannelsSlotMigration()
    {
        string ch = ChannelIn("mig:", 0, 100);
        int slot = SlotHash.Slot(Encoding.UTF8.GetBytes(ch));
        string g1 = $"127.0.0.1:{cluster.Group1.Port}", g2 = $"127.0.0.1:{cluster.Group2.Port}";
        using var sub = cluster.ClientB();
        using var pub = cluster.Client();
        Expect(sub.Call("SUBSCRIBE", ch), "subscribe", ch, 1L);
        Assert.Equal(1, pub.Call("PUBLISH", ch, "before").Integer);
        Expect(sub.Read(), "message", ch, "before");

        await cluster.FillAll(new { id = slot, backend_addr = g2, backend_addr_group_id = 2, migrate_from = g1, migrate_from_group_id = 1 });
        // While migrating the subscriber listens on both masters: a publisher that still routes to the source is heard too.
        using var g1c = cluster.Group1.Client();
        using var g2c = cluster.Group2.Client();
        WaitFor(() => g2c.Call("PUBSUB", "NUMSUB", ch).Items![1].Integer == 1, "no subscription on the target");
        Assert.Equal(1, g1c.Call("PUBLISH", ch, "to-source").Integer);
        Expect(sub.Read(), "message", ch, "to-source");
        Assert.Equal(1, pub.Call("PUBLISH", ch, "migrating").Integer);
        Expect(sub.Read(), "message", ch, "migrating");

        await cluster.FillAll(new { id = slot, backend_addr = g2, backend_addr_group_id = 2 });
        WaitFor(() => g1c.Call("PUBSUB", "NUMSUB", ch).Items![1].Integer == 0, "the source still has the subscription");
        Assert.Equal(1, pub.Call("PUBLISH", ch, "after").Integer);
        Expect(sub.Read(), "message", ch, "after");
        Assert.Equal(1, g2c.Call("PUBSUB", "NUMSUB", ch).Items![1].Integer);

        // And back, so the fixture's table is as it was.
        await cluster.FillAll(new { id = slot, backend_addr = g1, backend_addr_group_id = 1, migrate_from = g2, migrate_from_group_id = 2 });
        await cluster.FillAll(new { id = slot, backend_addr = g1, backend_addr_group_id = 1 });
        WaitFor(() => g1c.Call("PUBSUB", "NUMSUB", ch).Items![1].Integer == 1, "no subscription back on group 1");
        Assert.Equal(1, pub.Call("PUBLISH", ch, "back").Integer);
        Expect(sub.Read(), "message", ch, "back");
    }

    /// <summary>
    /// A failover as the dashboard publishes it: the slot's group keeps its id, its master address changes (here to
    /// the other server). The subscriptions follow the new master; the old one no longer has them.
    /// </summary>
    [Fact]
    public async Task Failover_MasterAddressChanges_SubscriptionsFollow()
    {
        string ch = ChannelIn("fo:", 101, 200);
        int slot = SlotHash.Slot(Encoding.UTF8.GetBytes(ch));
        string g1 = $"127.0.0.1:{cluster.Group1.Port}", g2 = $"127.0.0.1:{cluster.Group2.Port}";
        using var sub = cluster.ClientB();
        using var pub = cluster.Client();
        Expect(sub.Call("SUBSCRIBE", ch), "subscribe", ch, 1L);
        Expect(sub.Call("PSUBSCRIBE", "fo-never:*"), "psubscribe", "fo-never:*", 2L);
        await cluster.FillAll(new { id = slot, backend_addr = g2, backend_addr_group_id = 1 });
        using var g1c = cluster.Group1.Client();
        using var g2c = cluster.Group2.Client();
        WaitFor(() => g2c.Call("PUBSUB", "NUMSUB", ch).Items![1].Integer == 1 && g1c.Call("PUBSUB", "NUMSUB", ch).Items![1].Integer == 0, "the subscription did not follow the new master");
        Assert.Equal(1, pub.Call("PUBLISH", ch, "after-failover").Integer);
        Expect(sub.Read(), "message", ch, "after-failover");
        await cluster.FillAll(new { id = slot, backend_addr = g1, backend_addr_group_id = 1 });
        WaitFor(() => g1c.Call("PUBSUB", "NUMSUB", ch).Items![1].Integer == 1, "the subscription did not come back");
        Assert.Equal(1, pub.Call("PUBLISH", ch, "back").Integer);
        Expect(sub.Read(), "message", ch, "back");
    }

    [Fact]
    public async Task StackExchangeRedis_PubSubThroughTwoProxies()
    {
        using var subMux = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{cluster.ProxyB.Port}");
        using var pubMux = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{cluster.Proxy.Port}");
        string c1 = ChannelIn("se:", 0, 511), c2 = ChannelIn("se:", 512, 1023);
        var got = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var sub = subMux.GetSubscriber();
        await sub.SubscribeAsync(RedisChannel.Literal(c1), (ch, m) => got.Enqueue($"{ch}={m}"));
        await sub.SubscribeAsync(RedisChannel.Pattern("sepat:*"), (ch, m) => got.Enqueue($"{ch}={m}"));
        var pub = pubMux.GetSubscriber();
        Assert.Equal(1, await pub.PublishAsync(RedisChannel.Literal(c1), "hello"));
        Assert.Equal(0, await pub.PublishAsync(RedisChannel.Literal(c2), "nobody"));
        Assert.Equal(1, await pub.PublishAsync(RedisChannel.Literal("sepat:x"), "pattern"));
        WaitFor(() => got.Count >= 2, "messages did not arrive");
        Assert.Equal(new HashSet<string> { $"{c1}=hello", "sepat:x=pattern" }, got.ToHashSet());
        // The data connection of the subscriber's multiplexer still works.
        Assert.True(await subMux.GetDatabase().StringSetAsync("se:data", "1"));
        await sub.UnsubscribeAllAsync();
    }

    [Fact]
    public void SubscribeErrors_AndResetLeavesSubscribedMode()
    {
        using var c = cluster.ClientB();
        Assert.Equal("ERR wrong number of arguments for 'subscribe' command", c.Call("SUBSCRIBE").Text);
        Assert.Equal("ERR wrong number of arguments for 'publish' command", c.Call("PUBLISH", "x").Text);
        Assert.Contains("not allowed", c.Call("SSUBSCRIBE", "x").Text);
        Expect(c.Call("UNSUBSCRIBE"), "unsubscribe", null!, 0L);
        Expect(c.Call("SUBSCRIBE", "r1"), "subscribe", "r1", 1L);
        Assert.Equal("RESET", c.Call("RESET").Text);
        Assert.Equal("PONG", c.Call("PING").Text);
        Assert.Equal("OK", c.Call("SET", "after-reset", "1").Text);
    }

    internal static void WaitFor(Func<bool> condition, string what, int timeoutMs = 10_000)
    {
        var deadline = Environment.TickCount64 + timeoutMs;
        while (!condition())
        {
            if (Environment.TickCount64 > deadline) Assert.Fail(what);
            Thread.Sleep(20);
        }
    }
}

/// <summary>Its own cluster: group 2 is restarted under a subscriber.</summary>
public sealed class PubSubRestartCluster() : TwoProxyCluster(["--pubsub_recovery_timeout", "2s"]);

public class PubSubRecoveryTests(PubSubRestartCluster cluster) : IClassFixture<PubSubRestartCluster>
{
    [Fact]
    public void BackendRestart_SubscriberIsResubscribed_AndKeepsReceiving()
    {
        string ch = PubSubTests.ChannelIn("rs:", 512, 1023);
        using var sub = cluster.ClientB();
        using var pub = cluster.Client();
        Assert.Equal(1, sub.Call("SUBSCRIBE", ch).Items![2].Integer);
        Assert.Equal(1, sub.Call("PSUBSCRIBE", "rsp:*").Items![2].Integer - 1);
        cluster.KillGroup2();
        cluster.RestartGroup2();
        using var g2 = cluster.Group2.Client();
        PubSubTests.WaitFor(() => g2.Call("PUBSUB", "NUMSUB", ch).Items![1].Integer == 1 && g2.Call("PUBSUB", "NUMPAT").Integer == 1, "not resubscribed after the restart");
        PubSubTests.WaitFor(() => pub.Call("PUBLISH", ch, "again") is { IsError: false, Integer: 1 }, "publish after restart");
        var m = sub.Read();
        Assert.Equal(["message", ch, "again"], m.Items!.Select(i => i.Text));

        // Gone for good (and the table does not change): after pubsub_recovery_timeout the client is told and closed.
        cluster.KillGroup2();
        var started = Environment.TickCount64;
        var error = sub.Read();
        Assert.True(error.IsError, error.ToString());
        Assert.Contains("subscriptions of this connection were lost", error.Text);
        Assert.True(Environment.TickCount64 - started >= 1500, "closed before the recovery timeout");
        Assert.ThrowsAny<Exception>(() => sub.Read());
    }
}
