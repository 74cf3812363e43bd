using Codis.Core.Logging;
using Codis.Core.Models;
using Codis.Dashboard.Proxies;

namespace Codis.Dashboard.Topology;

/// <summary>
/// Proxies: registered by their admin address (they announce themselves, or an operator adds them), brought
/// online by sending them the full slot table and then "start", taken offline by shutting them down.
/// </summary>
internal sealed partial class Topom
{
    /// <summary>Records a proxy without bringing it online (the seed's proxies start offline).</summary>
    public Task<ProxyModel> RegisterProxyAsync(string admin, CancellationToken ct) =>
        RunAsync($"register proxy {admin}", async c => (await RegisterLockedAsync(admin, c).ConfigureAwait(false)).Model, ct);

    /// <summary>Registers (if needed) and brings online: fillslots with all 1024 entries, then start.</summary>
    public Task<ProxyModel> OnlineProxyAsync(string admin, CancellationToken ct) => RunAsync($"online proxy {admin}", async c =>
    {
        var p = await RegisterLockedAsync(admin, c).ConfigureAwait(false);
        return (await ReinitLockedAsync(p, c).ConfigureAwait(false)).Model;
    }, ct);

    /// <summary>The seed's `proxy online proxy_1`: finds the proxy by its proxy_id among registered and self-announced proxies.</summary>
    public Task<ProxyModel> OnlineProxyByIdAsync(string id, CancellationToken ct) => RunAsync($"online proxy {id}", async c =>
    {
        var p = Find(id);
        if (p == null)
        {
            foreach (var admin in await Store.LoadRegisteredProxyAddrsAsync(c).ConfigureAwait(false))
            {
                try
                {
                    var model = await Proxies.ModelAsync(admin, c).ConfigureAwait(false);
                    if (model.ProxyId == id || model.Token == id) { p = await RegisterLockedAsync(admin, c).ConfigureAwait(false); break; }
                }
                catch (ProxyCallException) { }
            }
        }
        if (p == null)
            throw new TopomException($"no proxy '{id}' is registered with this dashboard; start codis-proxy with proxy_id={id} and " +
                $"dashboard_addr=<this dashboard> (it registers itself), or register it by address: `codis-admin --dashboard=ADDR --create-proxy --addr=PROXY_ADMIN_ADDR`");
        return (await ReinitLockedAsync(p, c).ConfigureAwait(false)).Model;
    }, ct);

    public Task<ProxyModel> ReinitProxyAsync(string token, CancellationToken ct) => RunAsync($"reinit proxy {token}", async c =>
    {
        var p = Find(token) ?? throw new TopomException($"no proxy '{token}' is registered");
        return (await ReinitLockedAsync(p, c).ConfigureAwait(false)).Model;
    }, ct);

    /// <summary>Shuts the proxy down and forgets it; with force, also when it can't be reached (a dead proxy).</summary>
    public Task RemoveProxyAsync(string idOrToken, bool force, CancellationToken ct) => RunAsync($"remove proxy {idOrToken}", async c =>
    {
        var p = Find(idOrToken) ?? throw new TopomException($"no proxy '{idOrToken}' is registered");
        try { await Proxies.ShutdownAsync(p.Model, c).ConfigureAwait(false); }
        catch (ProxyCallException e) when (force)
        {
            Log.Warn("proxy did not take the shutdown; removed anyway", ("proxy", p.Model.ProxyId), ("error", e.Message));
        }
        catch (ProxyCallException e)
        {
            throw new TopomException($"{e.Message}; if the proxy is dead, remove it with force (`codis-admin --remove-proxy --token={p.Model.Token} --force`)");
        }
        await Store.DeleteProxyAsync(p.Model.Token, c).ConfigureAwait(false);
        DropProxy(p.Model.Token);
        staleProxies.TryRemove(p.Model.Token, out _);
        Log.Info("proxy removed", ("proxy", p.Model.ProxyId), ("admin", p.Model.AdminAddr));
    }, ct);

    private StoredProxy? Find(string key)
    {
        var all = ProxiesSnapshot();
        return all.FirstOrDefault(p => p.Model.Token == key) ?? all.FirstOrDefault(p => p.Model.ProxyId == key)
            ?? all.FirstOrDefault(p => p.Model.AdminAddr == key) ?? all.FirstOrDefault(p => p.Model.Id.ToString() == key);
    }

    private async Task<StoredProxy> RegisterLockedAsync(string admin, CancellationToken c)
    {
        ProxyModel model;
        try
        {
            model = await Proxies.ModelAsync(admin, c).ConfigureAwait(false);
            await Proxies.XPingAsync(admin, model.Token, c).ConfigureAwait(false);
        }
        catch (ProxyCallException e) { throw new TopomException($"{e.Message} (is it a codis-proxy of product '{Product}' with the same product_auth?)"); }
        catch (System.Text.Json.JsonException e) { throw new TopomException($"proxy {admin}: bad model JSON: {e.Message}"); }
        if (model.ProductName != Product) throw new TopomException($"proxy {admin} serves product '{model.ProductName}', not '{Product}'");
        var all = ProxiesSnapshot();
        var same = all.FirstOrDefault(p => p.Model.Token == model.Token);
        if (same != null) return same;
        var clash = all.FirstOrDefault(p => model.ProxyId.Length > 0 && p.Model.ProxyId == model.ProxyId);
        if (clash != null)
            throw new TopomException($"another proxy with proxy_id '{model.ProxyId}' is registered (admin {clash.Model.AdminAddr}); " +
                $"remove it first (`codis-admin --remove-proxy --token={clash.Model.Token} --force` if it is dead)");
        int id = all.Select(p => p.Model.Id).DefaultIfEmpty(0).Max() + 1;
        // the address we reached it at is the one to keep (its own model may name a wildcard listen address)
        var stored = new StoredProxy(model with { Id = id, AdminAddr = admin }, false);
        await Store.SaveProxyAsync(stored, c).ConfigureAwait(false);
        SetProxy(stored);
        Log.Info("proxy registered", ("proxy", model.ProxyId), ("admin", admin), ("id", id));
        return stored;
    }

    private async Task<StoredProxy> ReinitLockedAsync(StoredProxy p, CancellationToken c)
    {
        try
        {
            await Proxies.FillSlotsAsync(p.Model, RoutingSnapshot(p.Model), c).ConfigureAwait(false);
            await Proxies.StartAsync(p.Model, c).ConfigureAwait(false);
            await Proxies.SetSentinelsAsync(p.Model, SentinelSnapshot(), c).ConfigureAwait(false);
        }
        catch (ProxyCallException e) { throw new TopomException(e.Message); }
        staleProxies.TryRemove(p.Model.Token, out _);
        var online = p with { Online = true };
        await Store.SaveProxyAsync(online, c).ConfigureAwait(false);
        SetProxy(online);
        Log.Info("proxy online", ("proxy", p.Model.ProxyId), ("admin", p.Model.AdminAddr));
        return online;
    }
}
