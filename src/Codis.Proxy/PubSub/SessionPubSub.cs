using System.Text;
using Codis.Core.Logging;
using Codis.Core.Resp;
using Codis.Proxy.Backends;
using Codis.Proxy.Routing;

namespace Codis.Proxy.PubSub;

/// <summary>
/// The channels and patterns of one client session and the backend links that carry them (docs/pubsub.md):
/// a channel is subscribed on the master of its slot (and, while the slot migrates, on the source master too);
/// a pattern on every master. The state changes at once when a command is dispatched (so replies and the
/// subscribed-mode rule follow Redis exactly); <see cref="SyncAsync"/> then brings the links in line with it,
/// and runs again whenever the routing changes or a link is lost.
/// </summary>
internal sealed class SessionPubSub : IDisposable
{
    private static readonly TimeSpan ConfirmTimeout = TimeSpan.FromSeconds(10);

    private readonly Router router;
    private readonly BackendOptions options;
    private readonly Action<byte[]> deliver;
    private readonly Action<string> broken;
    private readonly string client;
    /// <summary>How long a lost link may stay unrecoverable before the session is closed (pubsub_recovery_timeout).</summary>
    private readonly TimeSpan recoveryGrace;
    private readonly Lock sync = new();
    private readonly HashSet<string> channels = new(StringComparer.Ordinal);
    private readonly HashSet<string> patterns = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SubscriberLink> links = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim turn = new(1, 1);
    private int recovering;
    private bool disposed;

    public SessionPubSub(Router router, BackendOptions options, string client, TimeSpan recoveryGrace, Action<byte[]> deliver, Action<string> broken)
    {
        this.recoveryGrace = recoveryGrace;
        this.router = router;
        this.options = options;
        this.client = client;
        this.deliver = deliver;
        this.broken = broken;
    }

    /// <summary>Channels + patterns: the count Redis puts in (un)subscribe confirmations.</summary>
    public int Count
    {
        get { lock (sync) return channels.Count + patterns.Count; }
    }

    public bool Active => Count > 0;

    public int LinkCount
    {
        get { lock (sync) return links.Count; }
    }

    /// <summary>Adds names; returns the confirmations (one frame per name) and the names that were new.</summary>
    public (byte[] Reply, List<string> Added) Subscribe(IReadOnlyList<string> names, bool pattern)
    {
        var reply = new StringBuilder();
        var added = new List<string>();
        lock (sync)
        {
            var set = pattern ? patterns : channels;
            foreach (var n in names)
            {
                if (set.Add(n)) added.Add(n);
                Frame(reply, pattern ? "psubscribe" : "subscribe", n, channels.Count + patterns.Count);
            }
        }
        return (Encoding.Latin1.GetBytes(reply.ToString()), added);
    }

    /// <summary>Removes names (all of the kind when none are given); returns the confirmations.</summary>
    public byte[] Unsubscribe(IReadOnlyList<string> names, bool pattern)
    {
        var reply = new StringBuilder();
        string verb = pattern ? "punsubscribe" : "unsubscribe";
        lock (sync)
        {
            var set = pattern ? patterns : channels;
            var list = names.Count > 0 ? names : set.ToList();
            if (list.Count == 0)
                reply.Append("*3\r\n$").Append(verb.Length).Append("\r\n").Append(verb).Append("\r\n$-1\r\n:").Append(channels.Count + patterns.Count).Append("\r\n");
            foreach (var n in list)
            {
                set.Remove(n);
                Frame(reply, verb, n, channels.Count + patterns.Count);
            }
        }
        return Encoding.Latin1.GetBytes(reply.ToString());
    }

    /// <summary>Takes back names a failed SUBSCRIBE added.</summary>
    public void Rollback(List<string> added, bool pattern)
    {
        lock (sync)
        {
            var set = pattern ? patterns : channels;
            foreach (var n in added) set.Remove(n);
        }
    }

    public void Clear()
    {
        lock (sync)
        {
            channels.Clear();
            patterns.Clear();
        }
    }

    private static void Frame(StringBuilder sb, string verb, string name, int count) =>
        sb.Append("*3\r\n$").Append(verb.Length).Append("\r\n").Append(verb).Append("\r\n$")
          .Append(name.Length).Append("\r\n").Append(name).Append("\r\n:").Append(count).Append("\r\n");

    /// <summary>
    /// Where a channel is subscribed: its slot's master, plus the source master while the slot migrates; a
    /// keyevent channel on every master (<see cref="ChannelRoute"/>).
    /// </summary>
    private static void ChannelHomes(Routing.Router router, string channel, List<string> into)
    {
        var name = Encoding.Latin1.GetBytes(channel);
        if (ChannelRoute.OnEveryMaster(name))
        {
            into.AddRange(Masters(router));
            return;
        }
        var m = router.Slot(ChannelRoute.Slot(name));
        if (m.BackendAddr.Length > 0) into.Add(m.BackendAddr);
        if (m.MigrateFrom.Length > 0 && m.MigrateFrom != m.BackendAddr) into.Add(m.MigrateFrom);
    }

    /// <summary>
    /// Brings the links in line with the wanted state: connects links to masters that now carry a name, sends
    /// the missing (P)SUBSCRIBEs and the stale (P)UNSUBSCRIBEs, closes links nothing needs. Returns null when
    /// every wanted name is confirmed, else the failure (the failed links are dropped).
    /// </summary>
    public async Task<string?> SyncAsync()
    {
        await turn.WaitAsync().ConfigureAwait(false);
        try
        {
            string[] chans, pats;
            lock (sync)
            {
                if (disposed) return null;
                chans = channels.ToArray();
                pats = patterns.ToArray();
            }
            var want = new Dictionary<string, (HashSet<string> Channels, HashSet<string> Patterns)>(StringComparer.Ordinal);
            (HashSet<string>, HashSet<string>) For(string addr)
            {
                if (!want.TryGetValue(addr, out var w)) want[addr] = w = (new(StringComparer.Ordinal), new(StringComparer.Ordinal));
                return w;
            }
            var homes = new List<string>(2);
            foreach (var c in chans)
            {
                homes.Clear();
                ChannelHomes(router, c, homes);
                foreach (var h in homes) For(h).Item1.Add(c);
            }
            if (pats.Length > 0)
                foreach (var addr in Masters(router))
                    For(addr).Item2.UnionWith(pats);

            List<SubscriberLink> drop = new();
            List<string> connect = new();
            lock (sync)
            {
                foreach (var (addr, link) in links)
                    if (link.IsClosed || !want.ContainsKey(addr)) drop.Add(link);
                foreach (var l in drop) links.Remove(l.Address);
                foreach (var addr in want.Keys) if (!links.ContainsKey(addr)) connect.Add(addr);
            }
            foreach (var l in drop) l.Dispose();

            var failures = new List<string>();
            var connects = connect.Select(async addr =>
            {
                var link = new SubscriberLink(addr, options, OnPush, OnLost);
                try
                {
                    await link.ConnectAsync().ConfigureAwait(false);
                    return link;
                }
                catch (Exception e)
                {
                    link.Dispose();
                    lock (failures) failures.Add($"{addr}: {e.Message}");
                    return null;
                }
            }).ToList();
            foreach (var l in await Task.WhenAll(connects).ConfigureAwait(false))
                if (l != null) lock (sync) links[l.Address] = l;

            var confirms = new List<(SubscriberLink Link, Task Done)>();
            lock (sync)
            {
                foreach (var (addr, (wc, wp)) in want)
                {
                    if (!links.TryGetValue(addr, out var link)) continue;
                    var sub = wc.Where(c => !link.Channels.Contains(c)).ToList();
                    var unsub = link.Channels.Where(c => !wc.Contains(c)).ToList();
                    var psub = wp.Where(p => !link.Patterns.Contains(p)).ToList();
                    var punsub = link.Patterns.Where(p => !wp.Contains(p)).ToList();
                    link.Channels.UnionWith(sub);
                    link.Channels.ExceptWith(unsub);
                    link.Patterns.UnionWith(psub);
                    link.Patterns.ExceptWith(punsub);
                    confirms.Add((link, link.Command("SUBSCRIBE", sub)));
                    confirms.Add((link, link.Command("PSUBSCRIBE", psub)));
                    // Unsubscribes are not waited for: messages of names the session left are filtered out.
                    _ = link.Command("UNSUBSCRIBE", unsub).ContinueWith(t => _ = t.Exception, TaskScheduler.Default);
                    _ = link.Command("PUNSUBSCRIBE", punsub).ContinueWith(t => _ = t.Exception, TaskScheduler.Default);
                }
            }
            foreach (var (link, done) in confirms)
            {
                try
                {
                    await done.WaitAsync(ConfirmTimeout).ConfigureAwait(false);
                }
                catch (Exception e)
                {
                    failures.Add($"{link.Address}: {(e is TimeoutException ? "no confirmation" : e.Message)}");
                    lock (sync) links.Remove(link.Address);
                    link.Dispose();
                }
            }
            return failures.Count == 0 ? null : string.Join("; ", failures.Distinct());
        }
        finally
        {
            turn.Release();
        }
    }

    /// <summary>Every master: each slot's backend and, while it migrates, its source.</summary>
    public static List<string> Masters(Router router)
    {
        var set = new HashSet<string>(StringComparer.Ordinal);
        var list = new List<string>();
        foreach (var m in router.Slots)
        {
            if (m.BackendAddr.Length > 0 && set.Add(m.BackendAddr)) list.Add(m.BackendAddr);
            if (m.MigrateFrom.Length > 0 && set.Add(m.MigrateFrom)) list.Add(m.MigrateFrom);
        }
        return list;
    }

    private void OnPush(SubscriberLink link, RespValue frame, byte[] raw)
    {
        var items = frame.Items!;
        var name = Encoding.Latin1.GetString(items[1].Bytes ?? []);
        bool wanted;
        lock (sync) wanted = items.Length == 3 ? channels.Contains(name) : patterns.Contains(name);
        if (wanted) deliver(raw);
    }

    private void OnLost(SubscriberLink link, string reason)
    {
        lock (sync)
        {
            if (disposed) return;
            if (links.TryGetValue(link.Address, out var l) && l == link) links.Remove(link.Address);
        }
        Log.Info("pub/sub link lost, resubscribing", ("client", client), ("backend", link.Address), ("error", reason));
        Recover(reason);
    }

    /// <summary>Re-syncs until it succeeds; past the recovery timeout the session is told and closed.</summary>
    public void Recover(string reason)
    {
        if (Interlocked.Exchange(ref recovering, 1) == 1) return;
        _ = Task.Run(async () =>
        {
            long deadline = Environment.TickCount64 + (long)recoveryGrace.TotalMilliseconds;
            string? error = reason;
            try
            {
                while (true)
                {
                    lock (sync) if (disposed) return;
                    error = await SyncAsync().ConfigureAwait(false);
                    if (error == null) return;
                    if (Environment.TickCount64 > deadline) break;
                    await Task.Delay(250).ConfigureAwait(false);
                }
            }
            finally
            {
                Volatile.Write(ref recovering, 0);
            }
            Log.Warn("pub/sub subscriptions lost, closing the client", ("client", client), ("error", error));
            broken(error);
        });
    }

    /// <summary>After a routing change: moves subscriptions to the new owners.</summary>
    public void OnRoutingChanged()
    {
        _ = Task.Run(async () =>
        {
            var error = await SyncAsync().ConfigureAwait(false);
            if (error != null) Recover(error);
        });
    }

    public void Dispose()
    {
        List<SubscriberLink> all;
        lock (sync)
        {
            disposed = true;
            all = links.Values.ToList();
            links.Clear();
            channels.Clear();
            patterns.Clear();
        }
        foreach (var l in all) l.Dispose();
    }
}
