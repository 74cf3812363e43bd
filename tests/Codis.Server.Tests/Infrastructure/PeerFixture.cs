using System.Text;
using Codis.Core.Resp;
using Codis.Testing;

namespace Codis.Server.Tests.Infrastructure;

/// <summary>
/// Our codis-server and Debian's redis-server 7.0 side by side: the same commands go to both and the replies
/// must be identical. Redis is the oracle for exact texts, number formats and edge cases.
/// </summary>
public class PeerFixture : IDisposable
{
    public PeerFixture() : this([]) { }

    /// <summary>Both servers started with the same extra flags.</summary>
    protected PeerFixture(string[] flags)
    {
        Codis = CodisServerProcess.Start(flags);
        Redis = RedisServerProcess.Start(flags);
    }

    public CodisServerProcess Codis { get; }
    public RedisServerProcess Redis { get; }

    /// <summary>
    /// Runs a script (one command per line; words split on spaces, "..." for a word with spaces or an empty one,
    /// hex:00ff for raw bytes, # for comments) on one connection to each server, and returns every difference.
    /// </summary>
    public List<string> Differences(string script)
    {
        using var ours = Codis.Client();
        using var theirs = Redis.Client();
        var diffs = new List<string>();
        foreach (var raw in script.Split('\n'))
        {
            string line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var args = Words(line);
            string expected = theirs.Call(args).ToString();
            string actual = ours.Call(args).ToString();
            if (expected != actual) diffs.Add($"{line}\n  redis: {Short(expected)}\n  codis: {Short(actual)}");
        }
        return diffs;
    }

    /// <summary>Asserts that a script gets the same replies from both servers.</summary>
    public void AssertSame(string script)
    {
        var diffs = Differences(script);
        Assert.True(diffs.Count == 0, $"{diffs.Count} replies differ from redis-server:\n" + string.Join("\n", diffs.Take(20)));
    }

    private static string Short(string s) => s.Length > 300 ? s[..300] + "..." : s;

    public static byte[][] Words(string line)
    {
        var words = new List<byte[]>();
        int i = 0;
        while (i < line.Length)
        {
            if (line[i] == ' ')
            {
                i++;
                continue;
            }
            if (line[i] == '"')
            {
                int close = line.IndexOf('"', i + 1);
                words.Add(Encoding.UTF8.GetBytes(line[(i + 1)..close]));
                i = close + 1;
                continue;
            }
            int end = line.IndexOf(' ', i);
            if (end < 0) end = line.Length;
            string word = line[i..end];
            words.Add(word.StartsWith("hex:", StringComparison.Ordinal) ? Convert.FromHexString(word[4..]) : Encoding.UTF8.GetBytes(word));
            i = end;
        }
        return words.ToArray();
    }

    public void Dispose()
    {
        Codis.Dispose();
        Redis.Dispose();
        GC.SuppressFinalize(this);
    }
}

/// <summary>Both servers with DEBUG allowed (it is refused by default in Redis 7, and cannot be turned on at run time).</summary>
public sealed class DebugPeerFixture() : PeerFixture(["--enable-debug-command", "yes"]);
