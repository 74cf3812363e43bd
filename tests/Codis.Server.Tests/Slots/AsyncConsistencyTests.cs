using Codis.Server.Tests.Infrastructure;

namespace Codis.Server.Tests.Slots;

/// <summary>
/// What happens to keys that change while their copy travels, and to a batch that fails midway, checked against a
/// scripted target that acknowledges on command (the exact message stream is asserted too).
/// </summary>
public class AsyncConsistencyTests(PairFixture fx) : IClassFixture<PairFixture>
{
    [Fact]
    public void KeysChangedDuringTheBatch_StayHere_AndTheirCopiesAreDeletedThere()
    {
        using var target = new FakeTarget();
        using var a = fx.SourceClient(1);
        a.Call("SET", "c1", "old", "PX", "90000").AssertOk();
        a.Call("SET", "c2", "doomed").AssertOk();
        a.Call("SET", "c3", "moves").AssertOk();
        using var caller = fx.SourceClient(1);
        caller.Send(AsyncMigrationTests.RespCommand("SLOTSMGRTONE-ASYNC", "127.0.0.1", target.Port.ToString(), "10000", "0", "0", "c1", "c2", "c3"));
        target.WaitFor(7);
        Assert.Equal(["SLOTSRESTORE-ASYNC-SELECT", "1"], target.Received[0]);
        Assert.Equal(["SLOTSRESTORE-ASYNC", "delete", "c1"], target.Received[1]);
        Assert.Equal(["SLOTSRESTORE-ASYNC", "string", "c1"], target.Received[2][..3]);
        Assert.InRange(long.Parse(target.Received[2][3]), 80000, 90000);
        Assert.Equal("old", target.Received[2][4]);
        Assert.Equal(["SLOTSRESTORE-ASYNC", "string", "c3", "0", "moves"], target.Received[6]);

        // While the batch is in flight: a write and a delete that bypass EXEC-WRAPPER.
        a.Call("SET", "c1", "new").AssertOk();
        Assert.Equal(1, a.Call("DEL", "c2").AssertInt());
        // EXEC-WRAPPER: reads of c1 run here, anything on the vanished c2 waits.
        Assert.Equal("new", a.Call("SLOTSMGRT-EXEC-WRAPPER", "c1", "GET", "c1").Items![1].Text);
        Assert.Equal(1, a.Call("SLOTSMGRT-EXEC-WRAPPER", "c2", "GET", "c2").Items![0].AssertInt());

        target.Ack(7);
        // Second phase: the stale copies are deleted on the target before the caller is answered.
        target.WaitFor(9);
        Assert.Equal(
            new[] { "c1", "c2" },
            target.Received.Skip(7).Select(m => { Assert.Equal(["SLOTSRESTORE-ASYNC", "delete"], m[..2]); return m[2]; }).Order());
        Assert.Equal(1, a.Call("SLOTSMGRT-EXEC-WRAPPER", "c2", "GET", "c2").Items![0].AssertInt());
        target.Ack(2);
        Assert.Equal(1, caller.Read().AssertInt()); // only c3 moved
        Assert.Equal("new", a.Call("GET", "c1").Text);
        Assert.Equal(0, a.Call("EXISTS", "c2", "c3").AssertInt());
        Assert.Equal(0, a.Call("SLOTSMGRT-EXEC-WRAPPER", "c2", "GET", "c2").Items![0].AssertInt());
    }

    [Fact]
    public void AFailedBatch_LeavesKeysHere_AndTheNextBatchDeletesTheirCopies()
    {
        using var target = new FakeTarget();
        using var a = fx.SourceClient(2);
        a.Call("MSET", "o1", "1", "o2", "2").AssertOk();
        using var caller = fx.SourceClient(2);
        caller.Send(AsyncMigrationTests.RespCommand("SLOTSMGRTONE-ASYNC", "127.0.0.1", target.Port.ToString(), "10000", "0", "0", "o1", "o2"));
        target.WaitFor(5);
        target.Ack(3);                                        // SELECT, delete o1, string o1
        target.Ack(1, -1, "the specified key already exists (o2)"); // the target refuses o2's first message
        caller.Read().AssertError("ERR interrupted: target replied errno -1: the specified key already exists (o2)");
        Assert.Equal(["1", "2"], a.Call("MGET", "o1", "o2").Texts());

        // o1 reached the target. Deleted here, its copy there must not come back to life.
        Assert.Equal(2, a.Call("SLOTSMGRT-EXEC-WRAPPER", "o1", "DEL", "o1").Items![0].AssertInt());
        Assert.Equal(1, a.Call("SLOTSMGRT-EXEC-WRAPPER", "o1", "GET", "o1").Items![0].AssertInt());

        // The next batch to that target (a new link) deletes the orphans first.
        using var again = fx.SourceClient(2);
        again.Send(AsyncMigrationTests.RespCommand("SLOTSMGRTONE-ASYNC", "127.0.0.1", target.Port.ToString(), "10000", "0", "0", "o2"));
        target.Received.Clear();
        target.ResetLink();
        target.WaitFor(5);
        Assert.Equal(["SLOTSRESTORE-ASYNC-SELECT", "2"], target.Received[0]);
        var deletes = target.Received.Skip(1).Take(3).Where(m => m[1] == "delete").Select(m => m[2]).Order().ToArray();
        Assert.Equal(["o1", "o2", "o2"], deletes);
        target.Ack(5);
        Assert.Equal(1, again.Read().AssertInt());
        Assert.Equal(0, a.Call("DBSIZE").AssertInt());
        Assert.Equal(0, a.Call("SLOTSMGRT-EXEC-WRAPPER", "o1", "GET", "o1").Items![0].AssertInt());
    }

    [Fact]
    public void ATargetThatAnswersSomethingElse_EndsTheBatchWithAnError()
    {
        using var target = new FakeTarget();
        using var a = fx.SourceClient(3);
        a.Call("SET", "g1", "v").AssertOk();
        using var caller = fx.SourceClient(3);
        caller.Send(AsyncMigrationTests.RespCommand("SLOTSMGRTONE-ASYNC", "127.0.0.1", target.Port.ToString(), "10000", "0", "0", "g1"));
        target.WaitFor(3);
        target.SendRaw("+OK\r\n");
        caller.Read().AssertError("ERR interrupted: unexpected reply from target");
        Assert.Equal("v", a.Call("GET", "g1").Text);
        Assert.True(a.Call("SLOTSMGRT-ASYNC-STATUS").IsNull); // the link is gone
    }
}
