using Codis.Core.Logging;
using Codis.Core.Models;

namespace Codis.Dashboard.Topology;

/// <summary>Groups and their servers: create, remove, add/remove servers, resync (promotion: Topom.Promote.cs).</summary>
internal sealed partial class Topom
{
    public Task CreateGroupAsync(int gid, CancellationToken ct) => RunAsync($"create group {gid}", async c =>
    {
        CheckGroupId(gid);
        if (GroupMap().ContainsKey(gid)) throw new TopomException($"group {gid} already exists");
        await SaveGroupAsync(new GroupModel { Id = gid }, c).ConfigureAwait(false);
        Log.Info("group created", ("gid", gid));
    }, ct);

    /// <summary>Sets the group's rebalance weight (its share of slots relative to the others; 0 drains it).</summary>
    public Task SetGroupWeightAsync(int gid, int weight, CancellationToken ct) => RunAsync($"set weight of group {gid}", async c =>
    {
        var g = GroupMap().GetValueOrDefault(gid) ?? throw new TopomException($"group {gid} does not exist");
        if (weight is < 0 or > 1_000_000) throw new TopomException($"invalid weight {weight}: must be 0..1000000");
        await SaveGroupAsync(g with { Weight = weight }, c).ConfigureAwait(false);
        Log.Info("group weight set", ("gid", gid), ("weight", weight));
    }, ct);

    public Task RemoveGroupAsync(int gid, CancellationToken ct) => RunAsync($"remove group {gid}", async c =>
    {
        if (!GroupMap().ContainsKey(gid)) throw new TopomException($"group {gid} does not exist");
        var owned = SlotsTouching(gid).ToList();
        if (owned.Count > 0)
            throw new TopomException($"group {gid} still owns or receives {owned.Count} slots ({Ranges(owned)}); migrate them away " +
                $"(`codis-config slot migrate`) or reset them (`codis-config slot init -f`) first");
        await Store.DeleteGroupAsync(gid, c).ConfigureAwait(false);
        DropGroup(gid);
        Log.Info("group removed", ("gid", gid));
        await MarkSentinelsOutOfSyncAsync($"group {gid} removed", c).ConfigureAwait(false);
    }, ct);

    /// <summary>
    /// Adds a server: as master (only into an empty group; created if missing, as the seed's `server add`),
    /// or as replica, which is made to replicate the master (REPLICAOF) before it is recorded.
    /// </summary>
    public Task AddServerAsync(int gid, string addr, string role, string datacenter, CancellationToken ct) => RunAsync($"add {addr} to group {gid}", async c =>
    {
        CheckGroupId(gid);
        try { Servers.RedisOps.Split(addr); }
        catch (ArgumentException e) { throw new TopomException(e.Message); }
        role = role.ToLowerInvariant() switch
        {
            "" => "",
            "master" => "master",
            "slave" or "replica" => "slave",
            _ => throw new TopomException($"invalid role '{role}': use master or slave"),
        };
        var all = GroupMap();
        foreach (var other in all.Values)
            if (other.Servers.Any(s => s.Server == addr))
                throw new TopomException($"{addr} is already in group {other.Id}");
        var g = all.GetValueOrDefault(gid) ?? new GroupModel { Id = gid };
        if (g.IsPromoting) throw new TopomException($"group {gid} is promoting a server; try again when it is done");
        try { await Redis.CallAsync(addr, "PING").ConfigureAwait(false); }
        catch (Exception e) when (e is IOException or InvalidOperationException) { throw new TopomException($"{addr} does not answer PING: {e.Message}"); }

        bool asMaster = g.Servers.Length == 0;
        if (role == "master" && !asMaster)
            throw new TopomException($"group {gid} already has a master ({g.Master}); add {addr} as slave, then `server promote {gid} {addr}` if it should lead");
        if (asMaster)
        {
            Dictionary<string, string> info;
            try { info = await Redis.InfoAsync(addr, "replication").ConfigureAwait(false); }
            catch (InvalidOperationException) { info = []; } // a server without INFO replication has no replication to stop
            if (info.GetValueOrDefault("role") == "slave") await Redis.ReplicaOfAsync(addr, null).ConfigureAwait(false);
        }
        else
        {
            try { await Redis.ReplicaOfAsync(addr, g.Master).ConfigureAwait(false); }
            catch (Exception e) when (e is IOException or InvalidOperationException)
            {
                throw new TopomException($"can't make {addr} replicate {g.Master}: {e.Message}");
            }
        }
        g = g with { Servers = [.. g.Servers, new GroupServer { Server = addr, Datacenter = datacenter }] };
        await SaveGroupAsync(g, c).ConfigureAwait(false);
        Log.Info("server added", ("gid", gid), ("addr", addr), ("role", asMaster ? "master" : "slave"));
        if (asMaster)
        {
            await MarkSentinelsOutOfSyncAsync($"group {gid} has a master now", c).ConfigureAwait(false);
            await PushAsync(SlotsTouching(gid), c).ConfigureAwait(false);
        }
    }, ct);

    public Task RemoveServerAsync(int gid, string addr, CancellationToken ct) => RunAsync($"remove {addr} from group {gid}", async c =>
    {
        var g = GroupMap().GetValueOrDefault(gid) ?? throw new TopomException($"group {gid} does not exist");
        int index = Array.FindIndex(g.Servers, s => s.Server == addr);
        if (index < 0) throw new TopomException(NotInGroup(gid, addr));
        if (g.IsPromoting) throw new TopomException($"group {gid} is promoting a server; try again when it is done");
        if (index == 0 && g.Servers.Length > 1)
            throw new TopomException($"{addr} is the master of group {gid}; promote another server first (`codis-config server promote {gid} {g.Servers[1].Server}`)");
        if (index == 0 && SlotsTouching(gid).Any())
            throw new TopomException($"{addr} is the only server of group {gid}, which still owns slots; migrate them away first");
        g = g with { Servers = g.Servers.Where((_, i) => i != index).ToArray() };
        await SaveGroupAsync(g, c).ConfigureAwait(false);
        Log.Info("server removed", ("gid", gid), ("addr", addr));
        if (g.Servers.Length > 0) await PushAsync(SlotsTouching(gid), c).ConfigureAwait(false);
    }, ct);

    /// <summary>
    /// "Not in group" with what the operator probably meant: the group that has the address, or the same port
    /// under another host name (the seed added localhost:6380 and then removed 10.19.21.241:6380).
    /// </summary>
    private string NotInGroup(int gid, string addr)
    {
        var groups = GroupMap();
        if (groups.Values.FirstOrDefault(x => x.Servers.Any(s => s.Server == addr)) is { } other)
            return $"{addr} is not in group {gid}; it is in group {other.Id} (`codis-config server remove {other.Id} {addr}`)";
        int colon = addr.LastIndexOf(':');
        string port = colon >= 0 ? addr[colon..] : "";
        var samePort = groups.Values.SelectMany(x => x.Servers.Select(s => (x.Id, s.Server)))
            .Where(p => port.Length > 1 && p.Server.EndsWith(port, StringComparison.Ordinal)).ToList();
        if (samePort.Count > 0)
            return $"{addr} is not in group {gid}; servers are matched by the address they were added with: " +
                   string.Join(", ", samePort.Select(p => $"group {p.Id} has {p.Server}"));
        return $"{addr} is not in group {gid} (nor in any other group)";
    }

    /// <summary>Repoints the group's replicas at its master and pushes its slots to every proxy again.</summary>
    public Task ResyncGroupAsync(int gid, CancellationToken ct) => RunAsync($"resync group {gid}", async c =>
    {
        var g = GroupMap().GetValueOrDefault(gid) ?? throw new TopomException($"group {gid} does not exist");
        var errors = new List<string>();
        foreach (var s in g.Servers.Skip(1))
        {
            try { await Redis.ReplicaOfAsync(s.Server, g.Master).ConfigureAwait(false); }
            catch (Exception e) when (e is IOException or InvalidOperationException) { errors.Add(e.Message); }
        }
        if (g.OutOfSync) await SaveGroupAsync(g with { OutOfSync = false }, c).ConfigureAwait(false);
        await PushAsync(SlotsTouching(gid), c).ConfigureAwait(false);
        if (errors.Count > 0) throw new TopomException($"group {gid}: slots pushed, but some replicas were not repointed: {string.Join("; ", errors)}");
    }, ct);

    public Task ResyncAllAsync(CancellationToken ct) => RunAsync("resync all", async c =>
    {
        foreach (var g in GroupMap().Values.Where(g => g.OutOfSync)) await SaveGroupAsync(g with { OutOfSync = false }, c).ConfigureAwait(false);
        await PushAsync(Enumerable.Range(0, Core.Slots.SlotHash.SlotCount), c).ConfigureAwait(false);
    }, ct);

    /// <summary>"0-511,600" for messages.</summary>
    internal static string Ranges(IEnumerable<int> ids)
    {
        var sorted = ids.Order().ToList();
        var parts = new List<string>();
        for (int i = 0; i < sorted.Count;)
        {
            int j = i;
            while (j + 1 < sorted.Count && sorted[j + 1] == sorted[j] + 1) j++;
            parts.Add(i == j ? $"{sorted[i]}" : $"{sorted[i]}-{sorted[j]}");
            i = j + 1;
        }
        return string.Join(",", parts);
    }
}
