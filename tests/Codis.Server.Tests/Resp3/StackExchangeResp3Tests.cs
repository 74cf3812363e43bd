using StackExchange.Redis;
using Codis.Server.Tests.Infrastructure;

namespace Codis.Server.Tests.Resp3;

/// <summary>
/// A real RESP3 client: StackExchange.Redis with Protocol = Resp3 handshakes with HELLO 3 and then reads maps, sets,
/// doubles and nulls, and takes pub/sub messages as push frames on its one interactive connection.
/// </summary>
public class StackExchangeResp3Tests(ServerFixture fx) : IClassFixture<ServerFixture>
{
    private ConnectionMultiplexer Connect() => ConnectionMultiplexer.Connect(new ConfigurationOptions
    {
        EndPoints = { { "127.0.0.1", fx.Server.Port } },
        Protocol = RedisProtocol.Resp3,
        AllowAdmin = true,
        ConnectTimeout = 10_000,
        SyncTimeout = 10_000,
        AbortOnConnectFail = true,
    });

    [Fact]
    public void Resp3_Handshake_AndTypedReplies()
    {
        using var mux = Connect();
        var server = mux.GetServer("127.0.0.1", fx.Server.Port);
        Assert.Equal(RedisProtocol.Resp3, server.Protocol);
        var db = mux.GetDatabase();
        db.HashSet("se3:h", [new HashEntry("a", "1"), new HashEntry("b", "2")]);
        Assert.Equal(["a=1", "b=2"], db.HashGetAll("se3:h").Select(e => $"{e.Name}={e.Value}").Order().ToArray());
        db.SetAdd("se3:s", ["x", "y"]);
        Assert.Equal(["x", "y"], db.SetMembers("se3:s").Select(v => (string)v!).Order().ToArray());
        db.SortedSetAdd("se3:z", [new SortedSetEntry("m", 1.5), new SortedSetEntry("n", 2)]);
        Assert.Equal(1.5, db.SortedSetScore("se3:z", "m"));
        Assert.Equal(["m:1.5", "n:2"], db.SortedSetRangeByRankWithScores("se3:z").Select(e => $"{e.Element}:{e.Score}").ToArray());
        Assert.Equal(3.5, db.SortedSetIncrement("se3:z", "m", 2));
        Assert.True(db.StringGet("se3:none").IsNull);
        Assert.Null(db.SortedSetScore("se3:z", "nobody"));
        var raw = db.Execute("HGETALL", "se3:h");
        Assert.Equal(ResultType.Map, raw.Resp3Type);
        Assert.Equal(ResultType.Set, db.Execute("SMEMBERS", "se3:s").Resp3Type);
        Assert.Equal(ResultType.Double, db.Execute("ZSCORE", "se3:z", "n").Resp3Type);
        Assert.Equal(ResultType.Null, db.Execute("GET", "se3:none").Resp3Type);
    }

    [Fact]
    public async Task Resp3_PubSub_MessagesArriveAsPushes()
    {
        using var mux = Connect();
        var got = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var sub = mux.GetSubscriber();
        await sub.SubscribeAsync(RedisChannel.Literal("se3:news"), (_, m) => got.TrySetResult(m!));
        // RESP3 shares one connection for commands and messages: a command still works while subscribed.
        Assert.True(await mux.GetDatabase().StringSetAsync("se3:while", "subscribed"));
        Assert.Equal(1, await mux.GetDatabase().PublishAsync(RedisChannel.Literal("se3:news"), "hello"));
        Assert.Equal("hello", await got.Task.WaitAsync(TimeSpan.FromSeconds(10)));
    }
}
