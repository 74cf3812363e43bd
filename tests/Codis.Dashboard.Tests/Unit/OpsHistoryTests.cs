using Codis.Dashboard.Api;

namespace Codis.Dashboard.Tests.Unit;

/// <summary>The ops/s history the web UI's charts start from: oldest first, the last 120 samples, totals summed.</summary>
public class OpsHistoryTests
{
    [Fact]
    public void KeepsTheLastSamplesOldestFirstWithTheTotalOfEveryProxy()
    {
        long n = 0;
        var h = new OpsHistory(() => new Dictionary<string, long> { ["a"] = n, ["b"] = 2 * n });
        Assert.Empty(h.Samples());
        for (n = 1; n <= 5; n++) h.Take(1000 * n);
        var five = h.Samples();
        Assert.Equal([1000L, 2000, 3000, 4000, 5000], five.Select(s => s.UnixMs));
        Assert.Equal(3 * 5, five[^1].Total);
        Assert.Equal(10, five[^1].Proxies["b"]);

        for (; n <= OpsHistory.Capacity + 37; n++) h.Take(1000 * n); // wraps around the ring
        var all = h.Samples();
        Assert.Equal(OpsHistory.Capacity, all.Count);
        Assert.Equal(38_000, all[0].UnixMs);
        Assert.Equal(1000L * (OpsHistory.Capacity + 37), all[^1].UnixMs);
        Assert.Equal(all.Select(s => s.UnixMs).Order(), all.Select(s => s.UnixMs));
        Assert.All(all, s => Assert.Equal(3 * s.UnixMs / 1000, s.Total));
    }
}
