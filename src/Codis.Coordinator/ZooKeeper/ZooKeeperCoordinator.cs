using Codis.Coordinator.ZooKeeper.Client;
using Codis.Coordinator.ZooKeeper.Protocol;

namespace Codis.Coordinator.ZooKeeper;

/// <summary>
/// <see cref="ICoordinator"/> on one ZooKeeper session (reference/coordinators.md §0, as Codis's zkclient):
/// Create makes missing parents (persistent, empty); Update is setData(-1) or create; CompareAndSet is setData
/// with the stat version; watches are ZooKeeper's one-shot watches; ephemeral nodes are EPHEMERAL(_SEQUENTIAL)
/// nodes of this session, so they vanish when the process dies and its session times out. Reads and other
/// idempotent calls are retried across a reconnect within the operation timeout. When the session expires its
/// ephemerals report Lost and their own calls throw <see cref="SessionExpiredException"/>; the coordinator itself
/// carries on with a new session (as the etcd backend takes a new lease), so persistent data, watches and new
/// ephemerals keep working.
/// </summary>
public sealed class ZooKeeperCoordinator : ICoordinator
{
    private readonly CoordinatorOptions options;
    private readonly ZooKeeperClientOptions clientOptions;
    private readonly Lock gate = new();
    private ZooKeeperClient zk;
    private int closed;

    /// <summary>Starts connecting in the background; calls wait for the session within the operation timeout.</summary>
    public ZooKeeperCoordinator(CoordinatorOptions options)
    {
        this.options = options;
        clientOptions = ZooKeeperClientOptions.From(options);
        zk = new ZooKeeperClient(clientOptions);
    }

    /// <summary>Opens the session and waits until it is established (CoordinatorUnavailableException when no server answers).</summary>
    public static async Task<ICoordinator> OpenAsync(CoordinatorOptions options, CancellationToken ct = default)
    {
        var c = new ZooKeeperCoordinator(options);
        try
        {
            await c.Session().ConnectAsync(ct);
        }
        catch
        {
            await c.DisposeAsync();
            throw;
        }
        return c;
    }

    public string Kind => "zookeeper";
    public string Address => Client.Address;

    /// <summary>The current session (tests, diagnostics).</summary>
    public ZooKeeperClient Client
    {
        get { lock (gate) return zk; }
    }

    /// <summary>The live session; an expired one is replaced by a new session (connecting in the background).</summary>
    private ZooKeeperClient Session()
    {
        ZooKeeperClient old;
        lock (gate)
        {
            if (zk.State != ZkSessionState.Expired || Volatile.Read(ref closed) != 0) return zk;
            old = zk;
            zk = new ZooKeeperClient(clientOptions);
        }
        _ = old.DisposeAsync().AsTask();
        return Client;
    }

    public async Task CreateAsync(string path, ReadOnlyMemory<byte> data, CancellationToken ct = default)
    {
        CoordinatorPath.Validate(path);
        using var op = Begin(ct);
        await CreateWithParentsAsync(path, data, ZkCreateMode.Persistent, op);
    }

    public async Task UpdateAsync(string path, ReadOnlyMemory<byte> data, CancellationToken ct = default)
    {
        CoordinatorPath.Validate(path);
        using var op = Begin(ct);
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                await Retry((zk, t) => zk.SetDataAsync(path, data, -1, t), op);
                return;
            }
            catch (NoNodeException)
            {
                try
                {
                    await CreateWithParentsAsync(path, data, ZkCreateMode.Persistent, op);
                    return;
                }
                catch (NodeExistsException) when (attempt < 5)
                {
                    // Someone created it in between (or our create got through before a lost reply): overwrite.
                }
            }
        }
    }

    public async Task<long> CompareAndSetAsync(string path, ReadOnlyMemory<byte> data, long expectedVersion, CancellationToken ct = default)
    {
        CoordinatorPath.Validate(path);
        using var op = Begin(ct);
        // ZooKeeper versions are non-negative ints, and -1 would mean "any": never send one that is not a real version.
        if (expectedVersion is < 0 or > int.MaxValue)
        {
            var stat = await Retry((zk, t) => zk.ExistsAsync(path, null, t), op);
            if (stat == null) throw new NoNodeException(path);
            throw new VersionMismatchException(path, expectedVersion, stat.Value.Version);
        }
        try
        {
            var stat = await Guard((zk, t) => zk.SetDataAsync(path, data, (int)expectedVersion, t), op);
            return stat.Version;
        }
        catch (VersionMismatchException)
        {
            var stat = await Retry((zk, t) => zk.ExistsAsync(path, null, t), op);
            if (stat == null) throw new NoNodeException(path);
            throw new VersionMismatchException(path, expectedVersion, stat.Value.Version);
        }
    }

    public async Task DeleteAsync(string path, bool recursive = false, CancellationToken ct = default)
    {
        CoordinatorPath.Validate(path);
        using var op = Begin(ct);
        await DeleteTreeAsync(path, recursive, op);
    }

    private async Task DeleteTreeAsync(string path, bool recursive, Op op)
    {
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                await Retry((zk, t) => zk.DeleteAsync(path, -1, t), op);
                return;
            }
            catch (NoNodeException)
            {
                return;
            }
            catch (NotEmptyException) when (recursive && path != "/" && attempt < 10)
            {
                // Children first (in parallel: the connection pipelines them); again if new ones appeared meanwhile.
                var children = await Retry((zk, t) => zk.GetChildrenAsync(path, null, t), op);
                if (children == null) return;
                await Task.WhenAll(children.Value.Children.Select(c => DeleteTreeAsync(CoordinatorPath.Combine(path, c), true, op)));
            }
        }
    }

    public async Task<CoordinatorNode?> ReadAsync(string path, CancellationToken ct = default)
    {
        CoordinatorPath.Validate(path);
        using var op = Begin(ct);
        var r = await Retry((zk, t) => zk.GetDataAsync(path, null, t), op);
        return r == null ? null : new CoordinatorNode(r.Value.Data, r.Value.Stat.Version);
    }

    public async Task<IReadOnlyList<string>> ListAsync(string path, CancellationToken ct = default)
    {
        CoordinatorPath.Validate(path);
        using var op = Begin(ct);
        var r = await Retry((zk, t) => zk.GetChildrenAsync(path, null, t), op);
        return r == null ? [] : Sorted(r.Value.Children);
    }

    public async Task<Watched<CoordinatorNode?>> ReadAndWatchAsync(string path, CancellationToken ct = default)
    {
        CoordinatorPath.Validate(path);
        using var op = Begin(ct);
        var watch = new ZkWatch(path);
        while (true)
        {
            var r = await Retry((zk, t) => zk.GetDataAsync(path, watch, t), op);
            if (r != null) return new(new CoordinatorNode(r.Value.Data, r.Value.Stat.Version), Signal(Client, watch, ct));
            // getData sets no watch on a missing node; exists does (it fires on create).
            var stat = await Retry((zk, t) => zk.ExistsAsync(path, watch, t), op);
            if (stat == null) return new(null, Signal(Client, watch, ct));
            // Created in between: read it (the watch armed by exists stays; a spurious fire only means "re-read").
        }
    }

    public async Task<Watched<IReadOnlyList<string>>> ListAndWatchAsync(string path, CancellationToken ct = default)
    {
        CoordinatorPath.Validate(path);
        using var op = Begin(ct);
        var watch = new ZkWatch(path);
        while (true)
        {
            var r = await Retry((zk, t) => zk.GetChildrenAsync(path, watch, t), op);
            if (r != null) return new(Sorted(r.Value.Children), Signal(Client, watch, ct));
            // A missing folder: its creation (by the first child's mkdir -p) is the change to report.
            var stat = await Retry((zk, t) => zk.ExistsAsync(path, watch, t), op);
            if (stat == null) return new(Array.Empty<string>(), Signal(Client, watch, ct));
        }
    }

    public async Task<IEphemeralNode> CreateEphemeralAsync(string path, ReadOnlyMemory<byte> data, bool sequential = false, CancellationToken ct = default)
    {
        CoordinatorPath.Validate(path);
        using var op = Begin(ct);
        (ZooKeeperClient Session, string Path) real;
        try
        {
            real = await CreateWithParentsOnAsync(path, data, sequential ? ZkCreateMode.EphemeralSequential : ZkCreateMode.Ephemeral, op);
        }
        catch (NodeExistsException)
        {
            // With ZooKeeper a dead owner's node disappears with its session, so whoever is there is alive (or
            // its session has not timed out yet).
            var stat = await Retry((zk, t) => zk.ExistsAsync(path, null, t), op);
            string detail = stat is { EphemeralOwner: not 0 } s ? $"ephemeral of session 0x{s.EphemeralOwner:x}" : "persistent node";
            throw new NodeExistsException(path, detail);
        }
        var node = new ZooKeeperEphemeralNode(this, real.Session, real.Path);
        await node.StartAsync(op.Token);
        return node;
    }

    private async Task<string> CreateWithParentsAsync(string path, ReadOnlyMemory<byte> data, ZkCreateMode mode, Op op) =>
        (await CreateWithParentsOnAsync(path, data, mode, op)).Path;

    /// <summary>Create, making parents on NoNode; tells which session created it (ephemerals belong to it).</summary>
    private async Task<(ZooKeeperClient Session, string Path)> CreateWithParentsOnAsync(string path, ReadOnlyMemory<byte> data, ZkCreateMode mode, Op op)
    {
        try
        {
            return await Guard(async (zk, t) => (zk, await zk.CreateAsync(path, data, mode, null, t)), op);
        }
        catch (NoNodeException)
        {
            await MakeParentsAsync(CoordinatorPath.Parent(path), op);
            return await Guard(async (zk, t) => (zk, await zk.CreateAsync(path, data, mode, null, t)), op);
        }
    }

    /// <summary>mkdir -p: persistent, empty nodes; existing ones are fine.</summary>
    private async Task MakeParentsAsync(string path, Op op)
    {
        if (path == "/") return;
        try
        {
            await Retry((zk, t) => zk.CreateAsync(path, ReadOnlyMemory<byte>.Empty, ZkCreateMode.Persistent, null, t), op);
        }
        catch (NodeExistsException) { }
        catch (NoNodeException)
        {
            await MakeParentsAsync(CoordinatorPath.Parent(path), op);
            try
            {
                await Retry((zk, t) => zk.CreateAsync(path, ReadOnlyMemory<byte>.Empty, ZkCreateMode.Persistent, null, t), op);
            }
            catch (NodeExistsException) { }
        }
    }

    private static IReadOnlyList<string> Sorted(List<string> names)
    {
        names.Sort(StringComparer.Ordinal);
        return names;
    }

    /// <summary>
    /// The caller's change signal for a ZooKeeper watch: completes on the event (or spuriously when the session
    /// expires), ends cancelled on <paramref name="ct"/> or when the coordinator closes, never faults.
    /// </summary>
    private static Task Signal(ZooKeeperClient zk, ZkWatch watch, CancellationToken ct)
    {
        var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var registration = ct.CanBeCanceled
            ? ct.Register(() =>
            {
                if (signal.TrySetCanceled(ct)) zk.RemoveWatch(watch);
            })
            : default;
        watch.Changed.ContinueWith(t =>
        {
            registration.Dispose();
            if (t.Result is { Type: ZkEventType.None, State: ZkKeeperState.Closed }) signal.TrySetCanceled();
            else signal.TrySetResult();
        }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return signal.Task;
    }

    // ---- one operation's deadline -------------------------------------------------------------------------

    /// <summary>The time budget of one coordinator call, shared by all its round trips.</summary>
    internal sealed class Op(CancellationToken caller, TimeSpan timeout) : IDisposable
    {
        private readonly CancellationTokenSource limit = CreateLimit(caller, timeout);

        public CancellationToken Caller { get; } = caller;
        public CancellationToken Token => limit.Token;
        public TimeSpan Timeout { get; } = timeout;

        private static CancellationTokenSource CreateLimit(CancellationToken caller, TimeSpan timeout)
        {
            var cts = CancellationTokenSource.CreateLinkedTokenSource(caller);
            cts.CancelAfter(timeout);
            return cts;
        }

        public void Dispose() => limit.Dispose();
    }

    private Op Begin(CancellationToken ct)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref closed) != 0, this);
        return new Op(ct, options.OperationTimeout);
    }

    /// <summary>
    /// An idempotent round trip on the current session: retried after a lost connection while the operation's
    /// time lasts, and once on a new session if this one expired.
    /// </summary>
    private Task<T> Retry<T>(Func<ZooKeeperClient, CancellationToken, Task<T>> call, Op op) => Run(call, op, retryLost: true);

    private Task Retry(Func<ZooKeeperClient, CancellationToken, Task> call, Op op) => Run(async (zk, t) =>
    {
        await call(zk, t);
        return true;
    }, op, retryLost: true);

    /// <summary>
    /// A round trip that must not be repeated after a lost connection (its effect may have happened). A request
    /// refused because the session had expired was not applied, so that one goes again on a new session.
    /// </summary>
    private Task<T> Guard<T>(Func<ZooKeeperClient, CancellationToken, Task<T>> call, Op op) => Run(call, op, retryLost: false);

    private async Task<T> Run<T>(Func<ZooKeeperClient, CancellationToken, Task<T>> call, Op op, bool retryLost)
    {
        CoordinatorUnavailableException? last = null;
        bool renewed = false;
        while (true)
        {
            try
            {
                return await call(Session(), op.Token);
            }
            catch (SessionExpiredException) when (!renewed && Volatile.Read(ref closed) == 0)
            {
                renewed = true; // Session() hands out a new one
                continue;
            }
            catch (CoordinatorUnavailableException e) when (retryLost && !op.Token.IsCancellationRequested)
            {
                last = e;
            }
            catch (OperationCanceledException) when (!op.Caller.IsCancellationRequested)
            {
                throw TimedOut(op, last);
            }
            await PauseBeforeRetry(op, last);
        }
    }

    /// <summary>A short pause between attempts; the operation's deadline passing turns into its timeout error.</summary>
    private async Task PauseBeforeRetry(Op op, CoordinatorUnavailableException? last)
    {
        try
        {
            await Task.Delay(20, op.Token);
        }
        catch (OperationCanceledException) when (!op.Caller.IsCancellationRequested)
        {
            throw TimedOut(op, last);
        }
    }

    private CoordinatorUnavailableException TimedOut(Op op, CoordinatorUnavailableException? last) =>
        last ?? new CoordinatorUnavailableException($"ZooKeeper {Address}: no answer within {op.Timeout.TotalMilliseconds:0} ms");

    /// <summary>For an ephemeral node: retried round trips on ITS session (never a new one: the node dies with it).</summary>
    internal async Task<T> RetryOn<T>(ZooKeeperClient session, Func<CancellationToken, Task<T>> call, CancellationToken ct)
    {
        using var op = Begin(ct);
        CoordinatorUnavailableException? last = null;
        while (true)
        {
            try
            {
                return await call(op.Token);
            }
            catch (CoordinatorUnavailableException e) when (!op.Token.IsCancellationRequested && session.State != ZkSessionState.Expired)
            {
                last = e;
            }
            catch (OperationCanceledException) when (!op.Caller.IsCancellationRequested)
            {
                throw TimedOut(op, last);
            }
            await PauseBeforeRetry(op, last);
        }
    }

    /// <summary>Closes the session: the server deletes our ephemerals at once; pending watches end cancelled.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref closed, 1) != 0) return;
        await Client.DisposeAsync();
    }
}
