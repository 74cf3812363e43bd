namespace Codis.Server.Storage.Geo;

/// <summary>
/// The nine cells a search scans: the centre's cell at the estimated step and its eight neighbours, in Redis's
/// order (centre, N, S, E, W, NE, NW, SE, SW); cells the shape cannot reach are zeroed out.
/// </summary>
internal static class GeoCells
{
    public static GeoHashBits[] Covering(GeoShape shape)
    {
        var (minLon, minLat, maxLon, maxLat) = shape.Bounds();
        int steps = GeoHash.EstimateSteps(shape.SearchRadiusMeters(), shape.Lat);
        var cells = Around(shape, steps, out var area);

        // Near a cell's edge the estimate can leave part of the shape outside the neighbours: one step coarser then.
        bool coarser =
            GeoHash.DecodeWgs84(cells[North]).LatMax < maxLat ||
            GeoHash.DecodeWgs84(cells[South]).LatMin > minLat ||
            GeoHash.DecodeWgs84(cells[East]).LonMax < maxLon ||
            GeoHash.DecodeWgs84(cells[West]).LonMin > minLon;
        if (steps > 1 && coarser)
        {
            steps--;
            cells = Around(shape, steps, out area);
        }

        if (steps >= 2)
        {
            if (area.LatMin < minLat) Zero(cells, South, SouthWest, SouthEast);
            if (area.LatMax > maxLat) Zero(cells, North, NorthEast, NorthWest);
            if (area.LonMin < minLon) Zero(cells, West, SouthWest, NorthWest);
            if (area.LonMax > maxLon) Zero(cells, East, SouthEast, NorthEast);
        }
        return cells;
    }

    private const int Centre = 0, North = 1, South = 2, East = 3, West = 4, NorthEast = 5, NorthWest = 6, SouthEast = 7, SouthWest = 8;

    private static GeoHashBits[] Around(GeoShape shape, int steps, out GeoArea area)
    {
        GeoHash.EncodeWgs84(shape.Lon, shape.Lat, steps, out var h);
        area = GeoHash.DecodeWgs84(h);
        return
        [
            h,
            GeoHash.Neighbour(h, 0, 1),
            GeoHash.Neighbour(h, 0, -1),
            GeoHash.Neighbour(h, 1, 0),
            GeoHash.Neighbour(h, -1, 0),
            GeoHash.Neighbour(h, 1, 1),
            GeoHash.Neighbour(h, -1, 1),
            GeoHash.Neighbour(h, 1, -1),
            GeoHash.Neighbour(h, -1, -1),
        ];
    }

    private static void Zero(GeoHashBits[] cells, int a, int b, int c)
    {
        cells[a] = default;
        cells[b] = default;
        cells[c] = default;
    }
}
