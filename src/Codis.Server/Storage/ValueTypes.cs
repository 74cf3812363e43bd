namespace Codis.Server.Storage;

/// <summary>
/// Implemented by every value type other than strings (hash, list, set, zset, stream), so the generic key
/// commands (TYPE, OBJECT ENCODING, SCAN TYPE, COPY) handle types they were written before.
/// </summary>
internal interface IKeyValue
{
    /// <summary>TYPE's answer: "hash", "list", "set", "zset", "stream".</summary>
    string TypeName { get; }

    /// <summary>OBJECT ENCODING's answer for the current representation ("listpack", "hashtable", ...).</summary>
    string EncodingName { get; }

    /// <summary>An independent copy (COPY must not share mutable state between two keys).</summary>
    object DeepCopy();
}

/// <summary>What the generic key commands need to know about a stored value, whatever its type.</summary>
internal static class ValueTypes
{
    /// <summary>Redis keeps strings of at most this many bytes in one allocation with their header.</summary>
    public const int EmbstrLimit = 44;

    public static string TypeName(object? value) => value switch
    {
        null => "none",
        byte[] => "string",
        IKeyValue v => v.TypeName,
        _ => throw new InvalidOperationException($"unknown value type {value.GetType().Name}"),
    };

    public static string EncodingName(object value) => value switch
    {
        byte[] s => StringEncoding(s),
        IKeyValue v => v.EncodingName,
        _ => throw new InvalidOperationException($"unknown value type {value.GetType().Name}"),
    };

    public static object DeepCopy(object value) => value switch
    {
        byte[] s => s.AsSpan().ToArray(),
        IKeyValue v => v.DeepCopy(),
        _ => throw new InvalidOperationException($"unknown value type {value.GetType().Name}"),
    };

    /// <summary>
    /// Redis stores a string as a shared/inline integer when its text is a canonical int64 of at most 20 chars,
    /// embedded when short, raw otherwise. (Redis also keeps strings grown by APPEND/SETRANGE/SETBIT "raw";
    /// we only look at the content.)
    /// </summary>
    public static string StringEncoding(ReadOnlySpan<byte> s)
    {
        if (s.Length <= 20 && Commands.CommandContext.TryParseLong(s, out _)) return "int";
        return s.Length <= EmbstrLimit ? "embstr" : "raw";
    }
}
