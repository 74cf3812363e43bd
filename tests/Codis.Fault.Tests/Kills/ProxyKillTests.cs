using System.Diagnostics;
using Codis.Fault.Tests.Support;
using Xunit.Abstractions;

namespace Codis.Fault.Tests.Kills;

/// <summary>kill -9 of one of two proxies: its clients lose their connections, the other proxy's clients see nothing.</summary>
[Collection(FaultCollection.Name)]
public class ProxyKillTests(ITestOutputHelper output)
{
    [Fact]
    public async Task KilledProxyLeavesTheOtherProxysClientsUntouched()
    {
        using var cluster = FaultCluster.Start(groups: 2, replicas: false, proxies: 2);
        var (doomed, survivor) = (cluster.Proxies[0], cluster.Proxies[1]);
        var recorder = new AckRecorder(Stopwatch.StartNew());
        await using var onDoomed = new RecordedLoad(recorder, () => doomed.Client(5000), "pk1:", workers: 1, keysPerWorker: 500);
        await using var onSurvivor = new RecordedLoad(recorder, () => survivor.Client(15_000), "pk2:", workers: 2, keysPerWorker: 500);
        onDoomed.WaitForAcks(300, TimeSpan.FromSeconds(30));
        onSurvivor.WaitForAcks(300, TimeSpan.FromSeconds(30));
        onSurvivor.ResetMaxLatency();

        doomed.Kill();
        onSurvivor.WaitForAcks(600, TimeSpan.FromSeconds(30));
        await onDoomed.StopAsync();
        await onSurvivor.StopAsync();
        output.WriteLine($"after kill -9 of proxy_1: its client had {onDoomed.Errors.Count} failed attempts; proxy_2's clients " +
            $"{onSurvivor.Acks} acknowledged writes, {onSurvivor.Errors.Count} errors, slowest {onSurvivor.MaxLatency.TotalMilliseconds:0} ms");

        Assert.NotEmpty(onDoomed.Errors);
        Assert.True(onSurvivor.Errors.Count == 0, string.Join("\n", onSurvivor.Errors.Take(5)));
        Assert.True(onSurvivor.MaxLatency < TimeSpan.FromSeconds(1.5), $"proxy_2's client waited {onSurvivor.MaxLatency}");
        // everything either proxy acknowledged is there, read through the survivor
        Assert.Empty(recorder.Verify(() => survivor.Client()));
    }
}
