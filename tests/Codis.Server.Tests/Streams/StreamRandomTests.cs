using System.Text;
using Codis.Server.Tests.Infrastructure;

namespace Codis.Server.Tests.Streams;

/// <summary>
/// Random sequences of stream commands (fixed seeds, explicit IDs) run on codis-server and redis-server 7.0: every
/// reply must match, masked for the moment each ran. Catches what hand-written scripts miss: trims across node
/// boundaries after deletions, lag and entries-read after deletes, claims of deleted entries, cursors.
/// </summary>
public class StreamRandomTests(PeerFixture peers) : IClassFixture<PeerFixture>
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void RandomOperations_SameRepliesAsRedis(int seed)
    {
        var rnd = new Random(seed);
        string k = $"rnd{seed}";
        var sb = new StringBuilder($"del {k}\nxgroup create {k} g 0 mkstream\nxgroup create {k} h $\n");
        long ms = 1;
        string[] consumers = ["a", "b", "c"];
        string Id() => $"{rnd.Next(1, (int)ms + 2)}-{rnd.Next(0, 3)}";
        for (int i = 0; i < 600; i++)
        {
            int op = rnd.Next(100);
            string c = consumers[rnd.Next(consumers.Length)];
            if (op < 40)
            {
                ms += rnd.Next(0, 3);
                string fields = rnd.Next(3) == 0 ? $"other {i} more {new string('y', rnd.Next(0, 80))}" : $"f {i}";
                string trim = rnd.Next(10) switch
                {
                    0 => $"maxlen ~ {rnd.Next(0, 200)} ",
                    1 => $"maxlen {rnd.Next(50, 300)} ",
                    2 => $"minid ~ {Math.Max(1, ms - rnd.Next(0, 150))} ",
                    _ => "",
                };
                sb.Append($"xadd {k} {trim}{ms}-{(rnd.Next(4) == 0 ? "*" : rnd.Next(0, 5).ToString())} {fields}\n");
            }
            else if (op < 50) sb.Append($"xdel {k} {Id()} {Id()}\n");
            else if (op < 55) sb.Append($"xtrim {k} {(rnd.Next(2) == 0 ? "maxlen" : "minid")} {(rnd.Next(2) == 0 ? "~ " : "")}{rnd.Next(1, (int)ms + 1)}\n");
            else if (op < 68) sb.Append($"xreadgroup group {(rnd.Next(4) == 0 ? "h" : "g")} {c} count {rnd.Next(1, 6)} {(rnd.Next(5) == 0 ? "noack " : "")}streams {k} {(rnd.Next(4) == 0 ? "0" : ">")}\n");
            else if (op < 74) sb.Append($"xack {k} g {Id()} {Id()} {Id()}\n");
            else if (op < 78) sb.Append($"xclaim {k} g {c} 0 {Id()} {Id()}{(rnd.Next(2) == 0 ? " justid" : "")}\n");
            else if (op < 82) sb.Append($"xautoclaim {k} g {c} 0 {Id()} count {rnd.Next(1, 5)}\n");
            else if (op < 86) sb.Append($"xrange {k} {(rnd.Next(3) == 0 ? "(" : "")}{Id()} + count {rnd.Next(1, 8)}\n");
            else if (op < 89) sb.Append($"xrevrange {k} + {Id()} count {rnd.Next(1, 8)}\n");
            else if (op < 92) sb.Append($"xpending {k} g - + 20\n");
            else if (op < 95) sb.Append($"xinfo groups {k}\n");
            else if (op < 97) sb.Append($"xinfo stream {k}\n");
            else if (op < 98) sb.Append($"xgroup setid {k} h {Id()}\n");
            else sb.Append($"xgroup delconsumer {k} g {c}\n");
        }
        sb.Append($"xinfo stream {k} full count 0\nxpending {k} g\nxlen {k}\n");
        StreamPeers.AssertSame(peers, sb.ToString());
    }
}

/// <summary>Garbage arguments to every stream command: each gets a reply (usually an error) and the server lives on.</summary>
public class StreamHostileTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    [Fact]
    public void RandomArguments_NeverCrashTheServer()
    {
        using var c = server.Client();
        c.Call("XADD", "hs", "1-1", "f", "v");
        c.Call("XGROUP", "CREATE", "hs", "g", "0");
        c.Call("SET", "hstr", "x");
        string[] commands = ["XADD", "XLEN", "XRANGE", "XREVRANGE", "XDEL", "XTRIM", "XREAD", "XREADGROUP", "XGROUP", "XACK",
            "XPENDING", "XCLAIM", "XAUTOCLAIM", "XINFO", "XSETID"];
        string[] tokens = ["hs", "hstr", "nokey", "g", "c", "0", "1", "-1", "1-1", "2-*", "*", "-", "+", "(", "(1-1", "$", ">", "~", "=",
            "18446744073709551615-18446744073709551615", "18446744073709551616", "99999999999999999999999", "MAXLEN", "MINID", "LIMIT",
            "NOMKSTREAM", "COUNT", "STREAMS", "GROUP", "NOACK", "IDLE", "TIME", "RETRYCOUNT", "FORCE", "JUSTID", "LASTID", "FULL",
            "CREATE", "SETID", "DESTROY", "CREATECONSUMER", "DELCONSUMER", "MKSTREAM", "ENTRIESREAD", "ENTRIESADDED", "MAXDELETEDID",
            "STREAM", "GROUPS", "CONSUMERS", "HELP", "", "f", "v"];
        var rnd = new Random(7);
        for (int i = 0; i < 3000; i++)
        {
            var args = new List<string> { commands[rnd.Next(commands.Length)] };
            int n = rnd.Next(0, 9);
            for (int j = 0; j < n; j++) args.Add(tokens[rnd.Next(tokens.Length)]);
            var reply = c.Call(args.ToArray<object>());
            Assert.NotNull(reply);
        }
        Assert.Equal("PONG", c.Call("PING").Text);
        Assert.Equal("stream", c.Call("TYPE", "hs").Text);
    }
}
