using System.Collections.Concurrent;

namespace Codis.Proxy.Backends;

/// <summary>
/// Connections per backend address: for each database, <c>parallel</c> pipelined connections created on
/// first use. One pool for masters and one for replicas, as in the original.
/// </summary>
internal sealed class BackendPool(BackendOptions options, int parallel) : IDisposable
{
    private readonly ConcurrentDictionary<string, BackendConnection?[]> nodes = new();

    public BackendConnection Get(string address, int database, uint seed) => Pick(Node(address), address, database, seed);

    /// <summary>
    /// The connection for a request of <paramref name="slot"/>, whose entry is <paramref name="model"/> (its master):
    /// the address's connections are cached on the slot for that entry, so no lookup by address per request. The
    /// cache cannot outlive them: <see cref="Retain"/> only drops addresses no slot's entry names.
    /// </summary>
    public BackendConnection Get(Routing.SlotState slot, Core.Models.SlotModel model, int database, uint seed)
    {
        var route = slot.Route;
        BackendConnection?[] conns;
        if (route != null && ReferenceEquals(route.Model, model) && ReferenceEquals(route.Pool, this)) conns = route.Connections;
        else
        {
            conns = Node(model.BackendAddr);
            slot.Route = new Routing.SlotRoute(model, this, conns);
        }
        return Pick(conns, model.BackendAddr, database, seed);
    }

    private BackendConnection?[] Node(string address)
    {
        // TryGetValue first: the factory lambda captures this, so GetOrAdd would allocate a delegate per request.
        if (!nodes.TryGetValue(address, out var conns)) conns = nodes.GetOrAdd(address, _ => new BackendConnection?[options.Databases * parallel]);
        return conns;
    }

    private BackendConnection Pick(BackendConnection?[] conns, string address, int database, uint seed)
    {
        int baseIndex = database * parallel;
        if (parallel == 1) return conns[baseIndex] ?? Create(conns, baseIndex, address, database);
        // Round-robin from the request's seed, preferring a connected link.
        for (int i = 0; i < parallel; i++)
        {
            int idx = baseIndex + (int)((seed + (uint)i) % (uint)parallel);
            var c = conns[idx] ?? Create(conns, idx, address, database);
            if (c.IsConnected) return c;
        }
        return conns[baseIndex]!;
    }

    private BackendConnection Create(BackendConnection?[] conns, int index, string address, int database)
    {
        var fresh = new BackendConnection(address, database, options);
        var existing = Interlocked.CompareExchange(ref conns[index], fresh, null);
        if (existing == null) return fresh;
        fresh.Dispose();
        return existing;
    }

    public bool IsConnected(string address) =>
        nodes.TryGetValue(address, out var conns) && conns.Any(c => c?.IsConnected == true);

    public IEnumerable<string> Addresses => nodes.Keys;

    public int ConnectedCount => nodes.Values.Sum(conns => conns.Count(c => c?.IsConnected == true));

    /// <summary>Closes the connections of addresses no slot uses any more.</summary>
    public void Retain(ISet<string> inUse)
    {
        foreach (var addr in nodes.Keys)
        {
            if (inUse.Contains(addr)) continue;
            if (nodes.TryRemove(addr, out var conns))
                foreach (var c in conns) c?.Dispose();
        }
    }

    /// <summary>Fails the requests of connections to <paramref name="address"/> that got no reply for <paramref name="after"/>; returns how many.</summary>
    public int FailStalled(string address, TimeSpan after) =>
        nodes.TryGetValue(address, out var conns) ? conns.Sum(c => c?.FailIfStalled(after) ?? 0) : 0;

    public void KeepAlive()
    {
        // backend_ping_period: 0 disables the PINGs; the minimum effective period is 1 s (as the original).
        long idle = options.PingPeriod <= TimeSpan.Zero ? 0 : Math.Max(1000, (long)options.PingPeriod.TotalMilliseconds);
        foreach (var conns in nodes.Values)
            foreach (var c in conns) c?.KeepAlive(idle);
    }

    public void Dispose()
    {
        foreach (var conns in nodes.Values)
            foreach (var c in conns) c?.Dispose();
        nodes.Clear();
    }
}
