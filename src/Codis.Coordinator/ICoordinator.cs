namespace Codis.Coordinator;

/// <summary>
/// The store of a product's topology (reference/codis.md §3): a tree of nodes addressed by absolute,
/// slash-separated paths ("/codis3/demo/slots/slot-0000"), each holding bytes (JSON) and a version.
/// Implemented by the filesystem (default, no server), etcd and ZooKeeper backends. Every method is safe to
/// call from several threads. Failures to reach the backend throw <see cref="CoordinatorUnavailableException"/>;
/// the other failures have their own exception types so callers can tell "exists" from "down".
/// Closing (<see cref="IAsyncDisposable.DisposeAsync"/>) is idempotent; any call afterwards throws
/// <see cref="ObjectDisposedException"/>, and pending watches end cancelled.
/// </summary>
public interface ICoordinator : IAsyncDisposable
{
    /// <summary>"filesystem", "etcd" or "zookeeper".</summary>
    string Kind { get; }

    /// <summary>The root folder or the server list this client was opened on (for messages).</summary>
    string Address { get; }

    /// <summary>Creates a persistent node; parents are created as needed. Throws <see cref="NodeExistsException"/>.</summary>
    Task CreateAsync(string path, ReadOnlyMemory<byte> data, CancellationToken ct = default);

    /// <summary>Creates the node if missing, otherwise overwrites it (any version).</summary>
    Task UpdateAsync(string path, ReadOnlyMemory<byte> data, CancellationToken ct = default);

    /// <summary>
    /// <see cref="UpdateAsync"/> of many nodes at once (1,024 slots at init, a migration batch's slots): each node
    /// is written whole, not all or nothing. By default the writes are sent concurrently, which a networked
    /// coordinator pipelines; the filesystem one shares the disk syncs.
    /// </summary>
    Task UpdateManyAsync(IReadOnlyList<(string Path, ReadOnlyMemory<byte> Data)> nodes, CancellationToken ct = default) =>
        Task.WhenAll(nodes.Select(n => UpdateAsync(n.Path, n.Data, ct)));

    /// <summary>
    /// Overwrites the node only if its version is still <paramref name="expectedVersion"/> (as read by
    /// <see cref="ReadAsync"/>); returns the new version. Throws <see cref="VersionMismatchException"/> when
    /// someone else wrote in between, <see cref="NoNodeException"/> when the node is gone.
    /// </summary>
    Task<long> CompareAndSetAsync(string path, ReadOnlyMemory<byte> data, long expectedVersion, CancellationToken ct = default);

    /// <summary>
    /// Deletes a node; a missing node is not an error. A node with children throws
    /// <see cref="NotEmptyException"/> unless <paramref name="recursive"/>.
    /// </summary>
    Task DeleteAsync(string path, bool recursive = false, CancellationToken ct = default);

    /// <summary>The node's data and version, or null when it does not exist.</summary>
    Task<CoordinatorNode?> ReadAsync(string path, CancellationToken ct = default);

    /// <summary>Names (not paths) of the direct children, sorted ordinally; empty when the node does not exist.</summary>
    Task<IReadOnlyList<string>> ListAsync(string path, CancellationToken ct = default);

    /// <summary>
    /// Reads the node and arms a one-shot watch: the returned <see cref="Watched{T}.Changed"/> completes when
    /// the node is created, changed or deleted after the read (it may also complete spuriously, e.g. on a
    /// reconnect; callers re-read). It never faults; it is cancelled by <paramref name="ct"/> or on close.
    /// </summary>
    Task<Watched<CoordinatorNode?>> ReadAndWatchAsync(string path, CancellationToken ct = default);

    /// <summary>Lists the children and arms a one-shot watch that fires when a child is added or removed.</summary>
    Task<Watched<IReadOnlyList<string>>> ListAndWatchAsync(string path, CancellationToken ct = default);

    /// <summary>
    /// Creates a node bound to this process's session (ZooKeeper session, etcd lease, filesystem owner
    /// pid + start time): it vanishes when the process dies or the session expires, and on
    /// <see cref="IEphemeralNode.DisposeAsync"/>. With <paramref name="sequential"/> a 10-digit
    /// increasing suffix is appended to the last path segment and <see cref="IEphemeralNode.Path"/> tells the
    /// real name. Throws <see cref="NodeExistsException"/> when a live owner holds the path; a node left
    /// by a dead owner is replaced.
    /// </summary>
    Task<IEphemeralNode> CreateEphemeralAsync(string path, ReadOnlyMemory<byte> data, bool sequential = false, CancellationToken ct = default);
}

/// <summary>A node's contents and its version (ZooKeeper stat version, etcd mod revision, filesystem counter).</summary>
public sealed record CoordinatorNode(ReadOnlyMemory<byte> Data, long Version)
{
    public string Text => System.Text.Encoding.UTF8.GetString(Data.Span);
}

/// <summary>A value read together with a one-shot change signal.</summary>
public sealed record Watched<T>(T Value, Task Changed);

/// <summary>An ephemeral node owned by this process.</summary>
public interface IEphemeralNode : IAsyncDisposable
{
    /// <summary>The node's real path (with the sequence suffix when created sequential).</summary>
    string Path { get; }

    /// <summary>Completes when the node was lost without us deleting it (session expired, removed by force).</summary>
    Task Lost { get; }

    /// <summary>Rewrites the node's data, keeping it ephemeral.</summary>
    Task UpdateAsync(ReadOnlyMemory<byte> data, CancellationToken ct = default);
}
