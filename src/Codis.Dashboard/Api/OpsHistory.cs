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

    private readonly Func<IReadOnlyDictionary<string, long>> read;
    private readonly Sample[] ring = new Sample[Capacity];
    private readonly Lock gate = new();
    private Timer? timer;
    private int next, count;

    /// <summary>Samples <paramref name="read"/> (proxy token → ops/s) when <see cref="Take"/> is called.</summary>
    public OpsHistory(Func<IReadOnlyDictionary<string, long>> read) => this.read = read;

    /// <summary>A history sampling the health monitor's proxy stats every <see cref="Interval"/>.</summary>
    public static OpsHistory Start(HealthMonitor health)
    {
        var h = new OpsHistory(() =>
        {
            var qps = new Dictionary<string, long>();
            foreach (var (token, p) in health.Proxies)
                if (p.Stats?["ops"]?["qps"]?.GetValue<long>() is long q) qps[token] = q;
            return qps;
        });
        h.timer = new Timer(_ => h.Take(), null, TimeSpan.Zero, Interval);
        return h;
    }

    public void Take(long? unixMs = null)
    {
        var proxies = read();
        var s = new Sample(unixMs ?? DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), proxies.Values.Sum(), proxies);
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

    public void Dispose() => timer?.Dispose();
}
