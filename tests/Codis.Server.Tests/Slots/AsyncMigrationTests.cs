using Codis.Core.Resp;
using Codis.Server.Tests.Infrastructure;
using Codis.Testing;

namespace Codis.Server.Tests.Slots;

/// <summary>
/// The semi-async family between two real servers: SLOTSMGRT[TAG]SLOT-ASYNC, SLOTSMGRT[TAG]ONE-ASYNC, the -DUMP
/// variants, FENCE CANCEL STATUS, SLOTSMGRT-EXEC-WRAPPER, and the target's SLOTSRESTORE-ASYNC messages.
/// </summary>
public class AsyncMigrationTests(PairFixture fx) : IClassFixture<PairFixture>
{
    private string Port => fx.Target.Port.ToString();

    private static long[] Ints(RespValue v)
    {
        Assert.True(v.Type == RespType.Array, $"expected an array, got {v}");
        return v.Items!.Select(i => i.AssertInt()).ToArray();
    }

    [Fact]
    public void TagSlotAsync_MovesBatchesUntilTheSlotIsEmpty()
    {
        using var a = fx.SourceClient(1);
        using var b = fx.TargetClient(1);
        var keys = SlotKeys.InSlot(400, 30, "as");
        string tag = SlotKeys.TagInSlot(400, "g");
        foreach (var k in keys) a.Call("SET", k, "v:" + k, "PX", "100000").AssertOk();
        for (int i = 0; i < 5; i++) a.Call("SET", $"{{{tag}}}:{i}", i).AssertOk();
        long remaining = 35, moved = 0;
        int calls = 0;
        while (remaining > 0)
        {
            var r = Ints(a.Call("SLOTSMGRTTAGSLOT-ASYNC", "127.0.0.1", Port, "5000", "0", "0", "400", "8"));
            moved += r[0];
            remaining = r[1];
            Assert.True(++calls < 50);
        }
        Assert.Equal(35, moved);
        Assert.True(calls >= 3, "numkeys 8 should take several batches");
        Assert.Equal(0, a.Call("DBSIZE").AssertInt());
        Assert.Equal(35, b.Call("DBSIZE").AssertInt());
        foreach (var k in keys)
        {
            Assert.Equal("v:" + k, b.Call("GET", k).Text);
            Assert.InRange(b.Call("PTTL", k).AssertInt(), 90000, 100000);
        }
        Assert.Equal("4", b.Call("GET", $"{{{tag}}}:4").Text);
        Assert.Equal(-1, b.Call("PTTL", $"{{{tag}}}:4").AssertInt());
        // Nothing left: an immediate [0, 0].
        Assert.Equal([0L, 0L], Ints(a.Call("SLOTSMGRTSLOT-ASYNC", "127.0.0.1", Port, "5000", "0", "0", "400", "0")));
        b.Call("SLOTSCHECK").AssertOk();
    }

    [Fact]
    public void OneAsync_And_TagOneAsync_ReplyTheMovedCount()
    {
        using var a = fx.SourceClient(2);
        using var b = fx.TargetClient(2);
        a.Call("MSET", "x1", "1", "x2", "2", "{q}a", "A", "{q}b", "B").AssertOk();
        b.Call("SET", "x1", "overwritten").AssertOk();
        Assert.Equal(2, a.Call("SLOTSMGRTONE-ASYNC", "127.0.0.1", Port, "0", "0", "0", "x1", "x2", "absent").AssertInt());
        Assert.Equal(["1", "2"], b.Call("MGET", "x1", "x2").Texts());
        Assert.Equal(2, a.Call("SLOTSMGRTTAGONE-ASYNC", "127.0.0.1", Port, "0", "0", "0", "{q}a").AssertInt());
        Assert.Equal(["A", "B"], b.Call("MGET", "{q}a", "{q}b").Texts());
        Assert.Equal(0, a.Call("DBSIZE").AssertInt());
    }

    [Fact]
    public void Dump_ListsTheMessagesAndMovesNothing()
    {
        using var a = fx.SourceClient(3);
        a.Call("SET", "{d}1", "one", "PX", "50000").AssertOk();
        a.Call("SET", "{d}2", "two").AssertOk();
        var one = a.Call("SLOTSMGRTONE-ASYNC-DUMP", "0", "0", "{d}1", "none");
        Assert.Equal(2, one.Items!.Length);
        Assert.Equal(["SLOTSRESTORE-ASYNC", "delete", "{d}1"], one.Items[0].Texts());
        var msg = one.Items[1].Texts();
        Assert.Equal(["SLOTSRESTORE-ASYNC", "string", "{d}1"], msg[..3]);
        Assert.InRange(long.Parse(msg[3]!), 40000, 50000);
        Assert.Equal("one", msg[4]);
        Assert.Equal(4, a.Call("SLOTSMGRTTAGONE-ASYNC-DUMP", "0", "0", "{d}1").Items!.Length);
        Assert.Equal(2, a.Call("EXISTS", "{d}1", "{d}2").AssertInt());
        a.Call("SLOTSMGRTONE-ASYNC-DUMP", "-1", "0", "k").AssertError("ERR invalid value of timeout (-1)");
        a.Call("SLOTSMGRTONE-ASYNC-DUMP", "0", "x", "k").AssertError("ERR invalid value of maxbulks (x)");
    }

    [Fact]
    public void ParameterErrors()
    {
        using var a = fx.SourceClient(4);
        var bad = new (string[] Args, string Error)[]
        {
            (["127.0.0.1", "0", "0", "0", "0", "1", "0"], "ERR invalid value of port (0)"),
            (["127.0.0.1", "65536", "0", "0", "0", "1", "0"], "ERR invalid value of port (65536)"),
            (["127.0.0.1", Port, "-5", "0", "0", "1", "0"], "ERR invalid value of timeout (-5)"),
            (["127.0.0.1", Port, "0", "-1", "0", "1", "0"], "ERR invalid value of maxbulks (-1)"),
            (["127.0.0.1", Port, "0", "0", "x", "1", "0"], "ERR invalid value of maxbytes (x)"),
            (["127.0.0.1", Port, "0", "0", "0", "1024", "0"], "ERR invalid value of slot (1024)"),
            (["127.0.0.1", Port, "0", "0", "0", "1", "-2"], "ERR invalid value of numkeys (-2)"),
        };
        foreach (var (args, error) in bad)
            a.Call(["SLOTSMGRTSLOT-ASYNC", .. args]).AssertError(error);
        a.Call("SLOTSMGRTSLOT-ASYNC", "127.0.0.1", Port, "0", "0", "0", "1").AssertError("ERR wrong number of arguments for 'slotsmgrtslot-async' command");
        a.Call("SET", "k", "v").AssertOk();
        a.Call("SLOTSMGRTONE-ASYNC", "127.0.0.1", SyncMigrationTests.ClosedPort().ToString(), "0", "0", "0", "k")
            .AssertError("ERR create client to 127.0.0.1:");
        Assert.Equal("v", a.Call("GET", "k").Text);
    }

    [Fact]
    public void FenceCancelStatus_WithoutABatch()
    {
        using var a = fx.SourceClient(5);
        a.Call("SLOTSMGRT-ASYNC-FENCE").AssertOk();
        Assert.True(a.Call("SLOTSMGRT-ASYNC-STATUS").IsNull);
        Assert.Equal(0, a.Call("SLOTSMGRT-ASYNC-CANCEL").AssertInt());
        a.Call("SET", "s1", "v").AssertOk();
        Assert.Equal(1, a.Call("SLOTSMGRTONE-ASYNC", "127.0.0.1", Port, "0", "0", "0", "s1").AssertInt());
        var status = a.Call("SLOTSMGRT-ASYNC-STATUS").Items!;
        var fields = Enumerable.Range(0, status.Length / 2).ToDictionary(i => status[2 * i].Text!, i => status[2 * i + 1]);
        Assert.Equal(["host", "port", "used", "timeout", "lastuse", "since_lastuse", "sending_msgs", "blocked_clients", "batched_iterator"], fields.Keys);
        Assert.Equal("127.0.0.1", fields["host"].Text);
        Assert.Equal(Port, fields["port"].Text);
        Assert.Equal("1", fields["used"].Text);
        Assert.Equal("30000", fields["timeout"].Text);
        Assert.True(fields["batched_iterator"].IsNull);
        Assert.Equal(1, a.Call("SLOTSMGRT-ASYNC-CANCEL").AssertInt());
        Assert.True(a.Call("SLOTSMGRT-ASYNC-STATUS").IsNull);
    }

    [Fact]
    public void ABatchInFlight_BlocksOnlyItsCaller_FenceWaits_CancelInterrupts()
    {
        // A target that accepts and never acknowledges keeps the batch in flight.
        using var silent = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        silent.Start();
        int port = ((System.Net.IPEndPoint)silent.LocalEndpoint).Port;
        using var a = fx.SourceClient(6);
        a.Call("MSET", "f1", "1", "f2", "2").AssertOk();
        using var caller = fx.SourceClient(6);
        caller.Send(RespCommand("SLOTSMGRTONE-ASYNC", "127.0.0.1", port.ToString(), "20000", "0", "0", "f1"));
        using var fencer = fx.SourceClient(6);
        WaitUntil(() => a.Call("SLOTSMGRT-ASYNC-STATUS").Items is { Length: 18 } s && !s[17].IsNull);
        fencer.Send(RespCommand("SLOTSMGRT-ASYNC-FENCE"));

        // The server keeps serving everyone else, and EXEC-WRAPPER protects the key in flight.
        Assert.Equal("2", a.Call("GET", "f2").Text);
        var status = a.Call("SLOTSMGRT-ASYNC-STATUS").Items!;
        var iter = status[17].Items!;
        Assert.Equal("keys", iter[0].Text);
        Assert.Equal(["f1"], iter[1].Items![1].Texts());
        WaitUntil(() => a.Call("SLOTSMGRT-ASYNC-STATUS").Items![15].Text == "2"); // blocked_clients: caller + fencer
        // a write to a key in flight runs here and is forwarded behind its copy (the original made it wait)
        var write = a.Call("SLOTSMGRT-EXEC-WRAPPER", "f1", "SET", "f1", "new").Items!;
        Assert.Equal(2, write[0].AssertInt());
        Assert.Equal("OK", write[1].Text);
        var read = a.Call("SLOTSMGRT-EXEC-WRAPPER", "f1", "GET", "f1").Items!;
        Assert.Equal(2, read[0].AssertInt());
        Assert.Equal("new", read[1].Text);
        a.Call("SLOTSMGRTONE-ASYNC", "127.0.0.1", port.ToString(), "0", "0", "0", "f2").AssertError("ERR the specified DB is being migrated");

        Assert.Equal(1, a.Call("SLOTSMGRT-ASYNC-CANCEL").AssertInt());
        caller.Read().AssertError("ERR interrupted: canceled");
        fencer.Read().AssertError("ERR interrupted: canceled");
        Assert.Equal("new", a.Call("GET", "f1").Text); // nothing acknowledged: the key stays, with the write
    }

    [Fact]
    public void StalledBatch_TimesOut()
    {
        using var silent = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        silent.Start();
        int port = ((System.Net.IPEndPoint)silent.LocalEndpoint).Port;
        using var a = fx.SourceClient(7);
        a.Call("SET", "t1", "1").AssertOk();
        var sw = System.Diagnostics.Stopwatch.StartNew();
        a.Call("SLOTSMGRTONE-ASYNC", "127.0.0.1", port.ToString(), "500", "0", "0", "t1").AssertError("ERR interrupted: migration timeout");
        Assert.InRange(sw.ElapsedMilliseconds, 400, 10000);
        Assert.Equal("1", a.Call("GET", "t1").Text);
    }

    [Fact]
    public void ExecWrapper_Codes()
    {
        using var a = fx.SourceClient(8);
        a.Call("SET", "w", "5").AssertOk();
        var ran = a.Call("SLOTSMGRT-EXEC-WRAPPER", "w", "INCR", "w").Items!;
        Assert.Equal(2, ran[0].AssertInt());
        Assert.Equal(6, ran[1].AssertInt());
        var absent = a.Call("SLOTSMGRT-EXEC-WRAPPER", "nokey", "GET", "nokey").Items!;
        Assert.Equal(0, absent[0].AssertInt());
        absent[1].AssertError("ERR the specified key doesn't exist");
        var unknown = a.Call("SLOTSMGRT-EXEC-WRAPPER", "w", "NOSUCH", "w").Items!;
        Assert.Equal(-1, unknown[0].AssertInt());
        unknown[1].AssertError("ERR invalid command specified (NOSUCH)");
        var arity = a.Call("SLOTSMGRT-EXEC-WRAPPER", "w", "GET").Items!;
        Assert.Equal(-1, arity[0].AssertInt());
        arity[1].AssertError("ERR wrong number of arguments for command (GET)");
        var none = a.Call("SLOTSMGRT-EXEC-WRAPPER", "w").Items!;
        Assert.Equal(-1, none[0].AssertInt());
        none[1].AssertError("ERR wrong number of arguments for SLOTSMGRT-EXEC-WRAPPER");
        var wrongType = a.Call("SLOTSMGRT-EXEC-WRAPPER", "w", "GETRANGE", "w", "x", "1").Items!;
        Assert.Equal(2, wrongType[0].AssertInt());
        wrongType[1].AssertError("ERR value is not an integer");
    }

    [Fact]
    public void RestoreAsync_TargetSide_AcksEveryMessage()
    {
        using var t = fx.TargetClient(9);
        t.Call("FLUSHDB").AssertOk();
        using var link = fx.Target.Client();
        void Ack(string errno, string message, params string[] cmd)
        {
            var r = link.Call(cmd);
            Assert.Equal(["SLOTSRESTORE-ASYNC-ACK", errno, message], r.Texts());
        }
        Ack("0", "OK", "SLOTSRESTORE-ASYNC-SELECT", "9");
        Ack("0", "0", "SLOTSRESTORE-ASYNC", "delete", "r1");
        Ack("0", "1", "SLOTSRESTORE-ASYNC", "string", "r1", "0", "hello");
        Ack("0", "1", "SLOTSRESTORE-ASYNC", "expire", "r1", "70000");
        Assert.Equal("hello", t.Call("GET", "r1").Text);
        Assert.InRange(t.Call("PTTL", "r1").AssertInt(), 60000, 70000);
        Ack("0", "1", "SLOTSRESTORE-ASYNC", "expire", "r1", "0");
        Assert.Equal(-1, t.Call("PTTL", "r1").AssertInt());
        t.Call("SET", "src", "payload-value").AssertOk();
        var payload = t.Call("DUMP", "src").Bytes!;
        var r2 = link.Call("SLOTSRESTORE-ASYNC"u8.ToArray(), "object"u8.ToArray(), "r2"u8.ToArray(), "5000"u8.ToArray(), payload);
        Assert.Equal(["SLOTSRESTORE-ASYNC-ACK", "0", "1"], r2.Texts());
        Assert.Equal("payload-value", t.Call("GET", "r2").Text);
        Ack("0", "1", "SLOTSRESTORE-ASYNC", "delete", "r2");
        Assert.Equal(0, t.Call("EXISTS", "r2").AssertInt());
        // An error is acknowledged with -1 and closes the link.
        Ack("-1", "the specified key already exists (r1)", "SLOTSRESTORE-ASYNC", "string", "r1", "0", "again");
        Assert.ThrowsAny<IOException>(() => link.Call("PING"));
    }

    [Theory]
    [InlineData("-1|wrong number of arguments (argc=3,cmd=bogus)", "SLOTSRESTORE-ASYNC", "bogus", "k")]
    [InlineData("-1|unknown command (argc=4,cmd=bogus)", "SLOTSRESTORE-ASYNC", "bogus", "k", "0")]
    [InlineData("-1|wrong number of arguments (argc=2,cmd=delete)", "SLOTSRESTORE-ASYNC", "delete")]
    [InlineData("-1|wrong number of arguments (argc=4,cmd=delete)", "SLOTSRESTORE-ASYNC", "delete", "k", "x")]
    [InlineData("-1|invalid TTL value (TTL=-1)", "SLOTSRESTORE-ASYNC", "string", "k", "-1", "v")]
    [InlineData("-1|the specified key doesn't exist (nokey)", "SLOTSRESTORE-ASYNC", "expire", "nokey", "10")]
    [InlineData("-1|invalid payload checksum", "SLOTSRESTORE-ASYNC", "object", "k", "0", "not-a-payload")]
    [InlineData("-1|invalid Hint value (Hint=x)", "SLOTSRESTORE-ASYNC", "list", "k", "0", "x", "a")]
    [InlineData("-1|the specified key doesn't exist (k)", "SLOTSRESTORE-ASYNC", "dict", "k", "0", "0")]
    [InlineData("-1|wrong number of arguments (argc=6,cmd=hash)", "SLOTSRESTORE-ASYNC", "hash", "k", "0", "1", "f")]
    [InlineData("-1|invalid zset score ([0]), bad raw bits", "SLOTSRESTORE-ASYNC", "zset", "k", "0", "1", "m", "1.5")]
    [InlineData("-1|invalid DB index (99)", "SLOTSRESTORE-ASYNC-SELECT", "99")]
    [InlineData("-1|Client sent AUTH, but no password is set", "SLOTSRESTORE-ASYNC-AUTH", "pw")]
    public void RestoreAsync_BadMessages_AckMinusOneAndClose(string expected, params string[] cmd)
    {
        using var link = fx.Target.Client();
        link.Call("SELECT", "10").AssertOk();
        var parts = expected.Split('|');
        Assert.Equal(["SLOTSRESTORE-ASYNC-ACK", parts[0], parts[1]], link.Call(cmd).Texts());
        Assert.ThrowsAny<IOException>(() => link.Call("PING"));
    }

    [Fact]
    public void RestoreAsyncAck_FromAClient_IsRefused()
    {
        using var c = fx.Target.Client();
        c.Call("SLOTSRESTORE-ASYNC-ACK", "0", "1").AssertError("ERR invalid client, permission denied");
        Assert.ThrowsAny<IOException>(() => c.Call("PING"));
    }

    [Fact]
    public void RestoreAsyncAuth_AuthenticatesTheLink()
    {
        using var guarded = CodisServerProcess.Start("--requirepass", "pw");
        using var link = guarded.Client();
        link.Call("GET", "x").AssertError("NOAUTH");
        Assert.Equal(["SLOTSRESTORE-ASYNC-ACK", "0", "OK"], link.Call("SLOTSRESTORE-ASYNC-AUTH", "pw").Texts());
        Assert.True(link.Call("GET", "x").IsNull);
        using var other = guarded.Client();
        Assert.Equal(["SLOTSRESTORE-ASYNC-ACK", "-1", "invalid password"], other.Call("SLOTSRESTORE-ASYNC-AUTH", "nope").Texts());
    }

    [Fact]
    public void AsyncMigration_WithSharedPassword()
    {
        using var src = CodisServerProcess.Start("--requirepass", "pp");
        using var dst = CodisServerProcess.Start("--requirepass", "pp");
        using var a = src.Client();
        a.Call("AUTH", "pp").AssertOk();
        a.Call("SELECT", "3").AssertOk();
        a.Call("SET", "k", "v").AssertOk();
        Assert.Equal(1, a.Call("SLOTSMGRTONE-ASYNC", "127.0.0.1", dst.Port.ToString(), "0", "0", "0", "k").AssertInt());
        using var b = dst.Client();
        b.Call("AUTH", "pp").AssertOk();
        b.Call("SELECT", "3").AssertOk();
        Assert.Equal("v", b.Call("GET", "k").Text);
    }

    internal static byte[][] RespCommand(params string[] args) => args.Select(System.Text.Encoding.UTF8.GetBytes).ToArray();

    internal static void WaitUntil(Func<bool> condition, int timeoutMs = 10000)
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            if (sw.ElapsedMilliseconds > timeoutMs) throw new TimeoutException("condition not met");
            Thread.Sleep(10);
        }
    }
}
