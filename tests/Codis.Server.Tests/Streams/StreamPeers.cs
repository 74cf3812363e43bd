using System.Text;
using Codis.Core.Resp;
using Codis.Server.Tests.Infrastructure;

namespace Codis.Server.Tests.Streams;

/// <summary>
/// Side-by-side scripts for streams: as <see cref="PeerFixture.AssertSame"/>, with what depends on the moment a
/// server ran the command masked: unix-ms times (delivery and seen times), idle times, and Redis's internal
/// radix tree node count (we keep no radix tree).
/// </summary>
internal static class StreamPeers
{
    public static void AssertSame(PeerFixture peers, string script)
    {
        using var ours = peers.Codis.Client();
        using var theirs = peers.Redis.Client();
        var diffs = new List<string>();
        foreach (var raw in script.Split('\n'))
        {
            string line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var args = PeerFixture.Words(line);
            bool pendingRows = line.StartsWith("xpending", StringComparison.OrdinalIgnoreCase) && args.Length > 3;
            string expected = Norm(theirs.Call(args), pendingRows);
            string actual = Norm(ours.Call(args), pendingRows);
            if (expected != actual) diffs.Add($"{line}\n  redis: {Short(expected)}\n  codis: {Short(actual)}");
        }
        Assert.True(diffs.Count == 0, $"{diffs.Count} replies differ from redis-server:\n" + string.Join("\n", diffs.Take(20)));
    }

    private static string Short(string s) => s.Length > 600 ? s[..600] + "..." : s;

    public static string Norm(RespValue v, bool pendingRows = false, bool times = true)
    {
        var sb = new StringBuilder();
        Write(sb, v, pendingRows, times);
        return sb.ToString();
    }

    private static void Write(StringBuilder sb, RespValue v, bool pendingRows, bool times)
    {
        if (v.Type != RespType.Array)
        {
            if (times && v.Type == RespType.Integer && v.Integer >= 1_000_000_000_000) sb.Append("<time>");
            else sb.Append(v);
            return;
        }
        var items = v.Items!;
        sb.Append('[');
        for (int i = 0; i < items.Length; i++)
        {
            if (i > 0) sb.Append(", ");
            bool maskNext = i > 0 && items[i - 1].Type == RespType.BulkString
                && (items[i - 1].Text is "radix-tree-nodes" || (times && items[i - 1].Text is "idle" or "seen-time"));
            bool idleColumn = pendingRows && items.Length == 4 && i == 2 && items[1].Type == RespType.BulkString;
            if ((maskNext || idleColumn) && items[i].Type == RespType.Integer) sb.Append("<masked>");
            else Write(sb, items[i], pendingRows, times);
        }
        sb.Append(']');
    }
}
