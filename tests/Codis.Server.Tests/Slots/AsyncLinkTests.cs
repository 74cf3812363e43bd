using System.Diagnostics;
using System.Text;
using Codis.Core.Resp;
using Codis.Server.Tests.Infrastructure;

namespace Codis.Server.Tests.Slots;

/// <summary>
/// What the semi-async source's encoder and link must not get wrong: exact bytes and TTLs of any key, tag groups
/// kept whole across batch boundaries, a target that stops reading (the link's background write, without the
/// keyspace lock held) and a target that closes while a batch is being written.
/// </summary>
public class AsyncLinkTests(PairFixture fx) : IClassFixture<PairFixture>
{
    private string Port => fx.Target.Port.ToString();

    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    [Fact]
    public void BinaryKeysValuesAndTtls_ArriveExactly()
    {
        using var a = fx.SourceClient(1);
        using var b = fx.TargetClient(1);
        var all = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
        var big = new byte[200_000]; // beyond the link's first output block
        new Random(7).NextBytes(big);
        var keys = new List<(byte[] Key, byte[] Value, long Ttl)>
        {
            (all, all, 0),
            ("k\r\n$3\r\n*1\r\n"u8.ToArray(), "v\r\n"u8.ToArray(), 100_000),
            ("{open-no-close"u8.ToArray(), Array.Empty<byte>(), 0),
            ("{t}tagged"u8.ToArray(), "\0\0\0"u8.ToArray(), 50_000),
            ("big"u8.ToArray(), big, 200_000),
            ("12345"u8.ToArray(), "-1"u8.ToArray(), 1), // a 1 ms TTL may expire on the way; then it is simply gone
        };
        foreach (var (k, v, ttl) in keys)
        {
            if (ttl == 0) a.Call(B("SET"), k, v).AssertOk();
            else a.Call(B("SET"), k, v, B("PX"), B(ttl.ToString())).AssertOk();
        }
        Thread.Sleep(5); // the 1 ms key has expired here: it must not be moved
        var args = new List<byte[]> { B("SLOTSMGRTONE-ASYNC"), B("127.0.0.1"), B(Port), B("5000"), B("0"), B("0") };
        args.AddRange(keys.Select(k => k.Key));
        Assert.Equal(keys.Count - 1, a.Call(args.ToArray()).AssertInt());
        Assert.Equal(0, a.Call("DBSIZE").AssertInt());
        Assert.Equal(keys.Count - 1, b.Call("DBSIZE").AssertInt());
        foreach (var (k, v, ttl) in keys.Take(keys.Count - 1))
        {
            Assert.Equal(v, b.Call(B("GET"), k).Bytes);
            long pttl = b.Call(B("PTTL"), k).AssertInt();
            if (ttl == 0) Assert.Equal(-1, pttl);
            else Assert.InRange(pttl, ttl - 10_000, ttl);
        }
        b.Call("SLOTSCHECK").AssertOk();
    }

    [Fact]
    public void TagGroupsStayWhole_AcrossBatchBoundaries()
    {
        using var a = fx.SourceClient(2);
        using var b = fx.TargetClient(2);
        const int slot = 777;
        var plain = SlotKeys.InSlot(slot, 40, "p");
        string tag = SlotKeys.TagInSlot(slot, "grp");
        var group = Enumerable.Range(0, 15).Select(i => $"{{{tag}}}:{i}").ToList();
        foreach (var k in plain.Concat(group)) a.Call("SET", k, "v:" + k).AssertOk();
        long remaining = plain.Count + group.Count;
        int calls = 0;
        while (remaining > 0)
        {
            var r = a.Call("SLOTSMGRTTAGSLOT-ASYNC", "127.0.0.1", Port, "5000", "0", "0", slot.ToString(), "4").Items!;
            remaining = r[1].AssertInt();
            long here = a.Call(["EXISTS", .. group]).AssertInt(), there = b.Call(["EXISTS", .. group]).AssertInt();
            Assert.True(here == 0 || here == group.Count, $"the tag group was split: {here} here, {there} there");
            Assert.Equal(group.Count, here + there);
            Assert.True(++calls < 100);
        }
        Assert.True(calls >= 10, "numkeys 4 should take many batches");
        foreach (var k in plain.Concat(group)) Assert.Equal("v:" + k, b.Call("GET", k).Text);
    }

    [Fact]
    public void ATargetThatStopsReading_DoesNotHoldTheServer_AndGetsEverythingInOrder()
    {
        using var target = new FakeTarget();
        using var a = fx.SourceClient(3);
        // Four 4 MB values in a window of four messages with maxbytes 64 MB: more than the socket buffers take,
        // so the link's write goes on in the background while the target reads nothing.
        var keys = Enumerable.Range(0, 4).Select(i => $"huge{i}").ToList();
        foreach (var k in keys) a.Call(B("SET"), B(k), Value(k)).AssertOk();
        using var caller = fx.SourceClient(3);
        caller.Send(AsyncMigrationTests.RespCommand(["SLOTSMGRTONE-ASYNC", "127.0.0.1", target.Port.ToString(), "30000", "0", "67108864", .. keys]));
        caller.Flush();
        Thread.Sleep(300);
        var sw = Stopwatch.StartNew();
        Assert.Equal("PONG", a.Call("PING").Text);
        Assert.Equal(1, a.Call("EXISTS", "huge0").AssertInt());
        Assert.True(sw.ElapsedMilliseconds < 2000, $"PING took {sw.ElapsedMilliseconds} ms while the target read nothing");

        // SELECT, then delete + string per key, in order and intact; acknowledged as they come.
        target.WaitFor(1);
        target.Ack(1);
        for (int i = 0; i < keys.Count; i++)
        {
            target.WaitFor(1 + 2 * (i + 1), 20000);
            Assert.Equal(["SLOTSRESTORE-ASYNC", "delete", keys[i]], target.Received[1 + 2 * i]);
            var s = target.Received[2 + 2 * i];
            Assert.Equal(["SLOTSRESTORE-ASYNC", "string", keys[i], "0"], s[..4]);
            Assert.Equal(Encoding.ASCII.GetString(Value(keys[i])), s[4]);
            target.Ack(2);
        }
        Assert.Equal(keys.Count, caller.Read().AssertInt());
        Assert.Equal(0, a.Call(["EXISTS", .. keys]).AssertInt());
    }

    private static byte[] Value(string key)
    {
        var v = new byte[4 << 20];
        for (int i = 0; i < v.Length; i++) v[i] = (byte)('a' + (i + key[^1]) % 26);
        return v;
    }

    [Fact]
    public void ATargetThatClosesMidBatch_EndsItCleanly_AndKeepsEveryKey()
    {
        using var a = fx.SourceClient(4);
        var keys = Enumerable.Range(0, 3).Select(i => $"cut{i}").ToList();
        foreach (var k in keys) a.Call(B("SET"), B(k), Value(k), B("PX"), B("600000")).AssertOk();
        a.Call("SET", "cut-small", "s").AssertOk();
        using (var target = new FakeTarget())
        {
            using var caller = fx.SourceClient(4);
            caller.Send(AsyncMigrationTests.RespCommand(["SLOTSMGRTONE-ASYNC", "127.0.0.1", target.Port.ToString(), "30000", "0", "67108864", "cut-small", .. keys]));
            caller.Flush();
            target.WaitFor(3); // SELECT, delete + string of the small key; the big ones are still being written
            target.Ack(3);
            target.ResetLink(); // closes mid-batch
            caller.Read().AssertError("ERR interrupted");
        }
        Assert.Equal("PONG", a.Call("PING").Text);
        Assert.Equal(keys.Count + 1, a.Call(["EXISTS", "cut-small", .. keys]).AssertInt());
        Assert.InRange(a.Call("PTTL", "cut1").AssertInt(), 500_000, 600_000);

        // The next batch, to the real target, moves them all.
        using var b = fx.TargetClient(4);
        Assert.Equal(keys.Count + 1, a.Call(["SLOTSMGRTONE-ASYNC", "127.0.0.1", Port, "30000", "0", "0", "cut-small", .. keys]).AssertInt());
        Assert.Equal(0, a.Call("DBSIZE").AssertInt());
        foreach (var k in keys) Assert.Equal(Value(k), b.Call(B("GET"), B(k)).Bytes);
        Assert.Equal("s", b.Call("GET", "cut-small").Text);
    }
}
