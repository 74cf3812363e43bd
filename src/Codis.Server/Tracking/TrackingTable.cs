using System.Buffers;
using System.Buffers.Text;
using Codis.Server.Networking;
using Codis.Server.Persistence;

namespace Codis.Server.Tracking;

/// <summary>
/// Server-assisted client-side caching (Redis 7.0's tracking.c): the keys tracking clients have read and who read
/// each, the BCAST prefixes, and the invalidation messages sent when a key changes (a write, an expiry, an eviction,
/// a slot deleted or migrated away) or the keyspace is flushed. Keys are tracked across databases, as Redis does.
/// Everything here runs under the keyspace lock; it exists once a client first turns tracking on.
/// </summary>
internal sealed class TrackingTable(CodisServer server)
{
    private static readonly byte[] ChannelName = "__redis__:invalidate"u8.ToArray();

    private readonly Dictionary<byte[], HashSet<long>> keys = new(ByteArrayComparer.Instance);
    private readonly Dictionary<byte[], Prefix> prefixes = new(ByteArrayComparer.Instance);
    private readonly Dictionary<long, ClientSession> trackers = new();
    private readonly ArrayBufferWriter<byte> frame = new(256);
    private long items;

    private sealed class Prefix
    {
        public HashSet<ClientSession> Clients { get; } = new();
        public List<(byte[] Key, ClientSession? Writer)> Pending { get; } = new();
    }

    /// <summary>The client whose command runs now (NOLOOP: its own writes are not sent back to it).</summary>
    public ClientSession? Writer { get; set; }

    public int Clients => trackers.Count;
    public int Keys => keys.Count;
    public long Items => items;
    public int PrefixCount => prefixes.Count;

    /// <summary>tracking-table-max-keys (0 = no limit).</summary>
    public long MaxKeys { get; set; } = 1_000_000;

    public void Enable(ClientSession c, ClientTracking t)
    {
        c.Tracking = t;
        trackers[c.Id] = c;
        if (!t.Bcast) return;
        if (t.Prefixes.Count == 0) t.Prefixes.Add([]);
        foreach (var p in t.Prefixes)
        {
            if (!prefixes.TryGetValue(p, out var entry)) prefixes[p] = entry = new Prefix();
            entry.Clients.Add(c);
        }
    }

    /// <summary>CLIENT TRACKING OFF, RESET, disconnect. Keys it read stay in the table until they change, as in Redis.</summary>
    public void Disable(ClientSession c)
    {
        if (c.Tracking is not { } t) return;
        c.Tracking = null;
        trackers.Remove(c.Id);
        if (!t.Bcast) return;
        foreach (var p in t.Prefixes)
        {
            if (!prefixes.TryGetValue(p, out var entry)) continue;
            entry.Clients.Remove(c);
            if (entry.Clients.Count == 0) prefixes.Remove(p);
        }
    }

    /// <summary>After a read-only command of a tracking client (not BCAST): remembers its keys for it.</summary>
    public void Remember(ClientSession c, ClientTracking t, Commands.CommandSpec spec, Core.Resp.RespRequest request)
    {
        if (t.OptIn && !t.CachingOnce) return;
        if (t.OptOut && t.CachingOnce) return;
        var positions = spec.KeyPositions(request, 0);
        if (positions == null) return;
        foreach (int p in positions)
        {
            var key = request.ToArray(p);
            if (!keys.TryGetValue(key, out var ids)) keys[key] = ids = new HashSet<long>();
            if (ids.Add(c.Id)) items++;
        }
        if (MaxKeys > 0)
            while (keys.Count > MaxKeys)
            {
                // Over tracking-table-max-keys: a key is dropped from the table and its readers told to forget it.
                byte[] victim = keys.Keys.First();
                Invalidate(victim, evicting: true);
            }
    }

    /// <summary>A key changed: every client that read it (and every BCAST prefix it falls under) is told.</summary>
    public void Invalidate(ReadOnlySpan<byte> key, bool evicting = false)
    {
        if (prefixes.Count > 0 && !evicting)
            foreach (var (prefix, entry) in prefixes)
                if (key.StartsWith(prefix)) entry.Pending.Add((key.ToArray(), Writer));
        if (keys.Count == 0 || !keys.GetAlternateLookup<ReadOnlySpan<byte>>().Remove(key, out var storedKey, out var ids)) return;
        items -= ids.Count;
        foreach (long id in ids)
        {
            if (!trackers.TryGetValue(id, out var c) || c.Tracking is not { Bcast: false } t) continue;
            if (t.NoLoop && c == Writer && !evicting) continue;
            Send(c, t, [storedKey]);
        }
    }

    /// <summary>After each command: BCAST invalidations collected per prefix go out, one message per prefix.</summary>
    public void FlushBroadcasts()
    {
        if (prefixes.Count == 0) return;
        foreach (var entry in prefixes.Values)
        {
            if (entry.Pending.Count == 0) continue;
            foreach (var c in entry.Clients)
            {
                var t = c.Tracking!;
                var list = t.NoLoop ? entry.Pending.Where(p => p.Writer != c).Select(p => p.Key).ToList() : entry.Pending.Select(p => p.Key).ToList();
                if (list.Count > 0) Send(c, t, list);
            }
            entry.Pending.Clear();
        }
    }

    /// <summary>FLUSHDB/FLUSHALL: every tracking client gets a null invalidation (forget everything); the table empties.</summary>
    public void InvalidateAll()
    {
        foreach (var c in trackers.Values.ToList()) Send(c, c.Tracking!, null);
        keys.Clear();
        items = 0;
    }

    /// <summary>
    /// An invalidation for <paramref name="c"/>: a RESP3 push to the client (or its redirect target when that speaks
    /// RESP3), or a __redis__:invalidate message to a RESP2 redirect target subscribed to it; nothing otherwise.
    /// </summary>
    private void Send(ClientSession c, ClientTracking t, List<byte[]>? invalidated)
    {
        var target = c;
        if (t.Redirect != 0)
        {
            var found = server.Clients.FirstOrDefault(x => x.Session.Id == t.Redirect)?.Session;
            if (found == null)
            {
                // The redirect target is gone: a RESP3 client is told so instead of the invalidation.
                t.BrokenRedirect = true;
                if (c.Resp3)
                {
                    frame.ResetWrittenCount();
                    Raw("*2\r\n$21\r\ntracking-redir-broken\r\n:"u8);
                    Number(t.Redirect);
                    Raw("\r\n"u8);
                    Push(c);
                }
                return;
            }
            target = found;
        }
        frame.ResetWrittenCount();
        if (target.Resp3) Raw("*2\r\n$10\r\ninvalidate\r\n"u8);
        else if (target.Subscriber is { } s && s.Channels.Contains(ChannelName)) Raw("*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n"u8);
        else return;
        if (invalidated == null) Raw(target.Resp3 ? "_\r\n"u8 : "$-1\r\n"u8); // a null, as Redis sends it to either
        else
        {
            Header(invalidated.Count);
            foreach (var k in invalidated)
            {
                Raw("$"u8);
                Number(k.Length);
                Raw("\r\n"u8);
                Raw(k);
                Raw("\r\n"u8);
            }
        }
        Push(target);
    }

    private void Push(ClientSession target)
    {
        if (target.Wake == null) return; // internal sessions get nothing
        (target.Push ??= new PushOutbox(target)).Push(frame.WrittenSpan, server.PubSub.Limit);
    }

    private void Raw(ReadOnlySpan<byte> bytes) => frame.Write(bytes);

    private void Header(int n)
    {
        Raw("*"u8);
        Number(n);
        Raw("\r\n"u8);
    }

    private void Number(long n)
    {
        var span = frame.GetSpan(24);
        Utf8Formatter.TryFormat(n, span, out int len);
        frame.Advance(len);
    }
}
