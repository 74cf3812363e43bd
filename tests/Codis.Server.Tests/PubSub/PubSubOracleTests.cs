using System.Diagnostics;
using System.Globalization;
using System.Text;
using Codis.Core.Resp;
using Codis.Server.Tests.Infrastructure;

namespace Codis.Server.Tests.PubSub;

/// <summary>
/// Pub/sub byte for byte against Debian's redis-server 7.0: the replies of a subscribing connection (which may be
/// several per command), the messages a subscriber gets, and what redis-cli prints for both servers.
/// </summary>
public class PubSubOracleTests(PeerFixture peers) : IClassFixture<PeerFixture>
{
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(300);

    private static RespClient Send(RespClient c, string script)
    {
        foreach (var raw in script.Split('\n'))
        {
            string line = raw.Trim();
            if (line.Length > 0) c.Send(PeerFixture.Words(line));
        }
        c.Flush();
        return c;
    }

    /// <summary>
    /// What arrives until the connection is quiet; with <paramref name="atLeast"/> (the oracle's length), it first
    /// waits up to 10 s for that much, so a slow start (JIT, a loaded machine) does not cut a reply in two.
    /// </summary>
    private static byte[] Raw(RespClient c, int atLeast = 0)
    {
        var got = new List<byte>(c.ReadRawAvailable(Quiet));
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (got.Count < atLeast && DateTime.UtcNow < deadline) got.AddRange(c.ReadRawAvailable(Quiet));
        return got.ToArray();
    }

    private static string Show(byte[] raw) => Encoding.UTF8.GetString(raw).Replace("\r\n", " ");

    private static string Bytes(RespClient c) => Show(Raw(c));

    private void AssertSameBytes(string script)
    {
        using var ours = peers.Codis.Client();
        using var theirs = peers.Redis.Client();
        var expected = Raw(Send(theirs, script));
        var actual = Raw(Send(ours, script), expected.Length);
        Assert.Equal(Show(expected), Show(actual));
    }

    [Fact]
    public void Subscribing_connection_replies_as_redis() => AssertSameBytes("""
        pubsub help
        unsubscribe
        punsubscribe
        sunsubscribe
        unsubscribe a b
        punsubscribe p*
        sunsubscribe s1
        subscribe
        psubscribe
        ssubscribe
        subscribe a
        subscribe b a
        psubscribe h?llo h[ae]llo
        psubscribe h?llo
        ping
        ping hi
        ping a b
        get a
        set a 1
        multi
        exec
        client list
        publish a b
        spublish a b
        ssubscribe s1 s2
        ssubscribe s1
        sunsubscribe s2
        punsubscribe h?llo
        unsubscribe b
        unsubscribe nothere
        punsubscribe
        unsubscribe
        ping
        sunsubscribe
        ping
        get a
        """);

    [Fact]
    public void Pubsub_introspection_replies_as_redis()
    {
        using var ours = peers.Codis.Client();
        using var theirs = peers.Redis.Client();
        // Subscribers on both sides first, so the counts are not all zero.
        Send(ours, "subscribe news.a news.b\npsubscribe news.* other.?\nssubscribe shard.x");
        Send(theirs, "subscribe news.a news.b\npsubscribe news.* other.?\nssubscribe shard.x");
        Bytes(ours);
        Bytes(theirs);
        using (var o = peers.Codis.Client())
        using (var t = peers.Redis.Client())
            Eventually.True(() => o.Call("PUBSUB", "NUMPAT").Integer == 2 && t.Call("PUBSUB", "NUMPAT").Integer == 2,
                TimeSpan.FromSeconds(10), "only this test's patterns (earlier subscribers gone)");
        peers.AssertSame("""
            pubsub
            pubsub numsub
            pubsub numsub news.a news.b none
            pubsub numpat
            pubsub numpat x
            pubsub channels news.[a]
            pubsub channels none*
            pubsub channels a b
            pubsub nosuch
            pubsub shardnumsub
            pubsub shardnumsub news.a shard.x
            pubsub shardchannels
            pubsub shardchannels shard.*
            pubsub shardchannels a b
            spublish shard.x hi
            spublish news.a hi
            publish
            publish news.a
            publish news.a hello
            publish news.z hello
            publish other.x hi
            publish nobody hi
            """);
        // Channel order is a hash table's on both: compare as sets.
        using var oc = peers.Codis.Client();
        using var tc = peers.Redis.Client();
        Assert.Equal(tc.Call("PUBSUB", "CHANNELS").Strings().Order(), oc.Call("PUBSUB", "CHANNELS").Strings().Order());
        Assert.Equal("news.a,news.b", string.Join(",", oc.Call("PUBSUB", "CHANNELS", "news.*").Strings().Order()));
    }

    [Fact]
    public void Command_info_and_getkeys_describe_pubsub_and_transactions_as_redis() => peers.AssertSame("""
        command info subscribe unsubscribe psubscribe punsubscribe publish ssubscribe sunsubscribe spublish exec
        command getkeys ssubscribe a b
        command getkeys publish a b
        command getkeysandflags watch a b
        """);

    [Fact]
    public void Subscriber_gets_messages_and_pattern_messages_as_redis()
    {
        // Each step's bytes; the second run waits for as many as the oracle's run got.
        List<byte[]> Run(Func<RespClient> connect, List<byte[]>? like)
        {
            using var sub = connect();
            using var pub = connect();
            var log = new List<byte[]>();
            int Want() => like == null ? 0 : like[log.Count].Length;
            log.Add(Raw(Send(sub, "subscribe ch other\npsubscribe c* x[^y]z\nssubscribe ch sh"), Want()));
            log.Add(Raw(Send(pub, "publish ch hello\npublish cx hi\npublish zz none\npublish xaz yes\npublish xyz no\npublish ch \"with space\"\npublish ch hex:00ff0d0a\nspublish ch shard\nspublish sh s2\nspublish nosh x"), Want()));
            log.Add(Raw(sub, Want()));
            log.Add(Raw(Send(sub, "unsubscribe ch"), Want()));
            log.Add(Raw(Send(pub, "publish ch after"), Want()));
            log.Add(Raw(sub, Want()));
            return log;
        }
        string Text(List<byte[]> log) => string.Join(" | ", log.Select(Show));
        var expected = Run(() => peers.Redis.Client(), null);
        Assert.Equal(Text(expected), Text(Run(() => peers.Codis.Client(), expected)));
    }

    [Fact]
    public void Redis_cli_subscribe_prints_the_same_for_both()
    {
        string Session(int port)
        {
            var psi = new ProcessStartInfo("redis-cli") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in new[] { "-p", port.ToString(CultureInfo.InvariantCulture), "psubscribe", "cli.*" }) psi.ArgumentList.Add(a);
            using var p = Process.Start(psi)!;
            var output = new StringBuilder();
            p.OutputDataReceived += (_, e) => { if (e.Data != null) lock (output) output.AppendLine(e.Data); };
            p.BeginOutputReadLine();
            using var pub = new RespClient("127.0.0.1", port, TimeSpan.FromSeconds(10));
            Eventually.True(() => { lock (output) return output.ToString().Contains("cli.*"); }, TimeSpan.FromSeconds(10), "redis-cli to subscribe");
            Assert.Equal(1, pub.Call("PUBLISH", "cli.one", "first").Integer);
            Assert.Equal(1, pub.Call("PUBLISH", "cli.two", "second message").Integer);
            Eventually.True(() => { lock (output) return output.ToString().Contains("second message"); }, TimeSpan.FromSeconds(10), "the messages");
            p.Kill();
            p.WaitForExit();
            lock (output) return output.ToString();
        }
        string expected = Session(peers.Redis.Port);
        Assert.Equal(expected, Session(peers.Codis.Port));
        Assert.Contains("pmessage\ncli.*\ncli.two\nsecond message", expected);
    }

    [Fact]
    public void Redis_cli_one_shot_commands_print_the_same()
    {
        string Cli(int port, params string[] args)
        {
            var psi = new ProcessStartInfo("redis-cli") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in (string[])["-p", port.ToString(CultureInfo.InvariantCulture), .. args]) psi.ArgumentList.Add(a);
            using var p = Process.Start(psi)!;
            string output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
            Assert.True(p.WaitForExit(10_000));
            return output;
        }
        foreach (var args in new[]
        {
            new[] { "--no-raw", "publish", "cli.none", "x" },
            ["--no-raw", "pubsub", "numsub", "cli.none", "cli.other"],
            ["--no-raw", "pubsub", "numpat"],
            ["--no-raw", "pubsub", "channels", "cli.none*"],
            ["--no-raw", "pubsub", "numpat", "extra"],
        })
            Assert.Equal(Cli(peers.Redis.Port, args), Cli(peers.Codis.Port, args));
    }
}
