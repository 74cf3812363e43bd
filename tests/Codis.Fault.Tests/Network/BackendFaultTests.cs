using System.Diagnostics;
using Codis.Fault.Tests.Support;
using Codis.Testing;
using Xunit.Abstractions;

namespace Codis.Fault.Tests.Network;

/// <summary>
/// Backend trouble on loopback: a <see cref="TcpFaultProxy"/> sits between codis-proxy and the server of half the
/// slots, and turns silent, slow, or closes mid-reply. Only requests to those slots may suffer (an error reply,
/// within the configured backend timeout), the other half's clients see no error and no stall, and the proxy
/// serves the slots again once the backend behaves.
/// </summary>
[Collection(FaultCollection.Name)]
public class BackendFaultTests(ITestOutputHelper output)
{
    private const string RecvTimeout = "2s";

    private sealed class Rig : IDisposable
    {
        public readonly CodisServerProcess Bad = CodisServerProcess.Start();
        public readonly CodisServerProcess Good = CodisServerProcess.Start();
        public readonly TcpFaultProxy Relay;
        public readonly CodisProxyProcess Proxy;

        public Rig()
        {
            Relay = new TcpFaultProxy(Bad.Port);
            Proxy = CodisProxyProcess.StartWithSlots(
                [.. CodisProxyProcess.Range(0, 511, Relay.Address, 1), .. CodisProxyProcess.Range(512, 1023, $"127.0.0.1:{Good.Port}", 2)],
                "--backend_recv_timeout", RecvTimeout, "--backend_ping_period", "1s");
        }

        public void Dispose()
        {
            Proxy.Dispose();
            Relay.Dispose();
            Bad.Dispose();
            Good.Dispose();
        }
    }

    /// <summary>One SET through the proxy on a fresh client: the reply (or the exception's message) and how long it took.</summary>
    private static (string Reply, bool Error, TimeSpan Took) Probe(CodisProxyProcess proxy, string key, string value, int timeoutMs = 20_000)
    {
        var sw = Stopwatch.StartNew();
        try
        {
            using var c = proxy.Client(timeoutMs);
            var r = c.Call("SET", key, value);
            return (r.ToString() ?? "", r.IsError, sw.Elapsed);
        }
        catch (IOException e) { return ("I/O: " + e.Message, true, sw.Elapsed); }
    }

    [Theory]
    [InlineData(FaultMode.Silent)]
    [InlineData(FaultMode.Slow)]
    [InlineData(FaultMode.CloseMidReply)]
    public async Task OnlyTheAffectedSlotsSufferAndTheyRecover(FaultMode mode)
    {
        using var rig = new Rig();
        string badKey = Keys.TagIn(0, 511) + ":probe", goodTag = Keys.TagIn(512, 1023);
        Assert.False(Probe(rig.Proxy, badKey, "0").Error, "the bad backend works before the fault");

        var recorder = new AckRecorder(Stopwatch.StartNew());
        await using var others = new RecordedLoad(recorder, () => rig.Proxy.Client(15_000), goodTag + ":", workers: 2, keysPerWorker: 200);
        others.WaitForAcks(200, TimeSpan.FromSeconds(20));
        others.ResetMaxLatency();

        rig.Relay.Mode = mode;
        var probes = Enumerable.Range(1, 3).Select(i => { var p = Probe(rig.Proxy, badKey, i.ToString()); Thread.Sleep(200); return p; }).ToList();
        foreach (var p in probes) output.WriteLine($"{mode}: SET on the affected slot → {p.Reply} in {p.Took.TotalMilliseconds:0} ms");

        switch (mode)
        {
            case FaultMode.Silent:
                // an error reply, bounded by backend_recv_timeout (2 s) + the proxy's 1 s check + margin
                Assert.All(probes, p => Assert.True(p.Error && p.Reply.Contains("backend conn timeout"), p.Reply));
                Assert.All(probes, p => Assert.InRange(p.Took, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(8)));
                break;
            case FaultMode.Slow:
                // slower than the relay's delay, but correct
                Assert.All(probes, p => Assert.False(p.Error, p.Reply));
                Assert.All(probes, p => Assert.True(p.Took >= rig.Relay.Delay * 0.8, $"{p.Took} for a {rig.Relay.Delay} delay"));
                break;
            case FaultMode.CloseMidReply:
                // the half reply is never passed on as a reply: an error, at once
                Assert.All(probes, p => Assert.True(p.Error && p.Reply.Contains("backend conn reset"), p.Reply));
                Assert.All(probes, p => Assert.True(p.Took < TimeSpan.FromSeconds(2), $"{p.Took}"));
                Assert.True(rig.Relay.Cuts >= 3, $"{rig.Relay.Cuts} replies cut");
                break;
        }

        rig.Relay.Mode = FaultMode.Pass;
        var recovery = Stopwatch.StartNew();
        SeedEnvEventually(() => !Probe(rig.Proxy, badKey, "ok", 5000).Error, TimeSpan.FromSeconds(20), "the affected slots are served again");
        output.WriteLine($"{mode}: served again {recovery.Elapsed.TotalMilliseconds:0} ms after the backend was repaired");
        using (var c = rig.Proxy.Client()) Assert.Equal("ok", c.Call("GET", badKey).Text);

        others.WaitForAcks(100, TimeSpan.FromSeconds(20));
        await others.StopAsync();
        output.WriteLine($"{mode}: the other slots' clients: {others.Acks} writes, {others.Errors.Count} errors, slowest {others.MaxLatency.TotalMilliseconds:0} ms");
        Assert.True(others.Errors.Count == 0, string.Join("\n", others.Errors.Take(5)));
        Assert.True(others.MaxLatency < TimeSpan.FromSeconds(1.5), $"another slot's client waited {others.MaxLatency}");
        Assert.Empty(recorder.Verify(() => rig.Proxy.Client()));
        Assert.True(!rig.Proxy.HasExited, "the proxy is still running");
    }

    private static void SeedEnvEventually(Func<bool> condition, TimeSpan timeout, string what) =>
        Codis.Testing.Cluster.SeedEnv.Eventually(condition, timeout, what);
}
