using Codis.Coordinator.ZooKeeper.Protocol;

namespace Codis.Coordinator.ZooKeeper.Client;

/// <summary>
/// A one-shot watch handed to getData/exists/getChildren: <see cref="Changed"/> completes with the first event
/// for its path, or with a session event (type None, state Expired/Closed) when the session ends.
/// </summary>
public sealed class ZkWatch(string path)
{
    private readonly TaskCompletionSource<ZkWatchedEvent> fired = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public string Path { get; } = path;

    public Task<ZkWatchedEvent> Changed => fired.Task;

    internal bool Fire(ZkWatchedEvent e) => fired.TrySetResult(e);
}

/// <summary>
/// Client-side watch registry (path → one-shot watches per kind), as the server keeps them: data watches,
/// exist watches (set by exists on a missing node) and child watches. Re-sent with setWatches on reconnect.
/// </summary>
internal sealed class ZkWatchManager
{
    private readonly Lock gate = new();
    private readonly Dictionary<string, HashSet<ZkWatch>> data = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<ZkWatch>> exist = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<ZkWatch>> child = new(StringComparer.Ordinal);

    public void AddData(ZkWatch w) => Add(data, w);
    public void AddExist(ZkWatch w) => Add(exist, w);
    public void AddChild(ZkWatch w) => Add(child, w);

    public int Count
    {
        get
        {
            lock (gate) return data.Values.Sum(s => s.Count) + exist.Values.Sum(s => s.Count) + child.Values.Sum(s => s.Count);
        }
    }

    private void Add(Dictionary<string, HashSet<ZkWatch>> map, ZkWatch w)
    {
        lock (gate)
        {
            if (!map.TryGetValue(w.Path, out var set)) map[w.Path] = set = [];
            set.Add(w);
        }
    }

    /// <summary>Forgets a watch the caller no longer waits for (the server-side watch just fires into nothing).</summary>
    public void Remove(ZkWatch w)
    {
        lock (gate)
        {
            Remove(data, w);
            Remove(exist, w);
            Remove(child, w);
        }
    }

    private static void Remove(Dictionary<string, HashSet<ZkWatch>> map, ZkWatch w)
    {
        if (map.TryGetValue(w.Path, out var set) && set.Remove(w) && set.Count == 0) map.Remove(w.Path);
    }

    /// <summary>Routes a server notification to the watches it triggers (Java's ZKWatchManager.materialize).</summary>
    public void Deliver(ZkWatchedEvent e)
    {
        if (e.Path == null) return;
        var hit = new List<ZkWatch>();
        lock (gate)
        {
            switch (e.Type)
            {
                case ZkEventType.NodeCreated:
                case ZkEventType.NodeDataChanged:
                    Take(data, e.Path, hit);
                    Take(exist, e.Path, hit);
                    break;
                case ZkEventType.NodeChildrenChanged:
                    Take(child, e.Path, hit);
                    break;
                case ZkEventType.NodeDeleted:
                    Take(data, e.Path, hit);
                    Take(exist, e.Path, hit);
                    Take(child, e.Path, hit);
                    break;
            }
        }
        foreach (var w in hit) w.Fire(e);
    }

    /// <summary>Fires and forgets every watch (session expired or client closed).</summary>
    public void FireAll(ZkWatchedEvent e)
    {
        var all = new List<ZkWatch>();
        lock (gate)
        {
            foreach (var map in new[] { data, exist, child })
            {
                foreach (var set in map.Values) all.AddRange(set);
                map.Clear();
            }
        }
        foreach (var w in all) w.Fire(e);
    }

    /// <summary>The paths to re-arm on a new connection.</summary>
    public (List<string> Data, List<string> Exist, List<string> Child) Paths()
    {
        lock (gate) return ([.. data.Keys], [.. exist.Keys], [.. child.Keys]);
    }

    private static void Take(Dictionary<string, HashSet<ZkWatch>> map, string path, List<ZkWatch> into)
    {
        if (map.Remove(path, out var set)) into.AddRange(set);
    }
}
