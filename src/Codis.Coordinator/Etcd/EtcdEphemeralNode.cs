using Etcdserverpb;

namespace Codis.Coordinator.Etcd;

/// <summary>
/// An ephemeral node on etcd: a key on the session's lease. <see cref="Lost"/> completes when the lease
/// expires or a watch on the key sees it deleted (or re-put without our lease) by someone else; a broken
/// watch stream is re-opened from the last seen revision, so an etcd restart alone is not a loss.
/// </summary>
internal sealed class EtcdEphemeralNode : IEphemeralNode
{
    private readonly EtcdCoordinator owner;
    private readonly EtcdConnection conn;
    private readonly TaskCompletionSource lost = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource stop;
    private int released;

    public EtcdEphemeralNode(EtcdCoordinator owner, EtcdConnection conn, string path, EtcdSession session, CancellationToken closing)
    {
        this.owner = owner;
        this.conn = conn;
        Path = path;
        Session = session;
        stop = CancellationTokenSource.CreateLinkedTokenSource(closing);
        _ = session.Lost.ContinueWith(t => { if (t.IsCompletedSuccessfully) MarkLost(); }, TaskScheduler.Default);
        _ = Task.Run(WatchAsync);
    }

    public string Path { get; }
    public EtcdSession Session { get; }
    public Task Lost => lost.Task;

    public Task UpdateAsync(ReadOnlyMemory<byte> data, CancellationToken ct = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref released) != 0, this);
        return owner.UpdateEphemeralAsync(this, data, ct);
    }

    internal void MarkLost()
    {
        if (Volatile.Read(ref released) != 0) return;
        lost.TrySetResult();
        stop.Cancel();
    }

    internal void MarkReleased()
    {
        Volatile.Write(ref released, 1);
        stop.Cancel();
        lost.TrySetCanceled();
    }

    private async Task WatchAsync()
    {
        var token = stop.Token;
        var key = EtcdKeys.Key(Path);
        while (!token.IsCancellationRequested)
        {
            try
            {
                var r = await conn.Call("watch ephemeral " + Path, (h, d, c) => conn.Client.GetAsync(new RangeRequest { Key = key }, h, d, c), token);
                if (r.Count == 0 || r.Kvs[0].Lease != Session.LeaseId)
                {
                    MarkLost();
                    return;
                }
                var create = new WatchCreateRequest { Key = key, StartRevision = r.Header.Revision + 1 };
                await EtcdWatchStream.RunAsync(conn, create, events => events.Any(e =>
                    e.Type == Mvccpb.Event.Types.EventType.Delete || e.Kv.Lease != Session.LeaseId), token);
                MarkLost();
                return;
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }
            catch (CoordinatorException)
            {
                // etcd unreachable: look again shortly (the key lives as long as the lease).
                try { await Task.Delay(500, token); }
                catch (OperationCanceledException) { return; }
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref released, 1) != 0) return;
        stop.Cancel();
        await owner.ReleaseEphemeralAsync(this);
        lost.TrySetCanceled();
    }
}
