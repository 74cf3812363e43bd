using Codis.Proxy.Metrics;

namespace Codis.Proxy.Tests;

/// <summary>The pushers' shared loop logic on a virtual clock: counting, once-a-minute warnings, recovery.</summary>
public class MetricsReporterTests
{
    private sealed class ManualClock : TimeProvider
    {
        public long Now;
        public override long TimestampFrequency => TimeSpan.TicksPerSecond;
        public override long GetTimestamp() => Now;
        public void Advance(TimeSpan by) => Now += by.Ticks;
    }

    private sealed class Scripted(TimeProvider clock) : MetricsReporter("test", "nowhere", TimeSpan.FromSeconds(1), clock)
    {
        public bool Down = true;
        protected override Task PushAsync(CancellationToken ct) =>
            Down ? Task.FromException(new HttpRequestException("Connection refused")) : Task.CompletedTask;
    }

    [Fact]
    public async Task PushOnce_TargetDown_CountsEveryFailure_WarnsOnceAMinute_ThenRecovers()
    {
        var clock = new ManualClock();
        await using var r = new Scripted(clock);
        for (int i = 0; i < 30; i++)
        {
            await r.PushOnceAsync();
            clock.Advance(TimeSpan.FromSeconds(1));
        }
        Assert.Equal(30, r.Fails);
        Assert.Equal(1, r.Warnings);
        Assert.Equal("Connection refused", r.LastError);

        clock.Advance(TimeSpan.FromSeconds(31)); // 61 s after the first warning
        await r.PushOnceAsync();
        Assert.Equal(2, r.Warnings);
        await r.PushOnceAsync();
        Assert.Equal(2, r.Warnings);

        r.Down = false;
        await r.PushOnceAsync();
        await r.PushOnceAsync();
        Assert.Equal(2, r.Pushes);
        Assert.Equal(32, r.Fails);
    }
}
