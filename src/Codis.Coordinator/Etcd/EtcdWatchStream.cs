using Etcdserverpb;
using Grpc.Core;

namespace Codis.Coordinator.Etcd;

/// <summary>
/// One etcd watch on its own gRPC stream (streams share the client's HTTP/2 connection, so this is cheap):
/// created from a start revision, so nothing between the read and the watch is missed.
/// </summary>
internal static class EtcdWatchStream
{
    /// <summary>
    /// Runs until <paramref name="onEvents"/> returns true (returns normally). A broken stream, a compacted start
    /// revision or a server-side cancel throws <see cref="CoordinatorUnavailableException"/>.
    /// </summary>
    public static async Task RunAsync(EtcdConnection conn, WatchCreateRequest create, Func<IReadOnlyList<Mvccpb.Event>, bool> onEvents, CancellationToken ct)
    {
        var (client, retired) = conn.Current;
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, retired);
        try
        {
            using var call = client.GetConnection().WatchClient.Watch(conn.Headers, null, linked.Token);
            await call.RequestStream.WriteAsync(new WatchRequest { CreateRequest = create }, linked.Token);
            while (await call.ResponseStream.MoveNext(linked.Token))
            {
                var r = call.ResponseStream.Current;
                if (r.Canceled)
                    throw new CoordinatorUnavailableException($"etcd {conn.Address}: watch cancelled by the server (compacted at {r.CompactRevision}: {r.CancelReason})");
                if (r.Events.Count > 0 && onEvents(r.Events)) return;
            }
            throw new CoordinatorUnavailableException($"etcd {conn.Address}: watch stream closed by the server");
        }
        catch (RpcException e) when (!ct.IsCancellationRequested)
        {
            throw conn.Translate("watch", e);
        }
        catch (RpcException e)
        {
            throw new OperationCanceledException("watch cancelled", e, ct);
        }
        catch (OperationCanceledException e) when (!ct.IsCancellationRequested)
        {
            // The connection moved to another endpoint: the caller re-reads and watches there.
            throw new CoordinatorUnavailableException($"etcd {conn.Address}: watch: the client moved to another endpoint", e);
        }
    }
}
