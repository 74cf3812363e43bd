using Codis.Core.Logging;
using Codis.Coordinator.ZooKeeper.Client;
using Codis.Coordinator.ZooKeeper.Protocol;

namespace Codis.Coordinator.ZooKeeper;

/// <summary>
/// An EPHEMERAL node of our session. An exists-watch is kept armed on it, so <see cref="Lost"/> completes when the
/// node is deleted by someone else or the session expires (the server has then deleted it).
/// </summary>
internal sealed class ZooKeeperEphemeralNode(ZooKeeperCoordinator owner, ZooKeeperClient zk, string path) : IEphemeralNode
{
    private readonly TaskCompletionSource lost = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly long session = zk.SessionId;
    private volatile bool disposed;

    public string Path { get; } = path;
    public Task Lost => lost.Task;

    /// <summary>Arms the first watch before the node is handed out, then keeps re-arming in the background.</summary>
    internal async Task StartAsync(CancellationToken ct)
    {
        var watch = await ArmAsync(ct);
        if (watch != null) _ = KeepWatchingAsync(watch);
    }

    private async Task<ZkWatch?> ArmAsync(CancellationToken ct)
    {
        var watch = new ZkWatch(Path);
        var stat = await owner.RetryFor(t => zk.ExistsAsync(Path, watch, t), ct);
        if (stat == null || stat.Value.EphemeralOwner != session)
        {
            MarkLost(stat == null ? "deleted" : "replaced by another session");
            return null;
        }
        return watch;
    }

    private async Task KeepWatchingAsync(ZkWatch watch)
    {
        while (true)
        {
            var e = await watch.Changed;
            if (disposed) return;
            switch (e)
            {
                case { Type: ZkEventType.NodeDeleted }:
                    MarkLost("deleted");
                    return;
                case { Type: ZkEventType.None, State: ZkKeeperState.Expired }:
                    MarkLost("session expired");
                    return;
                case { Type: ZkEventType.None }:
                    return; // coordinator closed: the node went with the session, as asked
            }
            // Data changed (our own update, or someone else's): keep watching.
            while (true)
            {
                try
                {
                    var next = await ArmAsync(CancellationToken.None);
                    if (next == null) return;
                    watch = next;
                    break;
                }
                catch (CoordinatorUnavailableException)
                {
                    // Not reachable right now: the session either comes back (retry) or expires (SessionExpired).
                    await Task.Delay(200);
                }
                catch (SessionExpiredException)
                {
                    MarkLost("session expired");
                    return;
                }
                catch (ObjectDisposedException)
                {
                    return;
                }
            }
        }
    }

    private void MarkLost(string why)
    {
        // closeSession deletes our ephemerals and we may see that NodeDeleted: closing is not losing.
        if (disposed || zk.IsClosing || !lost.TrySetResult()) return;
        Log.Warn("zookeeper ephemeral node lost", ("path", Path), ("session", $"0x{session:x}"), ("reason", why));
    }

    public async Task UpdateAsync(ReadOnlyMemory<byte> data, CancellationToken ct = default)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        try
        {
            await owner.RetryFor(t => zk.SetDataAsync(Path, data, -1, t), ct);
        }
        catch (NoNodeException)
        {
            MarkLost("deleted");
            throw;
        }
    }

    /// <summary>Deletes the node (not reported as lost); a node already gone, or a dead session, is fine.</summary>
    public async ValueTask DisposeAsync()
    {
        if (disposed) return;
        disposed = true;
        try
        {
            await owner.RetryFor(async t =>
            {
                try
                {
                    await zk.DeleteAsync(Path, -1, t);
                }
                catch (NoNodeException) { }
                return true;
            }, CancellationToken.None);
        }
        catch (Exception e) when (e is CoordinatorException or ObjectDisposedException)
        {
            // Closed or expired: the server removes it with the session.
        }
    }
}
