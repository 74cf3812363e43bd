using Codis.Core.Config;
using Codis.Core.Logging;
using Codis.Core.Models;
using Codis.Core.Slots;
using Codis.Dashboard.Proxies;
using Codis.Dashboard.Servers;

namespace Codis.Dashboard.Topology;

/// <summary>
/// The topology owner: an in-memory copy of the product's slots, groups and proxies, written through to the
/// coordinator on every change. Every mutation runs under one gate (the dashboard is the single writer; the
/// migration executor and the failover monitor take the same gate for each step), and every change of
/// routing is pushed to all online proxies before the dashboard reports it done.
/// </summary>
internal sealed partial class Topom
{
    private readonly SemaphoreSlim gate = new(1, 1);
    private readonly Lock stateLock = new();
    private SlotMapping[] slots = [];
    private Dictionary<int, GroupModel> groups = [];
    private Dictionary<string, StoredProxy> proxies = [];

    public Topom(Settings settings, TopologyStore store, TopomModel model, HttpClient http)
    {
        Settings = settings;
        Store = store;
        Model = model;
        Product = settings["product_name"].Value;
        Redis = new RedisOps(settings["product_auth"].Value, TimeSpan.FromSeconds(5));
        QuickRedis = new RedisOps(settings["product_auth"].Value, RepointTimeout);
        Proxies = new ProxyClient(http, Product, settings["product_auth"].Value);
        ForwardMethod = settings["migration_method"].Value == "sync" ? 0 : 1;
    }

    public Settings Settings { get; }
    public TopologyStore Store { get; }
    public TopomModel Model { get; }
    public string Product { get; }
    public RedisOps Redis { get; }
    /// <summary>The same calls with a short timeout, for what must not hold anything up (repointing after a promotion).</summary>
    private RedisOps QuickRedis { get; }
    public ProxyClient Proxies { get; }
    public int ForwardMethod { get; }
    public string XAuth => Core.Models.XAuth.Dashboard(Product);
    /// <summary>Migrations paused by the operator (kept in the coordinator: see <see cref="SetActionSettingsAsync"/>).</summary>
    public bool ActionsDisabled { get; private set; }
    public int ActionIntervalMicros { get; private set; }
    public CancellationToken Stopping { get; set; }

    public async Task LoadAsync(CancellationToken ct)
    {
        await gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            slots = await Store.LoadSlotsAsync(ct).ConfigureAwait(false);
            groups = await Store.LoadGroupsAsync(ct).ConfigureAwait(false);
            proxies = await Store.LoadProxiesAsync(ct).ConfigureAwait(false);
            (ActionsDisabled, ActionIntervalMicros) = await Store.LoadActionSettingsAsync(ct).ConfigureAwait(false);
            var s = await Store.LoadSentinelAsync(ct).ConfigureAwait(false);
            lock (stateLock) sentinel = s;
        }
        finally { gate.Release(); }
        RestartSentinelWatch();
        if (ActionsDisabled) Log.Warn("migrations are paused (as an operator left them); resume with `codis-admin --slot-action --disabled=0`");
        Log.Info("topology loaded", ("product", Product), ("groups", groups.Count),
            ("assigned_slots", slots.Count(s => s.GroupId != 0)), ("actions", slots.Count(s => !s.Action.IsEmpty)), ("proxies", proxies.Count));
    }

    /// <summary>Pauses/resumes migrations or sets the pause between migration calls, recorded in the coordinator first.</summary>
    public Task SetActionSettingsAsync(bool? disabled, int? intervalMicros, CancellationToken ct) => RunAsync("set migration switches", async c =>
    {
        bool d = disabled ?? ActionsDisabled;
        int i = intervalMicros ?? ActionIntervalMicros;
        await Store.SaveActionSettingsAsync(d, i, c).ConfigureAwait(false);
        (ActionsDisabled, ActionIntervalMicros) = (d, i);
        Log.Info("migration switches set", ("disabled", d), ("interval_us", i));
    }, ct);

    // ---- snapshots (copies; safe to read without the gate) ----

    public SlotMapping[] SlotsSnapshot() { lock (stateLock) return (SlotMapping[])slots.Clone(); }
    public GroupModel[] GroupsSnapshot() { lock (stateLock) return groups.Values.OrderBy(g => g.Id).ToArray(); }
    private int OnlineProxyCount() { lock (stateLock) return proxies.Values.Count(p => p.Online); }

    public StoredProxy[] ProxiesSnapshot() { lock (stateLock) return proxies.Values.OrderBy(p => p.Model.Id).ToArray(); }
    public Dictionary<int, GroupModel> GroupMap() { lock (stateLock) return new Dictionary<int, GroupModel>(groups); }

    /// <param name="proxy">The proxy it is for (replica reads nearest to it first); null: the general view.</param>
    public SlotModel[] RoutingSnapshot(ProxyModel? proxy = null)
    {
        lock (stateLock) return slots.Select(m => RoutingTable.Entry(m, groups, ForwardMethod, proxy)).ToArray();
    }

    // ---- writes (callers hold the gate) ----

    private void SetSlot(SlotMapping m) { lock (stateLock) slots[m.Id] = m; }
    private void SetGroup(GroupModel g) { lock (stateLock) groups[g.Id] = g; }
    private void DropGroup(int id) { lock (stateLock) groups.Remove(id); }
    private void SetProxy(StoredProxy p) { lock (stateLock) proxies[p.Model.Token] = p; }
    private void DropProxy(string token) { lock (stateLock) proxies.Remove(token); }

    private async Task SaveSlotsAsync(IEnumerable<SlotMapping> ms, CancellationToken ct)
    {
        var list = ms.ToList();
        if (list.Count == 0) return;
        await backgroundSlotSave.ConfigureAwait(false); // a slot's records land in the order they were made
        await Store.SaveSlotsAsync(list, ct).ConfigureAwait(false);
        foreach (var m in list) SetSlot(m);
    }

    private Task backgroundSlotSave = Task.CompletedTask;

    /// <summary>
    /// Takes slot records into effect now and writes them to the coordinator without waiting: only for records whose
    /// loss in a crash is harmless, because the stored state before them resumes the same way (see PrepareAsync).
    /// Every later slot write waits for this one, so the coordinator never goes back to it.
    /// </summary>
    private void SaveSlotsInBackground(IEnumerable<SlotMapping> ms)
    {
        var list = ms.ToList();
        if (list.Count == 0) return;
        foreach (var m in list) SetSlot(m);
        var previous = backgroundSlotSave;
        backgroundSlotSave = Task.Run(async () =>
        {
            await previous.ConfigureAwait(false);
            try { await Store.SaveSlotsAsync(list, CancellationToken.None).ConfigureAwait(false); }
            catch (Exception e) when (e is Codis.Coordinator.CoordinatorException or IOException or TimeoutException)
            {
                Log.Warn("background save of slot records failed; the coordinator keeps the previous state, which resumes the same way",
                    ("slots", Ranges(list.Select(m => m.Id))), ("error", e.Message));
            }
        });
    }

    /// <summary>Takes slot records into effect in memory only (the stored state before them resumes the same way).</summary>
    private void SetSlots(IEnumerable<SlotMapping> ms)
    {
        foreach (var m in ms) SetSlot(m);
    }

    private async Task SaveGroupAsync(GroupModel g, CancellationToken ct)
    {
        await Store.SaveGroupAsync(g, ct).ConfigureAwait(false);
        SetGroup(g);
    }

    /// <summary>Runs an operation under the single-writer gate.</summary>
    public async Task<T> RunAsync<T>(string what, Func<CancellationToken, Task<T>> op, CancellationToken ct)
    {
        await gate.WaitAsync(ct).ConfigureAwait(false);
        try { return await op(ct).ConfigureAwait(false); }
        catch (Coordinator.CoordinatorException e) { throw new TopomException($"{what}: coordinator: {e.Message}", e); }
        finally { gate.Release(); }
    }

    public Task RunAsync(string what, Func<CancellationToken, Task> op, CancellationToken ct) =>
        RunAsync<bool>(what, async c => { await op(c).ConfigureAwait(false); return true; }, ct);

    // ---- pushing routing to proxies ----

    /// <summary>
    /// Sends the routing entries of <paramref name="ids"/> (computed from <paramref name="view"/>, default the
    /// current state) to every online proxy, all in parallel; throws naming each proxy that did not confirm.
    /// </summary>
    private async Task PushAsync(IEnumerable<int> ids, CancellationToken ct, Func<int, SlotMapping>? view = null, IReadOnlyDictionary<int, GroupModel>? groupView = null)
    {
        var (failures, targets) = await PushToProxiesAsync(ids, ct, view, groupView, null).ConfigureAwait(false);
        if (failures.Count > 0)
            throw new TopomException($"{failures.Count} of {targets} online proxies did not take the new routing: {string.Join("; ", failures.Select(f => $"{f.Proxy.Model.ProxyId} ({f.Error})"))}. " +
                "Fix or remove them (`codis-admin --remove-proxy --token=... --force`), then resync.");
    }

    /// <summary>
    /// The push itself: every online proxy at once, each given at most <paramref name="wait"/> (null: proxy_timeout) to
    /// confirm, so one that does not answer holds up no other; returns those that did not confirm.
    /// </summary>
    private async Task<(List<(StoredProxy Proxy, string Error)> Failures, int Targets)> PushToProxiesAsync(IEnumerable<int> ids, CancellationToken ct,
        Func<int, SlotMapping>? view, IReadOnlyDictionary<int, GroupModel>? groupView, TimeSpan? wait)
    {
        var failures = new List<(StoredProxy, string)>();
        var idList = ids.Distinct().Order().ToList();
        if (idList.Count == 0) return (failures, 0);
        StoredProxy[] targets;
        SlotModel[][] perProxy;
        lock (stateLock)
        {
            var gs = groupView ?? groups;
            targets = proxies.Values.Where(p => p.Online).ToArray();
            // replica reads are ordered by nearness to each proxy, so with read replicas each proxy gets its own entries
            var mappings = idList.Select(i => view?.Invoke(i) ?? slots[i]).ToArray();
            bool replicas = gs.Values.Any(g => g.Servers.Any(s => s.ReplicaGroup));
            var shared = replicas ? null : mappings.Select(m => RoutingTable.Entry(m, gs, ForwardMethod)).ToArray();
            perProxy = targets.Select(p => shared ?? mappings.Select(m => RoutingTable.Entry(m, gs, ForwardMethod, p.Model)).ToArray()).ToArray();
        }
        await Task.WhenAll(targets.Select(async (p, n) =>
        {
            var entries = perProxy[n];
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
            if (wait is { } w) limit.CancelAfter(w);
            try { await Proxies.FillSlotsAsync(p.Model, entries, limit.Token).ConfigureAwait(false); }
            catch (ProxyCallException e) { lock (failures) failures.Add((p, e.Message)); }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                lock (failures) failures.Add((p, $"proxy {p.Model.AdminAddr}: fillslots: no answer within {wait?.TotalSeconds:0.#}s"));
            }
        })).ConfigureAwait(false);
        return (failures, targets.Length);
    }

    private IEnumerable<int> SlotsTouching(int gid)
    {
        lock (stateLock) return slots.Where(s => s.GroupId == gid || (!s.Action.IsEmpty && s.Action.TargetId == gid)).Select(s => s.Id).ToList();
    }

    private static void CheckSlot(int sid)
    {
        if (sid < 0 || sid >= SlotHash.SlotCount) throw new TopomException($"invalid slot id {sid}: must be 0..{SlotHash.SlotCount - 1}");
    }

    private static void CheckGroupId(int gid)
    {
        if (gid < 1 || gid > 9999) throw new TopomException($"invalid group id {gid}: must be 1..9999");
    }
}
