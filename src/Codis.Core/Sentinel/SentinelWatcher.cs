using Codis.Core.Logging;
using Codis.Core.Resp;

namespace Codis.Core.Sentinel;

/// <summary>
/// Watches a product's sentinels as the original's proxy and dashboard do (reference/codis.md §7.3): SUBSCRIBE
/// +switch-master on every sentinel (long read timeout, resubscribe; retry after a failure). When a majority of
/// the subscriptions is established, or a Codis-owned master switches, the masters are read from a majority
/// (highest config-epoch per group) and handed to <see cref="SentinelWatcher(string, IReadOnlyList{string}, Func{IReadOnlyDictionary{int, SentinelMaster}, Task}, SentinelWatchTimings?)"/>'s
/// callback: up to <see cref="SentinelWatchTimings.Attempts"/> rounds apart until two of them succeeded, so a
/// sentinel that learns the switch late is read again.
/// </summary>
public sealed class SentinelWatcher : IDisposable
{
    private readonly string product;
    private readonly string[] servers;
    private readonly Func<IReadOnlyDictionary<int, SentinelMaster>, Task> onMasters;
    private readonly SentinelWatchTimings timings;
    private readonly CancellationTokenSource stop = new();
    private readonly SemaphoreSlim trigger = new(0, int.MaxValue);
    private readonly List<RespClient> links = [];
    private readonly Lock gate = new();
    private int subscribed;
    private bool majorityReported;

    public SentinelWatcher(string product, IReadOnlyList<string> servers, Func<IReadOnlyDictionary<int, SentinelMaster>, Task> onMasters,
        SentinelWatchTimings? timings = null)
    {
        this.product = product;
        this.servers = servers.ToArray();
        this.onMasters = onMasters;
        this.timings = timings ?? new SentinelWatchTimings();
    }

    public IReadOnlyList<string> Servers => servers;

    /// <summary>Subscriptions established now.</summary>
    public int Subscribed => Volatile.Read(ref subscribed);

    /// <summary>The masters of the last successful round, by group id (empty before the first).</summary>
    public IReadOnlyDictionary<int, SentinelMaster> Masters { get; private set; } = new Dictionary<int, SentinelMaster>();

    public void Start()
    {
        foreach (var s in servers)
            _ = Task.Factory.StartNew(() => SubscribeLoop(s), TaskCreationOptions.LongRunning);
        _ = Task.Run(RefreshLoopAsync);
    }

    private void SubscribeLoop(string addr)
    {
        while (!stop.IsCancellationRequested)
        {
            RespClient? c = null;
            bool counted = false;
            try
            {
                c = SentinelQuery.Open(addr, timings.ConnectTimeout);
                lock (gate)
                {
                    if (stop.IsCancellationRequested) { c.Dispose(); return; }
                    links.Add(c);
                }
                var ack = c.Call("SUBSCRIBE", "+switch-master");
                if (ack.IsError) throw new InvalidOperationException(ack.Text);
                counted = true;
                if (Interlocked.Increment(ref subscribed) > servers.Length / 2)
                {
                    bool first;
                    lock (gate) { first = !majorityReported; majorityReported = true; }
                    if (first) trigger.Release();
                }
                c.Timeout = timings.SubscribeReadTimeout;
                while (!stop.IsCancellationRequested)
                {
                    var msg = c.Read();
                    if (msg.Items is { Length: 3 } m && m[0].Text == "message")
                    {
                        // "<name> <old ip> <old port> <new ip> <new port>"
                        var parts = (m[2].Text ?? "").Split(' ');
                        if (parts.Length == 5 && SentinelNames.GroupOf(product, parts[0]) is int gid)
                        {
                            Log.Warn("sentinel: +switch-master", ("sentinel", addr), ("gid", gid),
                                ("from", $"{parts[1]}:{parts[2]}"), ("to", $"{parts[3]}:{parts[4]}"));
                            trigger.Release();
                        }
                    }
                }
            }
            catch (Exception e)
            {
                // whatever ends a subscription (a closed link, a timeout, a malformed reply), the watch goes on
                if (stop.IsCancellationRequested) return;
                // a read that timed out after the long quiet period just resubscribes; anything else waits first
                bool quiet = counted && e is IOException { InnerException: System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.TimedOut } };
                if (!quiet) Log.Warn("sentinel: subscription lost; retrying", ("sentinel", addr), ("error", e.Message), ("retry_s", timings.RetryAfter.TotalSeconds));
                if (counted) Lost();
                counted = false;
                lock (gate) if (c != null) links.Remove(c);
                c?.Dispose();
                if (!quiet && stop.Token.WaitHandle.WaitOne(timings.RetryAfter)) return;
                continue;
            }
            finally
            {
                if (counted) Lost();
            }
        }
    }

    /// <summary>A subscription ended; below a majority, the next majority established reads the masters again.</summary>
    private void Lost()
    {
        if (Interlocked.Decrement(ref subscribed) <= servers.Length / 2)
            lock (gate) majorityReported = false;
    }

    private async Task RefreshLoopAsync()
    {
        var ct = stop.Token;
        while (!ct.IsCancellationRequested)
        {
            try { await trigger.WaitAsync(ct).ConfigureAwait(false); }
            catch (OperationCanceledException) { return; }
            int ok = 0;
            for (int attempt = 0; attempt < timings.Attempts && ok < 2 && !ct.IsCancellationRequested; attempt++)
            {
                if (attempt > 0)
                {
                    // a new event restarts the count: the next round runs at once
                    try
                    {
                        if (await trigger.WaitAsync(timings.RoundInterval, ct).ConfigureAwait(false)) { while (trigger.CurrentCount > 0) trigger.Wait(0); ok = 0; }
                    }
                    catch (OperationCanceledException) { return; }
                }
                Dictionary<int, SentinelMaster>? masters;
                try { masters = await SentinelQuery.MajorityMastersAsync(servers, product, timings.QueryTimeout).ConfigureAwait(false); }
                catch (Exception e) when (e is IOException or InvalidOperationException or TimeoutException) { masters = null; }
                if (masters == null)
                {
                    Log.Warn("sentinel: no majority answered SENTINEL MASTERS; trying again", ("sentinels", servers.Length), ("attempt", attempt + 1));
                    continue;
                }
                Masters = masters;
                try { await onMasters(masters).ConfigureAwait(false); ok++; }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    Log.Warn("sentinel: applying the masters failed; trying again", ("error", e.Message));
                }
            }
        }
    }

    public void Dispose()
    {
        lock (gate)
        {
            if (stop.IsCancellationRequested) return;
            stop.Cancel();
            foreach (var c in links) c.Dispose();
            links.Clear();
        }
    }
}

/// <summary>The watcher's timings; the defaults are the original's.</summary>
public sealed record SentinelWatchTimings
{
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);
    public TimeSpan SubscribeReadTimeout { get; init; } = TimeSpan.FromMinutes(15);
    public TimeSpan RetryAfter { get; init; } = TimeSpan.FromSeconds(10);
    public TimeSpan QueryTimeout { get; init; } = TimeSpan.FromSeconds(5);
    public TimeSpan RoundInterval { get; init; } = TimeSpan.FromSeconds(5);
    public int Attempts { get; init; } = 10;
}
