using System.Collections.Concurrent;
using System.Text.Json;

namespace Codis.Coordinator.FileSystem;

/// <summary>
/// The liveness of one coordinator instance, as its ephemeral nodes record it. Readers on this machine check
/// the owner process directly (pid + start time, <see cref="ProcessIdentity"/>); inside this process they check
/// the registry of open sessions; readers on another host (a root shared between machines) look at the
/// heartbeat file sessions/&lt;id&gt;, whose mtime the owner refreshes every third of the session timeout.
/// </summary>
internal sealed class FsSession : IDisposable
{
    private static readonly ConcurrentDictionary<string, byte> Open = new(StringComparer.Ordinal);

    private readonly FsLayout layout;
    private readonly TimeSpan ttl;
    private readonly Lock gate = new();
    private Timer? heartbeat;
    private bool disposed;

    public FsSession(FsLayout layout, TimeSpan ttl)
    {
        this.layout = layout;
        this.ttl = ttl < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : ttl;
        Id = Guid.NewGuid().ToString("N");
        Owner = ProcessIdentity.Owner(Id, this.ttl);
        Open[Id] = 0;
    }

    public string Id { get; }
    public OwnerRecord Owner { get; }

    /// <summary>Writes the heartbeat file and starts refreshing it (first ephemeral node of this session).</summary>
    public void EnsureStarted()
    {
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            if (heartbeat != null) return;
            DurableFile.EnsureDirectory(layout.Sessions);
            DurableFile.Write(layout.Temp, layout.SessionFile(Id), JsonSerializer.SerializeToUtf8Bytes(Owner));
            var period = ttl / 3;
            heartbeat = new Timer(_ => Beat(), null, period, period);
        }
    }

    private void Beat()
    {
        try { File.SetLastWriteTimeUtc(layout.SessionFile(Id), DateTime.UtcNow); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    /// <summary>Whether the owner recorded on a node still holds it.</summary>
    public static bool IsAlive(OwnerRecord o, FsLayout layout)
    {
        if (ProcessIdentity.IsThisProcess(o)) return Open.ContainsKey(o.Session);
        if (o.Host == ProcessIdentity.Host) return ProcessIdentity.IsAliveHere(o);
        // Another machine: trust its heartbeat, with one extra period of slack.
        try
        {
            var age = DateTime.UtcNow - File.GetLastWriteTimeUtc(layout.SessionFile(o.Session));
            return File.Exists(layout.SessionFile(o.Session)) && age < TimeSpan.FromMilliseconds(o.TtlMs * 4 / 3);
        }
        catch (IOException) { return false; }
    }

    /// <summary>Removes heartbeat files of dead sessions of this host (left by a kill -9).</summary>
    public static void SweepDead(FsLayout layout)
    {
        if (!Directory.Exists(layout.Sessions)) return;
        foreach (var file in Directory.EnumerateFiles(layout.Sessions))
        {
            try
            {
                var o = JsonSerializer.Deserialize<OwnerRecord>(File.ReadAllBytes(file));
                if (o != null && o.Host == ProcessIdentity.Host && !IsAlive(o, layout)) DurableFile.TryDelete(file);
            }
            catch (JsonException) { DurableFile.TryDelete(file); }
            catch (IOException) { }
        }
    }

    public void Dispose()
    {
        lock (gate)
        {
            if (disposed) return;
            disposed = true;
            heartbeat?.Dispose();
            Open.TryRemove(Id, out _);
            if (heartbeat != null) DurableFile.TryDelete(layout.SessionFile(Id));
        }
    }
}
