namespace Codis.Server.Storage.Streams;

/// <summary>
/// A run of byte strings an entry is built from (field, value, field, value… or just fields), wherever they are:
/// a request's arguments, arrays, a decoded payload. Generic callers take it as a struct, so nothing is boxed.
/// </summary>
internal interface IStreamItems
{
    int Count { get; }
    ReadOnlySpan<byte> this[int i] { get; }
}

/// <summary>Items held in an array.</summary>
internal readonly struct ArrayItems(byte[][] items) : IStreamItems
{
    public int Count => items.Length;
    public ReadOnlySpan<byte> this[int i] => items[i];
}

/// <summary>Pairs held as (field, value) tuples, flattened.</summary>
internal readonly struct TupleItems(List<(byte[] Field, byte[] Value)> pairs) : IStreamItems
{
    public int Count => pairs.Count * 2;
    public ReadOnlySpan<byte> this[int i] => (i & 1) == 0 ? pairs[i >> 1].Field : pairs[i >> 1].Value;
}

/// <summary>The fields (even items) of a field/value run.</summary>
internal readonly struct FieldsOf<T>(T pairs) : IStreamItems where T : struct, IStreamItems
{
    public int Count => pairs.Count / 2;
    public ReadOnlySpan<byte> this[int i] => pairs[2 * i];
}
