using System.Net;
using System.Net.Sockets;
using Codis.Core.Resp;
using Codis.Testing;

namespace Codis.Fault.Tests.Security;

/// <summary>
/// A codis-server with a password (the proxy AUTHs with product_auth) behind a proxy without session_auth, a
/// key that must survive every refused command, and a listener standing for "somewhere else" (another product's
/// server, the coordinator) that must never be dialled.
/// </summary>
public sealed class FenceCluster : IDisposable
{
    public CodisServerProcess Server { get; }
    public CodisProxyProcess Proxy { get; }
    public TcpListener Elsewhere { get; }
    public string ElsewhereAddr { get; }
    public string DataDir { get; }

    public FenceCluster()
    {
        Server = CodisServerProcess.Start("--requirepass", "product-pw");
        DataDir = Server.DataDir;
        Proxy = CodisProxyProcess.StartWithSlots(CodisProxyProcess.Range(0, 1023, $"127.0.0.1:{Server.Port}", 1), "--product_auth", "product-pw");
        Elsewhere = new TcpListener(IPAddress.Loopback, 0);
        Elsewhere.Start();
        ElsewhereAddr = $"127.0.0.1:{((IPEndPoint)Elsewhere.LocalEndpoint).Port}";
        using var c = Proxy.Client();
        Assert.Equal("OK", c.Call("SET", "fence:keep", "intact").Text);
    }

    public RespClient Backend()
    {
        var c = Server.Client();
        Assert.Equal("OK", c.Call("AUTH", "product-pw").Text);
        return c;
    }

    public void Dispose()
    {
        Elsewhere.Stop();
        Proxy.Dispose();
        Server.Dispose();
    }
}

/// <summary>
/// No client command through the proxy reaches beyond the product's data: server administration, replication,
/// migration to another host, a script that would do the same, or an address that is not a backend.
/// </summary>
public class ProxyFenceTests(FenceCluster cluster) : IClassFixture<FenceCluster>
{
    /// <summary>
    /// Without session_auth (the original's default) the proxy serves every client without AUTH; an AUTH is
    /// answered with an error that says no password is configured (the original: "Client sent AUTH, but no
    /// password is set"), and the session stays usable.
    /// </summary>
    [Fact]
    public void WithoutSessionAuthClientsNeedNoPasswordAndAuthSaysNoneIsSet()
    {
        using var c = cluster.Proxy.Client();
        Assert.Equal("intact", c.Call("GET", "fence:keep").Text);
        var auth = c.Call("AUTH", "anything");
        Assert.True(auth.IsError, auth.ToString());
        Assert.Contains("without any password configured", auth.Text);
        Assert.Equal("intact", c.Call("GET", "fence:keep").Text);
        // the product password is the backends' business: sending it to the proxy is the same error
        Assert.Contains("without any password configured", c.Call("AUTH", "product-pw").Text);
    }

    [Theory]
    [InlineData("CONFIG", "SET", "dir", "/tmp")]
    [InlineData("CONFIG", "SET", "requirepass", "")]
    [InlineData("CONFIG", "REWRITE")]
    [InlineData("CONFIG", "RESETSTAT")]
    [InlineData("SLAVEOF", "127.0.0.1", "ELSEWHERE_PORT")]
    [InlineData("REPLICAOF", "NO", "ONE")]
    [InlineData("DEBUG", "SLEEP", "0")]
    [InlineData("DEBUG", "RELOAD")]
    [InlineData("SLOTSMGRTSLOT", "127.0.0.1", "ELSEWHERE_PORT", "1000", "0")]
    [InlineData("SLOTSMGRTONE", "127.0.0.1", "ELSEWHERE_PORT", "1000", "fence:keep")]
    [InlineData("SLOTSMGRTTAGSLOT-ASYNC", "127.0.0.1", "ELSEWHERE_PORT", "1000", "10", "1024", "0", "10")]
    [InlineData("SLOTSDEL", "0")]
    [InlineData("MIGRATE", "127.0.0.1", "ELSEWHERE_PORT", "fence:keep", "0", "1000")]
    [InlineData("CLIENT", "KILL", "127.0.0.1:1")]
    [InlineData("CLIENT", "PAUSE", "10000")]
    [InlineData("SHUTDOWN", "NOSAVE")]
    [InlineData("MODULE", "LOAD", "/tmp/x.so")]
    [InlineData("FLUSHALL")]
    [InlineData("FLUSHDB")]
    [InlineData("SWAPDB", "0", "1")]
    [InlineData("ACL", "SETUSER", "intruder", "on", ">pw", "+@all")]
    [InlineData("SCRIPT", "FLUSH")]
    [InlineData("FUNCTION", "FLUSH")]
    [InlineData("SYNC")]
    [InlineData("PSYNC", "?", "-1")]
    [InlineData("MONITOR")]
    [InlineData("FAILOVER")]
    [InlineData("SAVE")]
    [InlineData("BGSAVE")]
    public void ServerAdministrationThroughTheProxyIsRefusedWithAClearError(params string[] command)
    {
        string[] args = command.Select(a => a == "ELSEWHERE_PORT" ? cluster.ElsewhereAddr.Split(':')[1] : a).ToArray();
        using (var c = cluster.Proxy.Client())
        {
            var r = c.Call(args);
            Assert.True(r.IsError, $"{string.Join(' ', args)} → {r}");
            Assert.Matches("^ERR handle request, (command )?'[A-Z -]+' is not allowed: .+", r.Text);
            Assert.Equal("intact", c.Call("GET", "fence:keep").Text); // the session goes on
        }
        AssertBackendUntouched();
    }

    /// <summary>A script runs on the backend: it must not be a way around the fence (migrating keys to another host, reconfiguring the server).</summary>
    [Theory]
    [InlineData("SLOTSMGRTSLOT", "127.0.0.1", "ELSEWHERE_PORT", "1000", "SLOT")]
    [InlineData("SLOTSMGRTONE", "127.0.0.1", "ELSEWHERE_PORT", "1000", "fence:keep")]
    [InlineData("SLOTSMGRTTAGSLOT", "127.0.0.1", "ELSEWHERE_PORT", "1000", "SLOT")]
    [InlineData("SLOTSMGRTTAGONE", "127.0.0.1", "ELSEWHERE_PORT", "1000", "fence:keep")]
    [InlineData("SLOTSMGRTSLOT-ASYNC", "127.0.0.1", "ELSEWHERE_PORT", "1000", "10", "1024", "SLOT", "10")]
    [InlineData("SLOTSDEL", "SLOT")]
    [InlineData("SLOTSMGRT-ASYNC-CANCEL")]
    [InlineData("CONFIG", "SET", "dir", "/tmp")]
    [InlineData("SLAVEOF", "127.0.0.1", "ELSEWHERE_PORT")]
    [InlineData("REPLICAOF", "127.0.0.1", "ELSEWHERE_PORT")]
    [InlineData("DEBUG", "SLEEP", "0")]
    [InlineData("CLIENT", "KILL", "127.0.0.1:1")]
    [InlineData("SHUTDOWN", "NOSAVE")]
    [InlineData("MONITOR")]
    [InlineData("SYNC")]
    [InlineData("SAVE")]
    [InlineData("SCRIPT", "FLUSH")]
    public void ScriptsCannotCallServerAdministration(params string[] command)
    {
        using var c = cluster.Proxy.Client();
        string slot = c.Call("SLOTSHASHKEY", "fence:keep").Items![0].Integer.ToString();
        var lua = "return redis.call(" + string.Join(",", command.Select(a =>
            "'" + (a == "ELSEWHERE_PORT" ? cluster.ElsewhereAddr.Split(':')[1] : a == "SLOT" ? slot : a) + "'")) + ")";
        var r = c.Call("EVAL", lua, "1", "fence:keep");
        Assert.True(r.IsError, $"{lua} → {r}");
        Assert.Matches("not allowed from script|Unknown Redis command", r.Text);
        Assert.Equal("intact", c.Call("GET", "fence:keep").Text);
        AssertBackendUntouched();
    }

    /// <summary>The commands that name a backend (INFO addr, SLOTSINFO addr) reach only this proxy's backends, never another address.</summary>
    [Fact]
    public void AddressedCommandsReachOnlyThisProxysBackends()
    {
        using var c = cluster.Proxy.Client();
        Assert.Equal($"ERR backend server '{cluster.ElsewhereAddr}' not found", c.Call("INFO", cluster.ElsewhereAddr).Text);
        Assert.Equal($"ERR backend server '{cluster.ElsewhereAddr}' not found", c.Call("SLOTSINFO", cluster.ElsewhereAddr).Text);
        // PING with an argument is Redis's PING message: echoed, nothing dialled
        Assert.Equal(cluster.ElsewhereAddr, c.Call("PING", cluster.ElsewhereAddr).Text);
        Assert.Contains("redis_version", c.Call("INFO", $"127.0.0.1:{cluster.Server.Port}").Text);
        AssertBackendUntouched();
    }

    /// <summary>The admin HTTP API's open pages (overview, model, stats, metrics) never show the passwords.</summary>
    [Fact]
    public async Task TheProxysOpenAdminPagesDoNotShowThePasswords()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        foreach (var page in new[] { "/proxy", "/proxy/model", "/api/proxy/model", "/proxy/stats", "/proxy/slots", "/metrics" })
        {
            var body = await http.GetStringAsync($"http://{cluster.Proxy.AdminAddr}{page}");
            Assert.DoesNotContain("product-pw", body);
        }
    }

    /// <summary>Mutating admin routes with a wrong xauth change nothing: the routing stays, the proxy keeps running.</summary>
    [Fact]
    public async Task TheProxysAdminMutationsNeedTheXAuth()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        string wrong = new('0', 32);
        var slots = System.Text.Json.JsonSerializer.Serialize(CodisProxyProcess.Range(0, 1023, cluster.ElsewhereAddr, 9));
        foreach (var (route, body) in new[] { ($"/api/proxy/fillslots/{wrong}", slots), ($"/api/proxy/shutdown/{wrong}", ""), ($"/api/proxy/start/{wrong}", ""), ($"/api/proxy/fillslots/", slots) })
        {
            var r = await http.PutAsync($"http://{cluster.Proxy.AdminAddr}{route}", new StringContent(body));
            Assert.NotEqual(HttpStatusCode.OK, r.StatusCode);
        }
        Assert.False(cluster.Proxy.HasExited);
        using var c = cluster.Proxy.Client();
        Assert.Equal("intact", c.Call("GET", "fence:keep").Text);
        Assert.False(cluster.Elsewhere.Pending(), "the proxy dialled the address of a refused fillslots");
    }

    private void AssertBackendUntouched()
    {
        Assert.False(cluster.Server.HasExited, "the backend exited");
        using var b = cluster.Backend();
        Assert.Equal("intact", b.Call("GET", "fence:keep").Text);
        Assert.Equal(cluster.DataDir, b.Call("CONFIG", "GET", "dir").Items![1].Text);
        Assert.Equal("product-pw", b.Call("CONFIG", "GET", "requirepass").Items![1].Text);
        Assert.Equal("master", b.Call("ROLE").Items![0].Text);
        Assert.False(cluster.Elsewhere.Pending(), "something dialled the address outside the product");
    }
}
