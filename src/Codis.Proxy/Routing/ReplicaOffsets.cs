using System.Collections.Concurrent;
using System.Text;
using Codis.Core.Logging;
using Codis.Proxy.Backends;
using Codis.Proxy.Sessions;

namespace Codis.Proxy.Routing;

/// <summary>
/// Replication offsets for read-your-writes replica reads (docs/proxy-replica-reads.md). Every period, each
/// master that has replicas serving reads and each of those replicas is asked INFO replication (at most one
/// poll per server in flight). A session that wrote to a master takes <see cref="Mark"/> once the write was
/// answered; the first master poll sent after that mark reads an offset that includes the write; a replica
/// whose own processed offset (same replication id) has reached it serves that session's reads again.
/// </summary>
internal sealed class ReplicaOffsets : IDisposable
{
    private sealed class Server
    {
        public long PollsSent;          // master: polls sent so far (the marks sessions take)
        public long ResultSeq;          // master: the poll number of the last result
        public long Offset = -1;        // master_repl_offset (master) or slave_repl_offset (replica)
        public string ReplId = "";      // master_replid: offsets compare only within one history
        public int Polling;             // 1 while a poll is in flight
    }

    private readonly Router router;
    private readonly TimeSpan period;
    private readonly ConcurrentDictionary<string, Server> servers = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource stop = new();
    private volatile Dictionary<string, string[]> replicasOf = new(StringComparer.Ordinal);

    public ReplicaOffsets(Router router, TimeSpan period)
    {
        this.router = router;
        this.period = period <= TimeSpan.Zero ? TimeSpan.FromMilliseconds(100) : period;
        router.Filled += Refresh;
        Refresh();
        _ = LoopAsync();
    }

    /// <summary>Polls sent to a master so far: a session stores it after its write was answered.</summary>
    public long Mark(string master) => Volatile.Read(ref Get(master).PollsSent);

    /// <summary>The master's offset read by a poll sent after <paramref name="mark"/>, if one has come back.</summary>
    public bool TryOffsetAfter(string master, long mark, out long offset, out string replId)
    {
        var s = Get(master);
        lock (s)
        {
            offset = s.Offset;
            replId = s.ReplId;
            return s.ResultSeq > mark && offset >= 0;
        }
    }

    /// <summary>Whether a replica has processed the master's stream up to <paramref name="offset"/>.</summary>
    public bool CaughtUp(string replica, long offset, string replId)
    {
        if (!servers.TryGetValue(replica, out var s)) return false;
        lock (s) return s.Offset >= offset && s.ReplId == replId;
    }

    private Server Get(string addr) => servers.GetOrAdd(addr, _ => new Server());

    /// <summary>Which masters have replicas that serve reads (recomputed after every fill).</summary>
    private void Refresh()
    {
        var map = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var m in router.Slots)
        {
            if (m.BackendAddr.Length == 0 || m.ReplicaGroups is not { Length: > 0 } groups) continue;
            if (!map.TryGetValue(m.BackendAddr, out var set)) map[m.BackendAddr] = set = new(StringComparer.Ordinal);
            foreach (var g in groups) foreach (var a in g) if (a != m.BackendAddr) set.Add(a);
        }
        replicasOf = map.ToDictionary(kv => kv.Key, kv => kv.Value.ToArray(), StringComparer.Ordinal);
    }

    private async Task LoopAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            try { await Task.Delay(period, stop.Token).ConfigureAwait(false); }
            catch (OperationCanceledException) { return; }
            if (router.PrimaryOnly) continue;
            foreach (var (master, replicas) in replicasOf)
            {
                Poll(master, isMaster: true);
                foreach (var r in replicas) Poll(r, isMaster: false);
            }
        }
    }

    private void Poll(string addr, bool isMaster)
    {
        var s = Get(addr);
        if (Interlocked.CompareExchange(ref s.Polling, 1, 0) != 0) return;
        long seq = isMaster ? Interlocked.Increment(ref s.PollsSent) : 0;
        var request = new PendingRequest(null)
        {
            Continuation = done =>
            {
                try
                {
                    if (!Replies.IsError(done.Reply!)) Apply(s, Encoding.UTF8.GetString(done.Reply!), seq);
                }
                catch (Exception e)
                {
                    Log.Debug("bad INFO replication reply", ("backend", addr), ("error", e.Message));
                }
                finally
                {
                    Volatile.Write(ref s.Polling, 0);
                }
            },
        };
        var touched = new HashSet<BackendConnection>();
        if (!router.SendTo(addr, request, "*2\r\n$4\r\nINFO\r\n$11\r\nreplication\r\n"u8, 0, touched))
        {
            Volatile.Write(ref s.Polling, 0);
            return;
        }
        foreach (var c in touched) c.Flush();
    }

    private static void Apply(Server s, string info, long seq)
    {
        string role = "", replId = "";
        long masterOffset = -1, replicaOffset = -1;
        foreach (var line in info.Split('\n'))
        {
            int colon = line.IndexOf(':');
            if (colon <= 0) continue;
            var key = line.AsSpan(0, colon);
            var value = line.AsSpan(colon + 1).Trim();
            if (key.SequenceEqual("role")) role = value.ToString();
            else if (key.SequenceEqual("master_replid")) replId = value.ToString();
            else if (key.SequenceEqual("master_repl_offset")) long.TryParse(value, out masterOffset);
            else if (key.SequenceEqual("slave_repl_offset")) long.TryParse(value, out replicaOffset);
        }
        // A replica whose link is down still reports an offset: it only ever counts what it applied.
        long offset = role == "master" ? masterOffset : replicaOffset;
        lock (s)
        {
            s.Offset = offset;
            s.ReplId = replId;
            if (seq > s.ResultSeq) s.ResultSeq = seq;
        }
    }

    public void Dispose()
    {
        stop.Cancel();
        router.Filled -= Refresh;
    }
}
