using System.Net.Sockets;
using Codis.Core.Logging;
using Codis.Server.Slots;

namespace Codis.Server.Migration;

/// <summary>One connection of MIGRATE to a target, with the db it has selected there.</summary>
internal sealed class MigrateLink(string name, TargetConnection connection)
{
    public string Name { get; } = name;
    public TargetConnection Connection { get; } = connection;

    /// <summary>The db SELECTed on the target; -1 until the first SELECT (so "destination-db -1" sends none, as in Redis).</summary>
    public long Db { get; set; } = -1;

    public long LastUse { get; set; } = Environment.TickCount64;

    /// <summary>Whether it came from the cache (a failure may then just be a link the target closed meanwhile).</summary>
    public bool Reused { get; set; }
}

/// <summary>
/// MIGRATE's connections, cached per "host:port" as Redis does: reused by the next MIGRATE to the same target,
/// closed after an I/O error and after 10 s unused. A link is handed to one MIGRATE at a time (taken out while in
/// use), so concurrent migrations to one target each get their own. Thread-safe: used with and without the keyspace lock.
/// </summary>
internal sealed class MigrateLinks
{
    private readonly Dictionary<string, MigrateLink> idle = new();
    private readonly Lock gate = new();

    public const int IdleMs = 10_000;

    /// <summary>The connect failure Redis reports when the connect itself fails or times out.</summary>
    public const string ConnectError = "IOERR error or timeout connecting to the client";
    public const string WriteError = "IOERR error or timeout writing to target instance";
    public const string ReadError = "IOERR error or timeout reading to target instance";

    /// <summary>The cached link to the target, or a new one; null with the reply in <paramref name="error"/>.</summary>
    public MigrateLink? Take(MigrateOptions o, out string? error)
    {
        string name = o.Host + ":" + o.PortText;
        lock (gate)
        {
            if (idle.Remove(name, out var cached))
            {
                cached.Reused = true;
                error = null;
                return cached;
            }
        }
        return Open(o, out error);
    }

    /// <summary>A fresh connection (also for the one retry after a cached link failed).</summary>
    public static MigrateLink? Open(MigrateOptions o, out string? error)
    {
        string name = o.Host + ":" + o.PortText;
        error = null;
        // An empty host would resolve to this machine's own addresses; Redis's lookup refuses it.
        if (o.Port is not int port || o.Host.Length == 0)
        {
            error = ConnectError;
            return null;
        }
        try
        {
            return new MigrateLink(name, TargetConnection.Open(o.Host, port, o.TimeoutMs));
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused)
        {
            // Redis connects without waiting and learns of the refusal when it writes the request.
            error = WriteError;
        }
        catch (Exception e) when (e is TimeoutException or SocketException or IOException or ArgumentException)
        {
            Log.Debug("migrate: connect failed", ("target", name), ("error", e.Message));
            error = ConnectError;
        }
        return null;
    }

    /// <summary>Gives a link that worked back to the cache (one per target: an extra one is closed).</summary>
    public void Return(MigrateLink link)
    {
        link.LastUse = Environment.TickCount64;
        link.Reused = false;
        lock (gate)
        {
            if (idle.TryAdd(link.Name, link)) return;
        }
        link.Connection.Dispose();
    }

    public void CloseIdle()
    {
        long now = Environment.TickCount64;
        List<MigrateLink> stale;
        lock (gate)
        {
            stale = idle.Values.Where(l => now - l.LastUse > IdleMs).ToList();
            foreach (var l in stale) idle.Remove(l.Name);
        }
        foreach (var l in stale) l.Connection.Dispose();
    }

    public void CloseAll()
    {
        List<MigrateLink> all;
        lock (gate)
        {
            all = idle.Values.ToList();
            idle.Clear();
        }
        foreach (var l in all) l.Connection.Dispose();
    }
}
