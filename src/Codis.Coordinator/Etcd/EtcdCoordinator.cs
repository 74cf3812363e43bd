using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;
using static Codis.Coordinator.Etcd.EtcdKeys;

namespace Codis.Coordinator.Etcd;

/// <summary>
/// The coordinator on etcd v3 (dotnet-etcd over gRPC; tested against etcd 3.4). The tree mapping is in
/// <see cref="EtcdKeys"/>. Create is a transaction on create_revision == 0, compare-and-set one on the mod
/// revision; ephemeral nodes are keys on this client's lease (<see cref="EtcdSession"/>); watches start at the
/// revision of the read, so no change in between is missed. Every call has the operation timeout as its
/// deadline: an unreachable etcd gives <see cref="CoordinatorUnavailableException"/> naming the address.
/// </summary>
public sealed class EtcdCoordinator : ICoordinator
{
    private const int MaxSequenceAttempts = 100;

    private readonly EtcdConnection conn;
    private readonly CoordinatorOptions options;
    private readonly CancellationTokenSource closing = new();
    private readonly SemaphoreSlim sessionGate = new(1, 1);
    private readonly HashSet<EtcdEphemeralNode> ephemerals = [];
    private readonly Lock gate = new();
    private EtcdSession? session;
    private int disposed;

    private EtcdCoordinator(CoordinatorOptions options)
    {
        this.options = options;
        conn = new EtcdConnection(options.Address, options.Auth, options.OperationTimeout);
    }

    public string Kind => "etcd";
    public string Address => conn.Address;

    /// <summary>Connects (and logs in with "user:password" when given); fails with <see cref="CoordinatorUnavailableException"/> when etcd does not answer.</summary>
    public static async Task<EtcdCoordinator> OpenAsync(CoordinatorOptions options, CancellationToken ct = default)
    {
        var c = new EtcdCoordinator(options);
        try
        {
            await c.conn.AuthenticateAsync(ct);
            await c.conn.Call("connect", (h, d, t) => c.conn.Client.GetAsync(new RangeRequest { Key = Key("/"), CountOnly = true }, h, d, t), ct);
            return c;
        }
        catch
        {
            await c.DisposeAsync();
            throw;
        }
    }

    // ---- the interface ----

    public async Task CreateAsync(string path, ReadOnlyMemory<byte> data, CancellationToken ct = default)
    {
        var key = Begin(path);
        if (path == "/") throw new NodeExistsException(path);
        var txn = new TxnRequest();
        txn.Compare.Add(Missing(key));
        txn.Success.Add(Put(key, data.Span));
        txn.Success.AddRange(EnsureAncestors(path));
        txn.Failure.Add(Get(key));
        var r = await Txn("create " + path, txn, ct);
        if (!r.Succeeded) throw new NodeExistsException(path, Holder(r));
    }

    public async Task UpdateAsync(string path, ReadOnlyMemory<byte> data, CancellationToken ct = default)
    {
        var key = Begin(path);
        if (path == "/") throw new CoordinatorException($"etcd {Address}: the root node holds no data");
        var txn = new TxnRequest();
        txn.Compare.Add(Missing(key));
        txn.Success.Add(Put(key, data.Span));
        txn.Success.AddRange(EnsureAncestors(path));
        txn.Failure.Add(Put(key, data.Span, ignoreLease: true)); // an ephemeral node stays ephemeral
        await Txn("update " + path, txn, ct);
    }

    public async Task<long> CompareAndSetAsync(string path, ReadOnlyMemory<byte> data, long expectedVersion, CancellationToken ct = default)
    {
        var key = Begin(path);
        var txn = new TxnRequest();
        txn.Compare.Add(Exists(key));
        txn.Compare.Add(ModIs(key, expectedVersion));
        txn.Success.Add(Put(key, data.Span, ignoreLease: true));
        txn.Failure.Add(Get(key));
        var r = await Txn("compare-and-set " + path, txn, ct);
        if (r.Succeeded) return r.Header.Revision;
        var found = r.Responses[0].ResponseRange;
        if (found.Count == 0) throw new NoNodeException(path);
        throw new VersionMismatchException(path, expectedVersion, found.Kvs[0].ModRevision);
    }

    public async Task DeleteAsync(string path, bool recursive = false, CancellationToken ct = default)
    {
        var key = Begin(path);
        if (path == "/") throw new InvalidPathException(path, "the root cannot be deleted");
        var txn = new TxnRequest();
        string prefix = ChildPrefix(path);
        if (recursive)
        {
            txn.Success.Add(Delete(key));
            txn.Success.Add(DeleteRange(prefix));
        }
        else
        {
            txn.Compare.Add(RangeEmpty(prefix));
            txn.Success.Add(Delete(key));
        }
        var r = await Txn("delete " + path, txn, ct);
        if (!r.Succeeded) throw new NotEmptyException(path);
    }

    public async Task<CoordinatorNode?> ReadAsync(string path, CancellationToken ct = default)
        => ToNode(await Range(path, Begin(path), ct));

    public async Task<IReadOnlyList<string>> ListAsync(string path, CancellationToken ct = default)
    {
        Begin(path);
        return Names(await Children(path, ct), ChildPrefix(path));
    }

    public async Task<Watched<CoordinatorNode?>> ReadAndWatchAsync(string path, CancellationToken ct = default)
    {
        var key = Begin(path);
        var r = await Range(path, key, ct);
        var changed = Watch(new WatchCreateRequest { Key = key, StartRevision = r.Header.Revision + 1 }, _ => true, ct);
        return new Watched<CoordinatorNode?>(ToNode(r), changed);
    }

    public async Task<Watched<IReadOnlyList<string>>> ListAndWatchAsync(string path, CancellationToken ct = default)
    {
        Begin(path);
        string prefix = ChildPrefix(path);
        var r = await Children(path, ct);
        var create = new WatchCreateRequest { Key = ByteString.CopyFromUtf8(prefix), RangeEnd = RangeEnd(prefix), StartRevision = r.Header.Revision + 1 };
        // Only a child appearing (its first version) or disappearing counts, not a child's data changing.
        var changed = Watch(create, events => events.Any(e =>
            DirectChild(e.Kv.Key, prefix) != null && (e.Type == Mvccpb.Event.Types.EventType.Delete || e.Kv.Version == 1)), ct);
        return new Watched<IReadOnlyList<string>>(Names(r, prefix), changed);
    }

    public async Task<IEphemeralNode> CreateEphemeralAsync(string path, ReadOnlyMemory<byte> data, bool sequential = false, CancellationToken ct = default)
    {
        Begin(path);
        if (path == "/") throw new NodeExistsException(path);
        EtcdSession s;
        string real;
        try
        {
            s = await SessionAsync(ct);
            real = sequential ? await CreateSequentialAsync(path, data, s, ct) : await CreateLeasedAsync(path, data, s, ct);
        }
        catch (SessionExpiredException)
        {
            // Our lease ran out before the keep-alive noticed; nothing was written. Once more on a new lease.
            s = await SessionAsync(ct);
            real = sequential ? await CreateSequentialAsync(path, data, s, ct) : await CreateLeasedAsync(path, data, s, ct);
        }
        var node = new EtcdEphemeralNode(this, conn, real, s, closing.Token);
        lock (gate) ephemerals.Add(node);
        return node;
    }

    // ---- ephemeral plumbing ----

    private async Task<string> CreateLeasedAsync(string path, ReadOnlyMemory<byte> data, EtcdSession s, CancellationToken ct)
    {
        var key = Key(path);
        var txn = new TxnRequest();
        txn.Compare.Add(Missing(key));
        txn.Success.Add(Put(key, data.Span, s.LeaseId));
        txn.Success.AddRange(EnsureAncestors(path));
        txn.Failure.Add(Get(key));
        var r = await LeasedTxn("create ephemeral " + path, txn, s, ct);
        if (!r.Succeeded) throw new NodeExistsException(path, Holder(r));
        return path;
    }

    /// <summary>Takes the next number from the parent's counter key and creates the node, in one transaction (retried on a race).</summary>
    private async Task<string> CreateSequentialAsync(string path, ReadOnlyMemory<byte> data, EtcdSession s, CancellationToken ct)
    {
        var counterKey = SequenceKey(CoordinatorPath.Parent(path));
        for (int attempt = 0; attempt < MaxSequenceAttempts; attempt++)
        {
            var counter = await conn.Call("read sequence", (h, d, c) => conn.Client.GetAsync(new RangeRequest { Key = counterKey }, h, d, c), ct);
            long next = 0;
            var txn = new TxnRequest();
            if (counter.Count == 0) txn.Compare.Add(Missing(counterKey));
            else
            {
                next = long.Parse(counter.Kvs[0].Value.ToStringUtf8());
                txn.Compare.Add(ModIs(counterKey, counter.Kvs[0].ModRevision));
            }
            string real = path + next.ToString("D10");
            var key = Key(real);
            txn.Compare.Add(Missing(key));
            txn.Success.Add(Put(counterKey, System.Text.Encoding.ASCII.GetBytes((next + 1).ToString())));
            txn.Success.Add(Put(key, data.Span, s.LeaseId));
            txn.Success.AddRange(EnsureAncestors(real));
            var r = await LeasedTxn("create sequential " + path, txn, s, ct);
            if (r.Succeeded) return real;
            if (counter.Count > 0 && attempt > 0 && attempt % 10 == 0) await Task.Delay(attempt, ct);
        }
        throw new CoordinatorException($"etcd {Address}: create sequential {path}: the counter kept changing ({MaxSequenceAttempts} attempts)");
    }

    internal async Task UpdateEphemeralAsync(EtcdEphemeralNode node, ReadOnlyMemory<byte> data, CancellationToken ct)
    {
        var key = Key(node.Path);
        var txn = new TxnRequest();
        txn.Compare.Add(Exists(key));
        txn.Compare.Add(LeaseIs(key, node.Session.LeaseId));
        txn.Success.Add(Put(key, data.Span, node.Session.LeaseId));
        var r = await LeasedTxn("update ephemeral " + node.Path, txn, node.Session, ct);
        if (!r.Succeeded)
        {
            node.MarkLost();
            throw new NoNodeException(node.Path);
        }
    }

    internal async Task ReleaseEphemeralAsync(EtcdEphemeralNode node)
    {
        lock (gate)
            if (!ephemerals.Remove(node)) return;
        if (node.Session.IsLost) return;
        var key = Key(node.Path);
        var txn = new TxnRequest();
        txn.Compare.Add(LeaseIs(key, node.Session.LeaseId));
        txn.Success.Add(Delete(key));
        try { await Txn("delete ephemeral " + node.Path, txn, CancellationToken.None); }
        catch (CoordinatorUnavailableException) { } // etcd down: the lease ends it (revoked on close, or its TTL)
    }

    private async Task<EtcdSession> SessionAsync(CancellationToken ct)
    {
        await sessionGate.WaitAsync(ct);
        try
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref disposed) != 0, this);
            // A lost lease took its nodes with it; new ephemeral nodes get a new lease.
            if (session == null || session.IsLost) session = await EtcdSession.StartAsync(conn, options.SessionTimeout, ct);
            return session;
        }
        finally
        {
            sessionGate.Release();
        }
    }

    /// <summary>A transaction that puts with our lease: "lease not found" means the session expired.</summary>
    private async Task<TxnResponse> LeasedTxn(string what, TxnRequest txn, EtcdSession s, CancellationToken ct)
    {
        try
        {
            return await Txn(what, txn, ct);
        }
        catch (CoordinatorException e) when (e.InnerException is RpcException { StatusCode: StatusCode.NotFound })
        {
            s.MarkLost();
            throw new SessionExpiredException($"etcd {Address}: {what}: the session lease {s.LeaseId:x} expired; its ephemeral nodes are gone");
        }
    }

    // ---- plumbing ----

    private ByteString Begin(string path)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref disposed) != 0, this);
        return Key(CoordinatorPath.Validate(path));
    }

    private Task<TxnResponse> Txn(string what, TxnRequest txn, CancellationToken ct)
        => conn.Call(what, (h, d, c) => conn.Client.TransactionAsync(txn, h, d, c), ct);

    private Task<RangeResponse> Range(string path, ByteString key, CancellationToken ct)
        => conn.Call("read " + path, (h, d, c) => conn.Client.GetAsync(new RangeRequest { Key = key }, h, d, c), ct);

    private Task<RangeResponse> Children(string path, CancellationToken ct)
    {
        string prefix = ChildPrefix(path);
        var req = new RangeRequest { Key = ByteString.CopyFromUtf8(prefix), RangeEnd = RangeEnd(prefix), KeysOnly = true };
        return conn.Call("list " + path, (h, d, c) => conn.Client.GetAsync(req, h, d, c), ct);
    }

    private static List<string> Names(RangeResponse r, string prefix)
    {
        var names = new List<string>();
        foreach (var kv in r.Kvs)
            if (DirectChild(kv.Key, prefix) is { } name) names.Add(name);
        names.Sort(StringComparer.Ordinal);
        return names;
    }

    private static CoordinatorNode? ToNode(RangeResponse r)
        => r.Count == 0 ? null : new CoordinatorNode(r.Kvs[0].Value.ToByteArray(), r.Kvs[0].ModRevision);

    private static string? Holder(TxnResponse r)
    {
        var range = r.Responses.Count > 0 ? r.Responses[0].ResponseRange : null;
        if (range == null || range.Count == 0) return null;
        long lease = range.Kvs[0].Lease;
        return lease == 0 ? null : $"ephemeral, held by lease {lease:x}";
    }

    /// <summary>A one-shot watch: completes on the first matching event, on a broken stream (spurious), cancelled by ct or close.</summary>
    private Task Watch(WatchCreateRequest create, Func<IReadOnlyList<Mvccpb.Event>, bool> match, CancellationToken ct)
    {
        var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, closing.Token);
        var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _ = Task.Run(async () =>
        {
            try
            {
                await EtcdWatchStream.RunAsync(conn, create, match, linked.Token);
                tcs.TrySetResult();
            }
            catch (OperationCanceledException) when (linked.IsCancellationRequested)
            {
                tcs.TrySetCanceled(ct.IsCancellationRequested ? ct : closing.Token);
            }
            catch (Exception)
            {
                if (linked.IsCancellationRequested) tcs.TrySetCanceled();
                else tcs.TrySetResult(); // the stream broke (etcd restarted?): callers re-read
            }
            finally
            {
                linked.Dispose();
            }
        }, CancellationToken.None);
        return tcs.Task;
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0) return;
        closing.Cancel();
        EtcdEphemeralNode[] nodes;
        lock (gate)
        {
            nodes = [.. ephemerals];
            ephemerals.Clear();
        }
        foreach (var n in nodes) n.MarkReleased();
        await sessionGate.WaitAsync();
        try
        {
            if (session != null) await session.DisposeAsync(); // revokes the lease: all our ephemeral nodes go at once
        }
        finally
        {
            sessionGate.Release();
        }
        conn.Dispose();
    }
}
