using System.Text;
using Codis.Server.Persistence;

namespace Codis.Server.Tests.Dump;

/// <summary>DumpPayload's footer checks, the values RESTORE must refuse, and the writers over the neutral model.</summary>
public class DumpPayloadTests
{
    /// <summary>type+value hex, then the version and a correct CRC-64.</summary>
    private static byte[] Payload(string bodyHex, ushort version = 10)
    {
        var w = new RdbWriter();
        w.WriteRaw(Convert.FromHexString(bodyHex));
        w.WriteUInt16LE(version);
        w.WriteUInt64LE(Crc64.Compute(w.WrittenSpan));
        return w.ToArray();
    }

    private static string? ErrorOf(byte[] payload)
    {
        bool ok = DumpPayload.TryDeserialize(payload, out var value, out var error);
        Assert.Equal(ok, error == null);
        Assert.Equal(ok, value != null);
        return error;
    }

    [Fact]
    public void Serialize_Hello_IsTheWorkedExample() =>
        Assert.Equal("000568656c6c6f0a006372df766534200a", Convert.ToHexStringLower(DumpPayload.Serialize("hello"u8.ToArray())));

    [Theory]
    [InlineData((ushort)0)]
    [InlineData((ushort)1)]
    [InlineData((ushort)9)]
    [InlineData((ushort)10)]
    public void TryDeserialize_FooterVersionUpTo10_Accepted(ushort version)
    {
        Assert.Null(ErrorOf(Payload("00036f6c64", version)));
        DumpPayload.TryDeserialize(Payload("00036f6c64", version), out var v, out _);
        Assert.Equal("old"u8.ToArray(), (byte[])v!);
    }

    [Fact]
    public void TryDeserialize_Version11_ChecksumError() =>
        Assert.Equal(DumpPayload.ErrorChecksum, ErrorOf(Payload("000568656c6c6f", 11)));

    [Theory]
    [InlineData("")]
    [InlineData("0a00000000000000")]
    [InlineData("000568656c6c6f0a006372df766534200b")] // last CRC byte changed
    [InlineData("000568656c6c6f0a000000000000000000")] // a zero CRC is not a "skip" marker in DUMP
    [InlineData("000568656c6c6e0a006372df766534200a")] // value byte changed
    public void TryDeserialize_ShortOrCorrupt_ChecksumError(string hex) =>
        Assert.Equal(DumpPayload.ErrorChecksum, ErrorOf(Convert.FromHexString(hex)));

    [Fact]
    public void TryDeserialize_JunkBeforeFooter_Ignored()
    {
        Assert.Null(ErrorOf(Payload("000568656c6c6f" + "deadbeef")));
    }

    [Theory]
    [InlineData("08")]                          // unused type byte
    [InlineData("14")]                          // 20: set listpack, 7.2+
    [InlineData("15")]                          // 21: stream v3, 7.2+
    [InlineData("ff")]
    [InlineData("0205616263")]                  // string cut short
    [InlineData("0200")]                        // empty set
    [InlineData("0202c001c001")]                // duplicate set member
    [InlineData("01020161")]                    // list of 2 with 1 element
    [InlineData("0400")]                        // empty hash
    [InlineData("040201610162016101630")]       // duplicate hash field (and cut short)
    [InlineData("05010161000000000000f87f")]    // NaN score (type 5)
    [InlineData("030101610400000000")]          // type 3 score cut short
    [InlineData("1201030161")]                  // quicklist container 3
    [InlineData("0701")]                        // module value without the module
    [InlineData("0b0802000000000000000000")]    // intset with no members
    [InlineData("0b0c030000000100000001000000")]// intset with width 3
    [InlineData("0b0c020000000200000002000100")]// intset not ascending
    [InlineData("10070800000000000ff")]         // listpack total-bytes mismatch
    [InlineData("10070700000000000ff")]         // empty listpack hash
    [InlineData("100b0b0000000100816102ff")]    // listpack hash with an odd number of entries
    [InlineData("100b0b0000000100816103ff")]    // listpack backlen wrong
    public void TryDeserialize_BadValue_BadDataFormat(string bodyHex)
    {
        if (bodyHex.Length % 2 == 1) bodyHex += "0";
        Assert.Equal(DumpPayload.ErrorBadData, ErrorOf(Payload(bodyHex)));
    }

    [Fact]
    public void TryToKeyspaceValue_StringsAndCollections_Stored()
    {
        Assert.True(DumpPayload.TryToKeyspaceValue("x"u8.ToArray(), out var stored, out _));
        Assert.Equal("x"u8.ToArray(), (byte[])stored!);
        Assert.True(DumpPayload.TryToKeyspaceValue(new RdbList([[1], [2]]), out var list, out var error));
        Assert.Null(error);
        var l = Assert.IsType<Codis.Server.Storage.Lists.ListValue>(list);
        Assert.Equal([[1], [2]], l.Items().ToArray());
    }

    private static byte[] B(string s) => Encoding.ASCII.GetBytes(s);

    private static (byte Type, object Value) RoundTrip(object value)
    {
        var payload = DumpPayload.Serialize(value);
        Assert.True(DumpPayload.TryDeserialize(payload, out var back, out var error), error);
        ValueAssert.Equal(value, back!);
        return (payload[0], back!);
    }

    [Theory]
    [InlineData(512, RdbType.SetIntset)]
    [InlineData(513, RdbType.Set)]
    public void Serialize_IntegerSet_IntsetUpToTheLimit(int count, byte type)
    {
        var set = new RdbSet(Enumerable.Range(0, count).Select(i => B((count - i).ToString())).ToList());
        Assert.Equal(type, RoundTrip(set).Type);
    }

    [Fact]
    public void Serialize_SetWithNonCanonicalInteger_Hashtable() =>
        Assert.Equal(RdbType.Set, RoundTrip(new RdbSet([B("1"), B("007")])).Type);

    [Theory]
    [InlineData(512, 64, RdbType.HashListpack)]
    [InlineData(513, 1, RdbType.Hash)]
    [InlineData(1, 65, RdbType.Hash)]
    public void Serialize_Hash_ListpackWithinLimits(int count, int valueSize, byte type)
    {
        var hash = new RdbHash(Enumerable.Range(0, count).Select(i => (B("f" + i), new byte[valueSize])).ToList());
        Assert.Equal(type, RoundTrip(hash).Type);
    }

    [Fact]
    public void Serialize_LargeZSet_SkiplistHighestFirst()
    {
        var zset = new RdbZSet(Enumerable.Range(0, 129).Select(i => (B("m" + i), (double)(i % 3))).ToList());
        var payload = DumpPayload.Serialize(zset);
        Assert.Equal(RdbType.ZSet2, payload[0]);
        var r = new RdbReader(payload);
        r.ReadByte();
        Assert.Equal(129UL, r.ReadLength());
        var first = Encoding.ASCII.GetString(r.ReadString());
        Assert.Equal(2.0, r.ReadBinaryDouble());
        Assert.Equal("m98", first); // score 2 ties: the member that sorts last comes first
        RoundTrip(zset);
    }

    [Theory]
    [InlineData(-0.0, "00")]                          // −0 is written as integer 0
    [InlineData(1.0, "01")]
    [InlineData(-100.0, "df9c")]
    [InlineData(4611686018427387904.0, "f40000000000000040")] // 2^62: still an integer
    [InlineData(9223372036854775808.0, "96392e32323333373230333638353437373538652b3138")] // 2^63: text "9.2233720368547758e+18"
    [InlineData(0.1, "93302e3130303030303030303030303030303031")]
    [InlineData(double.PositiveInfinity, "83696e66")]
    public void AppendScore_Redis70Forms(double score, string entryHex)
    {
        var lp = new ListpackBuilder();
        RdbValueWriter.AppendScore(lp, score);
        var blob = Convert.ToHexStringLower(lp.ToArray());
        Assert.StartsWith(entryHex, blob[12..]);
    }

    [Fact]
    public void Serialize_ListWithBigElement_OwnNode_AndRoundTrips()
    {
        var list = new RdbList([B("first"), new byte[100], new byte[10000], B("last")]);
        var payload = DumpPayload.Serialize(list);
        Assert.Equal(RdbType.ListQuicklist2, payload[0]);
        Assert.Equal(3, payload[1]); // nodes: first+100 B | 10000 B | last
        RoundTrip(list);
    }

    [Fact]
    public void Serialize_StreamWithGroups_RoundTripsEveryField()
    {
        var entries = Enumerable.Range(1, 250)
            .Select(i => new RdbStreamEntry(new RdbStreamId((ulong)(1000 + i / 3), (ulong)(i % 3)),
                i % 7 == 0 ? [(B("other"), B(i.ToString()))] : [(B("f"), B("v" + i)), (B("n"), B(i.ToString()))]))
            .ToList();
        var pel = new List<RdbStreamPending> { new(entries[5].Id, 1700000000123, 2), new(entries[9].Id, 1700000000456, 1) };
        var groups = new List<RdbStreamGroup>
        {
            new(B("g2"), entries[9].Id, 10, pel, [new(B("alice"), 1700000000999, [entries[5].Id, entries[9].Id])]),
            new(B("g1"), default, -1, [], [new(B("bob"), 42, [])]),
        };
        var stream = new RdbStream(entries, entries[^1].Id, entries[0].Id, new RdbStreamId(3, 4), 260, groups);
        var payload = DumpPayload.Serialize(stream);
        Assert.Equal(RdbType.StreamListpacks2, payload[0]);
        Assert.Equal(3, payload[1]); // 100 entries per node
        Assert.True(DumpPayload.TryDeserialize(payload, out var back, out _));
        var s = (RdbStream)back!;
        ValueAssert.Equal(stream with { Groups = [groups[1], groups[0]] }, s); // groups come back in name order
        Assert.Equal(2, s.Groups[1].Pending.Count);
        Assert.Equal(1700000000456, s.Groups[1].Pending[1].DeliveryTimeMs);
        Assert.Equal(["alice"], s.Groups[1].Consumers.Select(c => Encoding.ASCII.GetString(c.Name)));
        Assert.Equal(2, s.Groups[1].Consumers[0].Pending.Count);
    }

    [Fact]
    public void Serialize_EmptyStream_RoundTrips()
    {
        var stream = new RdbStream([], new RdbStreamId(5, 1), default, new RdbStreamId(5, 1), 1, [new RdbStreamGroup(B("g"), new RdbStreamId(5, 1), 1, [], [])]);
        RoundTrip(stream);
    }

    [Fact]
    public void Serialize_UnknownObject_Throws() =>
        Assert.Throws<ArgumentException>(() => DumpPayload.Serialize(42));
}
