using Codis.Server.Tests.Infrastructure;
using StackExchange.Redis;

namespace Codis.Server.Tests.Acl;

/// <summary>StackExchange.Redis connecting as an ACL user (ConfigurationOptions.User and Password).</summary>
public class AclClientLibraryTests(ServerFixture fx) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task StackExchange_ConnectsAsAUser_AndGetsNoPermErrors()
    {
        using (var admin = fx.Client())
            admin.Call("ACL", "SETUSER", "app", "on", ">apppw", "~app:*", "+@all", "-flushall").AssertOk();
        var options = new ConfigurationOptions
        {
            EndPoints = { { "127.0.0.1", fx.Server.Port } },
            User = "app",
            Password = "apppw",
            ConnectTimeout = 10_000,
            SyncTimeout = 10_000,
        };
        using var mux = await ConnectionMultiplexer.ConnectAsync(options);
        var db = mux.GetDatabase();
        Assert.True(await db.StringSetAsync("app:k", "v"));
        Assert.Equal("v", (string?)await db.StringGetAsync("app:k"));
        var keyDenied = await Assert.ThrowsAsync<RedisServerException>(() => db.StringGetAsync("elsewhere"));
        Assert.StartsWith("NOPERM this user has no permissions to access one of the keys", keyDenied.Message);
        Assert.Equal("app", (string?)await db.ExecuteAsync("ACL", "WHOAMI"));

        using (var admin = fx.Client()) admin.Call("ACL", "LOG", "RESET").AssertOk();
        var wrong = options.Clone();
        wrong.Password = "wrong";
        wrong.AbortOnConnectFail = false;
        using var refused = await ConnectionMultiplexer.ConnectAsync(wrong);
        // The AUTH failed: the connection stays the default user's (nopass here), as with Redis.
        Assert.Equal("default", (string?)await refused.GetDatabase().ExecuteAsync("ACL", "WHOAMI"));
        using (var admin = fx.Client())
        {
            var entry = admin.Call("ACL", "LOG", "1").Items!.Single().Names();
            Assert.Equal("auth", entry[3]);
            Assert.Equal("app", entry[9]);
        }
    }
}
