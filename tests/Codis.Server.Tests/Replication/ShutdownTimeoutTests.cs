using System.Diagnostics;
using Codis.Core.Resp;
using Codis.Testing;

namespace Codis.Server.Tests.Replicas;

/// <summary>
/// shutdown-timeout (Redis 7): a master that stops by SHUTDOWN or SIGTERM first lets its replicas acknowledge
/// everything, with writes paused; a replica that can't answer delays it by at most the timeout; NOW skips it.
/// </summary>
public class ShutdownTimeoutTests
{
    private static void Write(RespClient m, int n)
    {
        for (int i = 0; i < n; i++) m.Send([.. new[] { "SET", $"k{i}", new string('v', 200) }.Select(System.Text.Encoding.UTF8.GetBytes)]);
        m.Flush();
        for (int i = 0; i < n; i++) Assert.Equal("OK", m.Read().Text);
    }

    [Fact]
    public void Sigterm_waits_for_a_replica_that_answers_and_it_has_every_write()
    {
        using var master = CodisServerProcess.Start("--save", "");
        using var replica = CodisServerProcess.Start("--save", "", "--replicaof", $"127.0.0.1 {master.Port}");
        using (var r = replica.Client()) ReplicationTests.WaitLinkUp(r);
        using (var m = master.Client()) Write(m, 20_000);
        master.Signal(15);
        Assert.True(master.WaitForExit(TimeSpan.FromSeconds(20)), "the master did not stop");
        using var rc = replica.Client();
        Assert.Equal(20_000, rc.Call("DBSIZE").Integer);
    }

    [Fact]
    public void Shutdown_waits_at_most_the_timeout_for_a_stuck_replica_and_now_does_not_wait()
    {
        foreach (var now in new[] { false, true })
        {
            using var master = CodisServerProcess.Start("--save", "", "--shutdown-timeout", "2");
            using var replica = CodisServerProcess.Start("--save", "", "--replicaof", $"127.0.0.1 {master.Port}");
            using (var r = replica.Client()) ReplicationTests.WaitLinkUp(r);
            // The replica's side says "up" once it loaded the RDB; the master counts it online only at its first
            // ACK (as Redis does after a diskless transfer). WAIT makes sure it is online before it stops.
            using (var m = master.Client()) Assert.Equal(1, m.Call("WAIT", "1", "10000").Integer);
            replica.Signal(19); // SIGSTOP: connected, but never acknowledges again
            try
            {
                using var m = master.Client();
                Write(m, 100);
                var sw = Stopwatch.StartNew();
                try { m.Call(now ? ["SHUTDOWN", "NOW"] : ["SHUTDOWN"]); } catch (IOException) { }
                Assert.True(master.WaitForExit(TimeSpan.FromSeconds(20)), "the master did not stop");
                if (now) Assert.True(sw.Elapsed < TimeSpan.FromSeconds(1.5), $"SHUTDOWN NOW waited {sw.Elapsed}");
                else
                {
                    Assert.InRange(sw.Elapsed.TotalSeconds, 1.8, 10);
                    master.WaitForOutput("Lagging replicas after shutdown-timeout", TimeSpan.FromSeconds(5));
                }
            }
            finally { replica.Signal(18); }
        }
    }
}
