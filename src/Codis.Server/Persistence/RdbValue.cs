namespace Codis.Server.Persistence;

/// <summary>
/// The neutral form of a decoded RDB value, independent of how the keyspace will hold it and of the encoding it
/// arrived in (a listpack hash and a hashtable hash both become <see cref="RdbHash"/>). Strings are not wrapped:
/// they decode to the keyspace's own <c>byte[]</c>. Collections keep Redis's element order where it has one (list
/// order, listpack insertion order); set and hash order is whatever the payload held. Integers inside listpacks,
/// intsets and integer-encoded strings come back as their decimal text, as Redis's readers do.
/// </summary>
internal abstract record RdbValue
{
    /// <summary>The name TYPE replies for this kind of value ("list", "set", ...).</summary>
    public abstract string TypeName { get; }
}

/// <summary>A list, head to tail.</summary>
internal sealed record RdbList(List<byte[]> Items) : RdbValue
{
    public override string TypeName => "list";
}

/// <summary>A set; members are distinct.</summary>
internal sealed record RdbSet(List<byte[]> Members) : RdbValue
{
    public override string TypeName => "set";
}

/// <summary>A hash; fields are distinct.</summary>
internal sealed record RdbHash(List<(byte[] Field, byte[] Value)> Entries) : RdbValue
{
    public override string TypeName => "hash";
}

/// <summary>A sorted set; members are distinct and no score is NaN.</summary>
internal sealed record RdbZSet(List<(byte[] Member, double Score)> Entries) : RdbValue
{
    public override string TypeName => "zset";
}
