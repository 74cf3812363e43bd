using Codis.Server.Storage.SortedSets;

namespace Codis.Server.Storage.Geo;

/// <summary>A member a search found: its position, distance from the centre (meters until converted) and score.</summary>
internal struct GeoPoint
{
    public double Lon, Lat, Distance, Score;
    public byte[] Member;
}

/// <summary>
/// Redis's GEO search over a sorted set: the covering cells in order, each a score range [min, max) walked in
/// (score, member) order, every member inside the shape kept. Cells equal to the one scanned just before are
/// skipped (huge radii make neighbours coincide), except that the first neighbour is never compared with the
/// centre, exactly as Redis does, so results match it even where it repeats a member.
/// </summary>
internal static class GeoSearch
{
    /// <summary>The members in <paramref name="shape"/>; with a <paramref name="limit"/> (COUNT ANY) it stops once that many are found.</summary>
    public static List<GeoPoint> Find(SortedSetValue zset, GeoShape shape, long limit)
    {
        var cells = GeoCells.Covering(shape);
        var found = new List<GeoPoint>();
        int lastScanned = 0;
        for (int i = 0; i < cells.Length; i++)
        {
            var cell = cells[i];
            if (cell.IsZero) continue;
            if (lastScanned != 0 && cell.Bits == cells[lastScanned].Bits && cell.Step == cells[lastScanned].Step) continue;
            if (found.Count > 0 && limit > 0 && found.Count >= limit) break;
            ScanCell(zset, cell, shape, found, limit);
            lastScanned = i;
        }
        return found;
    }

    private static void ScanCell(SortedSetValue zset, GeoHashBits cell, GeoShape shape, List<GeoPoint> found, long limit)
    {
        double min = GeoHash.Align52(cell);
        double max = GeoHash.Align52(cell with { Bits = cell.Bits + 1 });
        var range = new ScoreRange(min, false, max, true);
        for (int node = zset.FirstInRange(range); node != 0; node = zset.Next(node))
        {
            double score = zset.ScoreOf(node);
            if (!range.BelowMax(score)) break;
            var (lon, lat) = GeoHash.DecodeScore(score);
            if (shape.Contains(lon, lat, out double distance))
                found.Add(new GeoPoint { Lon = lon, Lat = lat, Distance = distance, Score = score, Member = zset.MemberOf(node) });
            if (found.Count > 0 && limit > 0 && found.Count >= limit) break;
        }
    }
}
