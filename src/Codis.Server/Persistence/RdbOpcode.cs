namespace Codis.Server.Persistence;

/// <summary>The opcodes of an RDB file that are not object types (redis-formats.md §4.2).</summary>
internal static class RdbOpcode
{
    public const byte Function2 = 0xF5;
    public const byte Function = 0xF6;
    public const byte ModuleAux = 0xF7;
    public const byte Idle = 0xF8;
    public const byte Freq = 0xF9;
    public const byte Aux = 0xFA;
    public const byte ResizeDb = 0xFB;
    public const byte ExpireTimeMs = 0xFC;
    public const byte ExpireTime = 0xFD;
    public const byte SelectDb = 0xFE;
    public const byte Eof = 0xFF;
}
