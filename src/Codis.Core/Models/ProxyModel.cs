using System.Text.Json.Serialization;

namespace Codis.Core.Models;

/// <summary>A proxy as it describes itself and as the dashboard stores it (the original's Proxy model).</summary>
public sealed record ProxyModel
{
    [JsonPropertyName("id")] public int Id { get; init; }
    [JsonPropertyName("token")] public string Token { get; init; } = "";
    [JsonPropertyName("start_time")] public string StartTime { get; init; } = "";
    [JsonPropertyName("admin_addr")] public string AdminAddr { get; init; } = "";
    [JsonPropertyName("proto_type")] public string ProtoType { get; init; } = "tcp4";
    [JsonPropertyName("proxy_addr")] public string ProxyAddr { get; init; } = "";
    [JsonPropertyName("jodis_path"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] public string? JodisPath { get; init; }
    [JsonPropertyName("product_name")] public string ProductName { get; init; } = "";
    [JsonPropertyName("pid")] public int Pid { get; init; }
    [JsonPropertyName("pwd")] public string Pwd { get; init; } = "";
    [JsonPropertyName("sys")] public string Sys { get; init; } = "";
    [JsonPropertyName("hostname")] public string Hostname { get; init; } = "";
    [JsonPropertyName("datacenter")] public string Datacenter { get; init; } = "";
    /// <summary>The seed's proxy_id (e.g. proxy_1), used by codis-config proxy online/offline.</summary>
    [JsonPropertyName("proxy_id")] public string ProxyId { get; init; } = "";
}
