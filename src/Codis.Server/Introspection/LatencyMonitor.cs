namespace Codis.Server.Introspection;

/// <summary>
/// The latency monitor (LATENCY LATEST / HISTORY / GRAPH / DOCTOR): for each event ("command", "fast-command",
/// "expire-cycle", "aof-write", ...) the latest 160 seconds in which it took latency-monitor-threshold milliseconds
/// or more, one sample per second (its highest), and the all-time highest. Events come from the command path and
/// the cron (under the keyspace lock) and from AOF commits (event-loop threads), hence its own lock; callers
/// compare against <see cref="ThresholdMicros"/> first, so with the monitor off nothing else runs.
/// </summary>
internal sealed class LatencyMonitor
{
    public const int HistoryLength = 160;

    public readonly record struct Sample(long UnixSeconds, long Milliseconds);

    /// <summary>One event's samples, oldest first, and its all-time highest.</summary>
    public sealed record Series(string Event, Sample[] Samples, long Max);

    private sealed class Ring
    {
        public readonly Sample[] Samples = new Sample[HistoryLength];
        public int Next;
        public int Count;
        public long Max;

        public Sample[] Ordered()
        {
            var list = new Sample[Count];
            for (int i = 0; i < Count; i++) list[i] = Samples[(Next - Count + i + HistoryLength) % HistoryLength];
            return list;
        }
    }

    private readonly Dictionary<string, Ring> events = new(StringComparer.Ordinal);
    private readonly Lock gate = new();

    /// <summary>latency-monitor-threshold in milliseconds; 0 = off.</summary>
    public long ThresholdMs { get; private set; }

    /// <summary>The threshold in microseconds, long.MaxValue when off: the one comparison callers make.</summary>
    public long ThresholdMicros { get; private set; } = long.MaxValue;

    public void SetThreshold(long milliseconds)
    {
        ThresholdMs = milliseconds;
        ThresholdMicros = milliseconds <= 0 ? long.MaxValue : milliseconds > long.MaxValue / 1000 ? long.MaxValue - 1 : milliseconds * 1000;
    }

    /// <summary>Records an event that took <paramref name="micros"/>, if that reaches the threshold.</summary>
    public void AddIfNeeded(string name, long micros)
    {
        if (micros >= ThresholdMicros) Add(name, micros / 1000);
    }

    /// <summary>Starts timing a step for <see cref="End"/>: a timestamp, or 0 without reading the clock when the monitor is off.</summary>
    public long Start() => ThresholdMicros == long.MaxValue ? 0 : System.Diagnostics.Stopwatch.GetTimestamp();

    /// <summary>Records the step timed since <see cref="Start"/> as <paramref name="name"/>, if it took long enough.</summary>
    public void End(string name, long started)
    {
        if (started != 0) AddIfNeeded(name, (long)System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMicroseconds);
    }

    private void Add(string name, long milliseconds)
    {
        long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        lock (gate)
        {
            if (!events.TryGetValue(name, out var ring)) events[name] = ring = new Ring();
            ring.Max = Math.Max(ring.Max, milliseconds);
            // Within the same second the sample keeps the highest value.
            int last = (ring.Next + HistoryLength - 1) % HistoryLength;
            if (ring.Count > 0 && ring.Samples[last].UnixSeconds == now)
            {
                if (milliseconds > ring.Samples[last].Milliseconds) ring.Samples[last] = new Sample(now, milliseconds);
                return;
            }
            ring.Samples[ring.Next] = new Sample(now, milliseconds);
            ring.Next = (ring.Next + 1) % HistoryLength;
            ring.Count = Math.Min(ring.Count + 1, HistoryLength);
        }
    }

    /// <summary>Every event with its samples, in the order they were first seen.</summary>
    public List<Series> All()
    {
        lock (gate) return events.Select(e => new Series(e.Key, e.Value.Ordered(), e.Value.Max)).ToList();
    }

    public Series? Find(string name)
    {
        lock (gate) return events.TryGetValue(name, out var ring) ? new Series(name, ring.Ordered(), ring.Max) : null;
    }

    /// <summary>Forgets the named events (all when none are named); returns how many were removed.</summary>
    public int Reset(IReadOnlyList<string> names)
    {
        lock (gate)
        {
            if (names.Count == 0)
            {
                int all = events.Count;
                events.Clear();
                return all;
            }
            // Names match in any case here (as Redis's RESET), while HISTORY and GRAPH want the exact name.
            int removed = 0;
            foreach (var name in names)
                foreach (var key in events.Keys.Where(k => k.Equals(name, StringComparison.OrdinalIgnoreCase)).ToList())
                    if (events.Remove(key)) removed++;
            return removed;
        }
    }

    public bool IsEmpty
    {
        get { lock (gate) return events.Count == 0; }
    }
}
