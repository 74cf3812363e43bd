using System.Diagnostics;
using Codis.Fault.Tests.Support;
using Codis.Testing;
using Xunit.Abstractions;

namespace Codis.Fault.Tests.Network;

/// <summary>
/// A backend down long enough for the proxy's reconnect back-off to reach its long steps (3.2 s, then 5 s), then
/// restarted on its port: requests that arrive during a step still fail fast, but they may start a probe dial
/// (one at a time, every 200 ms at most), so the restarted backend serves within about a second of being back
/// instead of at the end of the step.
/// </summary>
[Collection(FaultCollection.Name)]
public class BackendRestartTests(ITestOutputHelper output)
{
    [Fact]
    public void ARestartedBackendServesWithinASecondOfBeingBack()
    {
        var server = CodisServerProcess.Start();
        int port = server.Port;
        string dir = server.DataDir;
        using var proxy = CodisProxyProcess.StartWithSlots(CodisProxyProcess.Range(0, 1023, $"127.0.0.1:{port}", 1));
        using var c = proxy.Client(15_000);
        Assert.Equal("OK", c.Call("SET", "rs:k", "before").Text);

        server.Kill();
        server.Dispose();
        // ~7 s of failing requests every 10 ms: 10 immediate redials, then 50 ms doubling: the step is 5 s by now
        var down = Stopwatch.StartNew();
        int failed = 0;
        var slowest = TimeSpan.Zero;
        while (down.Elapsed < TimeSpan.FromSeconds(7))
        {
            var sw = Stopwatch.StartNew();
            var r = c.Call("SET", "rs:k", "down");
            if (sw.Elapsed > slowest) slowest = sw.Elapsed;
            Assert.True(r.IsError, $"a write to a dead backend was answered {r.Text}");
            Assert.StartsWith("ERR handle response, backend conn", r.Text);
            failed++;
            Thread.Sleep(10);
        }

        var restarted = CodisServerProcess.StartIn(dir, "--port", port.ToString());
        try
        {
            var back = Stopwatch.StartNew(); // from "Ready to accept connections"
            int failedAfter = 0;
            while (true)
            {
                var r = c.Call("SET", "rs:k", "after");
                if (!r.IsError) break;
                failedAfter++;
                Assert.True(back.Elapsed < TimeSpan.FromSeconds(10), $"no recovery: {r.Text}\n{proxy.Output}");
                Thread.Sleep(10);
            }
            var served = back.Elapsed;
            output.WriteLine($"down 7 s: {failed} requests failed, slowest {slowest.TotalMilliseconds:0} ms; restarted backend served " +
                $"{served.TotalMilliseconds:0} ms after it was ready ({failedAfter} requests failed meanwhile)");
            Assert.True(served < TimeSpan.FromSeconds(1.5), $"the restarted backend was used only after {served.TotalSeconds:0.0} s (the back-off step?)\n{proxy.Output}");
            // requests during the back-off failed at once, not held by a dial
            Assert.True(slowest < TimeSpan.FromSeconds(1), $"a request to the dead backend took {slowest.TotalMilliseconds:0} ms");
            Assert.Equal("after", c.Call("GET", "rs:k").Text);
            Assert.Contains("reconnected", proxy.Output);
        }
        finally
        {
            restarted.Dispose();
        }
    }
}
