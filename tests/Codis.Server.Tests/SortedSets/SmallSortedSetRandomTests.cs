using System.Globalization;
using System.Text;
using Codis.Core.Resp;
using Codis.Server.Tests.Infrastructure;

namespace Codis.Server.Tests.SortedSets;

/// <summary>
/// A seeded random sequence of sorted set commands on many small sorted sets, on codis-server and redis-server 7.0;
/// every reply must match (DUMP payloads included, so the packed listpack form writes Redis's bytes). The limits are
/// set low so keys cross zset-max-listpack-entries / -value both ways (ZADD, ZINCRBY, the *STORE commands, RESTORE);
/// scores cross the packed form's 1-, 2-, 4- and 8-byte encodings, members the one-byte length and back-length
/// boundaries.
/// </summary>
public class SmallSortedSetRandomTests(PeerFixture peers) : IClassFixture<PeerFixture>
{
    private static readonly string[] Scores =
    [
        "0", "-0", "1", "2", "239", "240", "-1", "-2", "255", "32767", "32768", "-32768", "-32769", "2147483647",
        "2147483648", "-2147483649", "1.5", "-2.25", "0.1", "1e15", "9007199254740993", "1e300", "-1e-300", "+inf", "-inf",
    ];

    [Theory]
    [InlineData(1, 6, 12)]
    [InlineData(2, 20, 300)]
    [InlineData(3, 128, 64)]
    [InlineData(4, 1, 5)]
    public void RandomOperations_SameRepliesAsRedis(int seed, int maxEntries, int maxValue)
    {
        var rnd = new Random(seed);
        string N(long v) => v.ToString(CultureInfo.InvariantCulture);
        string M()
        {
            int r = rnd.Next(100);
            if (r < 80) return "m" + N(rnd.Next(maxEntries + 4));
            if (r < 92) return new string((char)('a' + rnd.Next(3)), maxValue + rnd.Next(-1, 2)); // around the value limit
            return new string((char)('p' + rnd.Next(3)), rnd.Next(120, 300));                        // one-byte length / back length
        }
        string S() => Scores[rnd.Next(Scores.Length)];
        string Bound() => rnd.Next(4) switch { 0 => "-inf", 1 => "+inf", 2 => "(" + S().TrimStart('+'), _ => S() };
        string Rank() => N(rnd.Next(-maxEntries - 3, maxEntries + 3));
        string Lex() => rnd.Next(5) switch { 0 => "-", 1 => "+", 2 => "(" + M(), _ => "[" + M() };
        string K() => "z" + N(rnd.Next(6));
        var script = new StringBuilder($"flushdb\nconfig set zset-max-listpack-entries {maxEntries}\nconfig set zset-max-listpack-value {maxValue}\n");
        for (int i = 0; i < 1500; i++)
        {
            string key = K();
            string line = rnd.Next(26) switch
            {
                0 or 1 or 2 => $"zadd {key} {S()} {M()}" + (rnd.Next(2) == 0 ? $" {S()} {M()}" : ""),
                3 => $"zadd {key} {new[] { "nx", "xx", "gt", "lt", "ch", "gt ch", "xx ch", "nx ch" }[rnd.Next(8)]} {S()} {M()} {S()} {M()}",
                4 => $"zadd {key} incr {S()} {M()}",
                5 => $"zincrby {key} {S()} {M()}",
                6 => $"zrem {key} {M()} {M()}",
                7 => $"zrange {key} {Rank()} {Rank()}" + (rnd.Next(2) == 0 ? " withscores" : "") + (rnd.Next(3) == 0 ? " rev" : ""),
                8 => $"zrange {key} {Bound()} {Bound()} byscore" + (rnd.Next(2) == 0 ? " rev" : "") + (rnd.Next(2) == 0 ? $" limit {rnd.Next(-1, 5)} {rnd.Next(-1, 5)}" : "") + " withscores",
                9 => $"zrevrangebyscore {key} {Bound()} {Bound()} withscores",
                10 => $"zrank {key} {M()}",
                11 => $"zrevrank {key} {M()}",
                12 => $"zcount {key} {Bound()} {Bound()}",
                13 => $"zmscore {key} {M()} {M()} {M()}",
                14 => rnd.Next(3) == 0 ? $"zremrangebyrank {key} {Rank()} {Rank()}" : $"zcard {key}",
                15 => rnd.Next(3) == 0 ? $"zremrangebyscore {key} {Bound()} {Bound()}" : $"object encoding {key}",
                16 => $"zpop{(rnd.Next(2) == 0 ? "min" : "max")} {key}" + (rnd.Next(2) == 0 ? $" {rnd.Next(4)}" : ""),
                17 => $"zadd zl 0 {M()} 0 {M()}",
                18 => rnd.Next(4) switch
                {
                    0 => $"zrangebylex zl {Lex()} {Lex()}" + (rnd.Next(2) == 0 ? $" limit {rnd.Next(4)} {rnd.Next(-1, 6)}" : ""),
                    1 => $"zrevrangebylex zl {Lex()} {Lex()}",
                    2 => $"zremrangebylex zl {Lex()} {Lex()}",
                    _ => $"zlexcount zl {Lex()} {Lex()}",
                },
                19 => $"zrangestore {K()} {key} {Rank()} {Rank()}",
                20 => $"zunionstore {K()} 2 {key} {K()} weights {rnd.Next(3)} 1 aggregate {new[] { "sum", "min", "max" }[rnd.Next(3)]}",
                21 => rnd.Next(2) == 0 ? $"zinterstore {K()} 2 {key} {K()}" : $"zdiffstore {K()} 2 {key} {K()}",
                22 => $"dump {key}",
                23 => $"zmpop 2 {key} {K()} {(rnd.Next(2) == 0 ? "min" : "max")} count {rnd.Next(1, 4)}",
                24 => rnd.Next(2) == 0 ? $"zscore {key} {M()}" : $"zrange {key} 0 -1 withscores",
                _ => rnd.Next(4) == 0 ? $"config set zset-max-listpack-entries {rnd.Next(1, maxEntries + 3)}" : $"object encoding {key}",
            };
            script.Append(line).Append('\n');
            if (i % 60 == 0)
                for (int k = 0; k < 6; k++) script.Append($"zrange z{k} 0 -1 withscores\nobject encoding z{k}\n");
        }
        for (int k = 0; k < 6; k++) script.Append($"zrange z{k} 0 -1 withscores\nobject encoding z{k}\ndump z{k}\n");
        script.Append("zrange zl 0 -1\n");
        peers.AssertSame(script.ToString());

        // Redis's payloads restore into ours with the encoding Redis's loader picks, and dump back the same
        using var redis = peers.Redis.Client();
        using var codis = peers.Codis.Client();
        try
        {
            foreach (var key in new[] { "z0", "z1", "z2", "z3", "z4", "z5", "zl" })
            {
                if (redis.Call("exists", key).Integer == 0) continue;
                var payload = redis.Call("dump", key).Bytes!;
                codis.Call("restore", key + ":r", "0", payload).AssertOk();
                redis.Call("restore", key + ":r", "0", payload).AssertOk();
                Assert.Equal(redis.Call("zrange", key + ":r", "0", "-1", "withscores").Strings(), codis.Call("zrange", key + ":r", "0", "-1", "withscores").Strings());
                Assert.Equal(redis.Call("object", "encoding", key + ":r").Text, codis.Call("object", "encoding", key + ":r").Text);
                Assert.Equal(Convert.ToHexString(redis.Call("dump", key + ":r").Bytes!), Convert.ToHexString(codis.Call("dump", key + ":r").Bytes!));
            }
        }
        finally
        {
            foreach (var c in new[] { redis, codis })
            {
                c.Call("config", "set", "zset-max-listpack-entries", "128");
                c.Call("config", "set", "zset-max-listpack-value", "64");
            }
        }
    }
}
