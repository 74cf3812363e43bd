using System.Diagnostics;
using System.Text;
using Codis.Core.Resp;
using Codis.Server.Tests.Infrastructure;
using Codis.Testing;
using Xunit.Abstractions;

namespace Codis.Server.Tests.Slots;

/// <summary>
/// Semi-async migration of big streams in chunks (docs/slots.md, "Big collections go in chunks"): whole nodes, then
/// the groups, consumers and pending entries, then the counters and the TTL, between real codis-servers. A stream
/// arrives identical (DUMP, XINFO STREAM FULL, TTL) with every write made to it meanwhile; a dead migration leaves
/// only a copy under the temporary TTL.
/// </summary>
public class StreamMigrationTests(ITestOutputHelper output)
{
    private const int NotStarted = 0, Migrating = 1, Done = 2;

    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    /// <summary>Sends commands pipelined in blocks of 1000 and checks that none failed.</summary>
    private static void Pipeline(RespClient c, IEnumerable<string[]> commands)
    {
        foreach (var block in commands.Chunk(1000))
        {
            using var ms = new MemoryStream();
            foreach (var cmd in block) RespValue.WriteCommand(ms, cmd.Select(B).ToArray());
            c.SendRaw(ms.ToArray());
            c.Flush();
            for (int i = 0; i < block.Length; i++)
            {
                var r = c.Read();
                Assert.False(r.IsError, r.ToString());
            }
        }
    }

    private static IEnumerable<string[]> Entries(string key, int from, int to, Func<int, string[]> fields)
    {
        for (int i = from; i <= to; i++) yield return ["XADD", key, $"{i}-0", .. fields(i)];
    }

    /// <summary>Migrates a slot with SLOTSMGRTTAGSLOT-ASYNC until it is empty; returns the batches it took.</summary>
    private static int MigrateSlot(RespClient c, int port, int slot, int maxBulks, int numKeys, Action<bool>? switchRouting = null)
    {
        var sw = Stopwatch.StartNew();
        for (int batches = 1; ; batches++)
        {
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(60), "the migration did not finish in time");
            var r = c.Call("SLOTSMGRTTAGSLOT-ASYNC", "127.0.0.1", port.ToString(), "5000", maxBulks.ToString(), "33554432", slot.ToString(), numKeys.ToString());
            Assert.True(r.Type == RespType.Array, $"slot {slot}: {r}");
            if (r.Items![1].Integer != 0) continue;
            switchRouting?.Invoke(true);
            return batches;
        }
    }

    /// <summary>A 150,000-entry stream with group "g", whose consumer "c" was delivered the first <paramref name="delivered"/>.</summary>
    private static void StreamWithGroup(RespClient c, string key, int delivered)
    {
        Pipeline(c, Entries(key, 1, 150_000, i => ["f", $"{i}"]));
        c.Call("XGROUP", "CREATE", key, "g", "0").AssertOk();
        c.Call("XREADGROUP", "GROUP", "g", "c", "COUNT", delivered.ToString(), "STREAMS", key, ">");
    }

    /// <summary>Starts one SLOTSMGRTTAGSLOT-ASYNC batch (maxbulks 200) on a connection of its own; its reply is read later.</summary>
    private static RespClient StartMigration(CodisServerProcess source, int targetPort, int slot)
    {
        var migrating = source.Client(60_000);
        migrating.Send([B("SLOTSMGRTTAGSLOT-ASYNC"), B("127.0.0.1"), B(targetPort.ToString()), B("5000"), B("200"), B("33554432"), B(slot.ToString()), B("10")]);
        migrating.Flush();
        return migrating;
    }

    private static long RestoreCalls(RespClient target)
    {
        foreach (var line in target.Call("INFO", "commandstats").Text!.Split('\n'))
            if (line.StartsWith("cmdstat_slotsrestore-async:calls=", StringComparison.Ordinal))
                return long.Parse(line.Split('=', ',')[1], System.Globalization.CultureInfo.InvariantCulture);
        return 0;
    }

    [Fact]
    public async Task StreamOf200k_WithGroupsPendingAndDeletedEntries_ArrivesIdentical_WithTheWritesMadeMeanwhile()
    {
        using var a = CodisServerProcess.Start();
        using var b = CodisServerProcess.Start();
        int slot = 321;
        string key = $"{{{SlotKeys.TagInSlot(slot, "st")}}}big-stream";
        string mirror = $"{{{SlotKeys.TagInSlot(100, "mi")}}}mirror";
        const int N = 200_000;
        var sw = Stopwatch.StartNew();
        using (var c = a.Client(60_000))
        {
            Pipeline(c, Entries(key, 1, N, i => i % 1000 == 0 ? ["other", $"{i}", "shape", "x"] : ["sensor", $"{i % 97}", "value", $"v:{i}"]));
            Pipeline(c, Enumerable.Range(0, 50_000 / 11).Select(j => new[] { "XDEL", key, $"{1 + 11 * j}-0" }));
            c.Call("XGROUP", "CREATE", key, "g1", "0").AssertOk();
            c.Call("XGROUP", "CREATE", key, "g2", "0").AssertOk();
            c.Call("XREADGROUP", "GROUP", "g1", "alice", "COUNT", "30000", "STREAMS", key, ">");
            c.Call("XREADGROUP", "GROUP", "g1", "bob", "COUNT", "30000", "STREAMS", key, ">");
            c.Call("XREADGROUP", "GROUP", "g2", "carol", "COUNT", "5000", "STREAMS", key, ">");
            c.Call("XGROUP", "CREATECONSUMER", key, "g2", "idle-dave").AssertInt();
            Pipeline(c, Enumerable.Range(0, 3000).Select(j => new[] { "XACK", key, "g1", $"{2 + 7 * j}-0" }));
            c.Call("PEXPIRE", key, "600000").AssertInt();
            Assert.Equal(1, c.Call("COPY", key, mirror).AssertInt());
            Assert.Equal(c.Call("DUMP", key).Bytes, c.Call("DUMP", mirror).Bytes);
        }
        output.WriteLine($"loaded in {sw.ElapsedMilliseconds} ms");

        // A writer routes as a semi-async proxy does and mirrors each write, with its concrete ID, on the copy.
        var state = new int[1];
        object gate = new();
        long forwarded = 0, writes = 0;
        using var stop = new CancellationTokenSource();
        var writer = Task.Run(() =>
        {
            using var s = a.Client();
            using var t = b.Client();
            for (int n = 0; !stop.IsCancellationRequested; n++)
            {
                string[] cmd = (n % 3) switch
                {
                    0 => ["XADD", key, "*", "written", $"{n}"],
                    1 => ["XACK", key, "g1", $"{40_000 + n}-0"],
                    _ => ["XDEL", key, $"{150_000 + n}-0"],
                };
                lock (gate)
                {
                    RespValue reply;
                    if (state[0] == Done) reply = t.Call(cmd);
                    else if (state[0] == NotStarted) reply = s.Call(cmd);
                    else
                    {
                        while (true)
                        {
                            var w = s.Call(["SLOTSMGRT-EXEC-WRAPPER", key, .. cmd]);
                            Assert.True(w.Type == RespType.Array && w.Items!.Length == 2, $"wrapper reply {w}");
                            long code = w.Items[0].Integer;
                            if (code == 2)
                            {
                                // Here, or in flight: run here and forwarded behind the stream's chunks.
                                reply = w.Items[1];
                                forwarded++;
                                break;
                            }
                            if (code == 0)
                            {
                                reply = t.Call(cmd); // moved
                                break;
                            }
                            Assert.Equal(1, code);
                            Thread.Sleep(1);
                        }
                    }
                    Assert.False(reply.IsError, $"{string.Join(' ', cmd)}: {reply}");
                    if (n % 3 == 0) cmd[2] = reply.Text!;
                    var m = s.Call([cmd[0], mirror, .. cmd[2..]]);
                    Assert.Equal(reply.ToString(), m.ToString());
                    writes++;
                }
                Thread.Sleep(n % 4 == 0 ? 1 : 0);
            }
        });
        await Task.Delay(200);
        sw.Restart();
        long callsBefore;
        using (var ct = b.Client()) callsBefore = RestoreCalls(ct);
        using (var c = a.Client(60_000))
        {
            lock (gate) state[0] = Migrating;
            int batches = MigrateSlot(c, b.Port, slot, 200, 100, _ => { lock (gate) state[0] = Done; });
            output.WriteLine($"migrated in {sw.ElapsedMilliseconds} ms, {batches} batches");
        }
        await Task.Delay(100);
        stop.Cancel();
        await writer;
        output.WriteLine($"{writes} writes, {forwarded} run by the source during the migration and forwarded");
        Assert.True(forwarded > 0, "no write reached the stream while it moved");

        using var ca = a.Client(60_000);
        using var cb = b.Client(60_000);
        Assert.Equal(0, ca.Call("EXISTS", key).AssertInt());
        Assert.Equal(ca.Call("DUMP", mirror).Bytes, cb.Call("DUMP", key).Bytes);
        Assert.Equal(ca.Call("XINFO", "STREAM", mirror, "FULL", "COUNT", "0").ToString(), cb.Call("XINFO", "STREAM", key, "FULL", "COUNT", "0").ToString());
        Assert.Equal(ca.Call("XLEN", mirror).AssertInt(), cb.Call("XLEN", key).AssertInt());
        Assert.InRange(cb.Call("PTTL", key).AssertInt(), 500_000, 600_000);
        // It went in chunks: hundreds of messages (nodes of 100 entries, 200 entries a chunk; PELs), not one payload.
        long calls = RestoreCalls(cb) - callsBefore;
        output.WriteLine($"SLOTSRESTORE-ASYNC messages: {calls}");
        Assert.True(calls > N / 200, $"only {calls} restore messages");
        cb.Call("SLOTSCHECK").AssertOk();
    }

    [Fact]
    public void AHungTarget_TimesOut_LeavingTheSourceWhole_AndOnTheTargetOnlyACopyUnderTheTemporaryTtl()
    {
        using var a = CodisServerProcess.Start();
        using var b = CodisServerProcess.Start();
        using var relay = new TcpRelay(b.Port) { FreezeAfter = 256 * 1024 };
        int slot = 45;
        string key = $"{{{SlotKeys.TagInSlot(slot, "hung")}}}stream";
        using var ca = a.Client(60_000);
        Pipeline(ca, Entries(key, 1, 40_000, i => ["f", $"{i}", "payload", new string('p', 20)]));
        ca.Call("XGROUP", "CREATE", key, "g", "0").AssertOk();
        ca.Call("XREADGROUP", "GROUP", "g", "c", "COUNT", "5000", "STREAMS", key, ">");
        var before = ca.Call("DUMP", key).Bytes;

        var sw = Stopwatch.StartNew();
        var r = ca.Call("SLOTSMGRTTAGSLOT-ASYNC", "127.0.0.1", relay.Port.ToString(), "1000", "100", "33554432", slot.ToString(), "10");
        output.WriteLine($"{r} after {sw.ElapsedMilliseconds} ms");
        Assert.True(r.IsError, r.ToString());
        Assert.Contains("timeout", r.Text);

        using var cb = b.Client();
        Assert.Equal("stream", cb.Call("TYPE", key).Text);
        long xlen = cb.Call("XLEN", key).AssertInt();
        Assert.InRange(xlen, 1, 39_999); // half built
        Assert.InRange(cb.Call("PTTL", key).AssertInt(), 1, 3000); // the chunks' TTL: 3 × the timeout
        Assert.Equal(before, ca.Call("DUMP", key).Bytes);
        Assert.Equal(-1, ca.Call("PTTL", key).AssertInt());
        Eventually.True(() => cb.Call("EXISTS", key).Integer == 0, TimeSpan.FromSeconds(10), "the half-built copy to expire");

        // Straight to the target this time: it arrives whole.
        MigrateSlot(ca, b.Port, slot, 100, 10);
        Assert.Equal(before, cb.Call("DUMP", key).Bytes);
        Assert.Equal(-1, cb.Call("PTTL", key).AssertInt());
    }

    [Fact]
    public void AnXackFromAClientOutsideTheWrapper_KeepsTheStreamHere_AndItsCopyThereIsDeleted()
    {
        using var a = CodisServerProcess.Start();
        using var b = CodisServerProcess.Start();
        int slot = 555;
        string key = $"{{{SlotKeys.TagInSlot(slot, "ack")}}}stream";
        using var ca = a.Client(60_000);
        StreamWithGroup(ca, key, delivered: 50_000);

        // XACK signals no key (as in Redis: WATCH ignores it), yet the migration must see it.
        using var migrating = StartMigration(a, b.Port, slot);
        Eventually.True(() => ca.Call("SLOTSMGRT-ASYNC-STATUS").Items is { Length: 18 } status && status[17].Items is { Length: > 0 },
            TimeSpan.FromSeconds(10), "the batch to be in flight");
        Assert.Equal(1, ca.Call("XACK", key, "g", "7-0").AssertInt());
        var r = migrating.Read();
        Assert.Equal([0L, 1L], r.Items!.Select(i => i.Integer)); // nothing moved, the stream is still here

        using var cb = b.Client();
        Assert.Equal(0, cb.Call("EXISTS", key).AssertInt()); // its stale copy was deleted there
        Assert.Equal(49_999, ca.Call("XPENDING", key, "g").Items![0].Integer);
        var before = ca.Call("DUMP", key).Bytes;
        MigrateSlot(ca, b.Port, slot, 200, 10);
        Assert.Equal(before, cb.Call("DUMP", key).Bytes);
    }

    [Fact]
    public void GroupReadsAndClaimsThroughTheWrapper_WhileTheStreamMoves_AllArrive()
    {
        using var a = CodisServerProcess.Start();
        using var b = CodisServerProcess.Start();
        int slot = 556;
        string key = $"{{{SlotKeys.TagInSlot(slot, "rd")}}}stream";
        using var ca = a.Client(60_000);
        StreamWithGroup(ca, key, delivered: 20_000);

        using var migrating = StartMigration(a, b.Port, slot);
        // XREADGROUP (new consumers, deliveries, the group's position) and XCLAIM run here and are forwarded.
        int reads = 0, claims = 0;
        while (true)
        {
            // every read takes 10 new entries: stop before the 150,000 run out (a slow migration leaves time for that many)
            if (20_000 + 10 * (reads + 1) > 150_000) break;
            var w = ca.Call("SLOTSMGRT-EXEC-WRAPPER", key, "XREADGROUP", "GROUP", "g", $"r{reads % 3}", "COUNT", "10", "STREAMS", key, ">");
            if (w.Items![0].Integer != 2) break;
            reads++;
            w = ca.Call("SLOTSMGRT-EXEC-WRAPPER", key, "XCLAIM", key, "g", "z", "0", $"{reads * 7}-0", "JUSTID");
            if (w.Items![0].Integer != 2) break;
            claims++;
        }
        var r = migrating.Read();
        Assert.Equal([1L, 0L], r.Items!.Select(i => i.Integer));
        output.WriteLine($"{reads} group reads and {claims} claims forwarded");
        Assert.True(reads > 0 && claims > 0, "nothing ran while the stream moved");

        using var cb = b.Client();
        var pending = cb.Call("XPENDING", key, "g");
        long delivered = 20_000 + 10L * reads;
        Assert.Equal(delivered, pending.Items![0].Integer);
        var owners = pending.Items[3].Items!.ToDictionary(o => o.Items![0].Text!, o => long.Parse(o.Items![1].Text!, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(claims, owners["z"]); // every claimed ID was pending (delivered, not claimed before)
        Assert.Equal(delivered - claims, owners["c"] + owners["r0"] + owners["r1"] + owners["r2"]);
        int claimedFromC = Enumerable.Range(1, claims).Count(k => 7 * k <= 20_000);
        Assert.Equal(20_000 - claimedFromC, owners["c"]);
        var group = cb.Call("XINFO", "GROUPS", key).Items![0].Texts();
        Assert.Equal($"{20_000 + 10 * reads}-0", group[Array.IndexOf(group, "last-delivered-id") + 1]);
        Assert.Equal($"{20_000 + 10 * reads}", group[Array.IndexOf(group, "entries-read") + 1]);
    }

    [Fact]
    public void SlotWithSeveralBigStreamsAndSmallKeys_MovesWhole()
    {
        using var a = CodisServerProcess.Start();
        using var b = CodisServerProcess.Start();
        int slot = 900;
        var keys = SlotKeys.InSlot(slot, 16, "k");
        string s1 = keys[0], s2 = keys[1], s3 = keys[2], empty = keys[3], small = keys[4];
        using var ca = a.Client(60_000);
        // Same fields everywhere, with a group.
        Pipeline(ca, Entries(s1, 1, 20_000, i => ["a", $"{i}", "b", "x"]));
        ca.Call("XGROUP", "CREATE", s1, "g", "0").AssertOk();
        ca.Call("XREADGROUP", "GROUP", "g", "c1", "COUNT", "700", "STREAMS", s1, ">");
        // Fields differing per entry, deletions, an exact trim that leaves the first node partly deleted, a TTL.
        Pipeline(ca, Entries(s2, 1, 15_000, i => [$"f{i % 5}", $"{i}", .. (i % 3 == 0 ? new[] { "extra", "y" } : [])]));
        Pipeline(ca, Enumerable.Range(1, 2000).Select(j => new[] { "XDEL", s2, $"{5 * j}-0" }));
        ca.Call("XTRIM", s2, "MAXLEN", "12345").AssertInt();
        ca.Call("PEXPIRE", s2, "900000").AssertInt();
        // Big values: nodes cut by bytes.
        Pipeline(ca, Entries(s3, 1, 3000, i => ["blob", new string((char)('a' + i % 26), 300 + i % 50)]));
        // An emptied stream with a group (everything deleted, counters left) and small keys of several types.
        // (its consumers alone make it a big one: it goes in chunks with no node).
        Assert.Equal("5-5", ca.Call("XADD", empty, "5-5", "f", "v").Text);
        ca.Call("XGROUP", "CREATE", empty, "g", "$").AssertOk();
        ca.Call("XDEL", empty, "5-5").AssertInt();
        Pipeline(ca, Enumerable.Range(0, 150).Select(j => new[] { "XGROUP", "CREATECONSUMER", empty, "g", $"consumer-{j}" }));
        Pipeline(ca, Entries(small, 1, 30, i => ["f", $"{i}"]));
        for (int i = 5; i < keys.Count; i++) ca.Call("SET", keys[i], $"v{i}").AssertOk();
        var dumps = keys.ToDictionary(k => k, k => ca.Call("DUMP", k).Bytes);
        var info = new[] { s1, s2, s3, empty, small }.ToDictionary(k => k, k => ca.Call("XINFO", "STREAM", k, "FULL").ToString());

        int batches = MigrateSlot(ca, b.Port, slot, 100, 4);
        output.WriteLine($"{batches} batches");
        Assert.True(batches > 1);
        using var cb = b.Client(60_000);
        Assert.Equal(0, ca.Call("DBSIZE").AssertInt());
        Assert.Equal(keys.Count, cb.Call("DBSIZE").AssertInt());
        foreach (var k in keys) Assert.True(dumps[k]!.SequenceEqual(cb.Call("DUMP", k).Bytes!), $"DUMP of {k} differs");
        foreach (var (k, v) in info) Assert.Equal(v, cb.Call("XINFO", "STREAM", k, "FULL").ToString());
        Assert.InRange(cb.Call("PTTL", s2).AssertInt(), 800_000, 900_000);
        Assert.Equal(-1, cb.Call("PTTL", s1).AssertInt());
        // The moved streams keep working: XADD cuts nodes where the source would have.
        Assert.Equal("20001-0", cb.Call("XADD", s1, "20001-0", "a", "1", "b", "x").Text);
        Assert.Equal(700, cb.Call("XPENDING", s1, "g").Items![0].Integer);
        Assert.Equal(20_001, cb.Call("XLEN", s1).AssertInt());
        cb.Call("SLOTSCHECK").AssertOk();
    }

    [Fact]
    public void TheTargetRefusesBadStreamChunks_AndKeepsServing()
    {
        using var b = CodisServerProcess.Start();
        var id = new byte[16];
        id[7] = 1;
        string[] Ack(RespValue v) => v.Texts();
        using (var c = b.Client())
        {
            var r = Ack(c.Call([B("SLOTSRESTORE-ASYNC"), B("stream"), B("k"), B("1000"), B("5"), id, B("not a listpack")]));
            Assert.Equal("-1", r[1]);
            Assert.Contains("invalid stream chunk", r[2]);
        }
        using (var c = b.Client())
        {
            Assert.Contains("doesn't exist", Ack(c.Call("SLOTSRESTORE-ASYNC", "stream-pel", "k", "1000", "g", "1-0", "c", "1", "1"))[2]);
        }
        using (var c = b.Client())
        {
            // A valid empty first chunk creates the key; a group then its PEL entry naming an unknown consumer.
            Assert.Equal("0", Ack(c.Call("SLOTSRESTORE-ASYNC", "stream", "k", "1000", "0"))[1]);
            Assert.Equal("0", Ack(c.Call("SLOTSRESTORE-ASYNC", "stream-group", "k", "1000", "g", "0-0", "0"))[1]);
            var r = Ack(c.Call("SLOTSRESTORE-ASYNC", "stream-pel", "k", "1000", "g", "1-0", "nobody", "1", "1"));
            Assert.Equal("-1", r[1]);
            Assert.Contains("no such stream consumer", r[2]);
        }
        using (var c = b.Client())
        {
            var r = Ack(c.Call("SLOTSRESTORE-ASYNC", "stream-meta", "k", "1000", "7", "1-0", "1-0", "0-0", "7"));
            Assert.Contains("stream length mismatch", r[2]);
        }
        using (var c = b.Client())
        {
            // What arrived before the refusal stays only under the chunks' temporary TTL.
            Assert.Equal("stream", c.Call("TYPE", "k").Text);
            Assert.InRange(c.Call("PTTL", "k").AssertInt(), 1, 1000);
        }
        using (var c = b.Client())
        {
            c.Call("SET", "x", "1").AssertOk();
            Assert.Contains("wrong type", Ack(c.Call("SLOTSRESTORE-ASYNC", "stream", "x", "1000", "0"))[2]);
        }
        using (var c = b.Client())
        {
            // Each refusal closed only that link; the value of another type is untouched.
            Assert.Equal("1", c.Call("GET", "x").Text);
            Assert.Equal("PONG", c.Call("PING").Text);
        }
    }

    [Fact]
    public void AStreamMovedInChunks_IsRebuiltFromTheTargetsAof()
    {
        using var a = CodisServerProcess.Start("--save", "");
        string dir = Directory.CreateTempSubdirectory("codis-stream-mgrt-aof-").FullName;
        int slot = 13;
        string key = $"{{{SlotKeys.TagInSlot(slot, "aof")}}}stream";
        using var ca = a.Client(60_000);
        Pipeline(ca, Entries(key, 1, 6000, i => ["f", $"{i}", .. (i % 4 == 0 ? new[] { "g", "h" } : [])]));
        Pipeline(ca, Enumerable.Range(1, 400).Select(j => new[] { "XDEL", key, $"{7 * j}-0" }));
        ca.Call("XGROUP", "CREATE", key, "g", "0").AssertOk();
        ca.Call("XREADGROUP", "GROUP", "g", "c", "COUNT", "200", "STREAMS", key, ">");
        ca.Call("PEXPIRE", key, "800000").AssertInt();
        var before = ca.Call("DUMP", key).Bytes;
        using (var b = CodisServerProcess.StartIn(dir, "--save", "", "--appendonly", "yes", "--appendfsync", "always"))
        {
            MigrateSlot(ca, b.Port, slot, 100, 10);
            using var cb = b.Client();
            Assert.Equal(before, cb.Call("DUMP", key).Bytes);
            b.Kill();
        }
        using (var b = CodisServerProcess.StartIn(dir, "--save", "", "--appendonly", "yes"))
        {
            using var cb = b.Client();
            Assert.Equal(before, cb.Call("DUMP", key).Bytes);
            Assert.InRange(cb.Call("PTTL", key).AssertInt(), 700_000, 800_000);
        }
    }

    [Fact]
    public void AStreamMovedInChunks_ReachesTheTargetReplica_Identical()
    {
        using var a = CodisServerProcess.Start("--save", "");
        using var b = CodisServerProcess.Start("--save", "");
        using var rb = CodisServerProcess.Start("--save", "", "--replicaof", $"127.0.0.1 {b.Port}");
        int slot = 12;
        string key = $"{{{SlotKeys.TagInSlot(slot, "rep")}}}stream";
        using var ca = a.Client(60_000);
        Pipeline(ca, Entries(key, 1, 8000, i => ["f", $"{i}"]));
        Pipeline(ca, Enumerable.Range(1, 500).Select(j => new[] { "XDEL", key, $"{3 * j}-0" }));
        ca.Call("XGROUP", "CREATE", key, "g", "0").AssertOk();
        ca.Call("XREADGROUP", "GROUP", "g", "c", "COUNT", "300", "STREAMS", key, ">");
        ca.Call("PEXPIRE", key, "700000").AssertInt();
        var before = ca.Call("DUMP", key).Bytes;
        using var crb = rb.Client();
        Eventually.True(() => crb.Call("INFO", "replication").Text!.Contains("master_link_status:up"), TimeSpan.FromSeconds(30), "the replica to connect");

        MigrateSlot(ca, b.Port, slot, 100, 10);
        Eventually.True(() => crb.Call("EXISTS", key).Integer == 1 && crb.Call("XLEN", key).Integer == 7500 && crb.Call("PTTL", key).Integer > 600_000,
            TimeSpan.FromSeconds(30), "the target replica to get the stream");
        Eventually.True(() => before!.SequenceEqual(crb.Call("DUMP", key).Bytes!), TimeSpan.FromSeconds(10), "the replica's stream to match");
    }
}
