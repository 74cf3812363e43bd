namespace Codis.Server.Storage.Geo;

/// <summary>A geohash cell: its interleaved bits (longitude on the odd bits, latitude on the even ones) at a precision.</summary>
internal readonly record struct GeoHashBits(ulong Bits, int Step)
{
    /// <summary>A cell the search left out (Redis marks those with bits and step both zero).</summary>
    public bool IsZero => Bits == 0 && Step == 0;
}

/// <summary>The corners of a cell in degrees.</summary>
internal readonly record struct GeoArea(double LonMin, double LonMax, double LatMin, double LatMax);

/// <summary>
/// The geohash arithmetic Redis's GEO commands use: 26 steps per axis (52 bits, exact in a double score) over
/// longitude -180..180 and Web-Mercator latitude -85.05112878..85.05112878. Every operation is done in the same
/// order and precision as Redis so that cells, scores and decoded positions come out bit for bit the same.
/// </summary>
internal static class GeoHash
{
    public const int MaxStep = 26;
    public const double LonMin = -180, LonMax = 180;
    public const double LatMin = -85.05112878, LatMax = 85.05112878;

    /// <summary>
    /// Encodes a position in the given ranges at <paramref name="step"/> bits per axis; false when it lies outside
    /// the GEO limits or the ranges. A coordinate exactly at a range's top gives an offset of 2^step, a bit beyond
    /// the cell's width, as in Redis (its scores then carry that bit).
    /// </summary>
    public static bool Encode(double lonMin, double lonMax, double latMin, double latMax, double lon, double lat, int step, out GeoHashBits hash)
    {
        hash = new GeoHashBits(0, step);
        if (lon > LonMax || lon < LonMin || lat > LatMax || lat < LatMin) return false;
        if (lat < latMin || lat > latMax || lon < lonMin || lon > lonMax) return false;
        double latOffset = (lat - latMin) / (latMax - latMin);
        double lonOffset = (lon - lonMin) / (lonMax - lonMin);
        latOffset *= 1UL << step;
        lonOffset *= 1UL << step;
        hash = new GeoHashBits(Interleave((uint)latOffset, (uint)lonOffset), step);
        return true;
    }

    public static bool EncodeWgs84(double lon, double lat, int step, out GeoHashBits hash) =>
        Encode(LonMin, LonMax, LatMin, LatMax, lon, lat, step, out hash);

    /// <summary>The cell's bits moved to the top of 52 (the score of a member, the bounds of a cell's score range).</summary>
    public static ulong Align52(GeoHashBits hash) => hash.Bits << (52 - hash.Step * 2);

    /// <summary>The score GEOADD gives a position.</summary>
    public static ulong Score(double lon, double lat)
    {
        EncodeWgs84(lon, lat, MaxStep, out var hash);
        return Align52(hash);
    }

    /// <summary>The cell's corners in the given ranges.</summary>
    public static GeoArea Decode(double lonMin, double lonMax, double latMin, double latMax, GeoHashBits hash)
    {
        ulong separated = Deinterleave(hash.Bits);
        uint latBits = (uint)separated;
        uint lonBits = (uint)(separated >> 32);
        double latScale = latMax - latMin, lonScale = lonMax - lonMin;
        double cells = 1UL << hash.Step; // the + 1 below wraps in 32 bits, as C's uint32_t arithmetic does
        return new GeoArea(
            lonMin + (lonBits * 1.0 / cells) * lonScale,
            lonMin + ((uint)(lonBits + 1) * 1.0 / cells) * lonScale,
            latMin + (latBits * 1.0 / cells) * latScale,
            latMin + ((uint)(latBits + 1) * 1.0 / cells) * latScale);
    }

    public static GeoArea DecodeWgs84(GeoHashBits hash) => Decode(LonMin, LonMax, LatMin, LatMax, hash);

    /// <summary>
    /// The position a score stands for: the centre of its step-26 cell, clamped to the GEO limits. Any score
    /// decodes (a sorted set not made by GEOADD too): it becomes an unsigned integer as x86-64 C converts it.
    /// </summary>
    public static (double Lon, double Lat) DecodeScore(double score)
    {
        var area = DecodeWgs84(new GeoHashBits(ToUInt64AsC(score), MaxStep));
        double lon = (area.LonMin + area.LonMax) / 2;
        if (lon > LonMax) lon = LonMax;
        if (lon < LonMin) lon = LonMin;
        double lat = (area.LatMin + area.LatMax) / 2;
        if (lat > LatMax) lat = LatMax;
        if (lat < LatMin) lat = LatMin;
        return (lon, lat);
    }

    /// <summary>
    /// (uint64_t)d as gcc compiles it on x86-64: below 2^63 a signed truncation (cvttsd2si, which gives 2^63 for
    /// anything it cannot represent), above it the truncation of d - 2^63 with the top bit flipped.
    /// </summary>
    public static ulong ToUInt64AsC(double d)
    {
        const double TwoTo63 = 9223372036854775808.0;
        if (d < TwoTo63) return (ulong)TruncateToInt64(d);
        return (ulong)TruncateToInt64(d - TwoTo63) ^ 0x8000000000000000UL;
    }

    /// <summary>cvttsd2si: truncation, or long.MinValue (the "integer indefinite") for NaN and out-of-range values.</summary>
    public static long TruncateToInt64(double d) =>
        d >= -9223372036854775808.0 && d < 9223372036854775808.0 ? (long)d : long.MinValue;

    /// <summary>Spreads x over the even bits and y over the odd bits of the result.</summary>
    public static ulong Interleave(uint x, uint y) => Spread(x) | (Spread(y) << 1);

    /// <summary>Gathers the even bits into the low half and the odd bits into the high half.</summary>
    public static ulong Deinterleave(ulong v) => Squash(v) | ((ulong)Squash(v >> 1) << 32);

    private static ulong Spread(uint v)
    {
        ulong x = v;
        x = (x | (x << 16)) & 0x0000FFFF0000FFFFUL;
        x = (x | (x << 8)) & 0x00FF00FF00FF00FFUL;
        x = (x | (x << 4)) & 0x0F0F0F0F0F0F0F0FUL;
        x = (x | (x << 2)) & 0x3333333333333333UL;
        x = (x | (x << 1)) & 0x5555555555555555UL;
        return x;
    }

    private static uint Squash(ulong v)
    {
        ulong x = v & 0x5555555555555555UL;
        x = (x | (x >> 1)) & 0x3333333333333333UL;
        x = (x | (x >> 2)) & 0x0F0F0F0F0F0F0F0FUL;
        x = (x | (x >> 4)) & 0x00FF00FF00FF00FFUL;
        x = (x | (x >> 8)) & 0x0000FFFF0000FFFFUL;
        x = (x | (x >> 16)) & 0x00000000FFFFFFFFUL;
        return (uint)x;
    }

    private const ulong OddBits = 0xAAAAAAAAAAAAAAAAUL, EvenBits = 0x5555555555555555UL;

    /// <summary>The cell east (+1) or west (-1) of this one, wrapping around the antimeridian.</summary>
    public static GeoHashBits MoveX(GeoHashBits h, int d)
    {
        if (d == 0) return h;
        ulong x = h.Bits & OddBits, y = h.Bits & EvenBits;
        ulong zz = EvenBits >> (64 - h.Step * 2);
        x = d > 0 ? x + (zz + 1) : (x | zz) - (zz + 1);
        x &= OddBits >> (64 - h.Step * 2);
        return h with { Bits = x | y };
    }

    /// <summary>The cell north (+1) or south (-1) of this one, wrapping at the latitude limits.</summary>
    public static GeoHashBits MoveY(GeoHashBits h, int d)
    {
        if (d == 0) return h;
        ulong x = h.Bits & OddBits, y = h.Bits & EvenBits;
        ulong zz = OddBits >> (64 - h.Step * 2);
        y = d > 0 ? y + (zz + 1) : (y | zz) - (zz + 1);
        y &= EvenBits >> (64 - h.Step * 2);
        return h with { Bits = x | y };
    }

    public static GeoHashBits Neighbour(GeoHashBits h, int dx, int dy) => MoveY(MoveX(h, dx), dy);

    /// <summary>
    /// How coarse a cell the search starts from for a radius (Redis's estimate): halve the Mercator extent until
    /// it is below the radius, two steps coarser to be safe, and coarser still towards the poles.
    /// </summary>
    public static int EstimateSteps(double rangeMeters, double lat)
    {
        const double MercatorMax = 20037726.37;
        if (rangeMeters == 0) return MaxStep;
        int step = 1;
        while (rangeMeters < MercatorMax)
        {
            rangeMeters *= 2;
            step++;
        }
        step -= 2;
        if (lat > 66 || lat < -66)
        {
            step--;
            if (lat > 80 || lat < -80) step--;
        }
        return Math.Clamp(step, 1, MaxStep);
    }
}
