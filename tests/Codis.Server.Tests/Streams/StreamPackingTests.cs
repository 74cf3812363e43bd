using Codis.Core.Resp;
using Codis.Server.Tests.Infrastructure;
using Codis.Testing;

namespace Codis.Server.Tests.Streams;

/// <summary>
/// What packing a node's entries into one byte buffer can get wrong, against redis-server 7.0 side by side:
/// entries across node boundaries (cut by entries and by bytes), deletions flagged in place and skipped both ways,
/// fields that differ from the node's master fields, empty fields and values, big values, extreme IDs, and a
/// restart through RDB and through the AOF. DUMP payloads are compared byte for byte: the same nodes, the same
/// master entries, the same deleted flags as Redis's listpacks.
/// </summary>
public class StreamPackingTests(PeerFixture peers) : IClassFixture<PeerFixture>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    /// <summary>The commands that build stream <paramref name="key"/> (explicit IDs, so both servers hold the same).</summary>
    internal static List<string[]> Building(string key)
    {
        var cmds = new List<string[]> { new[] { "DEL", key } };
        void Add(params string[] a) => cmds.Add(a);
        for (int i = 1; i <= 40; i++)
        {
            string id = $"{i}-{i % 4}";
            switch (i % 8)
            {
                case 0: Add("XADD", key, id, "name", "n" + i, "n", i.ToString()); break;          // the master fields
                case 1: Add("XADD", key, id, "name", "x", "other", "y"); break;                   // same count, other names
                case 2: Add("XADD", key, id, "name", "only"); break;                              // fewer fields
                case 3: Add("XADD", key, id, "", ""); break;                                      // empty field and value
                case 4: Add("XADD", key, id, "name", new string('v', 150 + i), "n", "-7"); break; // fills nodes by bytes
                case 5: Add("XADD", key, id, "n", "007", "name", "12345678901"); break;           // master names, other order
                default: Add("XADD", key, id, "name", "", "n", ""); break;                        // master fields, empty values
            }
        }
        // Many fields (a two-byte field count), a value longer than 16 KB (three-byte lengths, buffer growth).
        var many = new List<string> { "XADD", key, "41-0" };
        for (int f = 0; f < 150; f++) many.AddRange(["f" + f, "v" + f]);
        Add([.. many]);
        Add("XADD", key, "42-0", "name", new string('b', 20000), "n", "1");
        Add("XADD", key, "43-0", "name", "after", "n", "big");
        // Same ms, large sequence gaps; far milliseconds.
        Add("XADD", key, "44-0", "name", "a", "n", "1");
        Add("XADD", key, "44-9223372036854775807", "name", "b", "n", "2");
        Add("XADD", key, "44-18446744073709551614", "name", "c", "n", "3");
        Add("XADD", key, "9999999999999-0", "name", "d", "n", "4");
        for (int i = 0; i < 12; i++) Add("XADD", key, $"10000000000000-{i}", "k", "v" + i);
        // Deletions: a node's first and last entries, middle ones, the very first and last, a missing ID.
        Add("XDEL", key, "1-1", "2-2", "7-3", "8-0", "20-0", "41-0", "10000000000000-11", "10000000000000-5", "3-9");
        return cmds;
    }

    private static readonly string[] Reads =
    [
        "xlen s",
        "xrange s - +",
        "xrevrange s + -",
        "xrange s - + count 3",
        "xrevrange s + - count 4",
        "xrange s 7-3 20-0",
        "xrevrange s 20-0 7-3",
        "xrange s (2-2 (9-1",
        "xrevrange s (44-18446744073709551614 (43-0",
        "xrange s 44 44",
        "xrevrange s 44 44 count 2",
        "xrange s 10000000000000-3 +",
        "xrevrange s + 9999999999999 count 5",
        "xread count 5 streams s 0-0",
        "xread count 3 streams s 8-0",
        "xread streams s 10000000000000-10",
        "xinfo stream s",
        "xinfo stream s full count 0",
    ];

    private static void Run(RespClient c, IEnumerable<string[]> cmds)
    {
        foreach (var cmd in cmds)
        {
            var r = c.Call(cmd);
            Assert.False(r.IsError, $"{string.Join(' ', cmd.Select(a => a.Length > 40 ? a[..40] + "…" : a))}: {r}");
        }
    }

    private static void AssertSameDump(RespClient redis, RespClient ours, string key)
    {
        var expected = redis.Call("DUMP", key).Bytes!;
        var actual = ours.Call("DUMP", key).Bytes!;
        Assert.True(expected.AsSpan().SequenceEqual(actual),
            $"DUMP {key} differs: redis {expected.Length} bytes, ours {actual.Length} bytes\n{Convert.ToHexString(expected)[..Math.Min(400, expected.Length * 2)]}\n{Convert.ToHexString(actual)[..Math.Min(400, actual.Length * 2)]}");
    }

    private static string ReadsScript(string key) => string.Join('\n', Reads.Select(r => r.Replace(" s ", $" {key} ")));

    /// <summary>Both servers with small nodes, so a few dozen entries span many: restored to Redis's defaults after.</summary>
    private void WithSmallNodes(Action body)
    {
        using var ours = peers.Codis.Client();
        using var theirs = peers.Redis.Client();
        foreach (var c in new[] { ours, theirs })
        {
            c.Call("CONFIG", "SET", "stream-node-max-entries", "6").AssertOk();
            c.Call("CONFIG", "SET", "stream-node-max-bytes", "400").AssertOk();
        }
        try
        {
            body();
        }
        finally
        {
            foreach (var c in new[] { ours, theirs })
            {
                c.Call("CONFIG", "SET", "stream-node-max-entries", "100");
                c.Call("CONFIG", "SET", "stream-node-max-bytes", "4096");
            }
        }
    }

    [Fact]
    public void Packed_entries_read_back_as_redis_replies_and_dumps_them() => WithSmallNodes(() =>
    {
        using var ours = peers.Codis.Client();
        using var theirs = peers.Redis.Client();
        var build = Building("s");
        Run(theirs, build);
        Run(ours, build);
        StreamPeers.AssertSame(peers, ReadsScript("s"));
        AssertSameDump(theirs, ours, "s");

        // Exact trimming flags entries inside a node; reads skip them from both ends; whole nodes go.
        StreamPeers.AssertSame(peers, """
            xtrim s maxlen 40
            xrange s - + count 2
            xrevrange s + - count 2
            xtrim s minid 30-0
            xrange s - 33
            xdel s 30-2 31-3 32-0 33-1 34-2 35-3
            xrange s - 37
            xinfo stream s
            xtrim s maxlen ~ 20
            xlen s
            xadd s 10000000000001-0 name z n 9
            xrevrange s + - count 3
            """);
        AssertSameDump(theirs, ours, "s");

        // A payload restores into the same nodes: DUMP it back, read it, keep appending to its last node.
        var payload = ours.Call("DUMP", "s").Bytes!;
        foreach (var c in new[] { ours, theirs })
        {
            c.Call("DEL", "s2");
            c.Call([.. new[] { "RESTORE", "s2", "0" }.Select(System.Text.Encoding.UTF8.GetBytes), payload]).AssertOk();
        }
        StreamPeers.AssertSame(peers, ReadsScript("s2") + """

            xadd s2 10000000000001-1 name y n 8
            xadd s2 10000000000001-2 other y
            xinfo stream s2
            """);
        AssertSameDump(theirs, ours, "s2");

        // COPY shares the nodes' bytes until one side writes: appends, deletions and trims on either stay its own.
        StreamPeers.AssertSame(peers, """
            del s3 s4 c c2
            xadd c 1-0 f v
            copy c c2
            xadd c 2-0 f v2
            xadd c2 2-0 f other
            xadd c2 3-0 g more
            xrange c - +
            xrange c2 - +
            copy s s3
            copy s s4
            xadd s 10000000000002-0 name source n 1
            xrange s3 10000000000000 +
            xadd s3 10000000000002-0 name copy n 1
            xrange s 10000000000000 +
            xrange s3 10000000000000 +
            xdel s 10000000000001-0
            xrange s3 10000000000000 +
            xtrim s3 maxlen 3
            xrange s - + count 2
            xrange s4 - +
            xrevrange s4 + - count 2
            """);
        AssertSameDump(theirs, ours, "s");
        AssertSameDump(theirs, ours, "s3");
        AssertSameDump(theirs, ours, "s4");
    });

    [Fact]
    public void Every_entry_deleted_from_a_node_or_the_stream_leaves_it_as_redis_does() => WithSmallNodes(() =>
    {
        using var ours = peers.Codis.Client();
        using var theirs = peers.Redis.Client();
        var cmds = new List<string[]> { new[] { "DEL", "e" } };
        for (int i = 1; i <= 20; i++) cmds.Add(["XADD", "e", $"{i}-0", "f", "v" + i]);
        Run(theirs, cmds);
        Run(ours, cmds);
        StreamPeers.AssertSame(peers, """
            xdel e 7-0 8-0 9-0 10-0 11-0 12-0
            xinfo stream e
            xrange e 5 14
            xrevrange e 14 5
            xdel e 1-0 2-0 3-0 4-0 5-0 6-0 13-0 14-0 15-0 16-0 17-0 18-0 19-0 20-0
            xlen e
            xrange e - +
            xrevrange e + -
            xinfo stream e
            xadd e 21-0 f again
            xinfo stream e
            xrange e - +
            """);
        AssertSameDump(theirs, ours, "e");
    });

    [Fact]
    public void Nodes_survive_a_restart_through_rdb_and_through_the_aof_as_redis_keeps_them()
    {
        using var redis = RedisServerProcess.Start("--stream-node-max-entries", "6", "--stream-node-max-bytes", "400");
        using var rc = redis.Client();
        var build = Building("s");
        Run(rc, build);
        var more = new List<string[]>();
        for (int i = 0; i < 9; i++) more.Add(["XADD", "s", $"10000000000005-{i}", "name", "m" + i, "n", i.ToString()]);
        more.Add(["XDEL", "s", "10000000000005-0"]);
        more.Add(["XTRIM", "s", "MAXLEN", "~", "30"]);

        // RDB: save, restart, and the loaded nodes take further entries exactly where Redis's do.
        string dir = Directory.CreateTempSubdirectory("codis-stream-pack-").FullName;
        using (var s = CodisServerProcess.StartIn(dir, "--save", "", "--stream-node-max-entries", "6", "--stream-node-max-bytes", "400"))
        {
            using var c = s.Client();
            Run(c, build);
            c.Call("SAVE").AssertOk();
        }
        using (var s = CodisServerProcess.StartIn(dir, "--save", "", "--stream-node-max-entries", "6", "--stream-node-max-bytes", "400"))
        {
            using var c = s.Client();
            AssertSameDump(rc, c, "s");
            Run(c, more);
            Run(rc, more);
            AssertSameDump(rc, c, "s");
            Assert.Equal(StreamPeers.Norm(rc.Call("XRANGE", "s", "-", "+")), StreamPeers.Norm(c.Call("XRANGE", "s", "-", "+")));
        }

        // AOF: the commands replayed after a crash, then the rewritten base (an RDB preamble) after a restart.
        Run(rc, build);
        string aofDir = Directory.CreateTempSubdirectory("codis-stream-pack-aof-").FullName;
        string[] aofArgs = ["--save", "", "--appendonly", "yes", "--appendfsync", "always", "--stream-node-max-entries", "6", "--stream-node-max-bytes", "400"];
        using (var s = CodisServerProcess.StartIn(aofDir, aofArgs))
        {
            using var c = s.Client();
            Run(c, build);
            s.Kill();
        }
        using (var s = CodisServerProcess.StartIn(aofDir, aofArgs))
        {
            using var c = s.Client();
            AssertSameDump(rc, c, "s");
            c.Call("BGREWRITEAOF");
            Eventually.True(() => Replicas.ReplicationTests.Info(c, "persistence")["aof_rewrite_in_progress"] == "0"
                && Replicas.ReplicationTests.Info(c, "persistence")["aof_rewrites"] == "1", Patience, "the rewrite");
            Run(c, more);
        }
        Run(rc, more);
        using (var s = CodisServerProcess.StartIn(aofDir, aofArgs))
        {
            using var c = s.Client();
            AssertSameDump(rc, c, "s");
            Assert.Equal(StreamPeers.Norm(rc.Call("XINFO", "STREAM", "s")), StreamPeers.Norm(c.Call("XINFO", "STREAM", "s")));
        }
    }
}
