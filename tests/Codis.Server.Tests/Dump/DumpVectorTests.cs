using Codis.Server.Persistence;

namespace Codis.Server.Tests.Dump;

/// <summary>The 50 payloads captured from redis-server 7.0.15 (dump-7.0.15.tsv), read and re-created.</summary>
public class DumpVectorTests
{
    public static TheoryData<string> Keys => Vectors.Keys("dump-7.0.15.tsv");

    /// <summary>Rows whose member order follows the server's random hash seed: compare by content and length only.</summary>
    private static bool IsHashtable(Dictionary<string, string> row) => row["encoding"] == "hashtable";

    private static RdbEncodingLimits LimitsFor(Dictionary<string, string> row) =>
        row["key"] == "list:plain" ? RdbEncodingLimits.Default with { ListPackedThreshold = 100 } : RdbEncodingLimits.Default;

    [VectorTheory]
    [MemberData(nameof(Keys))]
    public void TryDeserialize_CapturedPayload_GivesTheValueTheCommandsBuilt(string key)
    {
        var row = Vectors.Dump(key);
        var payload = Convert.FromHexString(row["dump_hex"]);
        Assert.True(DumpPayload.TryDeserialize(payload, out var value, out var error), error);
        Assert.Null(error);
        Assert.Equal(row["type"], ValueAssert.TypeName(value!));

        var expected = VectorCommands.Build(row["commands"])[key];
        if (expected != null) ValueAssert.Equal(expected, value!); // null = HLL, opaque to the notation
    }

    [VectorTheory]
    [MemberData(nameof(Keys))]
    public void Serialize_DecodedValue_RecreatesRedisBytes(string key)
    {
        var row = Vectors.Dump(key);
        var payload = Convert.FromHexString(row["dump_hex"]);
        Assert.True(DumpPayload.TryDeserialize(payload, out var value, out _));
        var again = Serialize(value!, LimitsFor(row));
        AssertSamePayload(row, payload, again);
    }

    [VectorTheory]
    [MemberData(nameof(Keys))]
    public void Serialize_ValueBuiltFromCommands_MatchesRedisBytes(string key)
    {
        var row = Vectors.Dump(key);
        var expected = VectorCommands.Build(row["commands"])[key];
        if (expected == null) return; // HLL: only the round trip above applies
        var ours = Serialize(expected, LimitsFor(row));
        AssertSamePayload(row, Convert.FromHexString(row["dump_hex"]), ours);
    }

    private static byte[] Serialize(object value, RdbEncodingLimits limits)
    {
        if (limits == RdbEncodingLimits.Default) return DumpPayload.Serialize(value);
        var w = new RdbWriter();
        RdbValueWriter.Write(w, value, limits);
        w.WriteUInt16LE(DumpPayload.RdbVersion);
        w.WriteUInt64LE(Crc64.Compute(w.WrittenSpan));
        return w.ToArray();
    }

    private static void AssertSamePayload(Dictionary<string, string> row, byte[] redis, byte[] ours)
    {
        if (IsHashtable(row))
        {
            Assert.Equal(redis.Length, ours.Length);
            Assert.Equal(redis[0], ours[0]);
            Assert.True(DumpPayload.TryDeserialize(ours, out var a, out _));
            Assert.True(DumpPayload.TryDeserialize(redis, out var b, out _));
            ValueAssert.Equal(b!, a!);
        }
        else
        {
            Assert.Equal(row["dump_hex"], Convert.ToHexStringLower(ours));
        }
    }
}
