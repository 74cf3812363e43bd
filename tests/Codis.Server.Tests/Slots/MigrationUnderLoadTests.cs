using System.Diagnostics;
using System.Text;
using Codis.Core.Resp;
using Codis.Core.Slots;
using Codis.Server.Tests.Infrastructure;
using Codis.Testing;
using Xunit.Abstractions;

namespace Codis.Server.Tests.Slots;

/// <summary>
/// Whole-slot migrations between two real codis-servers while a client keeps writing and reading, the way a proxy
/// does during migration: sync mode (SLOTSMGRTTAGONE before touching a key of a migrating slot) and semi-async mode
/// (SLOTSMGRT-EXEC-WRAPPER). Afterwards the target holds every key with its value and TTL and the source none.
/// </summary>
public class MigrationUnderLoadTests(ITestOutputHelper output)
{
    private const int NotStarted = 0, Migrating = 1, Done = 2;

    /// <summary>A key's value and the window its deadline must lie in (unix ms; 0 = persistent).</summary>
    private sealed record Expected(string Value, long ExpireMin, long ExpireMax)
    {
        public Expected(string value, long before, long after, long ttl)
            : this(value, ttl == 0 ? 0 : before + ttl, ttl == 0 ? 0 : after + ttl) { }
    }

    private static long NowMs => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    /// <summary>
    /// Routing of the emulated proxy: the state of each slot, changed by the migration driver under the slot's lock
    /// while no request of the writer is in flight for it (the proxy's slot barrier).
    /// </summary>
    private sealed class Routing
    {
        public readonly int[] State = new int[SlotHash.SlotCount];
        public readonly object[] Locks = Enumerable.Range(0, SlotHash.SlotCount).Select(_ => new object()).ToArray();

        public void Set(int slot, int state)
        {
            lock (Locks[slot]) State[slot] = state;
        }
    }

    [Fact]
    public async Task SyncMigration_OfAllSlots_WhileAClientWrites_MovesEveryKeyWithItsTtl()
    {
        using var a = CodisServerProcess.Start();
        using var b = CodisServerProcess.Start();
        var expected = new Dictionary<string, Expected>();
        var sw = Stopwatch.StartNew();
        Load(a, expected, 100_000);
        output.WriteLine($"loaded {expected.Count} keys in {sw.ElapsedMilliseconds} ms");

        var routing = new Routing();
        using var stop = new CancellationTokenSource();
        string host = "127.0.0.1", port = b.Port.ToString();
        long writes = 0, reads = 0;
        var writer = Task.Run(() =>
        {
            using var ca = a.Client();
            using var cb = b.Client();
            var rnd = new Random(7);
            var loaded = expected.Keys.ToArray();
            for (long n = 0; !stop.IsCancellationRequested; n++)
            {
                string key = n % 2 == 0 ? loaded[rnd.Next(loaded.Length)] : n % 6 == 1 ? $"{{wt{n / 18}}}:w{n}" : $"w:{n}";
                int slot = SlotHash.Slot(Encoding.UTF8.GetBytes(key));
                lock (routing.Locks[slot])
                {
                    var target = Route(routing.State[slot], ca, cb, key, host, port);
                    if (n % 5 == 4 && expected.TryGetValue(key, out var want))
                    {
                        Assert.Equal(want.Value, target.Call("GET", key).Text);
                        reads++;
                        continue;
                    }
                    string value = $"written-{n}";
                    long ttl = n % 3 == 0 ? 0 : 300_000 + n % 1000;
                    long before = NowMs;
                    var reply = ttl == 0 ? target.Call("SET", key, value) : target.Call("SET", key, value, "PX", ttl);
                    reply.AssertOk();
                    lock (expected) expected[key] = new Expected(value, before, NowMs, ttl);
                    writes++;
                }
            }
        });

        sw.Restart();
        long calls = 0;
        var drivers = Enumerable.Range(0, 2).Select(id => Task.Run(() =>
        {
            using var c = a.Client();
            for (int slot = id; slot < SlotHash.SlotCount; slot += 2)
            {
                routing.Set(slot, Migrating);
                while (true)
                {
                    var r = c.Call("SLOTSMGRTTAGSLOT", host, port, "5000", slot);
                    Assert.True(r.Type == RespType.Array, $"slot {slot}: {r}");
                    Interlocked.Increment(ref calls);
                    if (r.Items![1].Integer == 0) break;
                }
                routing.Set(slot, Done);
            }
        })).ToArray();
        await Task.WhenAll(drivers);
        stop.Cancel();
        await writer;
        output.WriteLine($"migrated 1024 slots in {sw.ElapsedMilliseconds} ms with {calls} SLOTSMGRTTAGSLOT calls; the writer did {writes} writes and {reads} checked reads meanwhile");
        Assert.True(writes > 100, $"the writer only managed {writes} writes");

        Verify(a, b, expected);
    }

    [Fact]
    public async Task SemiAsyncMigration_OfSlots_WhileAClientWritesThroughExecWrapper()
    {
        using var a = CodisServerProcess.Start();
        using var b = CodisServerProcess.Start();
        int[] slots = [500, 501, 502, 503];
        var expected = new Dictionary<string, Expected>();
        var keys = new List<string>();
        var bySlot = new Dictionary<int, List<string>>();
        var fresh = new Dictionary<int, Queue<string>>();
        var loaded = SlotKeys.InSlots(slots, 1500, "sa");
        var unused = SlotKeys.InSlots(slots, 800, "sa-new");
        foreach (int s in slots)
        {
            var inSlot = loaded[s];
            string tag = SlotKeys.TagInSlot(s, "sag");
            for (int i = 0; i < 40; i++) inSlot.Add($"{{{tag}}}:{i}");
            keys.AddRange(inSlot);
            bySlot[s] = inSlot;
            fresh[s] = new Queue<string>(unused[s]);
        }
        using (var c = a.Client())
        {
            long before = NowMs;
            Pipeline(c, keys.Select((k, i) => i % 2 == 0 ? new[] { "SET", k, "v" + i } : ["SET", k, "v" + i, "PX", (400_000 + i).ToString()]));
            long after = NowMs;
            for (int i = 0; i < keys.Count; i++) expected[keys[i]] = new Expected("v" + i, before, after, i % 2 == 0 ? 0 : 400_000 + i);
        }

        var routing = new Routing();
        using var stop = new CancellationTokenSource();
        string host = "127.0.0.1", port = b.Port.ToString();
        long writes = 0, retries = 0, wrapped = 0, reads = 0, direct = 0;
        var writer = Task.Run(() =>
        {
            using var ca = a.Client();
            using var cb = b.Client();
            var rnd = new Random(11);
            for (long n = 0; !stop.IsCancellationRequested; n++)
            {
                // Mostly keys of the slot being migrated, where the interesting races are.
                int migrating = slots.FirstOrDefault(s => routing.State[s] == Migrating, slots[n % 4]);
                int pick = n % 4 == 0 ? slots[rnd.Next(4)] : migrating;
                string key = n % 5 == 0 && fresh[pick].Count > 0 ? fresh[pick].Dequeue() : bySlot[pick][rnd.Next(bySlot[pick].Count)];
                int slot = SlotHash.Slot(Encoding.UTF8.GetBytes(key));
                bool read = n % 4 == 3 && expected.ContainsKey(key);
                string value = $"w{n}";
                long ttl = n % 2 == 0 ? 0 : 200_000;
                string[] cmd = read ? ["GET", key] : ttl == 0 ? ["SET", key, value] : ["SET", key, value, "PX", ttl.ToString()];
                lock (routing.Locks[slot])
                {
                    long before = NowMs;
                    RespValue reply;
                    int state = routing.State[slot];
                    if (state == NotStarted) reply = ca.Call(cmd);
                    else if (state == Done) reply = cb.Call(cmd);
                    else if (!read && n % 7 == 0)
                    {
                        // A client that ignores the protocol and writes to the source directly: the batch that
                        // carries this key must not lose the write (the key stays here, its copy there is dropped).
                        reply = ca.Call(cmd);
                        direct++;
                    }
                    else
                    {
                        // The semi-async proxy: ask the source to run it; absent there → the target; in flight → retry.
                        while (true)
                        {
                            var w = ca.Call(["SLOTSMGRT-EXEC-WRAPPER", key, .. cmd]);
                            Assert.True(w.Type == RespType.Array && w.Items!.Length == 2, $"wrapper reply {w}");
                            long code = w.Items[0].Integer;
                            if (code == 2) { reply = w.Items[1]; wrapped++; break; }
                            if (code == 0) { reply = cb.Call(cmd); break; }
                            Assert.Equal(1, code);
                            retries++;
                            Thread.Sleep(retries % 5 == 0 ? 1 : 0);
                        }
                    }
                    if (read)
                    {
                        Assert.Equal(expected[key].Value, reply.Text);
                        reads++;
                    }
                    else
                    {
                        reply.AssertOk();
                        lock (expected) expected[key] = new Expected(value, before, NowMs, ttl);
                        writes++;
                    }
                }
            }
        });

        var sw = Stopwatch.StartNew();
        long batches = 0;
        using (var c = a.Client())
        {
            Thread.Sleep(100); // let the writer start on the source
            foreach (int slot in slots)
            {
                routing.Set(slot, Migrating);
                while (true)
                {
                    var r = c.Call("SLOTSMGRTTAGSLOT-ASYNC", host, port, "5000", "200", "0", slot, "20");
                    Assert.True(r.Type == RespType.Array, $"slot {slot}: {r}");
                    batches++;
                    if (r.Items![1].Integer != 0) continue;
                    // Finished only if the protocol-ignoring writer did not add a key here since that reply.
                    lock (routing.Locks[slot])
                    {
                        if (c.Call("SLOTSINFO", slot, "1").Items!.Length != 0) continue;
                        routing.State[slot] = Done;
                        break;
                    }
                }
            }
        }
        stop.Cancel();
        await writer;
        output.WriteLine($"moved {slots.Length} slots in {batches} batches, {sw.ElapsedMilliseconds} ms; writer: {writes} writes ({direct} straight to the source), {reads} checked reads, {wrapped} run by the source, {retries} retries");
        Assert.True(writes > 50, $"the writer only managed {writes} writes");
        Verify(a, b, expected);
    }

    /// <summary>What the proxy in sync mode does before a request on a migrating slot: have the source move the key.</summary>
    private static RespClient Route(int state, RespClient source, RespClient target, string key, string host, string port)
    {
        if (state == NotStarted) return source;
        if (state == Migrating)
        {
            var moved = source.Call("SLOTSMGRTTAGONE", host, port, "5000", key);
            Assert.True(moved.Type == RespType.Integer, $"SLOTSMGRTTAGONE {key}: {moved}");
        }
        return target;
    }

    /// <summary>
    /// <paramref name="count"/> keys over all slots: half in tag groups of ten, a third persistent, the rest with
    /// TTLs of 10 minutes or an hour.
    /// </summary>
    private static void Load(CodisServerProcess server, Dictionary<string, Expected> expected, int count)
    {
        using var c = server.Client();
        var commands = new List<string[]>(count);
        var ttls = new long[count];
        for (int i = 0; i < count; i++)
        {
            string key = i % 2 == 0 ? $"{{tag:{i / 20}}}:{i}" : $"key:{i}";
            string value = "value-" + i;
            ttls[i] = (i % 3) switch { 0 => 0, 1 => 600_000 + i, _ => 3_600_000 };
            commands.Add(ttls[i] switch
            {
                0 => ["SET", key, value],
                3_600_000 => ["SET", key, value, "EX", "3600"],
                _ => ["SET", key, value, "PX", ttls[i].ToString()],
            });
        }
        long before = NowMs;
        Pipeline(c, commands);
        long after = NowMs;
        for (int i = 0; i < count; i++) expected[commands[i][1]] = new Expected(commands[i][2], before, after, ttls[i]);
        Assert.Equal(count, c.Call("DBSIZE").AssertInt());
        var info = c.Call("SLOTSINFO");
        Assert.Equal(SlotHash.SlotCount, info.Items!.Length); // every slot holds keys
    }

    private static List<RespValue> Pipeline(RespClient c, IEnumerable<string[]> commands)
    {
        var replies = new List<RespValue>();
        foreach (var chunk in commands.Chunk(1000))
        {
            using var ms = new MemoryStream();
            foreach (var cmd in chunk) RespValue.WriteCommand(ms, cmd.Select(Encoding.UTF8.GetBytes).ToArray());
            c.SendRaw(ms.ToArray());
            for (int i = 0; i < chunk.Length; i++)
            {
                var r = c.Read();
                Assert.False(r.IsError, $"{string.Join(' ', chunk[i])}: {r}");
                replies.Add(r);
            }
        }
        return replies;
    }

    /// <summary>The source is empty; the target holds exactly the expected keys, values and TTLs (within 10 s).</summary>
    private void Verify(CodisServerProcess a, CodisServerProcess b, Dictionary<string, Expected> expected)
    {
        using var ca = a.Client();
        using var cb = b.Client();
        Assert.Equal(0, ca.Call("DBSIZE").AssertInt());
        Assert.Equal(expected.Count, cb.Call("DBSIZE").AssertInt());
        var entries = expected.ToArray();
        long before = NowMs;
        var replies = Pipeline(cb, entries.SelectMany(e => new[] { new[] { "GET", e.Key }, ["PTTL", e.Key] }));
        long after = NowMs;
        int ttlChecked = 0;
        for (int i = 0; i < entries.Length; i++)
        {
            var (key, want) = entries[i];
            Assert.True(want.Value == replies[2 * i].Text, $"{key}: expected '{want.Value}', target has '{replies[2 * i].Text}'");
            long pttl = replies[2 * i + 1].Integer;
            if (want.ExpireMin == 0)
            {
                Assert.True(pttl == -1, $"{key} should be persistent, PTTL {pttl}");
            }
            else
            {
                // The deadline was set between two clock readings, PTTL read between two others; 2 s of slack (the move adds its transit time).
                long lo = want.ExpireMin - after - 2000, hi = want.ExpireMax - before + 2000;
                Assert.True(pttl >= lo && pttl <= hi, $"{key}: PTTL {pttl}, expected within [{lo}, {hi}]");
                ttlChecked++;
            }
        }
        ca.Call("SLOTSCHECK").AssertOk();
        cb.Call("SLOTSCHECK").AssertOk();
        output.WriteLine($"verified {entries.Length} keys on the target ({ttlChecked} with TTL)");
    }
}
