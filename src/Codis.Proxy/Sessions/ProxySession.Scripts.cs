using System.Text;
using Codis.Core.Resp;
using Codis.Proxy.PubSub;
using Codis.Proxy.Routing;

namespace Codis.Proxy.Sessions;

/// <summary>
/// SCRIPT over every group (docs/proxy.md, "Scripts"): clients such as redis-py load a script with SCRIPT LOAD
/// after an EVALSHA got NOSCRIPT and run it by its digest, which may then land on any group. So LOAD goes to every
/// master; EXISTS says 1 only for a script every master has; KILL stops the script wherever one runs. FLUSH stays
/// refused, with the other commands that administer the servers. FUNCTION likewise: a library must be on every
/// group for FCALL (routed by its keys like EVAL) to find it, so LOAD, DELETE and RESTORE go to every master;
/// LIST, DUMP, STATS and HELP are answered by one; KILL stops the function wherever one runs; FLUSH is fenced as
/// SCRIPT FLUSH is.
/// </summary>
internal sealed partial class ProxySession
{
    private void Script(RespRequest req, Batch batch, OpInfo op)
    {
        var (sub, all) = Subcommand(req);
        switch (sub)
        {
            case "LOAD" when req.Count == 3:
                // every master computes the same SHA1 of the same text: the first answer stands for all, unless one failed
                FanOut(batch, op, all, m => FirstError(m) ?? m.Children[0].Reply!);
                break;
            case "FLUSH":
                // emptying every server's cache is administration (the proxy's fence, as for FLUSHALL and CONFIG SET)
                Answer(batch, op, Replies.Error("ERR handle request, command 'SCRIPT FLUSH' is not allowed: it empties every server's script cache; run it on the codis-servers"));
                break;
            case "EXISTS" when req.Count >= 3:
                FanOut(batch, op, all, m => FirstError(m) ?? AllHave(m, req.Count - 2));
                break;
            case "KILL" when req.Count == 2:
                FanOut(batch, op, all, Killed);
                break;
            default:
                // HELP, and wrong subcommands or arities: any one server gives Redis's own reply
                FanOut(batch, op, all.Take(1).ToList(), m => m.Children[0].Reply!);
                break;
        }
    }

    private void Function(RespRequest req, Batch batch, OpInfo op)
    {
        var (sub, all) = Subcommand(req);
        switch (sub)
        {
            case "FLUSH":
                Answer(batch, op, Replies.Error("ERR handle request, command 'FUNCTION FLUSH' is not allowed: it deletes every server's libraries; run it on the codis-servers (or FUNCTION DELETE one library)"));
                break;
            case "LOAD" or "DELETE" or "RESTORE":
                // the same change on every master: the first answer stands for all, unless one failed
                FanOut(batch, op, all, m => FirstError(m) ?? m.Children[0].Reply!);
                break;
            case "KILL" when req.Count == 2:
                FanOut(batch, op, all, Killed);
                break;
            default:
                // LIST, DUMP, STATS, HELP, and wrong subcommands or arities: every master has the same libraries
                FanOut(batch, op, all.Take(1).ToList(), m => m.Children[0].Reply!);
                break;
        }
    }

    /// <summary>The upper-cased subcommand of a SCRIPT/FUNCTION request, and the request addressed to every master.</summary>
    private (string Sub, List<(string, byte[])> ToEveryMaster) Subcommand(RespRequest req)
    {
        var wire = (req.IsMultibulk ? req.Raw : Encode(req)).ToArray();
        string sub = req.Count >= 2 ? Encoding.ASCII.GetString(req[1]).ToUpperInvariant() : "";
        return (sub, SessionPubSub.Masters(proxy.Router).Select(a => (a, wire)).ToList());
    }

    private static byte[]? FirstError(MultiRequest m)
    {
        foreach (var c in m.Children)
            if (Replies.IsError(c.Reply!)) return c.Reply!;
        return null;
    }

    /// <summary>SCRIPT EXISTS: a script counts as loaded only when every master has it.</summary>
    private static byte[] AllHave(MultiRequest m, int count)
    {
        var all = Enumerable.Repeat(true, count).ToArray();
        foreach (var c in m.Children)
        {
            if (!RespValue.TryParse(c.Reply!, out var v, out _) || v.Items is not { } items || items.Length != count)
                return Replies.Error("ERR handle response, bad SCRIPT EXISTS reply from a backend");
            for (int i = 0; i < count; i++) all[i] &= items[i].Integer == 1;
        }
        return JoinArray(all.Select(x => Replies.Integer(x ? 1 : 0)).ToList());
    }

    /// <summary>SCRIPT KILL: OK if a script was killed anywhere; else the first error that is not NOTBUSY, else NOTBUSY.</summary>
    private static byte[] Killed(MultiRequest m)
    {
        byte[]? notBusy = null, other = null;
        foreach (var c in m.Children)
        {
            var r = c.Reply!;
            if (!Replies.IsError(r)) return r;
            if (Replies.ErrorText(r).StartsWith("NOTBUSY", StringComparison.Ordinal)) notBusy ??= r;
            else other ??= r;
        }
        return other ?? notBusy!;
    }
}
