using Codis.Core.Resp;
using Codis.Server.Tests.Infrastructure;
using Codis.Testing;

namespace Codis.Server.Tests.Admin;

/// <summary>codis-server and redis-server 7.0 side by side, both with DEBUG enabled, for the admin commands.</summary>
public sealed class AdminFixture : IDisposable
{
    public CodisServerProcess Codis { get; } = CodisServerProcess.Start("--enable-debug-command", "yes");
    public RedisServerProcess Redis { get; } = RedisServerProcess.Start("--enable-debug-command", "yes");

    public RespClient Client() => Codis.Client();

    /// <summary>Runs a script (see <see cref="PeerFixture.Words"/>) on both servers and asserts identical replies.</summary>
    public void AssertSame(string script)
    {
        using var ours = Codis.Client();
        using var theirs = Redis.Client();
        var diffs = new List<string>();
        foreach (var raw in script.Split('\n'))
        {
            string line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var args = PeerFixture.Words(line);
            string expected = theirs.Call(args).ToString();
            string actual = ours.Call(args).ToString();
            if (expected != actual) diffs.Add($"{line}\n  redis: {expected}\n  codis: {actual}");
        }
        Assert.True(diffs.Count == 0, $"{diffs.Count} replies differ from redis-server:\n" + string.Join("\n", diffs));
    }

    /// <summary>INFO text as section name → (field → value).</summary>
    public static Dictionary<string, Dictionary<string, string>> ParseInfo(string text)
    {
        var sections = new Dictionary<string, Dictionary<string, string>>(StringComparer.OrdinalIgnoreCase);
        Dictionary<string, string>? current = null;
        foreach (var line in text.Split("\r\n"))
        {
            if (line.StartsWith("# ", StringComparison.Ordinal))
            {
                current = new Dictionary<string, string>(StringComparer.Ordinal);
                sections[line[2..]] = current;
            }
            else if (line.Length > 0 && current != null)
            {
                int colon = line.IndexOf(':');
                current[line[..colon]] = line[(colon + 1)..];
            }
        }
        return sections;
    }

    public void Dispose()
    {
        Codis.Dispose();
        Redis.Dispose();
    }
}
