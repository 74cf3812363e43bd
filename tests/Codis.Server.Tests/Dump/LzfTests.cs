using System.Text;
using Codis.Server.Persistence;

namespace Codis.Server.Tests.Dump;

public class LzfTests
{
    [VectorTheory]
    [InlineData("lzf1")]
    [InlineData("lzf2")]
    public void Compress_RedisBlocks_ByteIdentical(string name)
    {
        var kv = Vectors.KeyValues("crc64-lzf.txt");
        var plain = Encoding.ASCII.GetBytes(kv[name + ".plain.ascii"]);
        Assert.Equal(int.Parse(kv[name + ".plain.length"]), plain.Length);
        var output = new byte[plain.Length - 4]; // the room Redis gives the compressor
        int n = Lzf.Compress(plain, output);
        Assert.Equal(kv[name + ".compressed_hex"], Convert.ToHexStringLower(output.AsSpan(0, n)));

        var w = new RdbWriter();
        w.WriteString(plain);
        Assert.Equal(kv[name + ".rdb_string_hex"], Convert.ToHexStringLower(w.WrittenSpan));
    }

    [VectorTheory]
    [InlineData("lzf1")]
    [InlineData("lzf2")]
    public void Decompress_RedisBlocks_GiveThePlainText(string name)
    {
        var kv = Vectors.KeyValues("crc64-lzf.txt");
        var compressed = Convert.FromHexString(kv[name + ".compressed_hex"]);
        var output = new byte[int.Parse(kv[name + ".plain.length"])];
        Assert.Equal(output.Length, Lzf.Decompress(compressed, output));
        Assert.Equal(kv[name + ".plain.ascii"], Encoding.ASCII.GetString(output));
    }

    [Fact]
    public void CompressThenDecompress_RandomInputs_RoundTrip()
    {
        var rnd = new Random(11);
        int compressedCount = 0;
        for (int iter = 0; iter < 400; iter++)
        {
            int len = rnd.Next(3, 3000);
            var data = new byte[len];
            int alphabet = iter % 2 == 0 ? rnd.Next(2, 8) : rnd.Next(2, 256); // small alphabets compress, large ones mostly do not
            for (int i = 0; i < len; i++) data[i] = (byte)rnd.Next(alphabet);
            var output = new byte[len + len / 16 + 64];
            int n = Lzf.Compress(data, output);
            Assert.True(n > 0, "with room to spare, compression always succeeds");
            var back = new byte[len];
            Assert.Equal(len, Lzf.Decompress(output.AsSpan(0, n), back));
            Assert.Equal(data, back);
            if (n < len) compressedCount++;
        }
        Assert.True(compressedCount > 100);
    }

    [Fact]
    public void Compress_NoRoom_ReturnsZero()
    {
        var data = new byte[256];
        for (int i = 0; i < data.Length; i++) data[i] = (byte)i;
        Assert.Equal(0, Lzf.Compress(data, new byte[data.Length - 4]));
    }

    [Theory]
    [InlineData("05616161")]          // literal of 6 with only 3 bytes
    [InlineData("0061e00a05")]        // reference reaching before the start of the output
    [InlineData("0161")]              // truncated literal
    [InlineData("016161e0")]          // truncated long reference
    public void Decompress_Malformed_ReturnsMinusOne(string hex) =>
        Assert.Equal(-1, Lzf.Decompress(Convert.FromHexString(hex), new byte[100]));

    [Fact]
    public void Decompress_OutputTooSmall_ReturnsMinusOne() =>
        Assert.Equal(-1, Lzf.Decompress(Convert.FromHexString("016161e00a00"), new byte[20]));
}
