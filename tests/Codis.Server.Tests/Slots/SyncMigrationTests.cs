using System.Net;
using System.Net.Sockets;
using Codis.Server.Tests.Infrastructure;
using Codis.Testing;

namespace Codis.Server.Tests.Slots;

/// <summary>SLOTSMGRTONE SLOTSMGRTTAGONE SLOTSMGRTSLOT SLOTSMGRTTAGSLOT between two real servers (each test in its own DB).</summary>
public class SyncMigrationTests(PairFixture fx) : IClassFixture<PairFixture>
{
    private string Port => fx.Target.Port.ToString();

    [Fact]
    public void MgrtOne_MovesValueAndTtl_DeletesOnSource()
    {
        using var a = fx.SourceClient(1);
        using var b = fx.TargetClient(1);
        a.Call("SET", "one", "value-1", "PX", "90000").AssertOk();
        a.Call("SET", "persistent", "p").AssertOk();
        b.Call("SET", "one", "stale-on-target").AssertOk();
        Assert.Equal(1, a.Call("SLOTSMGRTONE", "127.0.0.1", Port, "5000", "one").AssertInt());
        Assert.Equal(1, a.Call("SLOTSMGRTONE", "127.0.0.1", Port, "5000", "persistent").AssertInt());
        Assert.Equal(0, a.Call("SLOTSMGRTONE", "127.0.0.1", Port, "5000", "absent").AssertInt());
        Assert.Equal(0, a.Call("EXISTS", "one", "persistent").AssertInt());
        Assert.Equal("value-1", b.Call("GET", "one").Text);
        Assert.InRange(b.Call("PTTL", "one").AssertInt(), 80000, 90000);
        Assert.Equal(-1, b.Call("PTTL", "persistent").AssertInt());
        using var b0 = fx.TargetClient(0);
        Assert.Equal(0, b0.Call("EXISTS", "one").AssertInt()); // restored into the source's DB, not DB 0
    }

    [Fact]
    public void MgrtTagOne_MovesTheWholeTagGroup()
    {
        using var a = fx.SourceClient(2);
        using var b = fx.TargetClient(2);
        a.Call("MSET", "{u7}:name", "ann", "{u7}:mail", "a@x", "{u7}", "root", "{u8}:name", "bob", "plain", "p").AssertOk();
        a.Call("EXPIRE", "{u7}:mail", "500").AssertInt();
        Assert.Equal(3, a.Call("SLOTSMGRTTAGONE", "127.0.0.1", Port, "5000", "{u7}:whatever").AssertInt());
        Assert.Equal(["ann", "a@x", "root"], b.Call("MGET", "{u7}:name", "{u7}:mail", "{u7}").Texts());
        Assert.InRange(b.Call("TTL", "{u7}:mail").AssertInt(), 490, 500);
        Assert.Equal(0, a.Call("EXISTS", "{u7}:name", "{u7}:mail", "{u7}").AssertInt());
        Assert.Equal("bob", a.Call("GET", "{u8}:name").Text);
        // A key without a tag moves alone.
        Assert.Equal(1, a.Call("SLOTSMGRTTAGONE", "127.0.0.1", Port, "5000", "plain").AssertInt());
        Assert.Equal(0, a.Call("SLOTSMGRTTAGONE", "127.0.0.1", Port, "5000", "plain").AssertInt());
        a.Call("SLOTSCHECK").AssertOk();
        b.Call("SLOTSCHECK").AssertOk();
    }

    [Fact]
    public void MgrtSlot_And_TagSlot_DrainASlot()
    {
        using var a = fx.SourceClient(3);
        using var b = fx.TargetClient(3);
        var keys = SlotKeys.InSlot(300, 6, "ms");
        string tag = SlotKeys.TagInSlot(300, "t");
        foreach (var k in keys) a.Call("SET", k, k + "!").AssertOk();
        var first = a.Call("SLOTSMGRTSLOT", "127.0.0.1", Port, "5000", "300");
        Assert.Equal([1L, 5L], first.Items!.Select(i => i.AssertInt()));
        for (int i = 0; i < 4; i++) a.Call("SET", $"{{{tag}}}:{i}", i).AssertOk();
        long remaining = 9;
        var movedCounts = new List<long>();
        while (remaining > 0)
        {
            var r = a.Call("SLOTSMGRTTAGSLOT", "127.0.0.1", Port, "5000", "300");
            movedCounts.Add(r.Items![0].AssertInt());
            remaining = r.Items[1].AssertInt();
        }
        Assert.Equal(9, movedCounts.Sum());
        Assert.Contains(4L, movedCounts); // the tag group moved in one step
        Assert.Equal([0L, 0L], a.Call("SLOTSMGRTTAGSLOT", "127.0.0.1", Port, "5000", "300").Items!.Select(i => i.AssertInt()));
        Assert.Equal(0, a.Call("DBSIZE").AssertInt());
        Assert.Equal(10, b.Call("DBSIZE").AssertInt());
        foreach (var k in keys) Assert.Equal(k + "!", b.Call("GET", k).Text);
    }

    [Fact]
    public void Errors_LeaveTheKeysInPlace()
    {
        using var a = fx.SourceClient(4);
        a.Call("SET", "stay", "v").AssertOk();
        a.Call("SLOTSMGRTONE", "127.0.0.1", Port, "-1", "stay").AssertError("ERR invalid timeout = -1");
        a.Call("SLOTSMGRTONE", "127.0.0.1", Port, "x", "stay").AssertError("ERR value is not an integer or out of range");
        a.Call("SLOTSMGRTSLOT", "127.0.0.1", Port, "100", "1024").AssertError("ERR invalid slot number = 1024");
        a.Call("SLOTSMGRTTAGSLOT", "127.0.0.1", Port, "100", "-3").AssertError("ERR invalid slot number = -3");
        a.Call("SLOTSMGRTONE", "127.0.0.1", Port, "100").AssertError("ERR wrong number of arguments for 'slotsmgrtone' command");
        a.Call("SLOTSMGRTONE", "127.0.0.1", ClosedPort().ToString(), "200", "stay").AssertError("ERR Can't connect to target node: ");
        a.Call("SLOTSMGRTONE", "127.0.0.1", "notaport", "200", "stay").AssertError("ERR Can't connect to target node: ");
        Assert.Equal("v", a.Call("GET", "stay").Text);
    }

    [Fact]
    public void TargetThatRefuses_GivesMigrationFailed_AndKeepsTheKey()
    {
        // The target wants a password the source does not have: SLOTSRESTORE gets NOAUTH.
        using var locked = CodisServerProcess.Start("--requirepass", "secret");
        using var a = fx.SourceClient(5);
        a.Call("SET", "guarded", "v").AssertOk();
        a.Call("SLOTSMGRTONE", "127.0.0.1", locked.Port.ToString(), "5000", "guarded")
            .AssertError("ERR error on slotsrestore, select failed");
        Assert.Equal("v", a.Call("GET", "guarded").Text);
    }

    [Fact]
    public void SharedPassword_IsSentAsAuth()
    {
        using var src = CodisServerProcess.Start("--requirepass", "product-pass");
        using var dst = CodisServerProcess.Start("--requirepass", "product-pass");
        using var a = src.Client();
        a.Call("AUTH", "product-pass").AssertOk();
        a.Call("SET", "{p}1", "x").AssertOk();
        a.Call("SET", "{p}2", "y").AssertOk();
        Assert.Equal(2, a.Call("SLOTSMGRTTAGONE", "127.0.0.1", dst.Port.ToString(), "5000", "{p}1").AssertInt());
        using var b = dst.Client();
        b.Call("AUTH", "product-pass").AssertOk();
        Assert.Equal(["x", "y"], b.Call("MGET", "{p}1", "{p}2").Texts());
    }

    [Fact]
    public void TargetThatStopsAnswering_TimesOut()
    {
        // A listener that accepts and never replies: the read is bounded by the timeout.
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        int port = ((IPEndPoint)silent.LocalEndpoint).Port;
        using var a = fx.SourceClient(6);
        a.Call("SET", "slow", "v").AssertOk();
        var sw = System.Diagnostics.Stopwatch.StartNew();
        a.Call("SLOTSMGRTONE", "127.0.0.1", port.ToString(), "300", "slow").AssertError("IOERR error or timeout reading from target");
        Assert.InRange(sw.ElapsedMilliseconds, 250, 5000);
        Assert.Equal("v", a.Call("GET", "slow").Text);
    }

    internal static int ClosedPort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }
}
