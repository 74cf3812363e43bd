namespace Codis.Server.Commands;

internal static class Info
{
    /// <summary>The Redis version we answer as (clients pick features by it).</summary>
    public const string RedisVersion = "7.0.15";
}
