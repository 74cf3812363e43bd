using System.Globalization;
using System.Text;
using Codis.Server.Tests.Infrastructure;

namespace Codis.Server.Tests.Geo;

/// <summary>
/// Seeded random GEO workloads on codis-server and redis-server 7.0; every reply must match byte for byte. Points
/// cover the whole globe with extra weight on the poles' band, the ±85.05112878 latitude limits, the antimeridian
/// and exact corners; some are added in clusters at one position, so distance ties (and Redis's order for them,
/// a stable sort without COUNT and its partial quicksort with it) are exercised. Searches use every shape, unit
/// and option, from a position or a member, with sizes from zero to the whole planet (neighbour cells then
/// coincide). The sets grow past the listpack limit. No reply needed sorting before comparison: ours come out
/// in Redis's order, ties and COUNT ANY included.
/// </summary>
public class GeoRandomTests(PeerFixture peers) : IClassFixture<PeerFixture>
{
    private static readonly string[] Units = ["m", "km", "mi", "ft", "KM"];
    private static readonly Dictionary<string, double> Meters = new() { ["m"] = 1, ["km"] = 1000, ["mi"] = 1609.34, ["ft"] = 0.3048, ["KM"] = 1000 };
    private static readonly double[] Extents = [0, 10, 1000, 50_000, 300_000, 1_000_000, 3_000_000, 8_000_000, 20_000_000];

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void RandomPointsAndSearches_SameRepliesAsRedis(int seed)
    {
        var rnd = new Random(seed);
        string F(double d) => d.ToString("R", CultureInfo.InvariantCulture);
        string Round(double d) => F(Math.Round(d, rnd.Next(1, 8)));
        string Lon() => rnd.Next(6) switch
        {
            0 => new[] { "-180", "180", "179.99999", "-179.99999", "0" }[rnd.Next(5)],
            1 => F((175 + rnd.NextDouble() * 5) * (rnd.Next(2) == 0 ? 1 : -1)),
            _ => Round(rnd.NextDouble() * 360 - 180),
        };
        string Lat() => rnd.Next(6) switch
        {
            0 => new[] { "85.05112878", "-85.05112878", "0", "85.05", "-85.05" }[rnd.Next(5)],
            1 => F((70 + rnd.NextDouble() * 15.05112878) * (rnd.Next(2) == 0 ? 1 : -1)),
            _ => Round(rnd.NextDouble() * 2 * 85.05112878 - 85.05112878),
        };
        string M() => "m" + rnd.Next(400).ToString(CultureInfo.InvariantCulture);
        (string Size, string Unit) Distance()
        {
            string u = Units[rnd.Next(Units.Length)];
            double meters = Extents[rnd.Next(Extents.Length)] * rnd.NextDouble();
            return (F(Math.Round(meters / Meters[u], rnd.Next(0, 5))), u);
        }
        string Options()
        {
            var o = new List<string>();
            foreach (var w in new[] { "WITHDIST", "WITHHASH", "WITHCOORD" })
                if (rnd.NextDouble() < 0.4) o.Add(w);
            if (rnd.Next(2) == 0) o.Add(rnd.Next(2) == 0 ? "ASC" : "DESC");
            if (rnd.Next(2) == 0)
            {
                o.Add("COUNT " + new[] { 1, 2, 3, 5, 10, 50 }[rnd.Next(6)].ToString(CultureInfo.InvariantCulture));
                if (rnd.NextDouble() < 0.3) o.Add("ANY");
            }
            return string.Join(' ', o.OrderBy(_ => rnd.Next()));
        }
        string From() => rnd.NextDouble() < 0.7 ? $"FROMLONLAT {Lon()} {Lat()}" : $"FROMMEMBER {M()}";
        string By()
        {
            var (r, u) = Distance();
            if (rnd.Next(2) == 0) return $"BYRADIUS {r} {u}";
            var (h, _) = Distance();
            return $"BYBOX {r} {h} {u}";
        }

        var script = new StringBuilder("flushdb\n");
        for (int i = 0; i < 1500; i++)
        {
            string key = rnd.Next(2) == 0 ? "g1" : "g2";
            string line;
            switch (rnd.Next(13))
            {
                case 0 or 1 or 2:
                    var add = new StringBuilder($"geoadd {key}");
                    for (int n = rnd.Next(1, 20); n > 0; n--) add.Append($" {Lon()} {Lat()} {M()}");
                    line = add.ToString();
                    break;
                case 3:
                    // A cluster of members at one position: ties on distance.
                    var (x, y) = (Lon(), Lat());
                    var cluster = new StringBuilder($"geoadd {key}");
                    for (int n = rnd.Next(2, 12); n > 0; n--) cluster.Append($" {x} {y} {M()}");
                    line = cluster.ToString();
                    break;
                case 4:
                {
                    var (r, u) = Distance();
                    line = $"{(rnd.Next(3) == 0 ? "georadius_ro" : "georadius")} {key} {Lon()} {Lat()} {r} {u} {Options()}";
                    break;
                }
                case 5:
                {
                    var (r, u) = Distance();
                    line = $"{(rnd.Next(3) == 0 ? "georadiusbymember_ro" : "georadiusbymember")} {key} {M()} {r} {u} {Options()}";
                    break;
                }
                case 6 or 7:
                    line = $"geosearch {key} {From()} {By()} {Options()}";
                    break;
                case 8:
                {
                    var (r, u) = Distance();
                    line = rnd.Next(2) == 0
                        ? $"georadius {key} {Lon()} {Lat()} {r} {u} {(rnd.Next(2) == 0 ? "STORE" : "STOREDIST")} dst" + (rnd.Next(3) == 0 ? " COUNT 3" : "")
                        : $"geosearchstore dst {key} {From()} {By()}" + (rnd.Next(2) == 0 ? " STOREDIST" : "") + (rnd.Next(3) == 0 ? " COUNT 4 DESC" : "");
                    break;
                }
                case 9:
                    line = "zrange dst 0 -1 withscores";
                    break;
                case 10:
                    line = $"geopos {key} {M()} {M()} {M()}";
                    break;
                case 11:
                    line = $"geohash {key} {M()} {M()} {M()}";
                    break;
                default:
                    line = $"geodist {key} {M()} {M()} {Units[rnd.Next(Units.Length)]}";
                    break;
            }
            script.Append(line).Append('\n');
        }
        script.Append("zrange g1 0 -1 withscores\nzrange g2 0 -1 withscores\nobject encoding g1\n");
        peers.AssertSame(script.ToString());
    }
}
