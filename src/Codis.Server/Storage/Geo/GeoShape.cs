namespace Codis.Server.Storage.Geo;

/// <summary>
/// What a GEO search looks for: a circle (<see cref="Radius"/>) or a box (<see cref="Width"/> × <see cref="Height"/>)
/// around a centre, sizes in the request's unit (<see cref="ToMeters"/> converts).
/// </summary>
internal sealed class GeoShape
{
    public double Lon, Lat;
    public bool IsBox;
    public double Radius, Width, Height;
    public double ToMeters = 1;

    /// <summary>
    /// Whether a position lies in the shape, and its distance from the centre in meters. A box checks the
    /// meridian distance against half its height first, then the distance along the point's parallel against
    /// half its width, as Redis does.
    /// </summary>
    public bool Contains(double lon, double lat, out double distance)
    {
        distance = 0;
        if (!IsBox)
        {
            distance = GeoDistance.Between(Lon, Lat, lon, lat);
            return distance <= Radius * ToMeters;
        }
        double widthM = Width * ToMeters, heightM = Height * ToMeters;
        if (GeoDistance.Latitudes(lat, Lat) > heightM / 2) return false;
        if (GeoDistance.Between(lon, lat, Lon, lat) > widthM / 2) return false;
        distance = GeoDistance.Between(Lon, Lat, lon, lat);
        return true;
    }

    /// <summary>The shape's bounding box in degrees (minLon, minLat, maxLon, maxLat).</summary>
    public (double MinLon, double MinLat, double MaxLon, double MaxLat) Bounds()
    {
        double height = ToMeters * (IsBox ? Height / 2 : Radius);
        double width = ToMeters * (IsBox ? Width / 2 : Radius);
        double latDelta = GeoDistance.ToDegrees(height / GeoDistance.EarthRadius);
        double lonDeltaTop = GeoDistance.ToDegrees(width / GeoDistance.EarthRadius / Math.Cos(GeoDistance.ToRadians(Lat + latDelta)));
        double lonDeltaBottom = GeoDistance.ToDegrees(width / GeoDistance.EarthRadius / Math.Cos(GeoDistance.ToRadians(Lat - latDelta)));
        // The parallel nearer the pole is the wider in degrees: the top one in the north, the bottom one in the south.
        bool south = Lat < 0;
        double minLon = south ? Lon - lonDeltaBottom : Lon - lonDeltaTop;
        double maxLon = south ? Lon + lonDeltaBottom : Lon + lonDeltaTop;
        return (minLon, Lat - latDelta, maxLon, Lat + latDelta);
    }

    /// <summary>The radius of the step estimate: the circle's, or the box's half diagonal.</summary>
    public double SearchRadiusMeters()
    {
        double r = IsBox ? Math.Sqrt((Width / 2) * (Width / 2) + (Height / 2) * (Height / 2)) : Radius;
        return r * ToMeters;
    }
}
