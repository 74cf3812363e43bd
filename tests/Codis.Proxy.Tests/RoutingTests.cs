using System.Text;
using Codis.Core.Slots;

namespace Codis.Proxy.Tests;

public class RoutingTests(TwoGroupCluster cluster) : IClassFixture<TwoGroupCluster>
{
    [Fact]
    public void Set_KeysLandInTheGroupOwningTheirSlot()
    {
        using var c = cluster.Client();
        // The seed: a, b, c hash to slots 579, 1017, 879 — all in group 2 when 512–1023 belong to it.
        foreach (var k in new[] { "a", "b", "c" }) Assert.Equal("OK", c.Call("SET", k, "v-" + k).Text);
        using var g1 = cluster.Group1.Client();
        using var g2 = cluster.Group2.Client();
        foreach (var k in new[] { "a", "b", "c" })
        {
            Assert.Equal("v-" + k, g2.Call("GET", k).Text);
            Assert.True(g1.Call("GET", k).IsNull);
        }
        c.Call("SET", "foo", "bar"); // slot 289 → group 1
        Assert.Equal("bar", g1.Call("GET", "foo").Text);
        Assert.Equal("bar", c.Call("GET", "foo").Text);
    }

    [Fact]
    public void Pipeline_TenThousandMixedRequests_RepliesInOrder()
    {
        using var c = cluster.Client();
        var sb = new StringBuilder();
        for (int i = 0; i < 10_000; i++)
        {
            string key = "pipe:" + i;
            if (i % 3 == 0) sb.Append($"*3\r\n$3\r\nSET\r\n${key.Length}\r\n{key}\r\n${i.ToString().Length}\r\n{i}\r\n");
            else if (i % 3 == 1) sb.Append($"*2\r\n$3\r\nGET\r\n${("pipe:" + (i - 1)).Length}\r\npipe:{i - 1}\r\n");
            else sb.Append($"*2\r\n$4\r\nECHO\r\n${i.ToString().Length}\r\n{i}\r\n");
        }
        c.SendRaw(Encoding.ASCII.GetBytes(sb.ToString()));
        for (int i = 0; i < 10_000; i++)
        {
            var r = c.Read();
            if (i % 3 == 0) Assert.Equal("OK", r.Text);
            else if (i % 3 == 1) Assert.Equal((i - 1).ToString(), r.Text);
            else Assert.Equal(i.ToString(), r.Text);
        }
    }

    [Theory]
    [InlineData("MIGRATE", "h", "1", "k", "0", "0")]
    [InlineData("SLOTSMGRTSLOT", "h", "1", "0", "0")]
    [InlineData("SLOTSMGRT-EXEC-WRAPPER", "k", "GET", "k")]
    [InlineData("FLUSHALL")]
    [InlineData("WAIT", "0", "0")]
    [InlineData("MONITOR")]
    [InlineData("SHUTDOWN")]
    [InlineData("REPLICAOF", "h", "1")]
    public void RefusedCommand_ErrorNamesIt_ConnectionStaysOpen(params string[] command)
    {
        using var c = cluster.Client();
        var r = c.Call(command);
        Assert.True(r.IsError);
        Assert.Contains($"command '{command[0]}' is not allowed", r.Text);
        Assert.Equal("PONG", c.Call("PING").Text);
    }

    [Fact]
    public void ProxyAnswers_PingEchoSelectRoleCluster()
    {
        using var c = cluster.Client();
        Assert.Equal("PONG", c.Call("PING").Text);
        Assert.Equal("hi", c.Call("ECHO", "hi").Text);
        Assert.Equal("OK", c.Call("SELECT", "3").Text);
        Assert.StartsWith("ERR DB index is out of range", c.Call("SELECT", "99").Text);
        Assert.Equal("master", c.Call("ROLE").Items![0].Text);
        Assert.Equal("ERR This instance has cluster support disabled", c.Call("CLUSTER", "NODES").Text);
        Assert.Contains("redis_version:", c.Call("INFO").Text);
    }

    [Fact]
    public void Select_RoutesToThatDatabaseOnTheBackend()
    {
        using var c = cluster.Client();
        c.Call("SELECT", "5");
        c.Call("SET", "dbkey", "five");
        using var g2 = cluster.Group2.Client();
        Assert.True(SlotHash.Slot("dbkey"u8) >= 512);
        g2.Call("SELECT", "5");
        Assert.Equal("five", g2.Call("GET", "dbkey").Text);
        g2.Call("SELECT", "0");
        Assert.True(g2.Call("GET", "dbkey").IsNull);
    }

    [Fact]
    public void SlotsHashKey_AnsweredByProxy()
    {
        using var c = cluster.Client();
        var r = c.Call("SLOTSHASHKEY", "a", "b", "{42}x");
        Assert.Equal([579L, 1017L, 136L], r.Items!.Select(i => i.Integer).ToArray());
    }

    [Fact]
    public async Task Metrics_ExposePrometheusText()
    {
        using var http = new HttpClient();
        var text = await http.GetStringAsync($"http://{cluster.Proxy.AdminAddr}/metrics");
        Assert.Contains("codis_proxy_ops_total", text);
    }
}
