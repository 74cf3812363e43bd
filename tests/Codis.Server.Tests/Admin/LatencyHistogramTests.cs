using System.Text.RegularExpressions;
using Codis.Core.Resp;
using Codis.Server.Introspection;
using Codis.Server.Tests.Infrastructure;

namespace Codis.Server.Tests.Admin;

/// <summary>
/// Per-command latency histograms (LATENCY HISTOGRAM, INFO latencystats, latency-tracking*) and commandstats of
/// subcommands ("cmdstat_config|get"), next to redis-server 7.0. Tests of this class share both servers and run
/// one at a time; each starts from CONFIG RESETSTAT.
/// </summary>
public class LatencyHistogramTests(AdminFixture fx) : IClassFixture<AdminFixture>
{
    private static readonly long[] RedisBucketMicros = [1, 2, 4, 8, 16, 33, 66, 132, 264, 528, 1056, 2113, 4227, 8454, 16908, 33816, 67633, 135266, 270532, 541065, 1073741];

    private (RespClient Ours, RespClient Theirs) Fresh()
    {
        var ours = fx.Client();
        var theirs = fx.Redis.Client();
        foreach (var c in new[] { ours, theirs })
        {
            c.Call("CONFIG", "SET", "latency-tracking", "yes", "latency-tracking-info-percentiles", "50 99 99.9").AssertOk();
            c.Call("CONFIG", "RESETSTAT").AssertOk();
        }
        return (ours, theirs);
    }

    private static Dictionary<string, (long Calls, List<(long Micros, long Count)> Buckets)> Histograms(RespValue reply)
    {
        var result = new Dictionary<string, (long, List<(long, long)>)>();
        var items = reply.Items!;
        for (int i = 0; i < items.Length; i += 2)
        {
            var body = items[i + 1].Items!;
            Assert.Equal("calls", body[0].Text);
            Assert.Equal("histogram_usec", body[2].Text);
            var flat = body[3].Items!;
            var buckets = new List<(long, long)>();
            for (int j = 0; j < flat.Length; j += 2) buckets.Add((flat[j].Integer, flat[j + 1].Integer));
            result[items[i].Text!] = (body[1].Integer, buckets);
        }
        return result;
    }

    [Fact]
    public void Histogram_CallsAndCumulativePowerOfTwoBuckets_AsRedis()
    {
        var (ours, theirs) = Fresh();
        using (ours)
        using (theirs)
        {
            foreach (var c in new[] { ours, theirs })
            {
                for (int i = 0; i < 5; i++) c.Call("PING");
                c.Call("SET", "lh:k", "v").AssertOk();
                c.Call("DEBUG", "SLEEP", "0.02").AssertOk();
                c.Call("CONFIG", "GET", "maxmemory");
            }
            string[] command = ["LATENCY", "HISTOGRAM", "ping", "SET", "debug", "config|get", "nosuch", "get"];
            var mine = Histograms(ours.Call(command));
            var redis = Histograms(theirs.Call(command));
            Assert.Equal(redis.Keys, mine.Keys);
            Assert.Equal(["ping", "set", "debug", "config|get"], mine.Keys);
            foreach (var (name, (calls, buckets)) in mine)
            {
                Assert.Equal(redis[name].Calls, calls);
                Assert.Equal(calls, buckets[^1].Count); // cumulative: the last bucket holds every call
                Assert.All(buckets, b => Assert.Contains(b.Micros, RedisBucketMicros));
                for (int i = 1; i < buckets.Count; i++)
                {
                    Assert.True(buckets[i].Micros > buckets[i - 1].Micros);
                    Assert.True(buckets[i].Count > buckets[i - 1].Count);
                }
            }
            Assert.Equal(5, mine["ping"].Calls);
            Assert.True(mine["debug"].Buckets[^1].Micros >= 20_000);

            // A container stands for its subcommands; without names every command called is listed.
            Assert.Equal(Histograms(theirs.Call("LATENCY", "HISTOGRAM", "config")).Keys.Order(),
                Histograms(ours.Call("LATENCY", "HISTOGRAM", "config")).Keys.Order());
            Assert.Equal(Histograms(theirs.Call("LATENCY", "HISTOGRAM")).Keys.Order(),
                Histograms(ours.Call("LATENCY", "HISTOGRAM")).Keys.Order());
        }
    }

    [Fact]
    public void CommandStats_CountSubcommandsAsRedis()
    {
        var (ours, theirs) = Fresh();
        using (ours)
        using (theirs)
        {
            string script = """
                CONFIG GET maxmemory
                CONFIG
                CONFIG FOO
                CONFIG GET
                CLIENT GETNAME
                CLIENT SETNAME
                SLOWLOG HELP
                MULTI
                CONFIG NOSUCH
                EXEC
                """;
            fx.AssertSame(script);
            // Timings differ; the rows and their counters must not.
            static Dictionary<string, string> Rows(RespClient c) =>
                AdminFixture.ParseInfo(c.Call("INFO", "commandstats").Text!)["Commandstats"]
                    .ToDictionary(r => r.Key, r => Regex.Replace(r.Value, @"usec=\d+,usec_per_call=[\d.]+,", ""));
            var mine = Rows(ours);
            var redis = Rows(theirs);
            // AssertSame used clients of its own: both sides ran the same commands.
            Assert.Equal(redis.OrderBy(r => r.Key), mine.OrderBy(r => r.Key));
            Assert.Equal("calls=0,rejected_calls=1,failed_calls=0", mine["cmdstat_config"]);
            Assert.Equal("calls=1,rejected_calls=1,failed_calls=0", mine["cmdstat_config|get"]);
            Assert.DoesNotContain("cmdstat_client", mine.Keys);
        }
    }

    [Fact]
    public void InfoLatencystats_ConfiguredPercentiles_AsRedis()
    {
        var (ours, theirs) = Fresh();
        using (ours)
        using (theirs)
        {
            foreach (var c in new[] { ours, theirs })
            {
                c.Call("CONFIG", "SET", "latency-tracking-info-percentiles", "0 1e1 99.99999999 0x10").AssertOk();
                c.Call("PING");
                c.Call("CLIENT", "ID");
            }
            var line = new Regex(@"^p0=\d+\.\d{3},p10=\d+\.\d{3},p100=\d+\.\d{3},p16=\d+\.\d{3}$");
            foreach (var c in new[] { ours, theirs })
            {
                var stats = AdminFixture.ParseInfo(c.Call("INFO", "latencystats").Text!)["Latencystats"];
                Assert.Matches(line, stats["latency_percentiles_usec_ping"]);
                Assert.Matches(line, stats["latency_percentiles_usec_client|id"]);
            }
            foreach (var c in new[] { ours, theirs })
                c.Call("CONFIG", "SET", "latency-tracking-info-percentiles", "").AssertOk();
            Assert.Equal(theirs.Call("INFO", "latencystats").Text!.Split("\r\n").First(l => l.StartsWith("latency_percentiles_usec_ping", StringComparison.Ordinal)),
                ours.Call("INFO", "latencystats").Text!.Split("\r\n").First(l => l.StartsWith("latency_percentiles_usec_ping", StringComparison.Ordinal)));
        }
    }

    [Fact]
    public void TrackingOff_InfoSectionEmpty_HistogramsStopGrowing()
    {
        var (ours, theirs) = Fresh();
        using (ours)
        using (theirs)
        {
            foreach (var c in new[] { ours, theirs })
            {
                c.Call("PING");
                c.Call("CONFIG", "SET", "latency-tracking", "no").AssertOk();
                c.Call("PING");
            }
            Assert.Equal(theirs.Call("INFO", "latencystats").Text, ours.Call("INFO", "latencystats").Text);
            Assert.Equal(1, Histograms(ours.Call("LATENCY", "HISTOGRAM", "ping"))["ping"].Calls);
            Assert.Equal(1, Histograms(theirs.Call("LATENCY", "HISTOGRAM", "ping"))["ping"].Calls);
            foreach (var c in new[] { ours, theirs }) c.Call("CONFIG", "SET", "latency-tracking", "yes").AssertOk();
        }
    }

    [Fact]
    public async Task BlockedCommand_CountsWhenServed_NotWhenItTimesOut()
    {
        var (ours, theirs) = Fresh();
        using (ours)
        using (theirs)
        {
            foreach (var c in new[] { ours, theirs })
            {
                Assert.True(c.Call("BLPOP", "lh:none", "0.05").IsNull);
                Assert.Empty(c.Call("LATENCY", "HISTOGRAM", "blpop").Items!);
            }
            foreach (var (c, server) in new[] { (ours, fx.Codis.Client()), (theirs, fx.Redis.Client()) })
            {
                using (server)
                {
                    var waiting = Task.Run(() => c.Call("BLPOP", "lh:list", "5"));
                    while (server.Call("INFO", "clients").Text!.Contains("blocked_clients:0", StringComparison.Ordinal)) Thread.Sleep(10);
                    server.Call("RPUSH", "lh:list", "v").AssertInt();
                    Assert.Equal("v", (await waiting).Items![1].Text);
                }
                var blpop = Histograms(c.Call("LATENCY", "HISTOGRAM", "blpop"))["blpop"];
                Assert.Equal(1, blpop.Calls);
                Assert.Single(blpop.Buckets);
            }
        }
    }

    [Fact]
    public void TrackingConfigs_ErrorsAndCanonicalForm_AsRedis()
    {
        fx.AssertSame("""
            CONFIG GET latency-tracking
            CONFIG GET latency-tracking-info-percentiles
            CONFIG SET latency-tracking maybe
            CONFIG SET latency-tracking-info-percentiles 101
            CONFIG SET latency-tracking-info-percentiles -1
            CONFIG SET latency-tracking-info-percentiles abc
            CONFIG SET latency-tracking-info-percentiles "50 nan"
            CONFIG SET latency-tracking-info-percentiles "50 inf"
            CONFIG SET latency-tracking-info-percentiles 1e400
            CONFIG SET latency-tracking-info-percentiles 1e-400
            CONFIG SET latency-tracking-info-percentiles "5 "
            CONFIG SET latency-tracking-info-percentiles "+50 50. .5 -0 0x1p3 50"
            CONFIG GET latency-tracking-info-percentiles
            CONFIG SET latency-tracking-info-percentiles "50  99"
            CONFIG SET latency-tracking-info-percentiles " 50"
            CONFIG SET latency-tracking-info-percentiles "1e2 50.50000 0 0x10"
            CONFIG GET latency-tracking-info-percentiles
            CONFIG SET latency-tracking-info-percentiles 00000000.0000001
            CONFIG GET latency-tracking-info-percentiles
            CONFIG SET latency-tracking-info-percentiles ""
            CONFIG GET latency-tracking-info-percentiles
            CONFIG SET latency-tracking-info-percentiles "50 99 99.9"
            CONFIG GET latency-tracking-info-percentiles
            """);
    }

    /// <summary>Bucket bounds and percentiles redis-server reported for these timings.</summary>
    [Fact]
    public void Buckets_AndPercentiles_HaveRedisValues()
    {
        var h = new LatencyHistogram();
        h.RecordMicros(100_000);
        h.RecordMicros(300_000);
        h.RecordMicros(250_000);
        Assert.Equal([(135266L, 1L), (270532L, 2L), (541065L, 3L)], h.PowerOfTwoBuckets());
        var slow = new LatencyHistogram();
        slow.RecordMicros(1_500_000); // beyond the 1 s the histogram tracks: counted as 1 s
        Assert.Equal([(1073741L, 1L)], slow.PowerOfTwoBuckets());
        Assert.Equal(1_002_438_655, slow.ValueAt(50));

        var one = new LatencyHistogram();
        one.RecordMicros(10);
        Assert.Equal(10_047, one.ValueAt(50));
        Assert.Equal(10_047, one.ValueAt(1)); // rank is at least the first call
        Assert.Equal(9_984, one.ValueAt(0)); // p0: the bucket's bottom
        var zero = new LatencyHistogram();
        zero.RecordMicros(0);
        Assert.Equal(1, zero.ValueAt(50)); // 0.001 µs, as Redis shows sub-microsecond calls
        Assert.Equal([(1L, 1L)], zero.PowerOfTwoBuckets());
    }
}
