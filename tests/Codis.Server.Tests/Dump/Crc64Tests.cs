using System.Text;
using Codis.Server.Persistence;

namespace Codis.Server.Tests.Dump;

public class Crc64Tests
{
    [Fact]
    public void Compute_CheckString_IsJonesCheckValue() =>
        Assert.Equal(0xe9c6d914c4b8d9caUL, Crc64.Compute("123456789"u8));

    [Fact]
    public void Compute_Empty_IsZero() => Assert.Equal(0UL, Crc64.Compute([]));

    [VectorFact]
    public void Compute_VectorFile_MatchesEveryValue()
    {
        var kv = Vectors.KeyValues("crc64-lzf.txt");
        Assert.Equal(Convert.ToUInt64(kv["crc64.value"], 16), Crc64.Compute(Encoding.ASCII.GetBytes(kv["crc64.input.ascii"])));
        Assert.Equal(Convert.ToUInt64(kv["crc64.a.value"], 16), Crc64.Compute("a"u8));
        var covered = Convert.FromHexString(kv["crc64.dump_hello.covered_hex"]);
        Assert.Equal(Convert.ToUInt64(kv["crc64.dump_hello.value"], 16), Crc64.Compute(covered));
        var le = new byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(le, Crc64.Compute(Encoding.ASCII.GetBytes(kv["crc64.input.ascii"])));
        Assert.Equal(kv["crc64.value.le_bytes"], Convert.ToHexStringLower(le));
    }

    [Fact]
    public void Update_InPieces_EqualsOneShot_AndBitwiseReference()
    {
        var rnd = new Random(7);
        var data = new byte[10_007];
        rnd.NextBytes(data);
        ulong whole = Crc64.Compute(data);
        ulong pieces = 0;
        for (int p = 0; p < data.Length;)
        {
            int n = Math.Min(rnd.Next(1, 40), data.Length - p);
            pieces = Crc64.Update(pieces, data.AsSpan(p, n));
            p += n;
        }
        Assert.Equal(whole, pieces);
        Assert.Equal(BitwiseReference(data), whole);
    }

    /// <summary>The definition, one bit at a time: reflected input, reversed polynomial.</summary>
    private static ulong BitwiseReference(ReadOnlySpan<byte> data)
    {
        ulong crc = 0;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int i = 0; i < 8; i++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x95ac9329ac4bc9b5UL : crc >> 1;
        }
        return crc;
    }
}
