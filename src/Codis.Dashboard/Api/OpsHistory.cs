using Codis.Dashboard.Failover;

namespace Codis.Dashboard.Api;

/// <summary>
/// The last two minutes of ops/s, product total and per proxy, one sample a second from what the health monitor
/// last read of each proxy; the web UI draws its charts from it, so they have a history as soon as a page opens.
/// </summary>
internal sealed class OpsHistory : IDisposable
{
    public const int Capacity = 120;
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    public sealed record Sample(long UnixMs, long Total, IReadOnlyDictionary<string, long> Proxies);

    private readonly HealthMonitor health;
    private readonly Sample[] ring = new Sample[Capacity];
    private readonly Lock gate = new();
    private readonly Timer timer;
    private int next, count;

    public OpsHistory(HealthMonitor health)
    {
        this.health = health;
        timer = new Timer(_ => Take(), null, TimeSpan.Zero, Interval);
    }

    private void Take()
    {
        var proxies = new Dictionary<string, long>();
        foreach (var (token, h) in health.Proxies)
            if (h.Stats?["ops"]?["qps"]?.GetValue<long>() is long q) proxies[token] = q;
        var s = new Sample(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), proxies.Values.Sum(), proxies);
        lock (gate)
        {
            ring[next] = s;
            next = (next + 1) % Capacity;
            count = Math.Min(count + 1, Capacity);
        }
    }

    /// <summary>The samples, oldest first.</summary>
    public IReadOnlyList<Sample> Samples()
    {
        lock (gate)
        {
            var list = new List<Sample>(count);
            for (int i = 0; i < count; i++) list.Add(ring[(next - count + i + Capacity) % Capacity]);
            return list;
        }
    }

    public void Dispose() => timer.Dispose();
}
