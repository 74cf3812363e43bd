using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Codis.Coordinator.FileSystem;

/// <summary>
/// What a node's data file cannot hold without breaking Codis's layout (data/ files are the plain JSON values):
/// its version counter, a digest of the data the version belongs to, and the owner when it is ephemeral.
/// Written before the data file on every change; a digest that does not match the data file means a write was
/// interrupted (or the file was written by a tool that does not know meta/), and the node then reads as one
/// version newer, so a compare-and-set based on the older read fails instead of overwriting unseen data.
/// </summary>
internal sealed record NodeMeta
{
    [JsonPropertyName("version")] public long Version { get; init; }
    [JsonPropertyName("sha")] public string Sha { get; init; } = "";
    [JsonPropertyName("owner")] [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public OwnerRecord? Owner { get; init; }

    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this);

    public static NodeMeta? Parse(byte[] json)
    {
        try { return JsonSerializer.Deserialize<NodeMeta>(json); }
        catch (JsonException) { return null; } // torn or foreign: treated as absent
    }

    /// <summary>First 128 bits of SHA-256, hex: enough to tell contents apart.</summary>
    public static string Digest(ReadOnlySpan<byte> data)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(data, hash);
        return Convert.ToHexStringLower(hash[..16]);
    }
}
