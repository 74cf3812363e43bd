namespace Codis.Server.Persistence;

/// <summary>
/// The size limits that decide which RDB encoding a value is written in (redis-formats.md §2.2), named after the
/// Redis settings. <see cref="Default"/> holds 7.0's built-in defaults (Debian's redis.conf uses the same).
/// </summary>
internal sealed record RdbEncodingLimits
{
    public static readonly RdbEncodingLimits Default = new();

    public int SetMaxIntsetEntries { get; init; } = 512;
    public int HashMaxListpackEntries { get; init; } = 512;
    public int HashMaxListpackValue { get; init; } = 64;
    public int ZSetMaxListpackEntries { get; init; } = 128;
    public int ZSetMaxListpackValue { get; init; } = 64;

    /// <summary>list-max-listpack-size: negative = node byte limit (−1..−5 → 4, 8, 16, 32, 64 KiB), positive = entries.</summary>
    public int ListMaxListpackSize { get; init; } = -2;

    /// <summary>Elements at least this long get a PLAIN quicklist node of their own (1 GiB in 7.0).</summary>
    public long ListPackedThreshold { get; init; } = 1L << 30;

    public int StreamNodeMaxBytes { get; init; } = 4096;
    public int StreamNodeMaxEntries { get; init; } = 100;
}
