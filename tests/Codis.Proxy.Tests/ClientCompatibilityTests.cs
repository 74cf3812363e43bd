using System.Diagnostics;
using System.Text;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace Codis.Proxy.Tests;

/// <summary>Popular clients connect with their default options and work through the proxy.</summary>
public class ClientCompatibilityTests(TwoGroupCluster cluster, ITestOutputHelper output) : IClassFixture<TwoGroupCluster>
{
    [Fact]
    public async Task StackExchangeRedis_DefaultOptions_ConnectsAndWorks()
    {
        var log = new StringWriter();
        using var mux = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{cluster.Proxy.Port}", log);
        output.WriteLine(log.ToString());
        Assert.True(mux.IsConnected, log.ToString());
        var db = mux.GetDatabase();
        for (int i = 0; i < 50; i++) Assert.True(await db.StringSetAsync("se:" + i, "v" + i));
        var values = await db.StringGetAsync(Enumerable.Range(0, 50).Select(i => (RedisKey)("se:" + i)).ToArray());
        Assert.Equal(Enumerable.Range(0, 50).Select(i => "v" + i), values.Select(v => v.ToString()));
        Assert.Equal(50, await db.KeyDeleteAsync(Enumerable.Range(0, 50).Select(i => (RedisKey)("se:" + i)).ToArray()));
        Assert.Equal(7, await db.StringIncrementAsync("se:counter", 7));
        Assert.True(await db.KeyExpireAsync("se:counter", TimeSpan.FromMinutes(1)));
        Assert.True(await db.KeyDeleteAsync("se:counter"));
        var ping = await db.PingAsync();
        Assert.True(ping < TimeSpan.FromSeconds(5));
        // The server it sees: a standalone master of the Redis version the proxy reports.
        var server = mux.GetServer(mux.GetEndPoints()[0]);
        Assert.Equal(ServerType.Standalone, server.ServerType);
        Assert.False(server.IsReplica);
        // Its pub/sub connection is refused (pub/sub is not supported through the proxy), clearly.
        var ex = await Assert.ThrowsAnyAsync<Exception>(() => mux.GetSubscriber().SubscribeAsync(RedisChannel.Literal("ch"), (_, _) => { }));
        Assert.Contains("not allowed", ex.ToString());
        // ... and the data connection still works afterwards.
        Assert.True(await db.StringSetAsync("se:after", "ok"));
        Assert.Equal("ok", await db.StringGetAsync("se:after"));
    }
}
