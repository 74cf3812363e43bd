using System.Runtime.InteropServices;
using Codis.Server.Storage.Collections;
using Codis.Server.Storage.Geo;
using Codis.Server.Storage.SortedSets;

namespace Codis.Server.Commands;

/// <summary>
/// GEORADIUS, GEORADIUSBYMEMBER (and their _RO forms), GEOSEARCH and GEOSEARCHSTORE: one search parsed and run
/// as Redis 7.0's georadiusGeneric does, with the same option checks in the same order so errors match.
/// The STORE forms replace the destination with a sorted set (scores: the geohashes, or the distances with
/// STOREDIST), or delete it when nothing was found; they propagate as they are, since the search is deterministic.
/// </summary>
internal static class GeoSearchCommands
{
    [Flags]
    private enum Mode
    {
        ByCoords = 1,
        ByMember = 2,
        NoStore = 4,
        Search = 8,
        SearchStore = 16,
    }

    [Command("georadius", -6, Flags = CommandFlags.Write | CommandFlags.DenyOom, FirstKey = 1, LastKey = 1, Step = 1, StoreKeysFrom = 6, Group = "geo", Summary = "Queries a geospatial index for members within a distance from a coordinate, optionally stores the result.")]
    public static void GeoRadius(CommandContext ctx) => Search(ctx, 1, Mode.ByCoords);

    [Command("georadius_ro", -6, Flags = CommandFlags.ReadOnly, FirstKey = 1, LastKey = 1, Step = 1, Group = "geo", Summary = "Returns members from a geospatial index that are within a distance from a coordinate.")]
    public static void GeoRadiusRo(CommandContext ctx) => Search(ctx, 1, Mode.ByCoords | Mode.NoStore);

    [Command("georadiusbymember", -5, Flags = CommandFlags.Write | CommandFlags.DenyOom, FirstKey = 1, LastKey = 1, Step = 1, StoreKeysFrom = 5, Group = "geo", Summary = "Queries a geospatial index for members within a distance from a member, optionally stores the result.")]
    public static void GeoRadiusByMember(CommandContext ctx) => Search(ctx, 1, Mode.ByMember);

    [Command("georadiusbymember_ro", -5, Flags = CommandFlags.ReadOnly, FirstKey = 1, LastKey = 1, Step = 1, Group = "geo", Summary = "Returns members from a geospatial index that are within a distance from a member.")]
    public static void GeoRadiusByMemberRo(CommandContext ctx) => Search(ctx, 1, Mode.ByMember | Mode.NoStore);

    [Command("geosearch", -7, Flags = CommandFlags.ReadOnly, FirstKey = 1, LastKey = 1, Step = 1, Group = "geo", Summary = "Queries a geospatial index for members inside an area of a box or a circle.")]
    public static void GeoSearch(CommandContext ctx) => Search(ctx, 1, Mode.Search);

    [Command("geosearchstore", -8, Flags = CommandFlags.Write | CommandFlags.DenyOom, FirstKey = 1, LastKey = 2, Step = 1, KeyFlagsByKey = "OW update|RO access", Group = "geo", Summary = "Queries a geospatial index for members inside an area of a box or a circle, optionally stores the result.")]
    public static void GeoSearchStore(CommandContext ctx) => Search(ctx, 2, Mode.Search | Mode.SearchStore);

    private enum Order { None, Asc, Desc }

    private static void Search(CommandContext ctx, int srcArg, Mode mode)
    {
        if (!CollectionAccess.TryGetForRead(ctx, ctx.Arg(srcArg), out SortedSetValue? zset)) return; // the *STORE forms' source too
        var shape = new GeoShape();
        int baseArgs;
        int storeArg = -1;
        bool storeDist = false;
        if (mode.HasFlag(Mode.ByCoords))
        {
            baseArgs = 6;
            if (!GeoCommands.TryParseLonLat(ctx, 2, out shape.Lon, out shape.Lat)) return;
            if (!TryParseRadius(ctx, 4, shape)) return;
        }
        else if (mode.HasFlag(Mode.ByMember))
        {
            baseArgs = 5;
            // Without the key the rest is still parsed, for the reply's shape (a count with STORE, else an array).
            if (zset != null)
            {
                if (!TryMemberPosition(ctx, zset, 2, shape)) return;
                if (!TryParseRadius(ctx, 3, shape)) return;
            }
        }
        else
        {
            baseArgs = 2;
            if (mode.HasFlag(Mode.SearchStore))
            {
                baseArgs = 3;
                storeArg = 1;
            }
        }

        bool search = mode.HasFlag(Mode.Search);
        bool withDist = false, withHash = false, withCoord = false, any = false;
        bool fromMember = false, fromLonLat = false, byRadius = false, byBox = false;
        var order = Order.None;
        long count = 0;
        int n = ctx.ArgCount;
        for (int i = baseArgs; i < n; i++)
        {
            int left = n - i - 1; // words after this one
            if (ctx.ArgIs(i, "WITHDIST")) withDist = true;
            else if (ctx.ArgIs(i, "WITHHASH")) withHash = true;
            else if (ctx.ArgIs(i, "WITHCOORD")) withCoord = true;
            else if (ctx.ArgIs(i, "ANY")) any = true;
            else if (ctx.ArgIs(i, "ASC")) order = Order.Asc;
            else if (ctx.ArgIs(i, "DESC")) order = Order.Desc;
            else if (ctx.ArgIs(i, "COUNT") && left >= 1)
            {
                if (!ctx.TryArgLong(i + 1, out count)) return;
                if (count <= 0)
                {
                    ctx.Error("ERR COUNT must be > 0");
                    return;
                }
                i++;
            }
            else if ((ctx.ArgIs(i, "STORE") || ctx.ArgIs(i, "STOREDIST")) && left >= 1 && !mode.HasFlag(Mode.NoStore) && !search)
            {
                storeDist = ctx.ArgIs(i, "STOREDIST");
                storeArg = ++i;
            }
            else if (ctx.ArgIs(i, "STOREDIST") && search && mode.HasFlag(Mode.SearchStore)) storeDist = true;
            else if (ctx.ArgIs(i, "FROMMEMBER") && left >= 1 && search && !fromLonLat)
            {
                if (zset != null && !TryMemberPosition(ctx, zset, i + 1, shape)) return;
                fromMember = true;
                i++;
            }
            else if (ctx.ArgIs(i, "FROMLONLAT") && left >= 2 && search && !fromMember)
            {
                if (!GeoCommands.TryParseLonLat(ctx, i + 1, out shape.Lon, out shape.Lat)) return;
                fromLonLat = true;
                i += 2;
            }
            else if (ctx.ArgIs(i, "BYRADIUS") && left >= 2 && search && !byBox)
            {
                if (!TryParseRadius(ctx, i + 1, shape)) return;
                byRadius = true;
                i += 2;
            }
            else if (ctx.ArgIs(i, "BYBOX") && left >= 3 && search && !byRadius)
            {
                if (!TryParseBox(ctx, i + 1, shape)) return;
                byBox = true;
                i += 3;
            }
            else
            {
                ctx.SyntaxError();
                return;
            }
        }

        if (storeArg >= 0 && (withDist || withHash || withCoord))
        {
            ctx.Error(search
                ? "ERR GEOSEARCHSTORE is not compatible with WITHDIST, WITHHASH and WITHCOORD options"
                : "ERR STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORD options");
            return;
        }
        string name = ctx.ArgString(0); // Redis names the command as the client typed it here
        if (search && !(fromMember || fromLonLat))
        {
            ctx.Error($"ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for {name}");
            return;
        }
        if (search && !(byRadius || byBox))
        {
            ctx.Error($"ERR exactly one of BYRADIUS and BYBOX can be specified for {name}");
            return;
        }
        if (any && count == 0)
        {
            ctx.Error("ERR the ANY argument requires COUNT argument");
            return;
        }

        if (zset == null)
        {
            if (storeArg >= 0) Store(ctx, storeArg, null);
            else ctx.Reply.WriteEmptyArray();
            return;
        }

        // COUNT alone means the nearest ones, so it sorts; COUNT ANY takes the first found as they come.
        if (count != 0 && order == Order.None && !any) order = Order.Asc;
        var found = Storage.Geo.GeoSearch.Find(zset, shape, any ? count : 0);
        if (found.Count == 0 && storeArg < 0)
        {
            ctx.Reply.WriteEmptyArray();
            return;
        }
        var points = CollectionsMarshal.AsSpan(found);
        int returned = count == 0 || points.Length < count ? points.Length : (int)count;
        if (order != Order.None)
        {
            Comparison<GeoPoint> cmp = order == Order.Asc
                ? static (a, b) => a.Distance > b.Distance ? 1 : a.Distance == b.Distance ? 0 : -1
                : static (a, b) => a.Distance > b.Distance ? -1 : a.Distance == b.Distance ? 0 : 1;
            if (returned == points.Length) StableSort.Sort(points, cmp);
            else PartialQuickSort.Sort(points, Comparer<GeoPoint>.Create(cmp), 0, returned - 1);
        }
        for (int i = 0; i < returned; i++) points[i].Distance /= shape.ToMeters;

        if (storeArg >= 0)
        {
            var entries = new List<(byte[], double)>(returned);
            for (int i = 0; i < returned; i++) entries.Add((points[i].Member, storeDist ? points[i].Distance : points[i].Score));
            Store(ctx, storeArg, entries);
            return;
        }
        int options = (withDist ? 1 : 0) + (withHash ? 1 : 0) + (withCoord ? 1 : 0);
        var reply = ctx.Reply;
        reply.WriteArrayHeader(returned);
        for (int i = 0; i < returned; i++)
        {
            ref var p = ref points[i];
            if (options > 0) reply.WriteArrayHeader(options + 1);
            reply.WriteBulk(p.Member);
            if (withDist) GeoCommands.WriteDistance(ctx, p.Distance);
            if (withHash) reply.WriteInteger(GeoHash.TruncateToInt64(p.Score));
            if (withCoord)
            {
                reply.WriteArrayHeader(2);
                GeoCommands.WriteCoordinate(ctx, p.Lon);
                GeoCommands.WriteCoordinate(ctx, p.Lat);
            }
        }
    }

    /// <summary>Replaces the destination with the result, or deletes it when there is none; replies the count.</summary>
    private static void Store(CommandContext ctx, int storeArg, List<(byte[] Member, double Score)>? entries)
    {
        var key = ctx.Arg(storeArg);
        if (entries == null || entries.Count == 0)
        {
            if (ctx.Db.Remove(key)) ctx.Notify(PubSub.NotifyType.Generic, "del"u8, key);
            else ctx.SuppressPropagation = true; // nothing changed, nothing for replicas (Redis's dirty counter stays)
            ctx.Reply.WriteInteger(0);
            return;
        }
        ctx.Db.Set(key, SortedSetValue.From(entries, CollectionLimits.Current), 0);
        ctx.Notify(PubSub.NotifyType.ZSet, ctx.Command.Name == "geosearchstore" ? "geosearchstore"u8 : "georadiusstore"u8, key);
        ctx.Reply.WriteInteger(entries.Count);
    }

    private static bool TryMemberPosition(CommandContext ctx, SortedSetValue zset, int arg, GeoShape shape)
    {
        if (!zset.TryGetScore(ctx.Arg(arg), out double score))
        {
            ctx.Error("ERR could not decode requested zset member");
            return false;
        }
        (shape.Lon, shape.Lat) = GeoHash.DecodeScore(score);
        return true;
    }

    private static bool TryParseRadius(CommandContext ctx, int at, GeoShape shape)
    {
        if (!ctx.TryArgDouble(at, out double radius, "ERR need numeric radius")) return false;
        if (radius < 0)
        {
            ctx.Error("ERR radius cannot be negative");
            return false;
        }
        if (!GeoCommands.TryParseUnit(ctx, at + 1, out shape.ToMeters)) return false;
        shape.Radius = radius;
        shape.IsBox = false;
        return true;
    }

    private static bool TryParseBox(CommandContext ctx, int at, GeoShape shape)
    {
        if (!ctx.TryArgDouble(at, out double width, "ERR need numeric width") ||
            !ctx.TryArgDouble(at + 1, out double height, "ERR need numeric height")) return false;
        if (height < 0 || width < 0)
        {
            ctx.Error("ERR height or width cannot be negative");
            return false;
        }
        if (!GeoCommands.TryParseUnit(ctx, at + 2, out shape.ToMeters)) return false;
        shape.Width = width;
        shape.Height = height;
        shape.IsBox = true;
        return true;
    }
}
