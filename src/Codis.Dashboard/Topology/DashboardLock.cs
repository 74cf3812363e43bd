using System.Text.Json;
using Codis.Coordinator;
using Codis.Core.Logging;
using Codis.Core.Models;

namespace Codis.Dashboard.Topology;

/// <summary>
/// The one-dashboard-per-product lock: an ephemeral node at /codis3/&lt;product&gt;/topom holding our Topom JSON.
/// It dies with our session, so a dashboard killed with -9 never blocks the next one beyond the session timeout
/// (filesystem: not at all). A second dashboard is refused with the holder's identity, or, as a standby, waits.
/// </summary>
internal sealed class DashboardLock(ICoordinator coordinator, CoordinatorPaths paths)
{
    /// <summary>Thrown when another live dashboard holds the lock.</summary>
    public sealed class HeldException(TopomModel? holder, string message) : Exception(message)
    {
        public TopomModel? Holder { get; } = holder;
    }

    public async Task<TopomModel?> ReadHolderAsync(CancellationToken ct)
    {
        var node = await coordinator.ReadAsync(paths.Topom, ct).ConfigureAwait(false);
        if (node == null) return null;
        try { return ModelJson.Decode<TopomModel>(node.Data.Span); }
        catch (JsonException) { return new TopomModel { AdminAddr = "(unreadable lock: " + node.Text + ")" }; }
    }

    /// <summary>
    /// Takes the lock now, or throws <see cref="HeldException"/> naming the holder. A lock left by a dashboard of
    /// this machine whose process is gone (killed with -9 while its etcd/ZooKeeper session lives on) is removed
    /// first: that is the seed's "dashboard already exists" failure, and nobody else can be using that lock.
    /// </summary>
    public async Task<IEphemeralNode> AcquireAsync(TopomModel me, CancellationToken ct)
    {
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                return await coordinator.CreateEphemeralAsync(paths.Topom, ModelJson.Encode(me), false, ct).ConfigureAwait(false);
            }
            catch (NodeExistsException)
            {
                var holder = await ReadHolderAsync(ct).ConfigureAwait(false);
                if (attempt == 0 && holder != null && DeadLocalHolder(holder) is { } why)
                {
                    // read again right before deleting: a node that changed meanwhile is someone else's lock
                    var again = await ReadHolderAsync(ct).ConfigureAwait(false);
                    if (again?.Token == holder.Token)
                    {
                        Log.Warn("removing a stale dashboard lock: its holder is dead", ("holder", holder.Describe()), ("why", why), ("lock", paths.Topom));
                        await coordinator.DeleteAsync(paths.Topom, false, ct).ConfigureAwait(false);
                    }
                    continue;
                }
                throw new HeldException(holder, RefusalMessage(paths.Product, holder, coordinator));
            }
        }
    }

    /// <summary>Why <paramref name="holder"/> is a dead dashboard of this machine, or null when it may be alive (or elsewhere).</summary>
    internal static string? DeadLocalHolder(TopomModel holder)
    {
        if (!OperatingSystem.IsLinux() || holder.Pid <= 0 || holder.Hostname != Environment.MachineName) return null;
        if (holder.Pid == Environment.ProcessId) return $"pid {holder.Pid} is this process, which did not take the lock";
        string proc = $"/proc/{holder.Pid}";
        if (!Directory.Exists(proc)) return $"no process {holder.Pid} on {holder.Hostname}";
        try
        {
            var cmdline = File.ReadAllText(Path.Combine(proc, "cmdline")).Replace('\0', ' ');
            if (!cmdline.Contains("codis-dashboard", StringComparison.Ordinal) && !cmdline.Contains("codis-config", StringComparison.Ordinal))
                return $"process {holder.Pid} is not a dashboard now ({cmdline.Trim()})";
        }
        catch (IOException) { return $"no process {holder.Pid} on {holder.Hostname}"; }
        catch (UnauthorizedAccessException) { }
        return null;
    }

    /// <summary>Standby: waits (watching the node) until the holder is gone, then takes the lock.</summary>
    public async Task<IEphemeralNode> WaitAndAcquireAsync(TopomModel me, CancellationToken ct)
    {
        bool announced = false;
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            try { return await AcquireAsync(me, ct).ConfigureAwait(false); }
            catch (HeldException e)
            {
                if (!announced) Log.Info("standby: waiting for the lock", ("holder", e.Holder?.Describe()), ("product", paths.Product));
                announced = true;
            }
            var watched = await coordinator.ReadAndWatchAsync(paths.Topom, ct).ConfigureAwait(false);
            if (watched.Value == null) continue;
            // the watch fires on delete; the timeout covers backends whose ephemeral expiry is only seen on reads
            await Task.WhenAny(watched.Changed, Task.Delay(TimeSpan.FromSeconds(1), ct)).ConfigureAwait(false);
        }
    }

    /// <summary>Deletes the lock whoever holds it; returns the holder it removed (null if there was none).</summary>
    public async Task<TopomModel?> ForceRemoveAsync(CancellationToken ct)
    {
        var holder = await ReadHolderAsync(ct).ConfigureAwait(false);
        if (holder != null) await coordinator.DeleteAsync(paths.Topom, false, ct).ConfigureAwait(false);
        return holder;
    }

    public static string RefusalMessage(string product, TopomModel? holder, ICoordinator coordinator) =>
        $"dashboard already running for product '{product}': {holder?.Describe() ?? "(holder unknown)"}; " +
        $"stop it, start this one with --standby to take over when it dies, or, if it is dead and its lock was kept " +
        $"(the {coordinator.Kind} session at {coordinator.Address} has not expired yet), run `codis-config action remove-lock` " +
        $"or `codis-admin --remove-lock --product={product} --{coordinator.Kind}={coordinator.Address}`";
}
