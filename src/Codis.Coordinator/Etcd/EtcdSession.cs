using Etcdserverpb;

namespace Codis.Coordinator.Etcd;

/// <summary>
/// The lease this client's ephemeral nodes hang on (TTL = the session timeout; etcd's minimum is 2 s), kept
/// alive over a keep-alive stream three times per TTL. <see cref="Lost"/> completes when etcd reports the
/// lease gone (TTL 0): every key on it is deleted then. While etcd is unreachable the loop keeps retrying; the
/// lease survives a short outage because etcd renews leases when it elects a leader again.
/// Closing revokes the lease, which deletes its keys at once.
/// </summary>
internal sealed class EtcdSession : IAsyncDisposable
{
    private readonly EtcdConnection conn;
    private readonly TaskCompletionSource lost = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource stop = new();
    private readonly Task loop;

    private EtcdSession(EtcdConnection conn, long leaseId, long ttlSeconds)
    {
        this.conn = conn;
        LeaseId = leaseId;
        TtlSeconds = ttlSeconds;
        loop = Task.Run(KeepAliveLoopAsync);
    }

    public long LeaseId { get; }
    public long TtlSeconds { get; }
    public Task Lost => lost.Task;
    public bool IsLost => lost.Task.IsCompleted;

    public static async Task<EtcdSession> StartAsync(EtcdConnection conn, TimeSpan sessionTimeout, CancellationToken ct)
    {
        long ttl = Math.Max(2, (long)Math.Ceiling(sessionTimeout.TotalSeconds));
        var grant = await conn.Call("lease grant", (h, d, c) => conn.Client.LeaseGrantAsync(new LeaseGrantRequest { TTL = ttl }, h, d, c), ct);
        if (!string.IsNullOrEmpty(grant.Error)) throw new CoordinatorException($"etcd {conn.Address}: lease grant: {grant.Error}");
        return new EtcdSession(conn, grant.ID, grant.TTL);
    }

    /// <summary>Called when a request names our lease and etcd says it does not exist.</summary>
    public void MarkLost() => lost.TrySetResult();

    private async Task KeepAliveLoopAsync()
    {
        var token = stop.Token;
        var period = TimeSpan.FromMilliseconds(TtlSeconds * 1000 / 3.0);
        while (!token.IsCancellationRequested && !IsLost)
        {
            var (used, retired) = conn.Current;
            try
            {
                // a client retired by a call that moved on stops this stream too: the next one goes where the calls go
                using var stream = CancellationTokenSource.CreateLinkedTokenSource(token, retired);
                using var call = used.GetConnection().LeaseClient.LeaseKeepAlive(conn.Headers, null, stream.Token);
                while (!token.IsCancellationRequested)
                {
                    await call.RequestStream.WriteAsync(new LeaseKeepAliveRequest { ID = LeaseId }, stream.Token);
                    using var answer = CancellationTokenSource.CreateLinkedTokenSource(stream.Token);
                    // a third of the TTL: time enough to try another endpoint before the lease runs out
                    answer.CancelAfter(period);
                    if (!await call.ResponseStream.MoveNext(answer.Token)) break;
                    if (call.ResponseStream.Current.TTL <= 0)
                    {
                        MarkLost();
                        return;
                    }
                    await Task.Delay(period, stream.Token);
                }
            }
            catch (Grpc.Core.RpcException e) when (!token.IsCancellationRequested && e.StatusCode == Grpc.Core.StatusCode.Unauthenticated)
            {
                // The auth token expired: log in again before the next stream.
                try { await conn.AuthenticateAsync(token); }
                catch (Exception) when (!token.IsCancellationRequested) { }
            }
            catch (Exception) when (!token.IsCancellationRequested)
            {
                // etcd unreachable or the stream broke: retry soon, on the next endpoint; the lease lives on the server for its TTL.
                conn.Rotate(used);
            }
            catch (Exception)
            {
                return;
            }
            try { await Task.Delay(TimeSpan.FromMilliseconds(300), token); }
            catch (OperationCanceledException) { return; }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (stop.IsCancellationRequested) return;
        stop.Cancel();
        await loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (!IsLost)
        {
            try
            {
                await conn.Call("lease revoke", (h, d, c) => conn.Client.LeaseRevokeAsync(new LeaseRevokeRequest { ID = LeaseId }, h, d, c), CancellationToken.None);
            }
            catch (CoordinatorException)
            {
                // Unreachable: the keys go when the TTL runs out.
            }
        }
        lost.TrySetCanceled();
        stop.Dispose();
    }
}
