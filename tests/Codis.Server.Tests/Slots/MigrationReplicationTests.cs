using Codis.Core.Resp;
using Codis.Server.Tests.Infrastructure;
using Codis.Testing;

namespace Codis.Server.Tests.Slots;

/// <summary>Keys moved away from a master disappear from its replica too (sync and semi-async), and arrive on the target's replica.</summary>
public class MigrationReplicationTests
{
    private static void Until(Func<bool> condition, string what)
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            if (sw.Elapsed > TimeSpan.FromSeconds(30)) throw new TimeoutException("waited in vain for " + what);
            Thread.Sleep(20);
        }
    }

    [Fact]
    public void MovedKeys_LeaveTheSourceReplica_AndReachTheTargetReplica()
    {
        using var a = CodisServerProcess.Start("--save", "");
        using var b = CodisServerProcess.Start("--save", "");
        using var ra = CodisServerProcess.Start("--save", "", "--replicaof", $"127.0.0.1 {a.Port}");
        using var rb = CodisServerProcess.Start("--save", "", "--replicaof", $"127.0.0.1 {b.Port}");
        using var ca = a.Client();
        using var cra = ra.Client();
        using var crb = rb.Client();
        ca.Call("SELECT", "2").AssertOk();
        cra.Call("SELECT", "2").AssertOk();
        crb.Call("SELECT", "2").AssertOk();
        ca.Call("MSET", "{r}1", "a", "{r}2", "b", "s1", "c", "s2", "d").AssertOk();
        ca.Call("PEXPIRE", "s1", "100000").AssertInt();
        Until(() => cra.Call("DBSIZE").Integer == 4, "the source replica to get 4 keys");

        string port = b.Port.ToString();
        Assert.Equal(2, ca.Call("SLOTSMGRTTAGONE", "127.0.0.1", port, "5000", "{r}1").AssertInt());
        Assert.Equal(2, ca.Call("SLOTSMGRTONE-ASYNC", "127.0.0.1", port, "5000", "0", "0", "s1", "s2").AssertInt());
        Until(() => cra.Call("DBSIZE").Integer == 0, "the source replica to drop the moved keys");
        Until(() => crb.Call("DBSIZE").Integer == 4, "the target replica to get the moved keys");
        Assert.Equal(["a", "b", "c", "d"], crb.Call("MGET", "{r}1", "{r}2", "s1", "s2").Texts());
        Assert.InRange(crb.Call("PTTL", "s1").AssertInt(), 80000, 100000);
        Assert.Equal(-1, crb.Call("PTTL", "s2").AssertInt());
    }
}
