using Codis.Server.Tests.Infrastructure;

namespace Codis.Server.Tests.Streams;

/// <summary>Streams in the generic key commands and the time-based IDs: checked for their properties.</summary>
public class StreamKeyTests(PeerFixture peers) : IClassFixture<PeerFixture>
{
    [Fact]
    public void Type_Encoding_Scan_Copy_Rename_Expiry_SameAsRedis() => StreamPeers.AssertSame(peers, """
        del ks ks2 ks3 kh
        xadd ks 1-1 f v
        xgroup create ks g 0
        xreadgroup group g c streams ks >
        hset kh f v
        type ks
        object encoding ks
        scan 0 type stream count 1000
        copy ks ks2
        xinfo groups ks2
        xack ks2 g 1-1
        xpending ks g
        xpending ks2 g
        rename ks2 ks3
        xrange ks3 - +
        exists ks2
        pexpire ks3 100000
        ttl ks3
        persist ks3
        ttl ks3
        copy ks kh
        copy ks kh replace
        type kh
        xlen kh
        hget kh f
        """);

    [Fact]
    public void AutoIds_FollowTheClock_AndStayIncreasing()
    {
        using var c = peers.Codis.Client();
        c.Call("DEL", "auto");
        long before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var ids = Enumerable.Range(0, 50).Select(_ => c.Call("XADD", "auto", "*", "f", "v").Text!).ToList();
        long after = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var parsed = ids.Select(id => (Ms: ulong.Parse(id.Split('-')[0]), Seq: ulong.Parse(id.Split('-')[1]))).ToList();
        Assert.All(parsed, p => Assert.InRange((long)p.Ms, before - 5, after + 5));
        for (int i = 1; i < parsed.Count; i++) Assert.True(parsed[i].CompareTo(parsed[i - 1]) > 0, "IDs must increase");
        // A future last ID: "*" continues from it with the next sequence.
        c.Call("XADD", "auto", "99999999999999-5", "f", "v");
        Assert.Equal("99999999999999-6", c.Call("XADD", "auto", "*", "f", "v").Text);
        Assert.Equal("99999999999999-7", c.Call("XADD", "auto", "99999999999999-*", "f", "v").Text);
        c.Call("XADD", "auto", "18446744073709551615-18446744073709551615", "f", "v");
        c.Call("XADD", "auto", "*", "f", "v").AssertError("ERR The stream has exhausted the last possible ID, unable to add more items");
        Assert.Equal(53 + 1, c.Call("XLEN", "auto").AssertInt());
    }

    [Fact]
    public void StackExchangeRedis_StreamRoundTrip()
    {
        using var mux = StackExchange.Redis.ConnectionMultiplexer.Connect($"127.0.0.1:{peers.Codis.Port}");
        var db = mux.GetDatabase();
        db.KeyDelete("se:s");
        var id = db.StreamAdd("se:s", "f", "v");
        Assert.Equal(1, db.StreamLength("se:s"));
        Assert.True(db.StreamCreateConsumerGroup("se:s", "g", StackExchange.Redis.StreamPosition.Beginning));
        var read = db.StreamReadGroup("se:s", "g", "c");
        Assert.Single(read);
        Assert.Equal(id, read[0].Id);
        Assert.Equal(1, db.StreamAcknowledge("se:s", "g", id));
        var info = db.StreamInfo("se:s");
        Assert.Equal(1, info.Length);
        Assert.Equal(1, info.ConsumerGroupCount);
        Assert.Equal(1, db.StreamDelete("se:s", [id]));
    }
}
