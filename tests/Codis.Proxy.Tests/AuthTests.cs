using Codis.Testing;

namespace Codis.Proxy.Tests;

/// <summary>Servers with requirepass (the proxy AUTHs with product_auth) and clients that must AUTH with session_auth.</summary>
public sealed class AuthCluster() : TwoGroupCluster(["--requirepass", "server-pw"], ["--product_auth", "server-pw", "--session_auth", "client-pw"]);

public class AuthTests(AuthCluster cluster) : IClassFixture<AuthCluster>
{
    [Fact]
    public void Client_MustAuth_WithSessionAuth()
    {
        using var c = cluster.Client();
        Assert.Equal("NOAUTH Authentication required.", c.Call("GET", "k").Text);
        Assert.Equal("NOAUTH Authentication required.", c.Call("SELECT", "1").Text);
        Assert.Equal("WRONGPASS invalid username-password pair or user is disabled.", c.Call("AUTH", "server-pw").Text);
        Assert.Equal("NOAUTH Authentication required.", c.Call("PING").Text);
        Assert.StartsWith("ERR wrong number of arguments", c.Call("AUTH").Text);
        Assert.Equal("OK", c.Call("AUTH", "client-pw").Text);
        Assert.Equal("OK", c.Call("SET", "auth:k", "v").Text);   // reaches a backend that requires the product password
        Assert.Equal("v", c.Call("GET", "auth:k").Text);
        Assert.Equal("OK", c.Call("AUTH", "default", "client-pw").Text);
        Assert.Equal("OK", c.Call("MSET", "auth:a", "1", "auth:b", "2", "auth:c", "3").Text);
        // A wrong AUTH de-authorizes the session, as Redis.
        Assert.StartsWith("WRONGPASS", c.Call("AUTH", "nope").Text);
        Assert.Equal("NOAUTH Authentication required.", c.Call("GET", "auth:k").Text);
    }

    [Fact]
    public void Hello_WithAuth_Authenticates()
    {
        using var c = cluster.Client();
        Assert.StartsWith("NOAUTH HELLO must be called", c.Call("HELLO", "2").Text);
        Assert.StartsWith("WRONGPASS", c.Call("HELLO", "2", "AUTH", "default", "bad").Text);
        Assert.Equal(14, c.Call("HELLO", "2", "AUTH", "default", "client-pw").Items!.Length);
        Assert.Equal("OK", c.Call("SET", "auth:h", "1").Text);
    }

    [Fact]
    public void StackExchangeRedis_WithPassword_Works()
    {
        using var mux = StackExchange.Redis.ConnectionMultiplexer.Connect($"127.0.0.1:{cluster.Proxy.Port},password=client-pw");
        var db = mux.GetDatabase();
        Assert.True(db.StringSet("auth:se", "x"));
        Assert.Equal("x", db.StringGet("auth:se"));
    }

    [Fact]
    public void Backends_SeeOnlyTheProductPassword()
    {
        using var g1 = cluster.Group1.Client();
        Assert.StartsWith("NOAUTH", g1.Call("GET", "x").Text);
        Assert.StartsWith("WRONGPASS", g1.Call("AUTH", "client-pw").Text);
        Assert.Equal("OK", g1.Call("AUTH", "server-pw").Text);
    }
}
