using System.Buffers;
using System.Text;
using Codis.Core.Resp;

namespace Codis.Core.Tests.Resp;

/// <summary>The typed writers in each protocol: RESP3's own frames, and the RESP2 fallbacks Redis 7.0 sends.</summary>
public class RespWriterResp3Tests
{
    private static string Written(bool resp3, Action<RespWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var w = new RespWriter(buffer) { Resp3 = resp3 };
        write(w);
        w.Commit();
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    [Theory]
    [InlineData(true, "%2\r\n")]
    [InlineData(false, "*4\r\n")]
    public void MapHeader_CountsPairsOrItems(bool resp3, string expected) => Assert.Equal(expected, Written(resp3, w => w.WriteMapHeader(2)));

    [Theory]
    [InlineData(true, "~3\r\n>3\r\n")]
    [InlineData(false, "*3\r\n*3\r\n")]
    public void SetAndPushHeaders_FallBackToArrays(bool resp3, string expected) =>
        Assert.Equal(expected, Written(resp3, w => { w.WriteSetHeader(3); w.WritePushHeader(3); }));

    [Theory]
    [InlineData(true, "_\r\n_\r\n")]
    [InlineData(false, "$-1\r\n*-1\r\n")]
    public void Nulls_KeepTheirRespTwoShape(bool resp3, string expected) =>
        Assert.Equal(expected, Written(resp3, w => { w.WriteNullBulk(); w.WriteNullArray(); }));

    [Theory]
    [InlineData(true, "#t\r\n#f\r\n")]
    [InlineData(false, ":1\r\n:0\r\n")]
    public void Booleans_AreIntegersInRespTwo(bool resp3, string expected) =>
        Assert.Equal(expected, Written(resp3, w => { w.WriteBoolean(true); w.WriteBoolean(false); }));

    [Theory]
    [InlineData(true, "*2\r\n*2\r\n$1\r\na\r\n,1.5\r\n*2\r\n$1\r\nb\r\n,2\r\n")]
    [InlineData(false, "*4\r\n$1\r\na\r\n$3\r\n1.5\r\n$1\r\nb\r\n$1\r\n2\r\n")]
    public void Pairs_NestInRespThreeOnly(bool resp3, string expected) => Assert.Equal(expected, Written(resp3, w =>
    {
        w.WritePairsHeader(2);
        w.WritePairHeader(); w.WriteBulk("a"u8); w.WriteDouble(1.5);
        w.WritePairHeader(); w.WriteBulk("b"u8); w.WriteDouble(2);
    }));

    [Theory]
    [InlineData(true, "=6\r\ntxt:hi\r\n(123\r\n")]
    [InlineData(false, "$2\r\nhi\r\n$3\r\n123\r\n")]
    public void VerbatimAndBigNumber_AreBulkInRespTwo(bool resp3, string expected) =>
        Assert.Equal(expected, Written(resp3, w => { w.WriteVerbatim("hi"); w.WriteBigNumber("123"u8); }));

    [Fact]
    public void AttributeHeader_IsDroppedInRespTwo()
    {
        Assert.Equal("|1\r\n", Written(true, w => w.WriteAttributeHeader(1)));
        Assert.Equal("", Written(false, w => w.WriteAttributeHeader(1)));
    }

    [Theory]
    [InlineData(3.0, "3")]
    [InlineData(-0.0, "-0")]
    [InlineData(0.1, "0.10000000000000001")]
    [InlineData(2.1, "2.1000000000000001")]
    [InlineData(1e20, "1e+20")]
    [InlineData(1e17, "1e+17")]
    [InlineData(1e16, "10000000000000000")]
    [InlineData(1.5e-7, "1.4999999999999999e-07")]
    [InlineData(double.PositiveInfinity, "inf")]
    [InlineData(double.NegativeInfinity, "-inf")]
    [InlineData(double.NaN, "nan")]
    public void Doubles_AsRedisPrintsThem(double value, string text)
    {
        Assert.Equal("," + text + "\r\n", Written(true, w => w.WriteDouble(value)));
        Assert.Equal("$" + text.Length + "\r\n" + text + "\r\n", Written(false, w => w.WriteDouble(value)));
    }
}
