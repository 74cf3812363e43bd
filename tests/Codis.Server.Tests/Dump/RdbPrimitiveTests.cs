using System.Text;
using Codis.Server.Persistence;

namespace Codis.Server.Tests.Dump;

public class RdbPrimitiveTests
{
    [Theory]
    [InlineData(0UL, "00")]
    [InlineData(63UL, "3f")]
    [InlineData(64UL, "4040")]
    [InlineData(600UL, "4258")]
    [InlineData(16383UL, "7fff")]
    [InlineData(16384UL, "8000004000")]
    [InlineData(1048576UL, "8000100000")]
    [InlineData(4294967295UL, "80ffffffff")]
    [InlineData(4294967296UL, "810000000100000000")]
    [InlineData(ulong.MaxValue, "81ffffffffffffffff")]
    public void WriteLength_ShortestForm_RoundTrips(ulong n, string hex)
    {
        var w = new RdbWriter();
        w.WriteLength(n);
        Assert.Equal(hex, Convert.ToHexStringLower(w.WrittenSpan));
        Assert.Equal(n, new RdbReader(w.ToArray()).ReadLength());
    }

    [Theory]
    [InlineData("0", "c000")]
    [InlineData("-1", "c0ff")]
    [InlineData("127", "c07f")]
    [InlineData("-128", "c080")]
    [InlineData("128", "c18000")]
    [InlineData("12345", "c13930")]
    [InlineData("-32768", "c10080")]
    [InlineData("32768", "c200800000")]
    [InlineData("2147483647", "c2ffffff7f")]
    [InlineData("-2147483648", "c200000080")]
    [InlineData("2147483648", "0a32313437343833363438")]
    [InlineData("007", "03303037")]
    [InlineData("-0", "022d30")]
    [InlineData("+1", "022b31")]
    [InlineData("", "00")]
    [InlineData("aaaaaaaaaaaaaaaaaaaa", "146161616161616161616161616161616161616161")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaa", "c30615016161e00a00")]
    public void WriteString_RedisRules_RoundTrip(string text, string hex)
    {
        var w = new RdbWriter();
        w.WriteString(Encoding.ASCII.GetBytes(text));
        Assert.Equal(hex, Convert.ToHexStringLower(w.WrittenSpan));
        Assert.Equal(text, Encoding.ASCII.GetString(new RdbReader(w.ToArray()).ReadString()));
    }

    [Fact]
    public void WriteString_CompressionOff_StaysRaw()
    {
        var w = new RdbWriter { Compression = false };
        w.WriteString(Encoding.ASCII.GetBytes(new string('a', 21)));
        Assert.Equal("15" + string.Concat(Enumerable.Repeat("61", 21)), Convert.ToHexStringLower(w.WrittenSpan));
    }

    [Theory]
    [InlineData(0L, "c000")]
    [InlineData(-129L, "c17fff")]
    [InlineData(9223372036854775807L, "1339323233333732303336383534373735383037")]
    public void WriteIntegerString_HeldAsInteger_IntOrText(long v, string hex)
    {
        var w = new RdbWriter();
        w.WriteIntegerString(v);
        Assert.Equal(hex, Convert.ToHexStringLower(w.WrittenSpan));
    }

    [Fact]
    public void BinaryDouble_LittleEndian_RoundTrips()
    {
        var w = new RdbWriter();
        w.WriteBinaryDouble(0.1);
        w.WriteBinaryDouble(double.PositiveInfinity);
        w.WriteBinaryDouble(double.NegativeInfinity);
        Assert.Equal("9a9999999999b93f" + "000000000000f07f" + "000000000000f0ff", Convert.ToHexStringLower(w.WrittenSpan));
        var r = new RdbReader(w.ToArray());
        Assert.Equal(0.1, r.ReadBinaryDouble());
        Assert.Equal(double.PositiveInfinity, r.ReadBinaryDouble());
        Assert.Equal(double.NegativeInfinity, r.ReadBinaryDouble());
    }

    [Theory]
    [InlineData("fe", double.PositiveInfinity)]
    [InlineData("ff", double.NegativeInfinity)]
    [InlineData("03312e35", 1.5)]
    [InlineData("052d32652d33", -2e-3)]
    public void ReadTextDouble_Type3Forms(string hex, double expected) =>
        Assert.Equal(expected, new RdbReader(Convert.FromHexString(hex)).ReadTextDouble());

    [Theory]
    [InlineData("82")]              // 10xxxxxx other than 80/81
    [InlineData("c4")]              // unknown special string encoding
    [InlineData("05616263")]        // string longer than the data
    [InlineData("c3")]              // LZF header cut short
    [InlineData("c30305016161")]    // LZF data shorter than announced
    [InlineData("c3067f016161e00a00")] // LZF original length larger than the data produces
    [InlineData("c302807fffffff0161")] // LZF original length absurdly larger than its input (no huge allocation)
    public void ReadString_Malformed_Throws(string hex) =>
        Assert.Throws<RdbFormatException>(() => new RdbReader(Convert.FromHexString(hex)).ReadString());

    [Fact]
    public void Reader_FromStream_ReadsAcrossRefillsAndTracksCrc()
    {
        var w = new RdbWriter();
        var big = new byte[200_000];
        new Random(3).NextBytes(big);
        w.WriteString("hello"u8);
        w.WriteString(big);
        w.WriteLength(123456);
        var bytes = w.ToArray();
        var r = new RdbReader(new MemoryStream(bytes), bufferSize: 64) { TrackCrc = true };
        Assert.Equal("hello"u8.ToArray(), r.ReadString());
        Assert.Equal(big, r.ReadString());
        Assert.Equal(123456UL, r.ReadLength());
        Assert.True(r.AtEnd);
        Assert.Equal(bytes.Length, r.Position);
        Assert.Equal(Crc64.Compute(bytes), r.Crc);
    }
}
