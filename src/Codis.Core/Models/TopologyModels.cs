using System.Text.Json.Serialization;

namespace Codis.Core.Models;

/// <summary>
/// The dashboard's own record, stored as the product's lock node (/codis3/&lt;product&gt;/topom, reference/codis.md §3.2):
/// who holds the lock and where its API listens. Ours is ephemeral, so a dead holder never blocks the next one.
/// </summary>
public sealed record TopomModel
{
    [JsonPropertyName("token")] public string Token { get; init; } = "";
    [JsonPropertyName("start_time")] public string StartTime { get; init; } = "";
    [JsonPropertyName("admin_addr")] public string AdminAddr { get; init; } = "";
    [JsonPropertyName("product_name")] public string ProductName { get; init; } = "";
    [JsonPropertyName("pid")] public int Pid { get; init; }
    [JsonPropertyName("pwd")] public string Pwd { get; init; } = "";
    [JsonPropertyName("sys")] public string Sys { get; init; } = "";
    /// <summary>Machine name of the holder (ours: the lock message names it).</summary>
    [JsonPropertyName("hostname")] public string Hostname { get; init; } = "";

    public string Describe() => $"addr={AdminAddr}, pid={Pid}, host={Hostname}, started={StartTime}";
}

/// <summary>A slot migration in progress (or queued) on one slot; every field disappears when zero, as in the original.</summary>
public sealed record SlotAction
{
    [JsonPropertyName("index"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] public int Index { get; init; }
    [JsonPropertyName("state"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] public string? State { get; init; }
    [JsonPropertyName("target_id"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] public int TargetId { get; init; }

    [JsonIgnore] public bool IsEmpty => string.IsNullOrEmpty(State);
}

/// <summary>The slot action states (reference/codis.md §5.1), in the order a migration walks them.</summary>
public static class SlotActionState
{
    public const string Pending = "pending";
    public const string Preparing = "preparing";
    public const string Prepared = "prepared";
    public const string Migrating = "migrating";
    public const string Finished = "finished";
}

/// <summary>Which group owns a slot (0 = offline) and the migration under way, if any (/codis3/&lt;p&gt;/slots/slot-NNNN).</summary>
public sealed record SlotMapping
{
    [JsonPropertyName("id")] public int Id { get; init; }
    [JsonPropertyName("group_id")] public int GroupId { get; init; }
    [JsonPropertyName("action")] public SlotAction Action { get; init; } = new();
}

/// <summary>Promotion of a replica in a group: "" → preparing → prepared → finished → "".</summary>
public sealed record GroupPromoting
{
    [JsonPropertyName("index"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] public int Index { get; init; }
    [JsonPropertyName("state"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] public string? State { get; init; }
}

/// <summary>The replication ("sync") action of one server, as the original's GroupServer.action.</summary>
public sealed record ServerAction
{
    [JsonPropertyName("index"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] public int Index { get; init; }
    [JsonPropertyName("state"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] public string? State { get; init; }
}

/// <summary>A server of a group; servers[0] of a group is its master.</summary>
public sealed record GroupServer
{
    [JsonPropertyName("server")] public string Server { get; init; } = "";
    [JsonPropertyName("datacenter")] public string Datacenter { get; init; } = "";
    [JsonPropertyName("action")] public ServerAction Action { get; init; } = new();
    [JsonPropertyName("replica_group")] public bool ReplicaGroup { get; init; }
}

/// <summary>A server group (/codis3/&lt;p&gt;/group/group-NNNN): one master (servers[0]) and its replicas.</summary>
public sealed record GroupModel
{
    [JsonPropertyName("id")] public int Id { get; init; }
    [JsonPropertyName("servers")] public GroupServer[] Servers { get; init; } = [];
    [JsonPropertyName("promoting")] public GroupPromoting Promoting { get; init; } = new();
    [JsonPropertyName("out_of_sync")] public bool OutOfSync { get; init; }
    /// <summary>Ours: the group's share of slots in a rebalance, relative to the others (0: none). The original has no weights.</summary>
    [JsonPropertyName("weight")] public int Weight { get; init; } = 1;

    [JsonIgnore] public string? Master => Servers.Length > 0 ? Servers[0].Server : null;
    [JsonIgnore] public bool IsPromoting => !string.IsNullOrEmpty(Promoting.State);
}
