using Codis.Server.Persistence;

namespace Codis.Server.Tests.Dump;

/// <summary>Hand-built payloads in encodings 7.0 reads but never writes (types 1, 3, 9, 10, 12–15, old footers).</summary>
public class LegacyVectorTests
{
    public static TheoryData<string> Keys => Vectors.Keys("dump-legacy-handmade-7.0.15.tsv");

    [VectorTheory]
    [MemberData(nameof(Keys))]
    public void TryDeserialize_LegacyEncoding_GivesTheEquivalentValue(string key)
    {
        var row = Vectors.Legacy(key);
        var payload = Convert.FromHexString(row["dump_hex"]);
        Assert.Equal(row["rdb_type"], payload[0].ToString());
        Assert.Equal(row["footer_version"], payload[^10].ToString());
        Assert.True(DumpPayload.TryDeserialize(payload, out var value, out var error), error);
        Assert.Equal(row["type_after_restore"], ValueAssert.TypeName(value!));
        ValueAssert.Equal(VectorCommands.Build(row["equivalent_commands"])[key]!, value!);
    }

    [VectorTheory]
    [MemberData(nameof(Keys))]
    public void Serialize_LegacyValue_WritesA70EncodingThatReadsBack(string key)
    {
        var row = Vectors.Legacy(key);
        Assert.True(DumpPayload.TryDeserialize(Convert.FromHexString(row["dump_hex"]), out var value, out _));
        var modern = DumpPayload.Serialize(value!);
        Assert.Equal(10, modern[^10]);
        Assert.True(DumpPayload.TryDeserialize(modern, out var again, out _));
        ValueAssert.Equal(value!, again!);
    }
}
