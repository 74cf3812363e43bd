using System.Globalization;

namespace Codis.Coordinator;

/// <summary>
/// Coordinator options from configuration keys, in both dialects (reference/codis.md): Codis 3's
/// dashboard.toml / proxy.toml (coordinator_name, coordinator_addr, coordinator_auth) and Codis 2's
/// config.ini (coordinator, zk, zk_session_timeout). Keys that are absent keep the defaults.
/// </summary>
public static class CoordinatorConfig
{
    public static CoordinatorOptions FromKeys(IReadOnlyDictionary<string, string> keys, CoordinatorOptions? defaults = null)
    {
        var o = defaults ?? new CoordinatorOptions();
        string? name = Get(keys, "coordinator_name") ?? Get(keys, "coordinator");
        if (name != null)
        {
            string normal = CoordinatorFactory.Normalize(name);
            if (normal is not ("filesystem" or "etcd" or "zookeeper"))
                throw new ArgumentException($"coordinator '{name}': use filesystem (fs), etcd or zookeeper (zk)");
            o = o with { Name = normal };
        }
        if ((Get(keys, "coordinator_addr") ?? Get(keys, "zk")) is { } addr) o = o with { Address = addr };
        if (Get(keys, "coordinator_auth") is { } auth) o = o with { Auth = auth };
        if (Get(keys, "zk_session_timeout") is { } timeout) o = o with { SessionTimeout = ParseZkSessionTimeout(timeout) };
        return o;
    }

    /// <summary>Codis 2's zk_session_timeout: milliseconds, except that values up to 100 are seconds (its old unit bug).</summary>
    public static TimeSpan ParseZkSessionTimeout(string text)
    {
        if (!long.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n <= 0)
            throw new ArgumentException($"zk_session_timeout '{text}': want a positive number (milliseconds, or seconds when ≤ 100)");
        return n <= 100 ? TimeSpan.FromSeconds(n) : TimeSpan.FromMilliseconds(n);
    }

    private static string? Get(IReadOnlyDictionary<string, string> keys, string key)
        => keys.TryGetValue(key, out var v) && !string.IsNullOrWhiteSpace(v) ? v.Trim() : null;
}
