namespace Codis.Server.Persistence;

/// <summary>The object type byte of an RDB value (redis-formats.md §2.1); 7.0 reads 0–7 and 9–19.</summary>
internal static class RdbType
{
    public const byte String = 0;
    public const byte List = 1;
    public const byte Set = 2;
    public const byte ZSet = 3;
    public const byte Hash = 4;
    public const byte ZSet2 = 5;
    public const byte Module = 6;
    public const byte Module2 = 7;
    public const byte HashZipmap = 9;
    public const byte ListZiplist = 10;
    public const byte SetIntset = 11;
    public const byte ZSetZiplist = 12;
    public const byte HashZiplist = 13;
    public const byte ListQuicklist = 14;
    public const byte StreamListpacks = 15;
    public const byte HashListpack = 16;
    public const byte ZSetListpack = 17;
    public const byte ListQuicklist2 = 18;
    public const byte StreamListpacks2 = 19;

    /// <summary>Whether Redis 7.0 accepts <paramref name="type"/> where an object type is expected.</summary>
    public static bool IsObjectType(int type) => type is >= 0 and <= 7 or >= 9 and <= 19;
}
