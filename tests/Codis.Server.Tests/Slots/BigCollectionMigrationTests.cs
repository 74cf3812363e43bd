using System.Diagnostics;
using System.Globalization;
using System.Text;
using Codis.Core.Resp;
using Codis.Core.Slots;
using Codis.Server.Tests.Infrastructure;
using Codis.Testing;
using Xunit.Abstractions;

namespace Codis.Server.Tests.Slots;

/// <summary>
/// Semi-async migration of a slot holding a hash and a sorted set of 1,000,000 elements each, plus a key of every
/// other type, between two real codis-servers while clients keep reading and writing all of them the way a
/// semi-async proxy does (SLOTSMGRT-EXEC-WRAPPER on the source; absent there → the target; "being migrated" →
/// retry). The big values go in chunks, writes to them are served at once and forwarded; nothing is lost, and the
/// longest a client request waits (retries included) is measured.
/// </summary>
public class BigCollectionMigrationTests(ITestOutputHelper output)
{
    private const int Big = 1_000_000;
    private const int NotStarted = 0, Migrating = 1, Done = 2;

    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    /// <summary>Sends commands pipelined, encoded in blocks of 100, and checks that none failed.</summary>
    private static void Pipeline(RespClient c, IEnumerable<List<byte[]>> commands)
    {
        foreach (var block in commands.Chunk(100))
        {
            using var ms = new MemoryStream();
            foreach (var cmd in block) RespValue.WriteCommand(ms, cmd);
            c.SendRaw(ms.ToArray());
            c.Flush();
            for (int i = 0; i < block.Length; i++)
            {
                var r = c.Read();
                Assert.False(r.IsError, r.ToString());
            }
        }
    }

    private static IEnumerable<List<byte[]>> Fill(string command, string key, int count, Func<int, string[]> element)
    {
        for (int i = 0; i < count; i += 1000)
        {
            var cmd = new List<byte[]> { B(command), B(key) };
            for (int j = i; j < Math.Min(count, i + 1000); j++) cmd.AddRange(element(j).Select(B));
            yield return cmd;
        }
    }

    /// <summary>The emulated proxy: routes one request by the slot's migration state and times it.</summary>
    private sealed class Proxy(RespClient source, RespClient target, int[] state, object gate)
    {
        public long Requests, Retries, Forwarded;
        public double MaxWaitMs;
        public string MaxWaitCommand = "";
        private readonly List<double> waits = new();

        public RespValue Call(params string[] cmd)
        {
            var sw = Stopwatch.StartNew();
            RespValue reply;
            lock (gate)
            {
                int s = state[0];
                if (s == NotStarted) reply = source.Call(cmd);
                else if (s == Done) reply = target.Call(cmd);
                else
                {
                    while (true)
                    {
                        var w = source.Call(["SLOTSMGRT-EXEC-WRAPPER", cmd[1], .. cmd]);
                        Assert.True(w.Type == RespType.Array && w.Items!.Length == 2, $"wrapper reply {w}");
                        long code = w.Items[0].Integer;
                        if (code == 2)
                        {
                            reply = w.Items[1];
                            Forwarded++;
                            break;
                        }
                        if (code == 0)
                        {
                            reply = target.Call(cmd);
                            break;
                        }
                        Assert.Equal(1, code);
                        Retries++;
                        Thread.Sleep(Retries % 5 == 0 ? 1 : 0);
                    }
                }
            }
            double ms = sw.Elapsed.TotalMilliseconds;
            Requests++;
            waits.Add(ms);
            if (ms > MaxWaitMs)
            {
                MaxWaitMs = ms;
                MaxWaitCommand = string.Join(' ', cmd.Take(3));
            }
            Assert.False(reply.IsError, $"{string.Join(' ', cmd)}: {reply}");
            return reply;
        }

        public double Percentile(double p)
        {
            var sorted = waits.Order().ToArray();
            return sorted.Length == 0 ? 0 : sorted[(int)Math.Min(sorted.Length - 1, sorted.Length * p)];
        }
    }

    [Fact]
    public async Task HashAndZsetOfAMillion_AndEveryType_MoveWhileClientsReadAndWrite()
    {
        using var a = CodisServerProcess.Start();
        using var b = CodisServerProcess.Start();
        int slot = 777;
        string hTag = SlotKeys.TagInSlot(slot, "h"), zTag = SlotKeys.TagInSlot(slot, "z");
        string hash = $"{{{hTag}}}big-hash", zset = $"{{{zTag}}}big-zset";
        var small = SlotKeys.InSlot(slot, 6, "small");
        string str = small[0], list = small[1], set = small[2], smallHash = small[3], smallZset = small[4], hll = small[5];

        var sw = Stopwatch.StartNew();
        using (var c = a.Client(60_000))
        {
            Pipeline(c, Fill("HSET", hash, Big, i => [$"f:{i}", $"v:{i}"]));
            Pipeline(c, Fill("ZADD", zset, Big, i => [(i * 0.5).ToString(CultureInfo.InvariantCulture), $"m:{i}"]));
            c.Call("SET", str, "s0").AssertOk();
            Pipeline(c, Fill("RPUSH", list, 5000, i => [$"l:{i}"]));
            Pipeline(c, Fill("SADD", set, 5000, i => [$"s:{i}"]));
            Pipeline(c, Fill("HSET", smallHash, 50, i => [$"f:{i}", $"v:{i}"]));
            Pipeline(c, Fill("ZADD", smallZset, 50, i => [i.ToString(CultureInfo.InvariantCulture), $"m:{i}"]));
            Pipeline(c, Fill("PFADD", hll, 3000, i => [$"e:{i}"]));
            c.Call("PEXPIRE", list, "600000").AssertInt();
            Assert.Equal(Big, c.Call("HLEN", hash).AssertInt());
            Assert.Equal(Big, c.Call("ZCARD", zset).AssertInt());
        }
        output.WriteLine($"loaded in {sw.ElapsedMilliseconds} ms");

        // What the clients write, to check on the target afterwards.
        var hashWrites = new Dictionary<string, string>();
        var zsetWrites = new Dictionary<string, double>();
        string strValue = "s0";
        int listLength = 5000, setSize = 5000;
        var smallHashModel = Enumerable.Range(0, 50).ToDictionary(i => $"f:{i}", i => $"v:{i}");

        var state = new int[1];
        // Each client's requests and the driver's switch of the routing exclude each other (the proxy's slot barrier).
        object bigGate = new(), smallGate = new();
        using var stop = new CancellationTokenSource();
        Proxy? bigProxy = null, smallProxy = null;

        // One client on the two big keys, one on every other key: both keep going during the whole migration.
        var bigClient = Task.Run(() =>
        {
            using var s = a.Client();
            using var t = b.Client();
            var p = bigProxy = new Proxy(s, t, state, bigGate);
            var rnd = new Random(1);
            for (long n = 0; !stop.IsCancellationRequested; n++)
            {
                int i = rnd.Next(Big);
                switch (n % 6)
                {
                    case 0:
                        Assert.Equal(1, p.Call("HSET", hash, $"new:{n}", $"nv:{n}").AssertInt());
                        hashWrites[$"new:{n}"] = $"nv:{n}";
                        break;
                    case 1:
                        p.Call("HSET", hash, $"f:{i}", $"w:{n}").AssertInt();
                        hashWrites[$"f:{i}"] = $"w:{n}";
                        break;
                    case 2:
                        string f = $"f:{i}";
                        Assert.Equal(hashWrites.TryGetValue(f, out var want) ? want : $"v:{i}", p.Call("HGET", hash, f).Text);
                        break;
                    case 3:
                        p.Call("ZADD", zset, n.ToString(CultureInfo.InvariantCulture), $"new:{n}").AssertInt();
                        zsetWrites[$"new:{n}"] = n;
                        break;
                    case 4:
                        string m = $"m:{i}";
                        double before = zsetWrites.TryGetValue(m, out var sc) ? sc : i * 0.5;
                        Assert.Equal(before + 1, double.Parse(p.Call("ZINCRBY", zset, "1", m).Text!, CultureInfo.InvariantCulture));
                        zsetWrites[m] = before + 1;
                        break;
                    default:
                        string r = $"m:{i}";
                        double expect = zsetWrites.TryGetValue(r, out var sc2) ? sc2 : i * 0.5;
                        Assert.Equal(expect, double.Parse(p.Call("ZSCORE", zset, r).Text!, CultureInfo.InvariantCulture));
                        break;
                }
            }
        });
        var smallClient = Task.Run(() =>
        {
            using var s = a.Client();
            using var t = b.Client();
            var p = smallProxy = new Proxy(s, t, state, smallGate);
            for (long n = 0; !stop.IsCancellationRequested; n++)
            {
                switch (n % 7)
                {
                    case 0:
                        p.Call("SET", str, $"s{n}").AssertOk();
                        strValue = $"s{n}";
                        break;
                    case 1:
                        Assert.Equal(strValue, p.Call("GET", str).Text);
                        break;
                    case 2:
                        Assert.Equal(++listLength, p.Call("RPUSH", list, $"l:{listLength - 1}").AssertInt());
                        break;
                    case 3:
                        Assert.Equal(1, p.Call("SADD", set, $"s:{setSize}").AssertInt());
                        setSize++;
                        break;
                    case 4:
                        p.Call("HSET", smallHash, $"f:{n % 80}", $"x{n}").AssertInt();
                        smallHashModel[$"f:{n % 80}"] = $"x{n}";
                        break;
                    case 5:
                        p.Call("PFADD", hll, $"more:{n}").AssertInt();
                        break;
                    default:
                        Assert.Equal(listLength, p.Call("LLEN", list).AssertInt());
                        break;
                }
            }
        });

        await Task.Delay(300);
        sw.Restart();
        long batches = 0;
        var timeout = TimeSpan.FromSeconds(45);
        using (var c = a.Client(60_000))
        {
            lock (bigGate) lock (smallGate) state[0] = Migrating;
            while (true)
            {
                Assert.True(sw.Elapsed < timeout, "the migration did not finish in time");
                Assert.False(bigClient.IsFaulted || smallClient.IsFaulted, "a client failed");
                var r = c.Call("SLOTSMGRTTAGSLOT-ASYNC", "127.0.0.1", b.Port.ToString(), "5000", "200", "33554432", slot.ToString(), "500");
                Assert.True(r.Type == RespType.Array, $"slot {slot}: {r}");
                batches++;
                if (r.Items![1].Integer != 0) continue;
                lock (bigGate) lock (smallGate)
                {
                    if (c.Call("SLOTSINFO", slot.ToString(), "1").Items!.Length != 0) continue;
                    state[0] = Done;
                    break;
                }
            }
        }
        long migrationMs = sw.ElapsedMilliseconds;
        await Task.Delay(200); // a little traffic on the target afterwards
        stop.Cancel();
        await Task.WhenAll(bigClient, smallClient);
        var bp = bigProxy!;
        var sp = smallProxy!;
        output.WriteLine($"migrated in {migrationMs} ms, {batches} batches");
        output.WriteLine($"big-key client: {bp.Requests} requests, {bp.Forwarded} run by the source, {bp.Retries} retries, max wait {bp.MaxWaitMs:F1} ms ({bp.MaxWaitCommand}), p99 {bp.Percentile(0.99):F2} ms");
        output.WriteLine($"other-keys client: {sp.Requests} requests, {sp.Forwarded} run by the source, {sp.Retries} retries, max wait {sp.MaxWaitMs:F1} ms ({sp.MaxWaitCommand}), p99 {sp.Percentile(0.99):F2} ms");

        // Everything arrived whole, with every write.
        using var ca = a.Client();
        using var cb = b.Client(60_000);
        Assert.Equal(0, ca.Call("DBSIZE").AssertInt());
        Assert.Equal(8, cb.Call("DBSIZE").AssertInt());
        int newFields = hashWrites.Keys.Count(k => k.StartsWith("new:", StringComparison.Ordinal));
        Assert.Equal(Big + newFields, cb.Call("HLEN", hash).AssertInt());
        foreach (var chunk in hashWrites.Chunk(500))
        {
            var got = cb.Call(["HMGET", hash, .. chunk.Select(kv => kv.Key)]).Strings();
            Assert.Equal(chunk.Select(kv => kv.Value), got);
        }
        var sample = new Random(2);
        for (int k = 0; k < 200; k++)
        {
            int i = sample.Next(Big);
            Assert.Equal(hashWrites.TryGetValue($"f:{i}", out var v) ? v : $"v:{i}", cb.Call("HGET", hash, $"f:{i}").Text);
            double want = zsetWrites.TryGetValue($"m:{i}", out var sc) ? sc : i * 0.5;
            Assert.Equal(want, double.Parse(cb.Call("ZSCORE", zset, $"m:{i}").Text!, CultureInfo.InvariantCulture));
        }
        int newMembers = zsetWrites.Keys.Count(k => k.StartsWith("new:", StringComparison.Ordinal));
        Assert.Equal(Big + newMembers, cb.Call("ZCARD", zset).AssertInt());
        foreach (var (member, score) in zsetWrites)
            Assert.Equal(score, double.Parse(cb.Call("ZSCORE", zset, member).Text!, CultureInfo.InvariantCulture));
        Assert.Equal(strValue, cb.Call("GET", str).Text);
        Assert.Equal(listLength, cb.Call("LLEN", list).AssertInt());
        Assert.Equal(Enumerable.Range(0, listLength).Select(i => $"l:{i}"), cb.Call("LRANGE", list, "0", "-1").Strings());
        Assert.InRange(cb.Call("PTTL", list).AssertInt(), 500_000, 600_000);
        Assert.Equal(setSize, cb.Call("SCARD", set).AssertInt());
        var hgetall = cb.Call("HGETALL", smallHash).Strings().Chunk(2).ToDictionary(p => p[0]!, p => p[1]!);
        Assert.Equal(smallHashModel.OrderBy(kv => kv.Key, StringComparer.Ordinal), hgetall.OrderBy(kv => kv.Key, StringComparer.Ordinal));
        Assert.Equal(50, cb.Call("ZCARD", smallZset).AssertInt());
        Assert.InRange(cb.Call("PFCOUNT", hll).AssertInt(), 3000, 3000 + sp.Requests);
        cb.Call("SLOTSCHECK").AssertOk();

        // Writes to the big keys never waited for them to move: the source ran them and forwarded them.
        Assert.Equal(0, bp.Retries);
        Assert.True(bp.Forwarded > 0, "no request on the big keys ran on the source during the migration");
        // The servers kept serving: no request waited long (the proxy's retries included). Very generous against
        // the 100 ms goal, because this machine is shared; bench/big-migration.sh measures it (bench/RESULTS.md).
        // Sending a big key whole would block the target for seconds, and a client waiting for the key to move
        // would wait about as long as the key's migration.
        Assert.True(bp.MaxWaitMs < 3000, $"a request on the big keys waited {bp.MaxWaitMs:F0} ms");
        Assert.True(sp.MaxWaitMs < 3000, $"a request on the other keys waited {sp.MaxWaitMs:F0} ms");
    }
}
