using dotnet_etcd;
using Etcdserverpb;
using Grpc.Core;

namespace Codis.Coordinator.Etcd;

/// <summary>
/// One dotnet-etcd client plus what every call needs: a deadline (the operation timeout, so an unreachable
/// etcd fails instead of hanging), the auth token for "user:password" (fetched again when etcd says it
/// expired), and the translation of gRPC failures into coordinator exceptions that name the address.
/// With several endpoints the client talks to one of them at a time (dotnet-etcd alone would spread calls
/// round-robin over all of them, so a member cut off by a partition, whose TCP connection stays silent, would
/// hold every third call for the whole operation timeout). A call that gets no answer, or a session keep-alive
/// that gets none, moves the client on to the next endpoint; moving retires the old client, which cancels the
/// calls and watches still waiting on it, and they are tried again (calls) or re-read (watches) on the new one.
/// </summary>
internal sealed class EtcdConnection : IDisposable
{
    private volatile EtcdClient client;
    private CancellationTokenSource retiring = new();
    private readonly string[] endpoints;
    private int current;
    private readonly object rotateGate = new();
    private readonly List<EtcdClient> retired = [];
    private readonly string? user;
    private readonly string? password;
    private readonly SemaphoreSlim authGate = new(1, 1);
    private volatile Metadata? headers;

    public EtcdConnection(string address, string auth, TimeSpan timeout)
    {
        Address = address;
        Timeout = timeout;
        if (auth.Length > 0)
        {
            int colon = auth.IndexOf(':');
            if (colon <= 0) throw new ArgumentException("etcd coordinator: coordinator_auth must be \"user:password\"");
            user = auth[..colon];
            password = auth[(colon + 1)..];
        }
        endpoints = ConnectionString(address).Split(',');
        client = new EtcdClient(endpoints[0]);
    }

    /// <summary>Moves to a client of the next endpoint, unless another call already did since <paramref name="seen"/>.</summary>
    public void Rotate(EtcdClient seen)
    {
        if (endpoints.Length < 2) return;
        CancellationTokenSource old;
        lock (rotateGate)
        {
            if (!ReferenceEquals(client, seen)) return;
            current = (current + 1) % endpoints.Length;
            retired.Add(client); // calls may still run on it: disposed with the connection
            client = new EtcdClient(endpoints[current]);
            old = retiring;
            retiring = new CancellationTokenSource();
        }
        old.Cancel();
    }

    /// <summary>The client now in use, with a token cancelled when it is retired (a call or watch on it should stop).</summary>
    public (EtcdClient Client, CancellationToken Retired) Current
    {
        get { lock (rotateGate) return (client, retiring.Token); }
    }

    public string Address { get; }
    public TimeSpan Timeout { get; }
    public EtcdClient Client => client;
    public Metadata? Headers => headers;

    /// <summary>"h1:p1,h2:p2" → "http://h1:p1,http://h2:p2" (an explicit http:// or https:// is kept).</summary>
    public static string ConnectionString(string address)
    {
        var parts = address.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length == 0) throw new ArgumentException("etcd coordinator: coordinator_addr is empty (want host:port[,host:port...])");
        return string.Join(',', parts.Select(p => p.Contains("://", StringComparison.Ordinal) ? p : "http://" + p));
    }

    /// <summary>Logs in when auth is configured (also the reachability check of open).</summary>
    public async Task AuthenticateAsync(CancellationToken ct)
    {
        if (user == null) return;
        await authGate.WaitAsync(ct);
        try
        {
            var r = await Guard("authenticate", () => client.AuthenticateAsync(new AuthenticateRequest { Name = user, Password = password }, null, Deadline(), ct), ct);
            headers = new Metadata { { "token", r.Token } };
        }
        catch (CoordinatorException e) when (e.InnerException is RpcException r && r.Status.Detail.Contains("authentication is not enabled", StringComparison.Ordinal))
        {
            headers = null; // the server does not ask for credentials: go on without a token
        }
        finally
        {
            authGate.Release();
        }
    }

    /// <summary>Runs one call with the deadline and the auth header; re-authenticates once on an expired token.</summary>
    public async Task<T> Call<T>(string what, Func<Metadata?, DateTime, CancellationToken, Task<T>> call, CancellationToken ct)
    {
        var (used, retiredToken) = Current;
        try
        {
            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(ct, retiredToken);
            return await Guard(what, () => call(headers, Deadline(), attempt.Token), ct);
        }
        catch (CoordinatorUnavailableException) when (endpoints.Length > 1 && !ct.IsCancellationRequested)
        {
            Rotate(used);
            return await Guard(what, () => call(headers, Deadline(), ct), ct);
        }
        catch (CoordinatorException e) when (user != null && e.InnerException is RpcException r && IsAuthExpired(r))
        {
            await AuthenticateAsync(ct);
            return await Guard(what, () => call(headers, Deadline(), ct), ct);
        }
    }

    public DateTime Deadline() => DateTime.UtcNow + Timeout;

    private static bool IsAuthExpired(RpcException r)
        => r.StatusCode == StatusCode.Unauthenticated || r.Status.Detail.Contains("user name is empty", StringComparison.Ordinal);

    private async Task<T> Guard<T>(string what, Func<Task<T>> call, CancellationToken ct)
    {
        try
        {
            // The deadline should end the call; the outer bound is for a client that ignores it.
            return await call().WaitAsync(Timeout + TimeSpan.FromSeconds(2), ct);
        }
        catch (RpcException e) when (ct.IsCancellationRequested)
        {
            throw new OperationCanceledException($"etcd {what} cancelled", e, ct);
        }
        catch (RpcException e)
        {
            throw Translate(what, e);
        }
        catch (OperationCanceledException e) when (!ct.IsCancellationRequested)
        {
            // The client gave up inside its own retries (its deadline passed): etcd did not answer.
            throw new CoordinatorUnavailableException($"etcd {Address}: {what}: no answer within {Timeout.TotalSeconds:0.#}s", e);
        }
        catch (TimeoutException e)
        {
            throw new CoordinatorUnavailableException($"etcd {Address}: {what}: no answer within {Timeout.TotalSeconds:0.#}s", e);
        }
        catch (Exception e) when (e is HttpRequestException or IOException or System.Net.Sockets.SocketException)
        {
            throw new CoordinatorUnavailableException($"etcd {Address}: {what}: {e.Message}", e);
        }
    }

    public CoordinatorException Translate(string what, RpcException e)
    {
        string detail = string.IsNullOrEmpty(e.Status.Detail) ? e.StatusCode.ToString() : e.Status.Detail;
        return e.StatusCode switch
        {
            StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Cancelled or StatusCode.Internal or StatusCode.Unknown
                => new CoordinatorUnavailableException($"etcd {Address}: {what}: unreachable or not answering within {Timeout.TotalSeconds:0.#}s ({detail})", e),
            _ => new CoordinatorException($"etcd {Address}: {what}: {detail}", e),
        };
    }

    public void Dispose()
    {
        client.Dispose();
        lock (rotateGate) foreach (var c in retired) c.Dispose();
        retiring.Dispose();
        authGate.Dispose();
    }
}
