using System.Text.Json;
using System.Text.Json.Nodes;
using Codis.Coordinator;
using Codis.Core.Models;
using Codis.Core.Slots;

namespace Codis.Dashboard.Topology;

/// <summary>
/// Reads and writes a product's topology in the coordinator, as the original lays it out (reference/codis.md §3.2):
/// one node per slot, group and proxy, each holding indented JSON. A missing slot node means offline.
/// </summary>
internal sealed class TopologyStore(ICoordinator coordinator, CoordinatorPaths paths)
{
    public ICoordinator Coordinator { get; } = coordinator;
    public CoordinatorPaths Paths { get; } = paths;

    public async Task<SlotMapping[]> LoadSlotsAsync(CancellationToken ct)
    {
        var slots = new SlotMapping[SlotHash.SlotCount];
        for (int i = 0; i < slots.Length; i++) slots[i] = new SlotMapping { Id = i };
        foreach (var name in await Coordinator.ListAsync(Paths.SlotsDir, ct).ConfigureAwait(false))
        {
            if (!name.StartsWith("slot-", StringComparison.Ordinal) || !int.TryParse(name.AsSpan(5), out int id) || id < 0 || id >= slots.Length) continue;
            var node = await Coordinator.ReadAsync(Paths.Slot(id), ct).ConfigureAwait(false);
            if (node == null) continue;
            var m = Decode<SlotMapping>(node, Paths.Slot(id));
            slots[id] = m with { Id = id };
        }
        return slots;
    }

    public async Task<Dictionary<int, GroupModel>> LoadGroupsAsync(CancellationToken ct)
    {
        var groups = new Dictionary<int, GroupModel>();
        foreach (var name in await Coordinator.ListAsync(Paths.GroupsDir, ct).ConfigureAwait(false))
        {
            if (!name.StartsWith("group-", StringComparison.Ordinal) || !int.TryParse(name.AsSpan(6), out int id)) continue;
            var node = await Coordinator.ReadAsync(Paths.Group(id), ct).ConfigureAwait(false);
            if (node != null) groups[id] = Decode<GroupModel>(node, Paths.Group(id)) with { Id = id };
        }
        return groups;
    }

    public async Task<Dictionary<string, StoredProxy>> LoadProxiesAsync(CancellationToken ct)
    {
        var proxies = new Dictionary<string, StoredProxy>();
        foreach (var name in await Coordinator.ListAsync(Paths.ProxiesDir, ct).ConfigureAwait(false))
        {
            if (!name.StartsWith("proxy-", StringComparison.Ordinal)) continue;
            var node = await Coordinator.ReadAsync(Paths.ProxiesDir + "/" + name, ct).ConfigureAwait(false);
            if (node == null) continue;
            var p = StoredProxy.Decode(node.Data.Span);
            proxies[p.Model.Token] = p;
        }
        return proxies;
    }

    public Task SaveSlotAsync(SlotMapping m, CancellationToken ct) => Coordinator.UpdateAsync(Paths.Slot(m.Id), ModelJson.Encode(m), ct);

    /// <summary>Many slots in one coordinator batch (a migration batch, init, range-set).</summary>
    public Task SaveSlotsAsync(IReadOnlyList<SlotMapping> ms, CancellationToken ct) =>
        Coordinator.UpdateManyAsync(ms.Select(m => (Paths.Slot(m.Id), (ReadOnlyMemory<byte>)ModelJson.Encode(m))).ToList(), ct);

    public async Task<(bool Disabled, int IntervalMicros)> LoadActionSettingsAsync(CancellationToken ct)
    {
        var node = await Coordinator.ReadAsync(Paths.ActionSettings, ct).ConfigureAwait(false);
        if (node == null) return (false, 0);
        try
        {
            var o = JsonNode.Parse(node.Data.Span) as JsonObject;
            return (o?["disabled"]?.GetValue<bool>() ?? false, o?["interval_us"]?.GetValue<int>() ?? 0);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw new CoordinatorException($"bad JSON in {Paths.ActionSettings}: {e.Message}");
        }
    }

    public Task SaveActionSettingsAsync(bool disabled, int intervalMicros, CancellationToken ct) =>
        Coordinator.UpdateAsync(Paths.ActionSettings, JsonSerializer.SerializeToUtf8Bytes(new JsonObject { ["disabled"] = disabled, ["interval_us"] = intervalMicros }), ct);

    /// <summary>The product's sentinels (/codis3/&lt;product&gt;/sentinel); an empty model when there is none.</summary>
    public async Task<SentinelModel> LoadSentinelAsync(CancellationToken ct)
    {
        var node = await Coordinator.ReadAsync(Paths.Sentinel, ct).ConfigureAwait(false);
        return node == null ? new SentinelModel() : Decode<SentinelModel>(node, Paths.Sentinel);
    }

    public Task SaveSentinelAsync(SentinelModel m, CancellationToken ct) => Coordinator.UpdateAsync(Paths.Sentinel, ModelJson.Encode(m), ct);

    public Task SaveGroupAsync(GroupModel g, CancellationToken ct) => Coordinator.UpdateAsync(Paths.Group(g.Id), ModelJson.Encode(g), ct);

    public Task DeleteGroupAsync(int id, CancellationToken ct) => Coordinator.DeleteAsync(Paths.Group(id), false, ct);

    public Task SaveProxyAsync(StoredProxy p, CancellationToken ct) => Coordinator.UpdateAsync(Paths.Proxy(p.Model.Token), p.Encode(), ct);

    public Task DeleteProxyAsync(string token, CancellationToken ct) => Coordinator.DeleteAsync(Paths.Proxy(token), false, ct);

    /// <summary>Admin addresses of proxies that registered themselves in the coordinator (jodis records, §3.2).</summary>
    public async Task<List<string>> LoadRegisteredProxyAddrsAsync(CancellationToken ct)
    {
        var addrs = new List<string>();
        foreach (var name in await Coordinator.ListAsync(Paths.JodisDir, ct).ConfigureAwait(false))
        {
            var node = await Coordinator.ReadAsync(Paths.JodisDir + "/" + name, ct).ConfigureAwait(false);
            if (node == null) continue;
            try
            {
                if (JsonNode.Parse(node.Data.Span) is JsonObject o && o["admin"]?.GetValue<string>() is { Length: > 0 } admin) addrs.Add(admin);
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException) { }
        }
        return addrs;
    }

    private static T Decode<T>(CoordinatorNode node, string path)
    {
        try { return ModelJson.Decode<T>(node.Data.Span); }
        catch (JsonException e) { throw new CoordinatorException($"bad JSON in {path}: {e.Message}"); }
    }
}

/// <summary>A proxy as the dashboard stores it: the proxy's own model (with the id we assigned) and whether it is online.</summary>
internal sealed record StoredProxy(ProxyModel Model, bool Online)
{
    public byte[] Encode()
    {
        var o = JsonSerializer.SerializeToNode(Model, ModelJson.Options)!.AsObject();
        o["online"] = Online;
        return JsonSerializer.SerializeToUtf8Bytes(o, ModelJson.Options);
    }

    public static StoredProxy Decode(ReadOnlySpan<byte> json)
    {
        var model = ModelJson.Decode<ProxyModel>(json);
        bool online = JsonNode.Parse(json) is JsonObject o && o["online"] is JsonValue v && v.TryGetValue(out bool b) && b;
        return new StoredProxy(model, online);
    }
}
