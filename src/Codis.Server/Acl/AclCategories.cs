namespace Codis.Server.Acl;

/// <summary>
/// Redis 7.0's ACL categories, in its table's order (ACL CAT lists them so, COMMAND INFO lists a command's so). Which
/// categories a command is in comes from <see cref="Commands.CommandCommand.Categories"/>, the one source.
/// </summary>
internal static class AclCategories
{
    public static readonly string[] Names =
    [
        "keyspace", "read", "write", "set", "sortedset", "list", "hash", "string", "bitmap", "hyperloglog",
        "geo", "stream", "pubsub", "admin", "fast", "slow", "blocking", "dangerous", "connection",
        "transaction", "scripting",
    ];

    /// <summary>The bit of a category name (any case, no '@'), 0 when there is no such category.</summary>
    public static ulong Bit(ReadOnlySpan<char> name)
    {
        for (int i = 0; i < Names.Length; i++)
            if (name.Equals(Names[i], StringComparison.OrdinalIgnoreCase)) return 1UL << i;
        return 0;
    }

    /// <summary>The bits of categories written as COMMAND INFO shows them ("@read").</summary>
    public static ulong BitsOf(IEnumerable<string> categories)
    {
        ulong bits = 0;
        foreach (var c in categories) bits |= Bit(c.AsSpan(1));
        return bits;
    }
}
