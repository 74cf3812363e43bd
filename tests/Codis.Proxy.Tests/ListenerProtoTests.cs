using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Codis.Testing;

namespace Codis.Proxy.Tests;

/// <summary>proto_type as the original: unix (proxy_addr a socket path) and tcp6, besides tcp4/tcp.</summary>
public class ListenerProtoTests(MetricsGroup group) : IClassFixture<MetricsGroup>
{
    private static ManagedProcess StartProxy(string dir, IEnumerable<object> slots, params string[] args)
    {
        File.WriteAllText(Path.Combine(dir, "slots.json"), JsonSerializer.Serialize(slots));
        var p = new ManagedProcess("dotnet", [Binaries.Dll("codis-proxy"), "--http-addr=127.0.0.1:0", "--fillslots", "slots.json", .. args], dir);
        try
        {
            p.WaitForOutput("proxy is online", TimeSpan.FromSeconds(30));
            return p;
        }
        catch
        {
            p.Dispose();
            throw;
        }
    }

    private static string AdminAddr(ManagedProcess p) =>
        p.WaitForOutput(@"admin API listening admin_addr=([^ ]+)", TimeSpan.FromSeconds(5)).Groups[1].Value;

    [Fact]
    public async Task Unix_RedisCliOverTheSocket_StaleFileReplaced_RemovedOnShutdown()
    {
        string dir = Directory.CreateTempSubdirectory("cpx-unix-").FullName;
        string sock = Path.Combine(dir, "proxy.sock");
        // A socket file left behind by a proxy that died (bound, never unlinked).
        // (.NET unlinks the files its sockets bound when they close, so another process makes it.)
        var made = CliRunner.Exec("python3", dir, TimeSpan.FromSeconds(20), "-c", $"import socket; socket.socket(socket.AF_UNIX).bind('{sock}')");
        Assert.True(made.ExitCode == 0 && File.Exists(sock), "stale socket file not made: " + made);

        using var proxy = StartProxy(dir, group.Slots, "--proto_type", "unix", "--proxy_addr", sock);
        Assert.Contains($"proxy listening proxy_addr={sock} proto_type=unix", proxy.Output);
        CliResult Cli(params string[] args) => CliRunner.Exec("redis-cli", dir, TimeSpan.FromSeconds(20), ["-s", sock, .. args]);
        Assert.Equal("PONG", Cli("PING").Stdout.Trim());
        Assert.Equal("OK", Cli("SET", "unix:k", "over a socket").Stdout.Trim());
        Assert.Equal("over a socket", Cli("GET", "unix:k").Stdout.Trim());
        using (var g = group.Server.Client()) Assert.Equal("over a socket", g.Call("GET", "unix:k").Text);
        Assert.Contains($"addr={sock}:0", Cli("CLIENT", "LIST").Stdout);

        string admin = AdminAddr(proxy);
        var (_, model) = await AdminHttp.GetAsync(admin, "/proxy/model");
        Assert.Equal("unix", model.GetProperty("proto_type").GetString());
        Assert.Equal(sock, model.GetProperty("proxy_addr").GetString());

        // A second proxy on the same live socket refuses to start rather than stealing it.
        string dir2 = Directory.CreateTempSubdirectory("cpx-unix2-").FullName;
        using (var second = new ManagedProcess("dotnet", [Binaries.Dll("codis-proxy"), "--http-addr=127.0.0.1:0", "--proto_type", "unix", "--proxy_addr", sock], dir2))
        {
            Assert.True(second.WaitForExit(TimeSpan.FromSeconds(20)));
            Assert.Equal(1, second.ExitCode);
            Assert.Contains("in use by another process", second.Output);
        }
        Assert.Equal("PONG", Cli("PING").Stdout.Trim());

        Assert.True(proxy.Terminate(TimeSpan.FromSeconds(15)));
        Assert.False(File.Exists(sock), "socket file left after shutdown");
    }

    [Fact]
    public void Unix_BadSettings_StopAtStart()
    {
        string dir = Directory.CreateTempSubdirectory("cpx-unix-bad-").FullName;
        string regular = Path.Combine(dir, "not-a-socket");
        File.WriteAllText(regular, "data");
        using (var p = new ManagedProcess("dotnet", [Binaries.Dll("codis-proxy"), "--http-addr=127.0.0.1:0", "--proto_type", "unix", "--proxy_addr", regular], dir))
        {
            Assert.True(p.WaitForExit(TimeSpan.FromSeconds(20)));
            Assert.Equal(1, p.ExitCode);
            Assert.Contains("exists and is not a unix socket", p.Output);
        }
        Assert.Equal("data", File.ReadAllText(regular));
        using (var p = new ManagedProcess("dotnet", [Binaries.Dll("codis-proxy"), "--http-addr=127.0.0.1:0", "--proto_type", "unixpacket", "--proxy_addr", "x.sock"], dir))
        {
            Assert.True(p.WaitForExit(TimeSpan.FromSeconds(20)));
            Assert.Equal(1, p.ExitCode);
            Assert.Contains("proto_type 'unixpacket' is not supported", p.Output);
        }
    }

    [Fact]
    public void Tcp6_ListensOnIPv6Only()
    {
        string dir = Directory.CreateTempSubdirectory("cpx-tcp6-").FullName;
        using var proxy = StartProxy(dir, group.Slots, "--proto_type", "tcp6", "--addr", "[::1]:0");
        int port = int.Parse(proxy.WaitForOutput(@"proxy listening proxy_addr=\[::1\]:(\d+) proto_type=tcp6", TimeSpan.FromSeconds(5)).Groups[1].Value);
        using (var c = new Codis.Core.Resp.RespClient("::1", port, TimeSpan.FromSeconds(10)))
        {
            Assert.Equal("OK", c.Call("SET", "v6:k", "1").Text);
            Assert.Equal("1", c.Call("GET", "v6:k").Text);
        }
        // IPv6 only, as Go's tcp6: nothing on 127.0.0.1 at that port.
        using var v4 = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        Assert.ThrowsAny<SocketException>(() => v4.Connect(new IPEndPoint(IPAddress.Loopback, port)));
    }
}
