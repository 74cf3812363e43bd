using Codis.Server.Tests.Infrastructure;
using StackExchange.Redis;

namespace Codis.Server.Tests.Admin;

/// <summary>
/// StackExchange.Redis probes a server on connect (CLUSTER NODES, INFO, CONFIG GET, CLIENT SETNAME/SETINFO, ECHO)
/// and picks features by the answers; it must see a standalone Redis 7 master and work normally.
/// </summary>
public class StackExchangeRedisTests(AdminFixture fx) : IClassFixture<AdminFixture>
{
    private ConnectionMultiplexer Connect() => ConnectionMultiplexer.Connect(new ConfigurationOptions
    {
        EndPoints = { { "127.0.0.1", fx.Codis.Port } },
        AllowAdmin = true,
        ClientName = "se-test",
        ConnectTimeout = 10_000,
        SyncTimeout = 10_000,
        AbortOnConnectFail = true,
    });

    [Fact]
    public void Connects_AsStandaloneMaster_AndRunsCommands()
    {
        using var mux = Connect();
        var server = mux.GetServer("127.0.0.1", fx.Codis.Port);
        Assert.Equal(ServerType.Standalone, server.ServerType);
        Assert.False(server.IsReplica);
        Assert.Equal(new Version(7, 0, 15), server.Version);
        var db = mux.GetDatabase();
        Assert.True(db.StringSet("se:k", "v"));
        Assert.Equal("v", (string?)db.StringGet("se:k"));
        Assert.Equal(3, db.StringIncrement("se:n", 3));
    }

    [Fact]
    public void AdminApis_InfoConfigClientsTime()
    {
        using var mux = Connect();
        var server = mux.GetServer("127.0.0.1", fx.Codis.Port);
        var info = server.Info("server");
        Assert.Contains(info.SelectMany(g => g), kv => kv.Key == "redis_version" && kv.Value == "7.0.15");
        var config = server.ConfigGet("maxclients");
        Assert.Equal("10000", config.Single().Value);
        Assert.Contains(server.ClientList(), c => c.Name == "se-test");
        Assert.InRange(server.Time(), DateTime.UtcNow.AddMinutes(-1), DateTime.UtcNow.AddMinutes(1));
        Assert.True(server.CommandCount() > 50);
        server.SlowlogReset();
        Assert.NotNull(server.SlowlogGet(5));
    }
}
