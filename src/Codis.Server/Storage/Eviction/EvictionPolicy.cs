namespace Codis.Server.Storage.Eviction;

/// <summary>maxmemory-policy: which keys may go when memory is over maxmemory, and how the victim is chosen.</summary>
internal enum EvictionPolicy
{
    NoEviction,
    AllKeysLru,
    VolatileLru,
    AllKeysLfu,
    VolatileLfu,
    AllKeysRandom,
    VolatileRandom,
    VolatileTtl,
}

/// <summary>What keys' access stamps mean under the policy, and so what an RDB saves of them, as Redis 7.0 does.</summary>
internal enum AccessKind { None, Lru, Lfu }

internal static class EvictionPolicies
{
    public static AccessKind AccessKind(this EvictionPolicy p) =>
        p.IsLfu() ? Eviction.AccessKind.Lfu
        : p is EvictionPolicy.AllKeysLru or EvictionPolicy.VolatileLru ? Eviction.AccessKind.Lru
        : Eviction.AccessKind.None;

    /// <summary>The setting's choices, in Redis's spelling.</summary>
    public static readonly string[] Names =
        ["volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl", "allkeys-lru", "allkeys-lfu", "allkeys-random", "noeviction"];

    public static EvictionPolicy Parse(string name) => name switch
    {
        "allkeys-lru" => EvictionPolicy.AllKeysLru,
        "volatile-lru" => EvictionPolicy.VolatileLru,
        "allkeys-lfu" => EvictionPolicy.AllKeysLfu,
        "volatile-lfu" => EvictionPolicy.VolatileLfu,
        "allkeys-random" => EvictionPolicy.AllKeysRandom,
        "volatile-random" => EvictionPolicy.VolatileRandom,
        "volatile-ttl" => EvictionPolicy.VolatileTtl,
        _ => EvictionPolicy.NoEviction,
    };

    /// <summary>Only keys with a TTL are candidates.</summary>
    public static bool VolatileOnly(this EvictionPolicy p) =>
        p is EvictionPolicy.VolatileLru or EvictionPolicy.VolatileLfu or EvictionPolicy.VolatileRandom or EvictionPolicy.VolatileTtl;

    public static bool IsLfu(this EvictionPolicy p) => p is EvictionPolicy.AllKeysLfu or EvictionPolicy.VolatileLfu;

    public static bool IsRandom(this EvictionPolicy p) => p is EvictionPolicy.AllKeysRandom or EvictionPolicy.VolatileRandom;
}
