using System.Text;
using Codis.Core.Resp;
using Codis.Server.Tests.Infrastructure;

namespace Codis.Server.Tests.HyperLogLog;

/// <summary>
/// PFADD PFCOUNT PFMERGE PFDEBUG against Debian's redis-server 7.0: the same elements give the same HLL string,
/// byte for byte (sparse and dense encodings, the promotion between them, the cached cardinality), the same
/// counts and the same errors.
/// </summary>
public class HyperLogLogOracleTests(PeerFixture peers) : IClassFixture<PeerFixture>
{
    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    /// <summary>PFADDs <paramref name="count"/> elements "prefix-N", <paramref name="perCommand"/> per command, pipelined.</summary>
    private static void Add(RespClient c, string key, string prefix, int count, int perCommand)
    {
        int sent = 0;
        for (int i = 0; i < count; i += perCommand)
        {
            var args = new List<byte[]> { B("PFADD"), B(key) };
            for (int j = i; j < Math.Min(count, i + perCommand); j++) args.Add(B($"{prefix}-{j}"));
            c.Send(args);
            if (++sent % 500 == 0) Drain(c, ref sent);
        }
        Drain(c, ref sent);
    }

    private static void Drain(RespClient c, ref int sent)
    {
        c.Flush();
        for (; sent > 0; sent--)
        {
            var r = c.Read();
            Assert.False(r.IsError, r.ToString());
        }
    }

    private static string Hex(RespClient c, string key) => Convert.ToHexStringLower(c.Call("GET", key).Bytes!);

    [Theory]
    [InlineData("hll:10", 10, 1, "sparse")]
    [InlineData("hll:1000", 1000, 7, "sparse")]
    [InlineData("hll:3000", 3000, 1, "dense")] // promoted past hll-sparse-max-bytes one element at a time
    [InlineData("hll:100000", 100_000, 100, "dense")]
    public void Pfadd_GivesTheSameBytesAndCountsAsRedis(string key, int count, int perCommand, string encoding)
    {
        using var ours = peers.Codis.Client();
        using var redis = peers.Redis.Client();
        foreach (var c in new[] { ours, redis })
        {
            c.Call("DEL", key);
            Add(c, key, key, count, perCommand);
        }
        Assert.Equal(Hex(redis, key), Hex(ours, key));
        Assert.Equal(encoding, ours.Call("PFDEBUG", "ENCODING", key).Text);
        long expected = redis.Call("PFCOUNT", key).AssertInt();
        Assert.Equal(expected, ours.Call("PFCOUNT", key).AssertInt());
        // PFCOUNT cached the cardinality in the header: the bytes still agree, and the cache answers next time.
        Assert.Equal(Hex(redis, key), Hex(ours, key));
        Assert.Equal(expected, ours.Call("PFCOUNT", key).AssertInt());
        // Redis's error bounds (standard error 0.81%): well within 3% at every size.
        Assert.InRange(expected, count * 0.97, count * 1.03);
        // Adding what is already there changes nothing, on both.
        Assert.Equal(redis.Call("PFADD", key, $"{key}-0").AssertInt(), ours.Call("PFADD", key, $"{key}-0").AssertInt());
        Assert.Equal(Hex(redis, key), Hex(ours, key));
    }

    [Fact]
    public void SparseMaxBytes_IsAConfigSettingThatDecidesThePromotion()
    {
        using var ours = peers.Codis.Client();
        using var redis = peers.Redis.Client();
        Assert.Equal(new string?[] { "hll-sparse-max-bytes", "3000" }, ours.Call("CONFIG", "GET", "hll-sparse-max-bytes").Strings());
        try
        {
            foreach (var c in new[] { ours, redis })
            {
                c.Call("CONFIG", "SET", "hll-sparse-max-bytes", "200").AssertOk();
                c.Call("DEL", "hll:small");
                Add(c, "hll:small", "s", 120, 3);
            }
            Assert.Equal(new string?[] { "hll-sparse-max-bytes", "200" }, ours.Call("CONFIG", "GET", "hll-sparse-max-bytes").Strings());
            Assert.Equal("dense", ours.Call("PFDEBUG", "ENCODING", "hll:small").Text);
            Assert.Equal(Hex(redis, "hll:small"), Hex(ours, "hll:small"));
            Assert.Equal(redis.Call("PFCOUNT", "hll:small").AssertInt(), ours.Call("PFCOUNT", "hll:small").AssertInt());
        }
        finally
        {
            ours.Call("CONFIG", "SET", "hll-sparse-max-bytes", "3000");
            redis.Call("CONFIG", "SET", "hll-sparse-max-bytes", "3000");
        }
    }

    [Fact]
    public void Pfmerge_OfSparseAndDense_AndPfcountOfManyKeys_AsRedis()
    {
        using var ours = peers.Codis.Client();
        using var redis = peers.Redis.Client();
        foreach (var c in new[] { ours, redis })
        {
            c.Call("DEL", "m:sparse", "m:sparse2", "m:dense", "m:into-sparse", "m:into-dense", "m:existing");
            Add(c, "m:sparse", "x", 300, 10);
            Add(c, "m:sparse2", "y", 200, 10);
            Add(c, "m:dense", "z", 20_000, 100);
            Add(c, "m:existing", "x", 50, 10);
        }
        var script = """
            pfmerge m:into-sparse m:sparse m:sparse2 m:nokey
            pfdebug encoding m:into-sparse
            get m:into-sparse
            pfcount m:into-sparse
            get m:into-sparse
            pfmerge m:into-dense m:sparse m:dense
            pfdebug encoding m:into-dense
            get m:into-dense
            pfcount m:into-dense
            pfmerge m:existing m:sparse2
            get m:existing
            pfcount m:existing
            pfmerge m:existing m:dense
            get m:existing
            pfcount m:sparse m:sparse2
            pfcount m:sparse m:dense m:nokey
            pfcount m:nokey m:nokey2
            get m:sparse
            get m:dense
            pfmerge m:only-dest
            get m:only-dest
            pfcount m:only-dest
            """;
        peers.AssertSame(script);
    }

    [Fact]
    public void Errors_AndCorruptedValues_AsRedis() => peers.AssertSame("""
        del e:str e:list e:hash e:short e:magic e:enc e:denselen e:toomany e:toofew e:cached
        set e:str hello
        rpush e:list a
        hset e:hash f v
        pfadd
        pfcount
        pfmerge
        pfadd e:str x
        pfcount e:str
        pfcount e:str e:nokey
        pfmerge e:str
        pfmerge e:nokey e:str
        pfadd e:list x
        pfcount e:list
        pfcount e:nokey e:hash
        pfmerge e:hash e:nokey
        pfmerge e:nokey e:list
        pfdebug encoding e:list
        set e:short HYLL
        pfadd e:short a
        set e:magic hex:48594c580100000000000000000000007fff
        pfcount e:magic
        set e:enc hex:48594c4c0200000000000000000000007fff
        pfadd e:enc a
        set e:denselen hex:48594c4c0000000000000000000000000000
        pfcount e:denselen
        # sparse opcodes covering 16385 registers: PFADD edits the run it finds, counting sees the corruption
        set e:toomany hex:48594c4c0100000000000000000000807fff80
        pfadd e:toomany a b c
        pfcount e:toomany
        pfcount e:toomany e:nokey
        pfmerge e:dest e:toomany
        pfdebug getreg e:toomany
        pfdebug todense e:toomany
        # covering 100 registers only: the element's register is not found
        set e:toofew hex:48594c4c0100000000000000000000804063
        pfadd e:toofew a b c d e f g h
        pfcount e:toofew
        pfmerge e:toofew2 e:toofew
        # a valid cache is answered as it is, as Redis does
        set e:cached hex:48594c4c0100000039300000000000007fff
        pfcount e:cached
        pfdebug decode e:cached
        pfdebug nosuch e:cached
        pfdebug decode e:nokey
        pfdebug encoding
        """);

    [Fact]
    public void Pfdebug_AsRedis()
    {
        using var ours = peers.Codis.Client();
        using var redis = peers.Redis.Client();
        foreach (var c in new[] { ours, redis })
        {
            c.Call("DEL", "d:a", "d:b");
            Add(c, "d:a", "d", 40, 4);
            Add(c, "d:b", "d", 40, 4);
        }
        peers.AssertSame("""
            pfdebug decode d:a
            pfdebug encoding d:a
            pfdebug todense d:a
            pfdebug todense d:a
            pfdebug encoding d:a
            get d:a
            pfdebug decode d:a
            pfdebug getreg d:b
            pfdebug encoding d:b
            get d:b
            """);
        Assert.Equal("OK", ours.Call("PFSELFTEST").Text);
    }

    [Fact]
    public void DumpFromRedis_RestoresIntoOurs_AndKeepsWorking()
    {
        using var ours = peers.Codis.Client();
        using var redis = peers.Redis.Client();
        foreach (var (key, count) in new[] { ("r:sparse", 500), ("r:dense", 30_000) })
        {
            redis.Call("DEL", key);
            ours.Call("DEL", key);
            Add(redis, key, key, count, 50);
            var payload = redis.Call(B("DUMP"), B(key)).Bytes!;
            ours.Call(B("RESTORE"), B(key), B("0"), payload).AssertOk();
            Assert.Equal(redis.Call("PFCOUNT", key).AssertInt(), ours.Call("PFCOUNT", key).AssertInt());
            // Keep adding on both: still the same bytes.
            Add(redis, key, key + "-more", 200, 20);
            Add(ours, key, key + "-more", 200, 20);
            Assert.Equal(Hex(redis, key), Hex(ours, key));
            Assert.Equal(redis.Call("PFCOUNT", key).AssertInt(), ours.Call("PFCOUNT", key).AssertInt());
            // And back: our DUMP restores into redis-server as the same value.
            var back = ours.Call(B("DUMP"), B(key)).Bytes!;
            redis.Call(B("RESTORE"), B(key + ":back"), B("0"), back, B("REPLACE")).AssertOk();
            Assert.Equal(Hex(ours, key), Hex(redis, key + ":back"));
        }
    }
}
