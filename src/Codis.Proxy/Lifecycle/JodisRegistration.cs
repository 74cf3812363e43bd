using System.Text;
using System.Text.Json;
using Codis.Coordinator;
using Codis.Core.Logging;

namespace Codis.Proxy.Lifecycle;

/// <summary>
/// Client discovery (the original's jodis, reference/codis.md §3.2, §4.11): once online, the proxy keeps an
/// ephemeral node /jodis/&lt;product&gt;/proxy-&lt;token&gt; with its addresses; it vanishes when the proxy dies,
/// is re-created when lost (back-off 1 s doubling to 30 s) and deleted on shutdown.
/// </summary>
internal sealed class JodisRegistration : IAsyncDisposable
{
    private readonly Func<CancellationToken, Task<ICoordinator>> open;
    private readonly CancellationTokenSource stop = new();
    private Task? loop;

    public JodisRegistration(Func<CancellationToken, Task<ICoordinator>> open, string path, ProxyServer proxy)
    {
        this.open = open;
        Path = path;
        Data = Encoding.UTF8.GetBytes(Record(proxy));
    }

    public string Path { get; }
    public byte[] Data { get; }

    /// <summary>The jodis path: the Codis 3 one, or the Codis 2 one with jodis_compatible.</summary>
    public static string PathFor(string product, string token, bool compatible) =>
        compatible ? $"/zk/codis/db_{product}/proxy/{token}" : new CoordinatorPaths(product).Jodis(token);

    /// <summary>The node's value: {"addr","admin","start","token","state"} as indented JSON.</summary>
    public static string Record(ProxyServer proxy) => JsonSerializer.Serialize(new Dictionary<string, string>
    {
        ["addr"] = proxy.ProxyAddr,
        ["admin"] = proxy.AdminAddr,
        ["start"] = proxy.StartTime.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss.fffffff zzz"),
        ["token"] = proxy.Token,
        ["state"] = "online",
    }, new JsonSerializerOptions { WriteIndented = true, IndentSize = 4 });

    /// <summary>Starts keeping the node; returns once it exists the first time (or after the first failure).</summary>
    public Task StartAsync()
    {
        var first = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        loop = RunAsync(first);
        return first.Task;
    }

    private async Task RunAsync(TaskCompletionSource first)
    {
        var ct = stop.Token;
        var backoff = TimeSpan.FromSeconds(1);
        ICoordinator? coordinator = null;
        while (!ct.IsCancellationRequested)
        {
            IEphemeralNode? node = null;
            try
            {
                coordinator ??= await open(ct).ConfigureAwait(false);
                node = await coordinator.CreateEphemeralAsync(Path, Data, ct: ct).ConfigureAwait(false);
                Log.Info("jodis node created", ("path", node.Path), ("coordinator", coordinator.Kind), ("addr", coordinator.Address));
                first.TrySetResult();
                backoff = TimeSpan.FromSeconds(1);
                await Task.WhenAny(node.Lost, Task.Delay(Timeout.Infinite, ct)).ConfigureAwait(false);
                if (ct.IsCancellationRequested)
                {
                    await node.DisposeAsync().ConfigureAwait(false);
                    Log.Info("jodis node deleted", ("path", node.Path));
                    break;
                }
                Log.Warn("jodis node lost, re-creating it", ("path", node.Path));
                await node.DisposeAsync().ConfigureAwait(false);
                if (coordinator is not null)
                {
                    // A lost node usually means an expired session: reopen the client.
                    await coordinator.DisposeAsync().ConfigureAwait(false);
                    coordinator = null;
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { break; }
            catch (Exception e) when (e is CoordinatorException or NotSupportedException or IOException or ArgumentException)
            {
                Log.Warn("jodis registration failed", ("path", Path), ("error", e.Message), ("retry_in", backoff));
                first.TrySetResult();
                if (node != null) await node.DisposeAsync().ConfigureAwait(false);
                if (e is SessionExpiredException && coordinator != null)
                {
                    await coordinator.DisposeAsync().ConfigureAwait(false);
                    coordinator = null;
                }
            }
            try { await Task.Delay(backoff, ct).ConfigureAwait(false); }
            catch (OperationCanceledException) { break; }
            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
        }
        first.TrySetResult();
        if (coordinator != null) await coordinator.DisposeAsync().ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        stop.Cancel();
        if (loop != null)
        {
            try { await loop.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false); }
            catch (TimeoutException) { Log.Warn("jodis node not deleted in time", ("path", Path)); }
        }
        stop.Dispose();
    }
}
