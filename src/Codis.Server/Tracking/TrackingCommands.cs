using Codis.Server.Commands;
using Codis.Server.Networking;

namespace Codis.Server.Tracking;

/// <summary>CLIENT TRACKING, CLIENT CACHING, CLIENT TRACKINGINFO, CLIENT GETREDIR with Redis 7.0's options, errors and replies.</summary>
internal static class TrackingCommands
{
    private static TrackingTable Table(CommandContext ctx)
    {
        var ks = ctx.Keyspace;
        if (ks.Tracking == null)
            ks.Tracking = new TrackingTable(ctx.Server) { MaxKeys = ctx.Server.Settings["tracking-table-max-keys"].AsLong };
        return ks.Tracking;
    }

    /// <summary>CLIENT TRACKING ON|OFF [REDIRECT id] [PREFIX p ...] [BCAST] [OPTIN] [OPTOUT] [NOLOOP].</summary>
    public static void Tracking(CommandContext ctx)
    {
        long redirect = 0;
        bool bcast = false, optIn = false, optOut = false, noLoop = false;
        var prefixes = new List<byte[]>();
        for (int i = 3; i < ctx.ArgCount; i++)
        {
            bool more = i + 1 < ctx.ArgCount;
            if (ctx.ArgIs(i, "redirect") && more)
            {
                if (redirect != 0)
                {
                    ctx.Error("ERR A client can only redirect to a single other client");
                    return;
                }
                if (!ctx.TryArgLong(++i, out redirect)) return;
                if (!ctx.Server.Clients.Any(c => c.Session.Id == redirect))
                {
                    ctx.Error("ERR The client ID you want redirect to does not exist");
                    return;
                }
            }
            else if (ctx.ArgIs(i, "bcast")) bcast = true;
            else if (ctx.ArgIs(i, "optin")) optIn = true;
            else if (ctx.ArgIs(i, "optout")) optOut = true;
            else if (ctx.ArgIs(i, "noloop")) noLoop = true;
            else if (ctx.ArgIs(i, "prefix") && more) prefixes.Add(ctx.ArgBytes(++i));
            else
            {
                ctx.SyntaxError();
                return;
            }
        }
        var client = ctx.Client;
        if (ctx.ArgIs(2, "off"))
        {
            if (client.Tracking != null) Table(ctx).Disable(client);
            ctx.Ok();
            return;
        }
        if (!ctx.ArgIs(2, "on"))
        {
            ctx.SyntaxError();
            return;
        }
        var old = client.Tracking;
        if (!bcast && prefixes.Count > 0)
        {
            ctx.Error("ERR PREFIX option requires BCAST mode to be enabled");
            return;
        }
        if (old != null && old.Bcast != bcast)
        {
            ctx.Error("ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.");
            return;
        }
        if (optIn && optOut)
        {
            ctx.Error("ERR You can't specify both OPTIN mode and OPTOUT mode");
            return;
        }
        if (old != null && ((optIn && old.OptOut) || (optOut && old.OptIn)))
        {
            ctx.Error("ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.");
            return;
        }
        if ((optIn || optOut) && bcast)
        {
            ctx.Error("ERR OPTIN and OPTOUT are not compatible with BCAST");
            return;
        }
        if (Overlap(ctx, old?.Prefixes ?? [], prefixes)) return;
        var table = Table(ctx);
        // Turning it on again adds to the settings, as in Redis (flags and prefixes accumulate, the redirect is replaced).
        var t = new ClientTracking { Bcast = bcast, OptIn = optIn || old?.OptIn == true, OptOut = optOut || old?.OptOut == true };
        t.NoLoop = noLoop || old?.NoLoop == true;
        t.Redirect = redirect;
        if (old != null)
        {
            t.Prefixes.AddRange(old.Prefixes.Where(p => p.Length > 0 || prefixes.Count == 0));
            table.Disable(client);
        }
        foreach (var p in prefixes)
            if (!t.Prefixes.Any(x => x.AsSpan().SequenceEqual(p))) t.Prefixes.Add(p);
        table.Enable(client, t);
        ctx.Ok();
    }

    /// <summary>Redis's checkPrefixCollisionsOrReply: no prefix of a client may be a prefix of another one.</summary>
    private static bool Overlap(CommandContext ctx, List<byte[]> existing, List<byte[]> added)
    {
        for (int i = 0; i < added.Count; i++)
        {
            foreach (var e in existing)
            {
                if (e.Length == 0) continue;
                if (added[i].AsSpan().StartsWith(e) || e.AsSpan().StartsWith(added[i]))
                {
                    ctx.Error($"ERR Prefix '{Text(added[i])}' overlaps with an existing prefix '{Text(e)}'. Prefixes for a single client must not overlap.");
                    return true;
                }
            }
            for (int j = i + 1; j < added.Count; j++)
                if (added[i].AsSpan().StartsWith(added[j]) || added[j].AsSpan().StartsWith(added[i]))
                {
                    ctx.Error($"ERR Prefix '{Text(added[i])}' overlaps with another provided prefix '{Text(added[j])}'. Prefixes for a single client must not overlap.");
                    return true;
                }
        }
        return false;
    }

    private static string Text(byte[] b) => System.Text.Encoding.UTF8.GetString(b);

    /// <summary>CLIENT CACHING YES|NO: whether the next command's keys are tracked (OPTIN / OPTOUT).</summary>
    public static void Caching(CommandContext ctx)
    {
        var t = ctx.Client.Tracking;
        if (t == null)
        {
            ctx.Error("ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled");
            return;
        }
        if (ctx.ArgIs(2, "yes"))
        {
            if (!t.OptIn)
            {
                ctx.Error("ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.");
                return;
            }
        }
        else if (ctx.ArgIs(2, "no"))
        {
            if (!t.OptOut)
            {
                ctx.Error("ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.");
                return;
            }
        }
        else
        {
            ctx.SyntaxError();
            return;
        }
        t.CachingOnce = true;
        ctx.Ok();
    }

    /// <summary>CLIENT TRACKINGINFO: flags (a set), redirect, prefixes, as Redis 7.0.</summary>
    public static void TrackingInfo(CommandContext ctx)
    {
        var r = ctx.Reply;
        var t = ctx.Client.Tracking;
        r.WriteMapHeader(3);
        r.WriteBulk("flags"u8);
        if (t == null)
        {
            r.WriteSetHeader(1);
            r.WriteBulk("off"u8);
        }
        else
        {
            var flags = new List<string> { "on" };
            if (t.Bcast) flags.Add("bcast");
            if (t.OptIn) flags.Add("optin");
            if (t.OptOut) flags.Add("optout");
            if (t.CachingOnce) flags.Add(t.OptIn ? "caching-yes" : "caching-no");
            if (t.NoLoop) flags.Add("noloop");
            if (t.BrokenRedirect) flags.Add("broken_redirect");
            r.WriteSetHeader(flags.Count);
            foreach (var f in flags) r.WriteBulk(f);
        }
        r.WriteBulk("redirect"u8);
        r.WriteInteger(t == null ? -1 : t.Redirect);
        r.WriteBulk("prefixes"u8);
        var prefixes = t?.Prefixes.Where(p => p.Length > 0 || t.Bcast).ToList() ?? [];
        r.WriteArrayHeader(prefixes.Count);
        foreach (var p in prefixes) r.WriteBulk(p);
    }

    /// <summary>CLIENT GETREDIR: -1 when not tracking, 0 when tracking without a redirect.</summary>
    public static void GetRedir(CommandContext ctx) => ctx.Reply.WriteInteger(ctx.Client.Tracking?.Redirect ?? -1);

    /// <summary>CLIENT LIST's tracking flags (t, R, B) for <paramref name="s"/>.</summary>
    public static void AppendFlags(System.Text.StringBuilder flags, ClientSession s)
    {
        if (s.Tracking is not { } t) return;
        flags.Append('t');
        if (t.BrokenRedirect) flags.Append('R');
        if (t.Bcast) flags.Append('B');
    }
}
