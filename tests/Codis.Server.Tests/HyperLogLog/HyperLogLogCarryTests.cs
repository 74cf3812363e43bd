using Codis.Core.Slots;
using Codis.Server.Tests.Infrastructure;
using Codis.Testing;

namespace Codis.Server.Tests.HyperLogLog;

/// <summary>An HLL is a plain string: a restart (RDB) and a slot migration carry it byte for byte, and it keeps working.</summary>
public class HyperLogLogCarryTests
{
    private static void Fill(Codis.Core.Resp.RespClient c, string key, int count)
    {
        for (int i = 0; i < count; i += 100)
            Assert.True(c.Call(new[] { "PFADD", key }.Concat(Enumerable.Range(i, Math.Min(100, count - i)).Select(n => $"{key}:{n}")).ToArray()).Type == Codis.Core.Resp.RespType.Integer);
    }

    [Fact]
    public void Hll_SurvivesARestart()
    {
        string dir = Directory.CreateTempSubdirectory("codis-hll-").FullName;
        byte[] sparse, dense;
        long countSparse, countDense;
        using (var s = CodisServerProcess.StartIn(dir, "--save", "", "--appendonly", "no"))
        using (var c = s.Client())
        {
            Fill(c, "carry:sparse", 300);
            Fill(c, "carry:dense", 5000);
            countSparse = c.Call("PFCOUNT", "carry:sparse").AssertInt();
            c.Call("PFADD", "carry:dense", "one-more").AssertInt();
            sparse = c.Call("GET", "carry:sparse").Bytes!;
            dense = c.Call("GET", "carry:dense").Bytes!;
            countDense = c.Call("PFCOUNT", "carry:dense").AssertInt();
            c.Call("SAVE").AssertOk();
        }
        using (var s = CodisServerProcess.StartIn(dir, "--save", "", "--appendonly", "no"))
        using (var c = s.Client())
        {
            Assert.Equal(sparse, c.Call("GET", "carry:sparse").Bytes!);
            Assert.Equal("sparse", c.Call("PFDEBUG", "ENCODING", "carry:sparse").Text);
            Assert.Equal(countSparse, c.Call("PFCOUNT", "carry:sparse").AssertInt());
            Assert.Equal(countDense, c.Call("PFCOUNT", "carry:dense").AssertInt());
            Assert.Equal(1, c.Call("PFADD", "carry:dense", "after-restart-1", "after-restart-2", "after-restart-3").AssertInt());
        }
    }

    [Fact]
    public void Hll_MovesWithSlotsmgrttagslot()
    {
        using var a = CodisServerProcess.Start();
        using var b = CodisServerProcess.Start();
        using var ca = a.Client();
        using var cb = b.Client();
        Fill(ca, "{hll}sparse", 200);
        Fill(ca, "{hll}dense", 4000);
        var before = new[] { ca.Call("GET", "{hll}sparse").Bytes!, ca.Call("GET", "{hll}dense").Bytes! };
        int slot = SlotHash.Slot("{hll}sparse"u8);
        var moved = ca.Call("SLOTSMGRTTAGSLOT", "127.0.0.1", b.Port.ToString(), "3000", slot.ToString());
        Assert.Equal(2, moved.Items![0].Integer);
        Assert.Equal(0, ca.Call("EXISTS", "{hll}sparse", "{hll}dense").AssertInt());
        Assert.Equal(before[0], cb.Call("GET", "{hll}sparse").Bytes!);
        Assert.Equal(before[1], cb.Call("GET", "{hll}dense").Bytes!);
        Assert.InRange(cb.Call("PFCOUNT", "{hll}sparse", "{hll}dense").AssertInt(), 4000, 4300);
        Assert.Equal(1, cb.Call("PFADD", "{hll}sparse", "new").AssertInt());
    }
}
