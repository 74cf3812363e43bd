using System.Globalization;
using System.Text;
using Codis.Core.Resp;
using Codis.Server.Tests.Infrastructure;

namespace Codis.Server.Tests.Sets;

/// <summary>
/// A seeded random sequence of set commands on small sets, on codis-server and redis-server 7.0; every reply must
/// match. Integers cross the intset's 2-, 4- and 8-byte widths and set-max-intset-entries (set low in some runs);
/// strings cross our packed form's limits (128 members, 64 bytes), which must not show. Contents are compared
/// through SORT ... ALPHA (a hashtable's order is its own); intset payloads must be Redis's bytes, and Redis's
/// payloads restore into ours with Redis's encoding.
/// </summary>
public class SmallSetRandomTests(PeerFixture peers) : IClassFixture<PeerFixture>
{
    private static readonly string[] Ints =
    [
        "0", "1", "-1", "7", "32767", "32768", "-32768", "-32769", "65536", "2147483647", "2147483648", "-2147483648",
        "-2147483649", "9223372036854775807", "-9223372036854775808", "4294967296",
    ];

    private static readonly string[] NotInts = ["007", "+5", "-0", "9223372036854775808", "1.5", "x", "", "1e3"];

    [Theory]
    [InlineData(1, 512)]
    [InlineData(2, 5)]
    [InlineData(3, 1)]
    [InlineData(4, 20)]
    public void RandomOperations_SameRepliesAsRedis(int seed, int maxIntset)
    {
        var rnd = new Random(seed);
        string N(long v) => v.ToString(CultureInfo.InvariantCulture);
        string M()
        {
            int r = rnd.Next(100);
            if (r < 45) return N(rnd.Next(-40, 40));
            if (r < 60) return Ints[rnd.Next(Ints.Length)];
            if (r < 63) return '"' + NotInts[rnd.Next(NotInts.Length)] + '"';
            if (r < 85) return "s" + N(rnd.Next(20));
            if (r < 95) return "t" + N(rnd.Next(300));                                   // grows past 128 members
            return new string((char)('a' + rnd.Next(3)), rnd.Next(62, 67));             // around 64 bytes
        }
        string K() => "s" + N(rnd.Next(5));
        string Ms(int n) => string.Join(' ', Enumerable.Range(0, n).Select(_ => M()));
        var script = new StringBuilder($"flushdb\nconfig set set-max-intset-entries {maxIntset}\n");
        for (int i = 0; i < 1500; i++)
        {
            string key = K();
            string line = rnd.Next(16) switch
            {
                0 or 1 or 2 or 3 => $"sadd {key} {Ms(rnd.Next(1, 4))}",
                4 => $"sadd {key} {string.Join(' ', Enumerable.Range(0, 12).Select(_ => N(rnd.Next(-100000, 100000))))}",
                5 or 6 => $"srem {key} {Ms(rnd.Next(1, 4))}",
                7 => $"sismember {key} {M()}",
                8 => $"smismember {key} {Ms(3)}",
                9 => rnd.Next(2) == 0 ? $"scard {key}" : $"object encoding {key}",
                10 => $"smove {key} {K()} {M()}",
                11 => rnd.Next(3) switch
                {
                    0 => $"sinterstore {K()} {key} {K()}",
                    1 => $"sunionstore {K()} {key} {K()}",
                    _ => $"sdiffstore {K()} {key} {K()}",
                },
                12 => $"sintercard 2 {key} {K()}" + (rnd.Next(2) == 0 ? $" limit {rnd.Next(4)}" : ""),
                13 => $"sort {key} alpha",
                14 => rnd.Next(6) == 0 ? $"config set set-max-intset-entries {rnd.Next(1, maxIntset + 3)}" : $"object encoding {key}",
                _ => $"sort {key} alpha limit 0 5",
            };
            script.Append(line).Append('\n');
            if (i % 60 == 0)
                for (int k = 0; k < 5; k++) script.Append($"sort s{k} alpha\nobject encoding s{k}\nscard s{k}\n");
        }
        for (int k = 0; k < 5; k++) script.Append($"sort s{k} alpha\nobject encoding s{k}\n");
        peers.AssertSame(script.ToString());

        using var redis = peers.Redis.Client();
        using var codis = peers.Codis.Client();
        try
        {
            for (int k = 0; k < 5; k++)
            {
                string key = "s" + N(k);
                if (redis.Call("exists", key).Integer == 0) continue;
                var payload = redis.Call("dump", key).Bytes!;
                if (redis.Call("object", "encoding", key).Text == "intset")
                    Assert.Equal(Convert.ToHexString(payload), Convert.ToHexString(codis.Call("dump", key).Bytes!));
                codis.Call("restore", key + ":r", "0", payload).AssertOk();
                redis.Call("restore", key + ":r", "0", payload).AssertOk();
                Assert.Equal(redis.Call("sort", key + ":r", "alpha").Strings(), codis.Call("sort", key + ":r", "alpha").Strings());
                Assert.Equal(redis.Call("object", "encoding", key + ":r").Text, codis.Call("object", "encoding", key + ":r").Text);
                // and ours restores into Redis
                redis.Call("restore", key + ":o", "0", codis.Call("dump", key).Bytes!).AssertOk();
                Assert.Equal(redis.Call("sort", key, "alpha").Strings(), redis.Call("sort", key + ":o", "alpha").Strings());
            }
        }
        finally
        {
            redis.Call("config", "set", "set-max-intset-entries", "512");
            codis.Call("config", "set", "set-max-intset-entries", "512");
        }
    }
}
