using System.Net.Sockets;
using Codis.Core.Logging;
using Codis.Core.Resp;

namespace Codis.Server.Slots;

/// <summary>One cached connection of sync migration to a target, with what the target already knows of it.</summary>
internal sealed class SyncTarget(string name, RespClient client)
{
    public string Name { get; } = name;
    public RespClient Client { get; } = client;
    public bool Authorized { get; set; }
    /// <summary>The DB the link has selected on the target; -1 = not yet known.</summary>
    public int Db { get; set; } = -1;
    public long LastUse { get; set; } = Environment.TickCount64;
}

/// <summary>
/// Sync migration's connections to targets, cached per "host:port" as in the original: reused while they work,
/// closed after any error and after 15 s unused. Used under the keyspace lock only.
/// </summary>
internal sealed class SyncTargetPool
{
    private readonly Dictionary<string, SyncTarget> targets = new();

    /// <summary>The cached link to host:port, or a new one; on failure <paramref name="error"/> is the reply.</summary>
    public SyncTarget? Get(string host, string port, int timeoutMs, bool needsAuth, out string? error)
    {
        string name = host + ":" + port;
        if (targets.TryGetValue(name, out var t))
        {
            t.LastUse = Environment.TickCount64;
            error = null;
            return t;
        }
        if (!int.TryParse(port, System.Globalization.NumberStyles.None, null, out int p) || p < 1 || p > 65535)
        {
            error = $"ERR Can't connect to target node: invalid port '{port}'";
            return null;
        }
        try
        {
            var client = new RespClient(host, p, TimeSpan.FromMilliseconds(timeoutMs));
            t = new SyncTarget(name, client) { Authorized = !needsAuth };
        }
        catch (TimeoutException)
        {
            Log.Warn("slotsmgrt: connect to target timed out", ("target", name), ("timeout_ms", timeoutMs));
            error = "IOERR error or timeout connecting to the client";
            return null;
        }
        catch (Exception e) when (e is SocketException or IOException or ArgumentException or AggregateException)
        {
            if (e is AggregateException { InnerException: { } inner }) e = inner;
            Log.Warn("slotsmgrt: connect to target failed", ("target", name), ("error", e.Message));
            error = "ERR Can't connect to target node: " + e.Message;
            return null;
        }
        Log.Info("slotsmgrt: connected to target", ("target", name));
        targets[name] = t;
        error = null;
        return t;
    }

    public void Close(SyncTarget t)
    {
        if (targets.TryGetValue(t.Name, out var cached) && cached == t) targets.Remove(t.Name);
        t.Client.Dispose();
        Log.Info("slotsmgrt: closed link to target", ("target", t.Name));
    }

    public void CloseIdle(TimeSpan idle)
    {
        long now = Environment.TickCount64;
        foreach (var t in targets.Values.Where(t => now - t.LastUse > idle.TotalMilliseconds).ToList()) Close(t);
    }

    public void CloseAll()
    {
        foreach (var t in targets.Values.ToList()) Close(t);
    }
}
