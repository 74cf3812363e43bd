using System.Collections.Concurrent;

namespace Codis.Coordinator.FileSystem;

/// <summary>
/// The embedded default coordinator: a folder on the local disk, in Codis's layout (data/, temp/, data.lck;
/// see <see cref="FsLayout"/>), safe for several processes on the machine. Writes are atomic and durable
/// (temp file, fsync, rename, fsync of the directory); every operation holds data.lck; ephemeral nodes record
/// their owner's pid and start time, so a node of a killed process is gone for the next reader at once;
/// watches poll (woken early by inotify).
/// Limitation of the layout: a node with children is a directory and holds no data.
/// </summary>
public sealed class FileSystemCoordinator : ICoordinator
{
    private readonly FsLayout layout;
    private readonly FsStore store;
    private readonly DataLock dataLock;
    private readonly FsSession session;
    private readonly FsWatchPoller poller;
    private readonly ConcurrentDictionary<FsEphemeralNode, byte> ephemerals = new();
    private int disposed;

    private FileSystemCoordinator(CoordinatorOptions options, TimeSpan pollInterval)
    {
        layout = new FsLayout(options.Address);
        store = new FsStore(layout);
        dataLock = new DataLock(layout.Root, options.OperationTimeout);
        session = new FsSession(layout, options.SessionTimeout);
        poller = new FsWatchPoller(layout, async ct => await dataLock.AcquireAsync(ct), Fingerprint, CheckEphemerals, () => !ephemerals.IsEmpty, pollInterval);
    }

    public string Kind => "filesystem";
    public string Address => layout.Root;

    /// <summary>Test hook: runs between a data file's fsync and its rename.</summary>
    internal Action<string>? BeforeDataRename
    {
        get => store.BeforeDataRename;
        set => store.BeforeDataRename = value;
    }

    /// <summary>Opens (creating if needed) the root folder; removes temp files older than a minute left by crashed writers.</summary>
    public static async Task<FileSystemCoordinator> OpenAsync(CoordinatorOptions options, CancellationToken ct = default)
        => await OpenAsync(options, TimeSpan.FromMilliseconds(250), ct);

    internal static async Task<FileSystemCoordinator> OpenAsync(CoordinatorOptions options, TimeSpan pollInterval, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(options.Address)) throw new ArgumentException("filesystem coordinator: coordinator_addr (the root folder) is empty");
        var c = new FileSystemCoordinator(options, pollInterval);
        try
        {
            DurableFile.EnsureDirectory(c.layout.Data);
            DurableFile.EnsureDirectory(c.layout.Temp);
            using (await c.dataLock.AcquireAsync(ct))
            {
                SweepTemp(c.layout.Temp);
                FsSession.SweepDead(c.layout);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            await c.DisposeAsync();
            throw new CoordinatorUnavailableException($"filesystem coordinator {c.layout.Root}: {e.Message}", e);
        }
        return c;
    }

    private static void SweepTemp(string temp)
    {
        var cutoff = DateTime.UtcNow - TimeSpan.FromMinutes(1);
        foreach (var f in Directory.EnumerateFiles(temp))
            if (File.GetLastWriteTimeUtc(f) < cutoff) DurableFile.TryDelete(f);
    }

    // ---- the interface ----

    public Task CreateAsync(string path, ReadOnlyMemory<byte> data, CancellationToken ct = default)
        => Locked(path, ct, () =>
        {
            if (path == "/") throw new NodeExistsException(path);
            var existing = store.Load(path);
            if (existing != null) throw new NodeExistsException(path, Describe(existing.Owner));
            store.Write(path, data.Span, 1, owner: null);
            return 0;
        });

    public Task UpdateAsync(string path, ReadOnlyMemory<byte> data, CancellationToken ct = default)
        => Locked(path, ct, () =>
        {
            var existing = store.Load(path);
            store.Write(path, data.Span, NextVersion(existing), existing?.Owner);
            return 0;
        });

    public Task UpdateManyAsync(IReadOnlyList<(string Path, ReadOnlyMemory<byte> Data)> nodes, CancellationToken ct = default)
    {
        if (nodes.Count == 0) return Task.CompletedTask;
        foreach (var n in nodes) CoordinatorPath.Validate(n.Path);
        return Locked(nodes[0].Path, ct, () =>
        {
            var writes = new List<(string, ReadOnlyMemory<byte>, long, OwnerRecord?)>(nodes.Count);
            foreach (var (path, data) in nodes)
            {
                var existing = store.Load(path);
                writes.Add((path, data, NextVersion(existing), existing?.Owner));
            }
            store.WriteMany(writes);
            return 0;
        });
    }

    /// <summary>An overwrite's version: one past the node's, 1 for a new node.</summary>
    private static long NextVersion(FsNode? existing) => existing == null ? 1 : existing.Version + 1;

    public Task<long> CompareAndSetAsync(string path, ReadOnlyMemory<byte> data, long expectedVersion, CancellationToken ct = default)
        => Locked(path, ct, () =>
        {
            var existing = store.Load(path) ?? throw new NoNodeException(path);
            if (existing.Version != expectedVersion) throw new VersionMismatchException(path, expectedVersion, existing.Version);
            store.Write(path, data.Span, existing.Version + 1, existing.Owner);
            return existing.Version + 1;
        });

    public Task DeleteAsync(string path, bool recursive = false, CancellationToken ct = default)
        => Locked(path, ct, () =>
        {
            if (path == "/") throw new InvalidPathException(path, "the root cannot be deleted");
            var existing = store.Load(path);
            if (existing == null) return 0;
            if (existing.IsDirectory && !recursive && store.Children(path).Count > 0) throw new NotEmptyException(path);
            store.Remove(path);
            return 0;
        });

    public Task<CoordinatorNode?> ReadAsync(string path, CancellationToken ct = default)
        => Locked(path, ct, () => ToNode(store.Load(path)), mutates: false);

    public Task<IReadOnlyList<string>> ListAsync(string path, CancellationToken ct = default)
        => Locked<IReadOnlyList<string>>(path, ct, () => store.Children(path), mutates: false);

    public async Task<Watched<CoordinatorNode?>> ReadAndWatchAsync(string path, CancellationToken ct = default)
    {
        var (node, seen) = await Locked(path, ct, () =>
        {
            var n = store.Load(path);
            return (ToNode(n), n?.Fingerprint ?? "-");
        }, mutates: false);
        return new Watched<CoordinatorNode?>(node, poller.Add(path, children: false, seen, ct));
    }

    public async Task<Watched<IReadOnlyList<string>>> ListAndWatchAsync(string path, CancellationToken ct = default)
    {
        var names = await Locked(path, ct, () => store.Children(path), mutates: false);
        return new Watched<IReadOnlyList<string>>(names, poller.Add(path, children: true, string.Join('/', names), ct));
    }

    public async Task<IEphemeralNode> CreateEphemeralAsync(string path, ReadOnlyMemory<byte> data, bool sequential = false, CancellationToken ct = default)
    {
        string real = await Locked(path, ct, () =>
        {
            if (path == "/") throw new NodeExistsException(path);
            session.EnsureStarted();
            string p = path;
            if (sequential)
            {
                do p = path + store.NextSequence(CoordinatorPath.Parent(path)).ToString("D10");
                while (store.Load(p) != null);
            }
            else
            {
                var existing = store.Load(p); // a dead owner's node is removed by this load
                if (existing != null) throw new NodeExistsException(p, Describe(existing.Owner));
            }
            store.Write(p, data.Span, 1, session.Owner);
            return p;
        });
        var node = new FsEphemeralNode(this, real);
        ephemerals[node] = 0;
        poller.EnsureRunning();
        return node;
    }

    // ---- ephemeral nodes ----

    internal Task UpdateEphemeralAsync(FsEphemeralNode node, ReadOnlyMemory<byte> data, CancellationToken ct)
        => Locked(node.Path, ct, () =>
        {
            var existing = store.Load(node.Path);
            if (existing?.Owner?.Session != session.Id)
            {
                node.MarkLost();
                throw new NoNodeException(node.Path);
            }
            store.Write(node.Path, data.Span, existing.Version + 1, session.Owner);
            return 0;
        });

    internal async Task ReleaseEphemeralAsync(FsEphemeralNode node)
    {
        if (!ephemerals.TryRemove(node, out _)) return;
        await Locked(node.Path, CancellationToken.None, () =>
        {
            if (store.Load(node.Path)?.Owner?.Session == session.Id) store.Remove(node.Path);
            return 0;
        }, allowClosed: true);
    }

    /// <summary>Runs in the poller's pass: an ephemeral node removed or taken over by someone else is lost.</summary>
    private void CheckEphemerals()
    {
        foreach (var node in ephemerals.Keys)
        {
            if (store.Load(node.Path)?.Owner?.Session == session.Id) continue;
            ephemerals.TryRemove(node, out _);
            node.MarkLost();
        }
    }

    private string Fingerprint(string path, bool children)
        => children ? string.Join('/', store.Children(path)) : store.Load(path)?.Fingerprint ?? "-";

    // ---- plumbing ----

    private static CoordinatorNode? ToNode(FsNode? n) => n == null ? null : new CoordinatorNode(n.Data, n.Version);

    private static string? Describe(OwnerRecord? o) => o == null ? null : $"ephemeral, held by pid {o.Pid} on {o.Host}";

    private async Task<T> Locked<T>(string path, CancellationToken ct, Func<T> work, bool mutates = true, bool allowClosed = false)
    {
        if (!allowClosed) ObjectDisposedException.ThrowIf(Volatile.Read(ref disposed) != 0, this);
        CoordinatorPath.Validate(path);
        using var held = await dataLock.AcquireAsync(ct);
        T result;
        try
        {
            result = work();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CoordinatorException($"filesystem coordinator {layout.Root}: {path}: {e.Message}", e);
        }
        if (mutates) poller.Wake();
        return result;
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0) return;
        await poller.DisposeAsync();
        foreach (var node in ephemerals.Keys)
        {
            try { await ReleaseEphemeralAsync(node); }
            catch (CoordinatorException) { } // the lock stayed busy: our nodes still read as gone once the session closes below
            node.MarkReleased();
        }
        session.Dispose();
    }
}
