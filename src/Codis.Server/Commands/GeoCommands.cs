using System.Globalization;
using Codis.Server.Storage.Collections;
using Codis.Server.Storage.Geo;
using Codis.Server.Storage.SortedSets;

namespace Codis.Server.Commands;

/// <summary>
/// GEOADD, GEODIST, GEOHASH and GEOPOS. A geo key is a plain sorted set whose scores are 52-bit geohashes, so
/// these read and write sorted sets; the searches are in <see cref="GeoSearchCommands"/>.
/// </summary>
internal static class GeoCommands
{
    /// <summary>Reads a longitude and a latitude at <paramref name="at"/>; false (error replied) when not numbers or out of the GEO limits.</summary>
    internal static bool TryParseLonLat(CommandContext ctx, int at, out double lon, out double lat)
    {
        lat = 0;
        if (!ctx.TryArgDouble(at, out lon) || !ctx.TryArgDouble(at + 1, out lat)) return false;
        if (lon < GeoHash.LonMin || lon > GeoHash.LonMax || lat < GeoHash.LatMin || lat > GeoHash.LatMax)
        {
            ctx.Error($"ERR invalid longitude,latitude pair {FixedPointFormat.Text(lon, 6)},{FixedPointFormat.Text(lat, 6)}");
            return false;
        }
        return true;
    }

    /// <summary>Meters per unit; false (error replied) for an unknown unit.</summary>
    internal static bool TryParseUnit(CommandContext ctx, int at, out double toMeters)
    {
        if (ctx.ArgIs(at, "m")) toMeters = 1;
        else if (ctx.ArgIs(at, "km")) toMeters = 1000;
        else if (ctx.ArgIs(at, "ft")) toMeters = 0.3048;
        else if (ctx.ArgIs(at, "mi")) toMeters = 1609.34;
        else
        {
            toMeters = 0;
            ctx.Error("ERR unsupported unit provided. please use M, KM, FT, MI");
            return false;
        }
        return true;
    }

    /// <summary>A distance reply: "%.4f" as a bulk string.</summary>
    internal static void WriteDistance(CommandContext ctx, double meters)
    {
        if (!double.IsFinite(meters) || Math.Abs(meters) >= 1L << 52)
        {
            ctx.Reply.WriteBulk(FixedPointFormat.Text(meters, 4)); // no distance on Earth gets here; a STOREDIST-made zset could
            return;
        }
        Span<byte> buf = stackalloc byte[64];
        ctx.Reply.WriteBulk(buf[..FixedPointFormat.Write(meters, 4, human: false, buf)]);
    }

    /// <summary>
    /// A coordinate reply as Redis prints a long double for people ("%.17Lf", trailing zeros dropped): a RESP3
    /// double, a RESP2 bulk string (addReplyHumanLongDouble).
    /// </summary>
    internal static void WriteCoordinate(CommandContext ctx, double degrees)
    {
        Span<byte> buf = stackalloc byte[64];
        ctx.Reply.WriteDoubleText(buf[..FixedPointFormat.Write(degrees, 17, human: true, buf)]);
    }

    [Command("geoadd", -5, Flags = CommandFlags.Write | CommandFlags.DenyOom, FirstKey = 1, LastKey = 1, Step = 1, KeyFlags = "RW update", Group = "geo", Summary = "Adds one or more members to a geospatial index. The key is created if it doesn't exist.")]
    public static void GeoAdd(CommandContext ctx)
    {
        bool nx = false, xx = false, ch = false;
        int at = 2;
        for (; at < ctx.ArgCount; at++)
        {
            if (ctx.ArgIs(at, "NX")) nx = true;
            else if (ctx.ArgIs(at, "XX")) xx = true;
            else if (ctx.ArgIs(at, "CH")) ch = true;
            else break;
        }
        int elements = (ctx.ArgCount - at) / 3;
        // GEOADD becomes a ZADD in Redis, whose own check refuses an empty element list.
        if ((ctx.ArgCount - at) % 3 != 0 || (nx && xx) || elements == 0)
        {
            ctx.SyntaxError();
            return;
        }
        var scores = new ulong[elements];
        for (int i = 0; i < elements; i++)
        {
            if (!TryParseLonLat(ctx, at + 3 * i, out double lon, out double lat)) return;
            scores[i] = GeoHash.Score(lon, lat);
        }

        if (!SortedSetCommands.TryGetZSet(ctx, 1, out var zset)) return;
        if (zset == null)
        {
            if (xx)
            {
                ctx.SuppressPropagation = true;
                ctx.Reply.WriteInteger(0);
                return;
            }
            zset = SortedSetValue.CreateFor(ctx.Args.Length(at + 2), CollectionLimits.Current);
            ctx.Db.Add(ctx.ArgBytes(1), zset, 0);
        }
        var limits = CollectionLimits.Current;
        long added = 0, updated = 0;
        for (int i = 0; i < elements; i++)
        {
            var member = ctx.Arg(at + 3 * i + 2);
            double score = scores[i];
            if (zset.TryGetScore(member, out double current))
            {
                if (nx || score == current) continue;
                zset.Set(member, score, limits);
                updated++;
            }
            else
            {
                if (xx) continue;
                zset.Set(member, score, limits);
                added++;
            }
        }
        if (zset.Count == 0) ctx.Db.Remove(ctx.Arg(1));
        if (added + updated > 0)
        {
            CollectionAccess.Modified(ctx, ctx.Arg(1), PubSub.NotifyType.ZSet, "zadd"u8);
            if (ctx.EffectsWanted) ctx.Rewrite = [AsZAdd(ctx, at, scores)];
        }
        else ctx.SuppressPropagation = true;
        ctx.Reply.WriteInteger(ch ? added + updated : added);
    }

    /// <summary>What replicas and the AOF get for GEOADD: the ZADD it stands for, as Redis propagates it.</summary>
    private static byte[][] AsZAdd(CommandContext ctx, int at, ulong[] scores)
    {
        var args = new byte[at + scores.Length * 2][];
        args[0] = "zadd"u8.ToArray();
        for (int i = 1; i < at; i++) args[i] = ctx.ArgBytes(i);
        for (int i = 0; i < scores.Length; i++)
        {
            args[at + 2 * i] = System.Text.Encoding.ASCII.GetBytes(scores[i].ToString(CultureInfo.InvariantCulture));
            args[at + 2 * i + 1] = ctx.ArgBytes(at + 3 * i + 2);
        }
        return args;
    }

    [Command("geodist", -4, Flags = CommandFlags.ReadOnly, FirstKey = 1, LastKey = 1, Step = 1, Group = "geo", Summary = "Returns the distance between two members of a geospatial index.")]
    public static void GeoDist(CommandContext ctx)
    {
        double toMeters = 1;
        if (ctx.ArgCount == 5)
        {
            if (!TryParseUnit(ctx, 4, out toMeters)) return;
        }
        else if (ctx.ArgCount > 5)
        {
            ctx.SyntaxError();
            return;
        }
        if (!SortedSetCommands.TryGetZSet(ctx, 1, out var zset)) return;
        if (zset == null || !zset.TryGetScore(ctx.Arg(2), out double s1) || !zset.TryGetScore(ctx.Arg(3), out double s2))
        {
            ctx.Reply.WriteNullBulk();
            return;
        }
        var (lon1, lat1) = GeoHash.DecodeScore(s1);
        var (lon2, lat2) = GeoHash.DecodeScore(s2);
        WriteDistance(ctx, GeoDistance.Between(lon1, lat1, lon2, lat2) / toMeters);
    }

    private const string Base32 = "0123456789bcdefghjkmnpqrstuvwxyz";

    [Command("geohash", -2, Flags = CommandFlags.ReadOnly, FirstKey = 1, LastKey = 1, Step = 1, Group = "geo", Summary = "Returns members from a geospatial index as geohash strings.")]
    public static void GeoHashCommand(CommandContext ctx)
    {
        if (!SortedSetCommands.TryGetZSet(ctx, 1, out var zset)) return;
        ctx.Reply.WriteArrayHeader(ctx.ArgCount - 2);
        Span<byte> text = stackalloc byte[11];
        for (int i = 2; i < ctx.ArgCount; i++)
        {
            if (zset == null || !zset.TryGetScore(ctx.Arg(i), out double score))
            {
                ctx.Reply.WriteNullBulk();
                continue;
            }
            // Our cells span latitudes ±85.05112878; standard geohashes span ±90, so the position is re-encoded.
            var (lon, lat) = GeoHash.DecodeScore(score);
            GeoHash.Encode(-180, 180, -90, 90, lon, lat, GeoHash.MaxStep, out var hash);
            for (int c = 0; c < 10; c++) text[c] = (byte)Base32[(int)((hash.Bits >> (52 - (c + 1) * 5)) & 0x1f)];
            text[10] = (byte)'0'; // 52 bits fill ten characters; the eleventh, as Redis gives it, is always '0'
            ctx.Reply.WriteBulk(text);
        }
    }

    [Command("geopos", -2, Flags = CommandFlags.ReadOnly, FirstKey = 1, LastKey = 1, Step = 1, Group = "geo", Summary = "Returns the longitude and latitude of members from a geospatial index.")]
    public static void GeoPos(CommandContext ctx)
    {
        if (!SortedSetCommands.TryGetZSet(ctx, 1, out var zset)) return;
        ctx.Reply.WriteArrayHeader(ctx.ArgCount - 2);
        for (int i = 2; i < ctx.ArgCount; i++)
        {
            if (zset == null || !zset.TryGetScore(ctx.Arg(i), out double score))
            {
                ctx.Reply.WriteNullArray();
                continue;
            }
            var (lon, lat) = GeoHash.DecodeScore(score);
            ctx.Reply.WriteArrayHeader(2);
            WriteCoordinate(ctx, lon);
            WriteCoordinate(ctx, lat);
        }
    }
}
