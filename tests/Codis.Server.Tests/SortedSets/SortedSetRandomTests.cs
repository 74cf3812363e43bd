using System.Globalization;
using System.Text;
using Codis.Server.Tests.Infrastructure;

namespace Codis.Server.Tests.SortedSets;

/// <summary>
/// A seeded random sequence of sorted set commands applied to codis-server and redis-server 7.0; every reply must
/// match. The member pool crosses the listpack → skiplist threshold and scores repeat, so ties, ranks, ranges and
/// removals all get exercised. Lex commands run on a key whose scores are all equal (Redis defines them only there).
/// </summary>
public class SortedSetRandomTests(PeerFixture peers) : IClassFixture<PeerFixture>
{
    private static readonly string[] Scores = ["0", "1", "-1", "2.5", "-2.5", "3", "10", "100", "0.1", "1e10", "-1e-3", "+inf", "-inf", "7", "42"];

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void RandomOperations_SameRepliesAsRedis(int seed)
    {
        var rnd = new Random(seed);
        var script = new StringBuilder("flushdb\n");
        string M() => "m" + rnd.Next(300).ToString("D3", CultureInfo.InvariantCulture);
        string S() => Scores[rnd.Next(Scores.Length)];
        string Bound() => rnd.Next(4) switch { 0 => "-inf", 1 => "+inf", 2 => "(" + S().TrimStart('+'), _ => S() };
        string Rank() => (rnd.Next(400) - 200).ToString(CultureInfo.InvariantCulture);
        string Lex() => rnd.Next(6) switch { 0 => "-", 1 => "+", 2 => "(" + M(), _ => "[" + M() };
        for (int i = 0; i < 2500; i++)
        {
            string key = rnd.Next(3) == 0 ? "zb" : "za";
            string line = rnd.Next(24) switch
            {
                0 or 1 or 2 or 3 => $"zadd {key} {S()} {M()} {S()} {M()} {S()} {M()}",
                4 => $"zadd {key} {new[] { "nx", "xx", "gt", "lt", "ch", "gt ch", "xx ch", "nx ch" }[rnd.Next(8)]} {S()} {M()} {S()} {M()}",
                5 => $"zadd {key} incr {S()} {M()}",
                6 => $"zincrby {key} {S()} {M()}",
                7 => $"zrem {key} {M()} {M()}",
                8 => $"zrange {key} {Rank()} {Rank()}" + (rnd.Next(2) == 0 ? " withscores" : "") + (rnd.Next(3) == 0 ? " rev" : ""),
                9 => $"zrange {key} {Bound()} {Bound()} byscore" + (rnd.Next(2) == 0 ? " rev" : "") + (rnd.Next(2) == 0 ? $" limit {rnd.Next(-1, 20)} {rnd.Next(-1, 20)}" : "") + (rnd.Next(2) == 0 ? " withscores" : ""),
                10 => $"zrangebyscore {key} {Bound()} {Bound()} withscores",
                11 => $"zrevrangebyscore {key} {Bound()} {Bound()} limit {rnd.Next(5)} {rnd.Next(10)}",
                12 => $"zrank {key} {M()}",
                13 => $"zrevrank {key} {M()}",
                14 => $"zcount {key} {Bound()} {Bound()}",
                15 => $"zscore {key} {M()}",
                16 => $"zmscore {key} {M()} {M()}",
                17 => rnd.Next(4) == 0 ? $"zremrangebyrank {key} {Rank()} {Rank()}" : $"zcard {key}",
                18 => rnd.Next(4) == 0 ? $"zremrangebyscore {key} {Bound()} {Bound()}" : $"object encoding {key}",
                19 => $"zpop{(rnd.Next(2) == 0 ? "min" : "max")} {key} {rnd.Next(4)}",
                20 => $"zadd zl 0 {M()} 0 {M()} 0 {M()}",
                21 => rnd.Next(3) switch
                {
                    0 => $"zrangebylex zl {Lex()} {Lex()}" + (rnd.Next(2) == 0 ? $" limit {rnd.Next(5)} {rnd.Next(-1, 10)}" : ""),
                    1 => $"zrevrangebylex zl {Lex()} {Lex()}",
                    _ => $"zlexcount zl {Lex()} {Lex()}",
                },
                22 => rnd.Next(5) == 0 ? $"zremrangebylex zl {Lex()} {Lex()}" : $"zrange zl {Rank()} {Rank()}",
                _ => rnd.Next(3) switch
                {
                    0 => $"zrangestore zc {key} {Rank()} {Rank()}",
                    1 => $"zunionstore zu 2 za zb weights {rnd.Next(3)} 1 aggregate {new[] { "sum", "min", "max" }[rnd.Next(3)]}",
                    _ => $"zinter 2 za zb withscores",
                },
            };
            script.Append(line).Append('\n');
            if (i % 50 == 0) script.Append("zrange za 0 -1 withscores\nzrange zb 0 -1 withscores\nzrange zu 0 -1 withscores\nzrange zc 0 -1 withscores\n");
        }
        script.Append("zrange za 0 -1 withscores\nzrange zb 0 -1 withscores\nzrange zl 0 -1\nobject encoding za\nobject encoding zb\n");
        peers.AssertSame(script.ToString());
    }
}
