using System.Text.Json.Serialization;

namespace Codis.Core.Models;

/// <summary>
/// The product's Redis Sentinels (/codis3/&lt;product&gt;/sentinel, reference/codis.md §7.3), as the original stores it:
/// the sentinels' addresses and whether they (and the proxies) still have to be told the groups ("resync-all").
/// The dashboard PUTs the same JSON to every proxy (/api/proxy/sentinels/:xauth).
/// </summary>
public sealed record SentinelModel
{
    [JsonPropertyName("servers"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string[]? Servers { get; init; }
    [JsonPropertyName("out_of_sync"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] public bool OutOfSync { get; init; }

    [JsonIgnore] public bool Any => Servers is { Length: > 0 };
}
