namespace Codis.Server.Storage.Geo;

/// <summary>Great-circle distances as Redis computes them (haversine on a sphere of radius 6372797.560856 m).</summary>
internal static class GeoDistance
{
    public const double EarthRadius = 6372797.560856;
    private const double DegToRad = Math.PI / 180.0;
    private const double RadToDeg = 180.0 / Math.PI;

    public static double ToRadians(double deg) => deg * DegToRad;
    public static double ToDegrees(double rad) => rad * RadToDeg;

    /// <summary>The distance along a meridian between two latitudes.</summary>
    public static double Latitudes(double lat1, double lat2) => EarthRadius * Math.Abs(ToRadians(lat2) - ToRadians(lat1));

    /// <summary>The distance between two positions; points on one meridian take the cheaper meridian formula.</summary>
    public static double Between(double lon1, double lat1, double lon2, double lat2)
    {
        double lon1r = ToRadians(lon1), lon2r = ToRadians(lon2);
        double v = Math.Sin((lon2r - lon1r) / 2);
        if (v == 0.0) return Latitudes(lat1, lat2);
        double lat1r = ToRadians(lat1), lat2r = ToRadians(lat2);
        double u = Math.Sin((lat2r - lat1r) / 2);
        double a = u * u + Math.Cos(lat1r) * Math.Cos(lat2r) * v * v;
        return 2.0 * EarthRadius * Math.Asin(Math.Sqrt(a));
    }
}
