namespace Codis.Core.Resp;

/// <summary>Input limits, defaults as Redis 7.0 (proto-max-bulk-len, PROTO_INLINE_MAX_SIZE, ...).</summary>
public sealed record RespLimits
{
    public static readonly RespLimits Default = new();

    /// <summary>proto-max-bulk-len: the largest bulk string accepted.</summary>
    public long MaxBulkLength { get; init; } = 512L * 1024 * 1024;

    /// <summary>The largest number of arguments in one multibulk request (Redis 7: INT_MAX).</summary>
    public long MaxArguments { get; init; } = int.MaxValue;

    /// <summary>The longest inline request line and the longest length header.</summary>
    public int MaxInlineLength { get; init; } = 64 * 1024;

    /// <summary>Limits for connections that still have to AUTH (Redis: 10 arguments, 16 KiB bulks).</summary>
    public int UnauthenticatedMaxArguments { get; init; } = 10;
    public int UnauthenticatedMaxBulkLength { get; init; } = 16 * 1024;
}
