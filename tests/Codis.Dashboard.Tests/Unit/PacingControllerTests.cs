using System.Text.Json.Nodes;
using Codis.Dashboard.Config;
using Codis.Dashboard.Migration;

namespace Codis.Dashboard.Tests.Unit;

/// <summary>The latency guard's control law (window → factor → pause) and its inputs, without processes.</summary>
public class PacingControllerTests
{
    private static LatencyWindow Mean(double micros, long calls = 10_000) => new(calls, (long)(micros * calls));

    private static PacingController WithBaseline(double limit, double baselineMicros)
    {
        var c = new PacingController(limit);
        c.Reset();
        c.SetBaseline(Mean(baselineMicros));
        return c;
    }

    [Fact]
    public void OverTheLimitTheFactorGrowsAndIsBounded()
    {
        var c = WithBaseline(1.3, 100);
        c.Observe(Mean(200));
        Assert.Equal(PacingController.StartFactor, c.Factor);
        Assert.Equal(2.0, c.Ratio!.Value, 3);
        Assert.Equal("pacing", c.State);
        c.Observe(Mean(140)); // just over: the smallest step
        Assert.Equal(PacingController.StartFactor * PacingController.MinRaise, c.Factor, 6);
        c.Observe(Mean(1000)); // far over: the largest
        Assert.Equal(PacingController.StartFactor * PacingController.MinRaise * PacingController.MaxRaise, c.Factor, 6);
        c.Observe(Mean(195)); // 1.5 × the limit
        Assert.Equal(PacingController.StartFactor * PacingController.MinRaise * PacingController.MaxRaise * 1.5, c.Factor, 6);
        for (int i = 0; i < 50; i++) c.Observe(Mean(500));
        Assert.Equal(PacingController.MaxFactor, c.Factor);
    }

    [Fact]
    public void UnderTheLimitTheFactorShrinksToZero()
    {
        var c = WithBaseline(1.3, 100);
        for (int i = 0; i < 10; i++) c.Observe(Mean(300));
        double high = c.Factor;
        c.Observe(Mean(120)); // just under: the smallest step
        Assert.Equal(high * PacingController.MinLower, c.Factor, 6);
        Assert.False(c.BaselineLooksStale);
        c.Observe(Mean(10)); // far under: the largest, and the baseline looks stale
        Assert.Equal(high * PacingController.MinLower * PacingController.MaxLower, c.Factor, 6);
        Assert.True(c.BaselineLooksStale);
        for (int i = 0; i < 100 && c.Factor > 0; i++) c.Observe(Mean(110));
        Assert.Equal(0, c.Factor);
        Assert.Equal("full speed", c.State);
    }

    [Fact]
    public void FewCallsMeanNoClientsAndFullSpeed()
    {
        var c = new PacingController(1.3);
        c.Reset();
        c.SetBaseline(Mean(100, calls: PacingController.MinCalls - 1));
        c.Observe(Mean(5000, calls: PacingController.MinCalls - 1));
        Assert.Equal(("no clients", 0.0), (c.State, c.Factor));
        Assert.Null(c.Ratio);
    }

    [Fact]
    public void AfterABusyBaselineAThinWindowHoldsTheFactor()
    {
        var c = WithBaseline(1.3, 100);
        for (int i = 0; i < 5; i++) c.Observe(Mean(400));
        double f = c.Factor;
        Assert.True(f > 0);
        c.Observe(new LatencyWindow(0, 0)); // clients stalled (or gone: the next baseline tells)
        Assert.Equal(("few calls", f), (c.State, c.Factor));
        c.SetBaseline(new LatencyWindow(3, 300)); // they left
        c.Observe(new LatencyWindow(0, 0));
        Assert.Equal(("no clients", 0.0), (c.State, c.Factor));
    }

    [Fact]
    public void ClientsTheMigrationSlowsStillCount()
    {
        // a closed-loop client answers fewer calls when it waits longer: a thin window after a busy baseline is paced
        var c = WithBaseline(1.3, 100);
        c.Observe(Mean(800, calls: PacingController.MinWindowCalls));
        Assert.Equal(8, c.Ratio!.Value, 3);
        Assert.Equal(PacingController.StartFactor, c.Factor);
    }

    [Fact]
    public void WithoutABaselineTheFactorIsHeld()
    {
        var c = new PacingController(1.3);
        c.Reset();
        c.SetBaseline(Mean(100, calls: 10)); // too few calls: no baseline
        Assert.Null(c.BaselineMicros);
        c.Observe(Mean(1000));
        Assert.Equal(0, c.Factor);
        Assert.Equal("no baseline", c.State);
        Assert.Equal(1000, c.CurrentMicros!.Value, 3);
    }

    [Fact]
    public void ZeroTurnsTheGuardOff()
    {
        var c = WithBaseline(0, 100);
        Assert.False(c.Enabled);
        c.Observe(Mean(10_000));
        Assert.Equal(0, c.Factor);
        Assert.Equal("off", c.State);
    }

    [Fact]
    public void PauseIsFactorTimesTheCallBetweenTheIntervalAndTheCap()
    {
        static TimeSpan ms(double v) => TimeSpan.FromMilliseconds(v);
        Assert.Equal(ms(5), PacingController.PauseAfter(ms(10), 0.5, TimeSpan.Zero, ms(100)));
        Assert.Equal(ms(100), PacingController.PauseAfter(ms(10), 20, TimeSpan.Zero, ms(100)));
        Assert.Equal(ms(3), PacingController.PauseAfter(ms(10), 0, ms(3), ms(100))); // the action interval stays a minimum
        Assert.Equal(ms(3), PacingController.PauseAfter(ms(1), 1, ms(3), ms(100)));
        Assert.Equal(TimeSpan.Zero, PacingController.PauseAfter(ms(10), 0, TimeSpan.Zero, ms(100)));
    }

    [Fact]
    public void CountersSumEveryCommandButTheBlockingOnes()
    {
        var stats = JsonNode.Parse("""
            {"ops": {"total": 9, "cmd": [
              {"opstr": "GET", "calls": 100, "usecs": 5000},
              {"opstr": "SET", "calls": 50, "usecs": 4000},
              {"opstr": "BLPOP", "calls": 2, "usecs": 20000000},
              {"opstr": "XREAD", "calls": 1, "usecs": 3000000}]}}
            """);
        Assert.Equal((150L, 9000L), MigrationPacer.Counters(stats));
        Assert.Equal((0L, 0L), MigrationPacer.Counters(JsonNode.Parse("""{"ops": {"total": 0}}""")));
    }

    [Fact]
    public void WindowsSkipProxiesThatWentAwayOrWereReset()
    {
        var before = new Dictionary<string, (long, long)> { ["a"] = (1000, 50_000), ["b"] = (500, 9_000), ["c"] = (10, 10) };
        var after = new Dictionary<string, (long, long)> { ["a"] = (3000, 150_000), ["b"] = (20, 400), ["d"] = (99, 99) };
        var w = MigrationPacer.Delta(before, after);
        Assert.Equal(new LatencyWindow(2000, 100_000), w);
        Assert.Equal(50, w.MeanMicros);
    }

    [Theory]
    [InlineData("0", true)]
    [InlineData("1.3", true)]
    [InlineData("1", true)]
    [InlineData("0.5", false)]
    [InlineData("-1", false)]
    [InlineData("fast", false)]
    public void GuardSettingIsOffOrARatioOfAtLeastOne(string value, bool ok)
    {
        var s = DashboardSettings.Create();
        Assert.Equal(ok, s.TrySet("migration_latency_guard", value) == null);
        Assert.Equal(1.3, MigrationPacer.ParseGuard(DashboardSettings.Create()["migration_latency_guard"].Value));
    }
}
