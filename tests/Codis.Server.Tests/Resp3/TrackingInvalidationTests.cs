using System.Text;
using Codis.Server.Tests.Infrastructure;
using Codis.Server.Tests.Slots;

namespace Codis.Server.Tests.Resp3;

/// <summary>
/// Invalidations that have no redis-server counterpart to compare with (Codis slots) or depend on time and memory:
/// expiry, eviction, SLOTSDEL, a slot migrated away, and tracking-table-max-keys.
/// </summary>
public class TrackingInvalidationTests(PairFixture fx) : IClassFixture<PairFixture>
{
    private static string Invalidation(string key) => $">2\r\n$10\r\ninvalidate\r\n*1\r\n${key.Length}\r\n{key}\r\n";

    private Resp3Connection Tracking(int db)
    {
        var c = new Resp3Connection(fx.Source.Port);
        if (db != 0) c.Call("SELECT", db.ToString());
        Assert.Equal("+OK\r\n", Encoding.UTF8.GetString(c.Call("CLIENT", "TRACKING", "ON")));
        return c;
    }

    private static string Next(Resp3Connection c) => c.TryReadFrame(5000) is { } f ? Encoding.UTF8.GetString(f) : "(nothing)";

    [Fact]
    public void Expiry_Invalidates()
    {
        using var c = Tracking(5);
        using var w = fx.SourceClient(5);
        w.Call("SET", "trk:exp", "v", "PX", "50").AssertOk();
        c.Call("GET", "trk:exp");
        Assert.Equal(Invalidation("trk:exp"), Next(c)); // active expiry deletes it within its cycle
    }

    [Fact]
    public void Eviction_Invalidates()
    {
        using var c = Tracking(6);
        using var w = fx.SourceClient(6);
        w.Call("SET", "trk:evict", new string('x', 1000)).AssertOk();
        c.Call("GET", "trk:evict");
        try
        {
            w.Call("CONFIG", "SET", "maxmemory-policy", "allkeys-random").AssertOk();
            w.Call("CONFIG", "SET", "maxmemory", "1").AssertOk();
            w.Call("SET", "trk:other", "x"); // over maxmemory: every key goes
            Assert.Equal(Invalidation("trk:evict"), Next(c));
        }
        finally
        {
            w.Call("CONFIG", "SET", "maxmemory", "0").AssertOk();
            w.Call("CONFIG", "SET", "maxmemory-policy", "noeviction").AssertOk();
        }
    }

    [Fact]
    public void SlotsDel_Invalidates()
    {
        using var c = Tracking(7);
        using var w = fx.SourceClient(7);
        w.Call("SET", "trk:slotsdel", "v").AssertOk();
        c.Call("GET", "trk:slotsdel");
        long slot = w.Call("SLOTSHASHKEY", "trk:slotsdel").Items![0].Integer;
        w.Call("SLOTSDEL", slot.ToString());
        Assert.Equal(Invalidation("trk:slotsdel"), Next(c));
    }

    [Fact]
    public void SlotMigratedAway_Invalidates()
    {
        using var c = Tracking(8);
        using var w = fx.SourceClient(8);
        w.Call("SET", "trk:moved", "v").AssertOk();
        c.Call("GET", "trk:moved");
        long slot = w.Call("SLOTSHASHKEY", "trk:moved").Items![0].Integer;
        w.Call("SLOTSMGRTSLOT", "127.0.0.1", fx.Target.Port.ToString(), "5000", slot.ToString());
        Assert.Equal(Invalidation("trk:moved"), Next(c));
    }

    [Fact]
    public void TableMaxKeys_DropsTheOldestAndInvalidatesThem()
    {
        using var w = fx.SourceClient(9);
        w.Call("FLUSHALL").AssertOk(); // an empty table: the limit counts only this test's keys
        using var c = Tracking(9);
        w.Call("CONFIG", "SET", "tracking-table-max-keys", "2").AssertOk();
        try
        {
            c.Call("GET", "trk:max:1");
            c.Call("GET", "trk:max:2");
            Assert.Null(c.TryReadFrame(200));
            c.Call("GET", "trk:max:3");
            Assert.Equal(Invalidation("trk:max:1"), Next(c));
            Assert.Contains("tracking_total_keys:2\r\n", w.Call("INFO", "stats").Text);
        }
        finally
        {
            w.Call("CONFIG", "SET", "tracking-table-max-keys", "1000000").AssertOk();
        }
    }
}
