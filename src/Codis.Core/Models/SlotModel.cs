using System.Text.Json.Serialization;

namespace Codis.Core.Models;

/// <summary>
/// One routing entry as the dashboard sends it to proxies (the original's Slot JSON, reference/codis.md §4.6):
/// the group that owns the slot, where it is migrating from, and the replica groups for reads.
/// </summary>
public sealed record SlotModel
{
    [JsonPropertyName("id")] public int Id { get; init; }
    [JsonPropertyName("locked")] public bool Locked { get; init; }
    [JsonPropertyName("backend_addr")] public string BackendAddr { get; init; } = "";
    [JsonPropertyName("backend_addr_group_id")] public int BackendAddrGroupId { get; init; }
    [JsonPropertyName("migrate_from")] public string MigrateFrom { get; init; } = "";
    [JsonPropertyName("migrate_from_group_id")] public int MigrateFromGroupId { get; init; }
    /// <summary>0 = sync (SLOTSMGRTTAGONE before forwarding), 1 = semi-async (SLOTSMGRT-EXEC-WRAPPER).</summary>
    [JsonPropertyName("forward_method")] public int ForwardMethod { get; init; }
    [JsonPropertyName("replica_groups")] public string[][]? ReplicaGroups { get; init; }
    /// <summary>The proxy moved this slot to the master its sentinels named (reference/codis.md §7.3); a dashboard fill clears it.</summary>
    [JsonPropertyName("switched"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] public bool Switched { get; init; }
}
