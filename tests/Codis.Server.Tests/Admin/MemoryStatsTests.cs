using Codis.Core.Resp;
using Codis.Server.Tests.Infrastructure;

namespace Codis.Server.Tests.Admin;

/// <summary>MEMORY STATS / DOCTOR / MALLOC-STATS: Redis 7.0's shape (field names, order, reply types), our own figures.</summary>
public class MemoryStatsTests(AdminFixture fx) : IClassFixture<AdminFixture>
{
    /// <summary>The field names (db.N's nested ones after it) with the reply type of each value.</summary>
    private static List<string> Shape(RespValue stats)
    {
        var shape = new List<string>();
        var items = stats.Items!;
        for (int i = 0; i < items.Length; i += 2)
        {
            var value = items[i + 1];
            shape.Add(items[i].Text + ":" + value.Type);
            if (value.Type == RespType.Array) shape.AddRange(Shape(value).Select(s => "  " + s));
        }
        return shape;
    }

    private static Dictionary<string, RespValue> Fields(RespValue stats)
    {
        var items = stats.Items!;
        var d = new Dictionary<string, RespValue>();
        for (int i = 0; i < items.Length; i += 2) d[items[i].Text!] = items[i + 1];
        return d;
    }

    [Fact]
    public void Stats_SameFieldsInSameOrderAsRedis()
    {
        using var ours = fx.Client();
        using var theirs = fx.Redis.Client();
        foreach (var c in new[] { ours, theirs })
        {
            c.Call("FLUSHALL").AssertOk();
            c.Call("SET", "ms:a", "1").AssertOk();
            c.Call("SELECT", "2").AssertOk();
            c.Call("HSET", "ms:h", "f", "v");
            c.Call("SELECT", "0").AssertOk();
        }
        var expected = Shape(theirs.Call("MEMORY", "STATS"));
        var actual = Shape(ours.Call("MEMORY", "STATS"));
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void Stats_FiguresAreOurAccounting()
    {
        using var c = fx.Client();
        c.Call("SELECT", "5").AssertOk();
        c.Call("FLUSHDB").AssertOk();
        for (int i = 0; i < 100; i++) c.Call("SET", "mf:" + i, new string('x', 100));
        var f = Fields(c.Call("MEMORY", "STATS"));
        c.Call("SELECT", "0").AssertOk();
        long total = f["total.allocated"].Integer, overhead = f["overhead.total"].Integer, startup = f["startup.allocated"].Integer;
        Assert.True(total > 0 && f["peak.allocated"].Integer >= total);
        Assert.InRange(overhead, startup, total);
        Assert.Equal(total - overhead, f["dataset.bytes"].Integer);
        long keys = 0;
        foreach (var line in c.Call("INFO", "keyspace").Text!.Split("\r\n").Where(l => l.StartsWith("db", StringComparison.Ordinal)))
            keys += long.Parse(line.Split(',')[0].Split('=')[1]);
        Assert.Equal(keys, f["keys.count"].Integer);
        Assert.Equal((total - startup) / keys, f["keys.bytes-per-key"].Integer);
        Assert.True(f["db.5"].Items![1].Integer > 0, "db.5's table overhead");
        double fragmentation = double.Parse(f["fragmentation"].Text!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(fragmentation > 0);
    }

    [Fact]
    public void DoctorAndMallocStats_DescribeOurHeap()
    {
        using var c = fx.Client();
        var doctor = c.Call("MEMORY", "DOCTOR");
        Assert.Equal(RespType.BulkString, doctor.Type);
        Assert.EndsWith("\n", doctor.Text);
        Assert.Matches("nothing to diagnose|No memory problems|Memory findings", doctor.Text!);
        var stats = c.Call("MEMORY", "MALLOC-STATS");
        Assert.Equal(RespType.BulkString, stats.Type);
        Assert.StartsWith("___ Begin .NET GC heap statistics ___\n", stats.Text);
        Assert.Contains("heap in use (GC.GetTotalMemory): ", stats.Text);
    }

    [Fact]
    public void ArityAndInfo_SameAsRedis()
    {
        using var ours = fx.Client();
        using var theirs = fx.Redis.Client();
        string[][] cases =
        [
            ["MEMORY", "STATS", "x"], ["MEMORY", "DOCTOR", "x"], ["MEMORY", "MALLOC-STATS", "x"], ["MEMORY", "foo"],
            ["MEMORY", "USAGE"], ["MEMORY", "USAGE", "nokey"],
            ["COMMAND", "INFO", "memory|stats", "memory|doctor", "memory|malloc-stats", "memory|usage", "memory|purge", "memory|help"],
        ];
        foreach (var c in cases) Assert.Equal(theirs.Call(c).ToString(), ours.Call(c).ToString());
    }
}
