using System.Security.Cryptography;
using Codis.Coordinator;
using Codis.Core.Config;
using Codis.Core.Logging;
using Codis.Core.Models;
using Codis.Dashboard.Api;
using Codis.Dashboard.Failover;
using Codis.Dashboard.Migration;
using Codis.Dashboard.Topology;

namespace Codis.Dashboard;

/// <summary>
/// One dashboard run: open the coordinator, serve the API, take the product's lock (or wait for it as a standby),
/// load the topology, resume interrupted work, then run the migration executor and the health monitor until
/// stopped (or until the lock is lost: then another dashboard may own the product, so this one stops writing).
/// </summary>
internal sealed class DashboardHost(Settings settings, bool removeLock)
{
    public async Task<int> RunAsync(CancellationTokenSource stop)
    {
        var options = new CoordinatorOptions
        {
            Name = settings["coordinator_name"].Value,
            Address = settings["coordinator_addr"].Value,
            Auth = settings["coordinator_auth"].Value,
            SessionTimeout = settings["coordinator_timeout"].AsDuration,
        };
        ICoordinator coordinator;
        try { coordinator = await CoordinatorOpener.OpenAsync(options, stop.Token); }
        catch (Exception e) when (e is CoordinatorException or NotSupportedException or ArgumentException or IOException)
        {
            Log.Error("can't open the coordinator", ("coordinator", options.Name), ("addr", options.Address), ("error", e.Message));
            return 1;
        }
        await using var _ = coordinator;
        var paths = new CoordinatorPaths(settings["product_name"].Value);
        var lockNode = new DashboardLock(coordinator, paths);
        using var http = new HttpClient { Timeout = settings["proxy_timeout"].AsDuration };

        // A standby listens from the start (answering "standby") and waits; otherwise the lock is taken first, so a
        // second dashboard on the same address is refused with the holder's name rather than "address in use".
        Topom? topom = null;
        var gate = new DashboardApi();
        Microsoft.AspNetCore.Builder.WebApplication? app = null;
        bool standby = settings["standby"].AsBool;
        var me = new TopomModel
        {
            Token = Convert.ToHexString(RandomNumberGenerator.GetBytes(16)).ToLowerInvariant(),
            StartTime = DateTimeOffset.Now.ToString("yyyy-MM-dd HH:mm:ss.fff zzz"),
            AdminAddr = settings["host_admin"].Value is { Length: > 0 } h0 ? h0 : Advertised(settings["admin_addr"].Value),
            ProductName = paths.Product,
            Pid = Environment.ProcessId,
            Pwd = Environment.CurrentDirectory,
            Sys = System.Runtime.InteropServices.RuntimeInformation.OSDescription,
            Hostname = Environment.MachineName,
        };
        async Task<bool> ListenAsync()
        {
            try { app = await gate.StartAsync(settings["admin_addr"].Value, settings["admin_token"].Value); }
            catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or InvalidOperationException)
            {
                Log.Error("can't listen", ("admin_addr", settings["admin_addr"].Value), ("error", e.Message));
                return false;
            }
            me = me with { AdminAddr = settings["host_admin"].Value is { Length: > 0 } h ? h : Advertised(gate.BoundAddress ?? settings["admin_addr"].Value) };
            Log.Info("dashboard listening", ("admin_addr", me.AdminAddr), ("product", paths.Product), ("coordinator", coordinator.Kind), ("coordinator_addr", coordinator.Address));
            return true;
        }
        IEphemeralNode? held = null;
        try
        {
            if (removeLock)
            {
                var was = await lockNode.ForceRemoveAsync(stop.Token);
                Log.Warn(was == null ? "--remove-lock: there was no lock" : "--remove-lock: removed the lock", ("holder", was?.Describe()));
            }
            if (standby)
            {
                if (!await ListenAsync()) return 1;
                gate.Standby = () => lockNode.ReadHolderAsync(CancellationToken.None).GetAwaiter().GetResult();
                held = await lockNode.WaitAndAcquireAsync(me, stop.Token);
            }
            else
            {
                held = await lockNode.AcquireAsync(me, stop.Token);
                if (!await ListenAsync())
                {
                    await held.DisposeAsync();
                    return 1;
                }
                await held.UpdateAsync(ModelJson.Encode(me), stop.Token);
            }
            Log.Info("lock acquired: this dashboard owns the product", ("product", paths.Product), ("lock", held.Path), ("pid", me.Pid));

            topom = new Topom(settings, new TopologyStore(coordinator, paths), me, http) { Stopping = stop.Token };
            await topom.LoadAsync(stop.Token);
            await topom.ResumeAsync(stop.Token);
            var migrator = new SlotMigrator(topom);
            var health = new HealthMonitor(topom);
            gate.Activate(topom, migrator, health, why => { Log.Info("shutting down", ("why", why)); stop.Cancel(); });
            Log.Info("dashboard ready", ("admin_addr", me.AdminAddr), ("product", paths.Product));
            var lost = held.Lost.ContinueWith(_ =>
            {
                if (stop.IsCancellationRequested) return;
                Log.Error("the dashboard lock was lost (removed by force or the coordinator session expired): stopping so no two dashboards write the topology");
                lostLock = true;
                stop.Cancel();
            }, TaskScheduler.Default);
            var loops = new[] { migrator.RunAsync(stop.Token), health.RunAsync(stop.Token) };
            try { await Task.Delay(Timeout.Infinite, stop.Token); }
            catch (OperationCanceledException) { }
            await Task.WhenAll(loops);
        }
        catch (DashboardLock.HeldException e)
        {
            Log.Error(e.Message);
            Console.Error.WriteLine("codis-dashboard: " + e.Message);
            if (app != null) await app.StopAsync();
            return 2;
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested) { }
        catch (Exception e) when (e is CoordinatorException or TopomException)
        {
            Log.Error("dashboard failed", ("error", e.Message));
            lostLock = true;
        }
        if (app != null) await app.StopAsync();
        if (held != null && !lostLock)
        {
            await held.DisposeAsync();
            Log.Info("lock released", ("product", paths.Product));
        }
        Log.Info("bye");
        return lostLock ? 1 : 0;
    }

    private bool lostLock;

    /// <summary>The address others should use: a wildcard listen address becomes the host name.</summary>
    private static string Advertised(string bound)
    {
        int colon = bound.LastIndexOf(':');
        string host = bound[..colon], port = bound[(colon + 1)..];
        return host is "0.0.0.0" or "*" or "[::]" or "+" ? $"{Environment.MachineName}:{port}" : $"{host}:{port}";
    }
}
