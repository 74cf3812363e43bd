using System.Text;

namespace Codis.Proxy.Tests;

/// <summary>
/// The ways the proxy moves bytes (proxy_event_loops 0: .NET's socket engine; 1 and 2: own epoll loops serving
/// clients and backends) give the same answers: pipelines in order across both groups, concurrent clients spread
/// over the loops, replies bigger than every buffer in both directions, multi-key splits.
/// </summary>
public class EventLoopTests
{
    private sealed class Cluster(string loops) : TwoGroupCluster([], ["--event-loops", loops]);

    [Theory]
    [InlineData("0")]
    [InlineData("1")]
    [InlineData("2")]
    public async Task EveryTransport_ServesPipelinesBigValuesAndConcurrentClients(string loops)
    {
        using var cluster = new Cluster(loops);
        using (var info = cluster.Client())
        {
            var text = info.Call("INFO", "proxy").Text!;
            Assert.Contains($"event_loops:{loops}\r\n", text);
        }

        // Eight clients at once, each a pipeline of SET/GET/MSET over keys of both groups, checked in order.
        var clients = Enumerable.Range(0, 8).Select(w => Task.Run(() =>
        {
            using var c = cluster.Client();
            for (int round = 0; round < 5; round++)
            {
                var sb = new StringBuilder();
                const int n = 300;
                for (int i = 0; i < n; i++)
                {
                    string k = $"el:{w}:{round}:{i}", v = $"{w}-{round}-{i}";
                    sb.Append($"*3\r\n$3\r\nSET\r\n${k.Length}\r\n{k}\r\n${v.Length}\r\n{v}\r\n");
                    sb.Append($"*2\r\n$3\r\nGET\r\n${k.Length}\r\n{k}\r\n");
                    string k2 = k + ":m";
                    sb.Append($"*5\r\n$4\r\nMSET\r\n${k.Length}\r\n{k}\r\n${v.Length + 1}\r\n{v}x\r\n${k2.Length}\r\n{k2}\r\n$1\r\ny\r\n");
                }
                c.SendRaw(Encoding.ASCII.GetBytes(sb.ToString()));
                for (int i = 0; i < n; i++)
                {
                    Assert.Equal("OK", c.Read().Text);
                    Assert.Equal($"{w}-{round}-{i}", c.Read().Text);
                    Assert.Equal("OK", c.Read().Text);
                }
                var got = c.Call("MGET", $"el:{w}:{round}:0", $"el:{w}:{round}:0:m", $"el:{w}:{round}:{n - 1}");
                Assert.Equal([$"{w}-{round}-0x", "y", $"{w}-{round}-{n - 1}x"], got.Items!.Select(x => x.Text));
            }
        })).ToArray();
        await Task.WhenAll(clients);

        // A 3 MB value: bigger than the backend link's read buffer and the client's socket buffers.
        using var big = cluster.Client(30000);
        var value = new byte[3 << 20];
        for (int i = 0; i < value.Length; i++) value[i] = (byte)(i * 13 % 251);
        foreach (var key in new[] { "el:big:a", "el:big:b" }) // both groups (slots 86 and 1018 ... whichever)
            Assert.Equal("OK", big.Call("SET"u8.ToArray(), Encoding.ASCII.GetBytes(key), value).Text);
        for (int i = 0; i < 4; i++) big.Send(["GET"u8.ToArray(), Encoding.ASCII.GetBytes(i % 2 == 0 ? "el:big:a" : "el:big:b")]);
        big.Flush();
        Thread.Sleep(200); // the proxy's sends meet a full socket buffer and wait for this reader
        using (var other = cluster.Client()) Assert.Equal("PONG", other.Call("PING").Text);
        for (int i = 0; i < 4; i++) Assert.True(big.Read().Bytes.AsSpan().SequenceEqual(value), $"reply {i} differs");
        Assert.Equal("PONG", big.Call("PING").Text);
    }
}
