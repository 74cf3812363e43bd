using System.Globalization;
using System.Text;
using Codis.Server.Tests.Infrastructure;

namespace Codis.Server.Tests.Lists;

/// <summary>
/// A seeded random sequence of list commands on codis-server and redis-server 7.0; every reply must match. Node
/// sizes are set small (a few entries, or 4 KiB) so that lists span many packed nodes, inserts split them and
/// removals empty them; elements cross the 253- and 65,535-byte entry-header sizes.
/// </summary>
public class ListRandomTests(PeerFixture peers) : IClassFixture<PeerFixture>
{
    [Theory]
    [InlineData(1, "4")]
    [InlineData(2, "1")]
    [InlineData(3, "-1")]
    [InlineData(4, "-2")]
    public void RandomOperations_SameRepliesAsRedis(int seed, string nodeSize)
    {
        var rnd = new Random(seed);
        string N(long v) => v.ToString(CultureInfo.InvariantCulture);
        string E()
        {
            int r = rnd.Next(100);
            if (r < 70) return "e" + N(rnd.Next(12));                       // repeats, for LREM/LPOS/LINSERT
            if (r < 90) return new string((char)('a' + rnd.Next(3)), rnd.Next(240, 270)); // around the 253-byte header switch
            if (r < 99) return new string('m', rnd.Next(1000, 3000));
            return new string('L', rnd.Next(65530, 65545));                // around the 16-bit length
        }
        string I() => N(rnd.Next(-40, 40));
        var script = new StringBuilder($"flushdb\nconfig set list-max-listpack-size {nodeSize}\n");
        for (int i = 0; i < 1500; i++)
        {
            string key = rnd.Next(4) == 0 ? "lb" : "la";
            string line = rnd.Next(20) switch
            {
                0 or 1 or 2 => $"lpush {key} {E()} {E()} {E()}",
                3 or 4 or 5 => $"rpush {key} {E()} {E()}",
                6 => $"lpop {key}" + (rnd.Next(2) == 0 ? $" {rnd.Next(4)}" : ""),
                7 => $"rpop {key}" + (rnd.Next(2) == 0 ? $" {rnd.Next(4)}" : ""),
                8 => $"linsert {key} {(rnd.Next(2) == 0 ? "before" : "after")} e{rnd.Next(12)} {E()}",
                9 => $"lset {key} {I()} {E()}",
                10 => $"lrem {key} {N(rnd.Next(-3, 4))} e{rnd.Next(12)}",
                11 => rnd.Next(3) == 0 ? $"ltrim {key} {N(rnd.Next(0, 3))} {N(rnd.Next(-3, 60))}" : $"llen {key}",
                12 or 13 => $"lrange {key} {I()} {I()}",
                14 => $"lindex {key} {I()}",
                15 => $"lpos {key} e{rnd.Next(12)}" + rnd.Next(4) switch
                {
                    0 => "",
                    1 => $" rank {new[] { "1", "2", "-1", "-2", "3" }[rnd.Next(5)]}",
                    2 => $" count {rnd.Next(4)}",
                    _ => $" rank -1 count 0 maxlen {rnd.Next(20)}",
                },
                16 => $"lmove la lb {(rnd.Next(2) == 0 ? "left" : "right")} {(rnd.Next(2) == 0 ? "left" : "right")}",
                17 => $"rpoplpush {key} {key}",
                18 => "lrange la 0 -1",
                _ => $"lpushx {key} {E()}",
            };
            script.Append(line).Append('\n');
            if (i % 100 == 0) script.Append("lrange la 0 -1\nlrange lb 0 -1\nllen la\nllen lb\n");
        }
        script.Append("lrange la 0 -1\nlrange lb 0 -1\nobject encoding la\nconfig set list-max-listpack-size -2\n");
        peers.AssertSame(script.ToString());
    }
}
