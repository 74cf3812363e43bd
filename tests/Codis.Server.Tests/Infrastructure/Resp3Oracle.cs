using System.Text.RegularExpressions;

namespace Codis.Server.Tests.Infrastructure;

/// <summary>
/// Scripts (<see cref="PeerFixture.Words"/> syntax) run on a RESP3 (or RESP2) connection to each server, comparing
/// the raw reply frames byte for byte. Only what genuinely differs between two servers is normalized (client ids).
/// </summary>
public static partial class Resp3Oracle
{
    private static readonly HashSet<string> MultiReply = new(StringComparer.OrdinalIgnoreCase)
    {
        "subscribe", "psubscribe", "ssubscribe", "unsubscribe", "punsubscribe", "sunsubscribe",
    };

    public static List<string> Differences(PeerFixture peers, string script, int protocol = 3)
    {
        using var ours = new Resp3Connection(peers.Codis.Port, protocol);
        using var theirs = new Resp3Connection(peers.Redis.Port, protocol);
        var diffs = new List<string>();
        foreach (var raw in script.Split('\n'))
        {
            string line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var args = PeerFixture.Words(line);
            theirs.Send(args);
            ours.Send(args);
            var expected = new List<byte[]> { theirs.ReadFrame() };
            if (MultiReply.Contains(System.Text.Encoding.UTF8.GetString(args[0])))
                while (theirs.TryReadFrame(100) is { } more) expected.Add(more);
            string want = string.Concat(expected.Select(f => Normalize(Resp3Frames.Show(f))));
            string got = string.Concat(expected.Select(_ => Normalize(Resp3Frames.Show(ours.ReadFrame()))));
            if (want != got) diffs.Add($"{line}\n  redis: {Short(want)}\n  codis: {Short(got)}");
        }
        return diffs;
    }

    /// <summary>Asserts that every line of the script gets the same frames from both servers.</summary>
    public static void AssertSameFrames(this PeerFixture peers, string script, int protocol = 3)
    {
        var diffs = Differences(peers, script, protocol);
        Assert.True(diffs.Count == 0, $"{diffs.Count} replies differ from redis-server (RESP{protocol}):\n" + string.Join("\n", diffs.Take(30)));
    }

    private static string Normalize(string frame) => ClientId().Replace(frame, "id⏎:ID");

    private static string Short(string s) => s.Length > 600 ? s[..600] + "..." : s;

    [GeneratedRegex(@"(?<=\$2⏎)id⏎:\d+")]
    private static partial Regex ClientId();
}
