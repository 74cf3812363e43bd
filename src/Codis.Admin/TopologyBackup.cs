using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Codis.Coordinator;
using Codis.Core.Models;

namespace Codis.Admin;

/// <summary>
/// The original's coordinator tools that need no dashboard: --config-dump (a product's topology as one JSON
/// document, or with -1 a Codis 1/2 tree), --config-convert (a Codis 2 dump into the Codis 3 shape),
/// --config-restore (write a dump back) and --dashboard-list (the codis-fe list of products and dashboards).
/// </summary>
internal static class TopologyBackup
{
    private static readonly JsonSerializerOptions Print = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>
    /// The Codis 3 topology of <paramref name="product"/>: <c>{"slots":[...],"group":[...],"proxy":[...]}</c>, each node
    /// as stored (a missing slot node is an offline slot and is left out, as in the store).
    /// </summary>
    public static async Task<JsonObject> DumpAsync(ICoordinator c, string product)
    {
        var paths = new CoordinatorPaths(product);
        var slots = new JsonArray();
        foreach (var name in await c.ListAsync(paths.SlotsDir).ConfigureAwait(false))
            if (await ReadJsonAsync(c, $"{paths.SlotsDir}/{name}").ConfigureAwait(false) is { } n) slots.Add(n);
        var groups = new JsonArray();
        foreach (var name in await c.ListAsync(paths.GroupsDir).ConfigureAwait(false))
            if (await ReadJsonAsync(c, $"{paths.GroupsDir}/{name}").ConfigureAwait(false) is { } n) groups.Add(n);
        var proxies = new JsonArray();
        foreach (var name in await c.ListAsync(paths.ProxiesDir).ConfigureAwait(false))
            if (await ReadJsonAsync(c, $"{paths.ProxiesDir}/{name}").ConfigureAwait(false) is { } n) proxies.Add(n);
        if (slots.Count == 0 && groups.Count == 0 && proxies.Count == 0)
            throw new AdminException($"product '{product}' has no topology in {c.Kind} {c.Address} (nothing under {paths.Root})");
        return new JsonObject { ["slots"] = slots, ["group"] = groups, ["proxy"] = proxies };
    }

    /// <summary>
    /// A Codis 1/2 product (<c>/zk/codis/db_&lt;product&gt;</c>) as nested JSON: a node with children is an object of
    /// them by name; a leaf is its data, parsed as JSON when it is JSON, else a string (null when empty).
    /// </summary>
    public static async Task<JsonNode> DumpV2Async(ICoordinator c, string product)
    {
        string root = $"/zk/codis/db_{product}";
        if (await c.ReadAsync(root).ConfigureAwait(false) == null && (await c.ListAsync(root).ConfigureAwait(false)).Count == 0)
            throw new AdminException($"no Codis 2 product '{product}' in {c.Kind} {c.Address} (nothing at {root})");
        return await TreeAsync(c, root).ConfigureAwait(false) ?? new JsonObject();
    }

    private static async Task<JsonNode?> TreeAsync(ICoordinator c, string path)
    {
        var children = await c.ListAsync(path).ConfigureAwait(false);
        if (children.Count == 0)
        {
            var node = await c.ReadAsync(path).ConfigureAwait(false);
            return node == null || node.Data.IsEmpty ? null : ParseOrText(node.Data.Span);
        }
        var o = new JsonObject();
        foreach (var name in children) o[name] = await TreeAsync(c, $"{path}/{name}").ConfigureAwait(false);
        return o;
    }

    private static async Task<JsonNode?> ReadJsonAsync(ICoordinator c, string path)
    {
        var node = await c.ReadAsync(path).ConfigureAwait(false);
        return node == null || node.Data.IsEmpty ? null : ParseOrText(node.Data.Span);
    }

    private static JsonNode ParseOrText(ReadOnlySpan<byte> data)
    {
        try { return JsonNode.Parse(data) ?? JsonValue.Create(""); }
        catch (JsonException) { return JsonValue.Create(Encoding.UTF8.GetString(data)); }
    }

    /// <summary>
    /// A Codis 2 dump (<see cref="DumpV2Async"/>) in the Codis 3 shape: online slots with their group; every group
    /// with its master first, then its slaves. What cannot be carried over is said in <paramref name="notes"/>.
    /// </summary>
    public static JsonObject ConvertV2(JsonNode dump, List<string> notes)
    {
        var slots = new List<SlotMapping>();
        var skipped = new List<string>();
        foreach (var (name, node) in dump["slots"] as JsonObject ?? [])
        {
            if (node is not JsonObject s) continue;
            int id = s["id"]?.GetValue<int>() ?? -1;
            string status = s["state"]?["status"]?.GetValue<string>() ?? "";
            if (id is < 0 or > 1023) { notes.Add($"{name}: no valid slot id, skipped"); continue; }
            if (status == "online") slots.Add(new SlotMapping { Id = id, GroupId = s["group_id"]?.GetValue<int>() ?? 0 });
            else if (status != "offline") skipped.Add($"{id} ({status})");
        }
        if (skipped.Count > 0)
            notes.Add($"slots not online were left offline: {string.Join(", ", skipped)}; finish their migration in the Codis 2 cluster first, or assign them after the restore");
        var groups = new List<GroupModel>();
        foreach (var (name, node) in dump["servers"] as JsonObject ?? [])
        {
            if (node is not JsonObject members || !name.StartsWith("group_", StringComparison.Ordinal) || !int.TryParse(name[6..], out int gid)) continue;
            var servers = members.Select(m => (Addr: m.Value?["addr"]?.GetValue<string>() ?? m.Key, Type: m.Value?["type"]?.GetValue<string>() ?? "")).ToList();
            foreach (var off in servers.Where(s => s.Type is not ("master" or "slave"))) notes.Add($"group {gid}: {off.Addr} is {(off.Type.Length > 0 ? off.Type : "of no type")}, left out");
            var masters = servers.Where(s => s.Type == "master").ToList();
            if (masters.Count > 1) notes.Add($"group {gid} has {masters.Count} masters ({string.Join(", ", masters.Select(m => m.Addr))}); {masters[0].Addr} is kept as master, the others as replicas");
            var ordered = masters.Concat(servers.Where(s => s.Type == "slave").OrderBy(s => s.Addr, StringComparer.Ordinal)).ToList();
            if (masters.Count == 0 && ordered.Count > 0) notes.Add($"group {gid} has no master: {ordered[0].Addr} is put first and will be its master");
            groups.Add(new GroupModel { Id = gid, Servers = ordered.Select(s => new GroupServer { Server = s.Addr }).ToArray() });
        }
        foreach (var s in slots.Where(s => s.GroupId != 0 && groups.All(g => g.Id != s.GroupId)))
            notes.Add($"slot {s.Id} is online on group {s.GroupId}, which the dump does not have");
        return new JsonObject
        {
            ["slots"] = JsonSerializer.SerializeToNode(slots.OrderBy(s => s.Id).ToArray(), ModelJson.Options),
            ["group"] = JsonSerializer.SerializeToNode(groups.OrderBy(g => g.Id).ToArray(), ModelJson.Options),
        };
    }

    /// <summary>
    /// Writes the slots and groups of a dump into the product (proxies register themselves when they start, so
    /// they are not restored). Refused while a dashboard holds the product: it would overwrite the restore
    /// from its memory. Without <paramref name="confirm"/> only says what it would write.
    /// </summary>
    public static async Task<string> RestoreAsync(ICoordinator c, string product, JsonNode dump, bool confirm)
    {
        var paths = new CoordinatorPaths(product);
        SlotMapping[] slots;
        GroupModel[] groups;
        try
        {
            slots = dump["slots"]?.Deserialize<SlotMapping[]>(ModelJson.Options) ?? [];
            groups = dump["group"]?.Deserialize<GroupModel[]>(ModelJson.Options) ?? [];
        }
        catch (JsonException e) { throw new AdminException($"the dump is not a Codis 3 topology ({e.Message}); convert a Codis 2 dump with --config-convert first"); }
        if (slots.Length == 0 && groups.Length == 0) throw new AdminException("the dump holds no slots and no groups");
        foreach (var s in slots)
            if (s.Id is < 0 or > 1023) throw new AdminException($"slot id {s.Id} is out of range 0..1023");
        foreach (var g in groups)
            if (g.Id is < 1 or > 9999) throw new AdminException($"group id {g.Id} is out of range 1..9999");
        if (slots.GroupBy(s => s.Id).FirstOrDefault(x => x.Count() > 1) is { } dupSlot) throw new AdminException($"slot {dupSlot.Key} is in the dump twice");
        if (groups.GroupBy(g => g.Id).FirstOrDefault(x => x.Count() > 1) is { } dupGroup) throw new AdminException($"group {dupGroup.Key} is in the dump twice");
        var existing = (await c.ListAsync(paths.GroupsDir).ConfigureAwait(false)).ToHashSet(StringComparer.Ordinal);
        foreach (var s in slots.Where(s => s.GroupId != 0 || (!s.Action.IsEmpty && s.Action.TargetId != 0)))
            foreach (int gid in new[] { s.GroupId, s.Action.TargetId }.Where(x => x != 0))
                if (groups.All(g => g.Id != gid) && !existing.Contains($"group-{gid:D4}"))
                    throw new AdminException($"slot {s.Id} belongs to group {gid}, which is neither in the dump nor in product '{product}'");
        if (await c.ReadAsync(paths.Topom).ConfigureAwait(false) is { } lockNode)
        {
            string who;
            try { who = ModelJson.Decode<TopomModel>(lockNode.Data.Span).Describe(); }
            catch (JsonException) { who = lockNode.Text; }
            throw new AdminException($"a dashboard holds product '{product}' ({who}); stop it first, restore, then start it again");
        }
        string what = $"{slots.Length} slots and {groups.Length} groups into product '{product}' in {c.Kind} {c.Address}";
        if (!confirm) return $"would write {what} (add --confirm to write them)";
        var nodes = new List<(string Path, ReadOnlyMemory<byte> Data)>();
        nodes.AddRange(groups.Select(g => (paths.Group(g.Id), (ReadOnlyMemory<byte>)ModelJson.Encode(g))));
        nodes.AddRange(slots.Select(s => (paths.Slot(s.Id), (ReadOnlyMemory<byte>)ModelJson.Encode(s))));
        await c.UpdateManyAsync(nodes).ConfigureAwait(false);
        return $"wrote {what}";
    }

    /// <summary>Every product with a running dashboard, as the codis-fe list file: <c>[{"name":..,"dashboard":..}]</c>.</summary>
    public static async Task<JsonArray> DashboardListAsync(ICoordinator c)
    {
        var list = new JsonArray();
        foreach (var product in await c.ListAsync("/codis3").ConfigureAwait(false))
        {
            string addr;
            try { addr = await c.ReadAsync(new CoordinatorPaths(product).Topom).ConfigureAwait(false) is { } n ? ModelJson.Decode<TopomModel>(n.Data.Span).AdminAddr : ""; }
            catch (Exception e) when (e is JsonException or ArgumentException) { continue; }
            if (addr.Length > 0) list.Add(new JsonObject { ["name"] = product, ["dashboard"] = addr });
        }
        return list;
    }

    public static string Format(JsonNode node) => node.ToJsonString(Print);
}
