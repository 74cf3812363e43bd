using System.Text;
using Codis.Server.Tests.Infrastructure;

namespace Codis.Server.Tests.Resp3;

/// <summary>
/// Client-side caching (CLIENT TRACKING, CACHING, TRACKINGINFO, GETREDIR) against Debian's redis-server 7.0:
/// scripts over several named connections ("a get k"), comparing each reply and every invalidation the other
/// connections receive, frame for frame. "$R" stands for the id of connection r (its CLIENT ID reply).
/// </summary>
public partial class TrackingOracleTests(PeerFixture peers) : IClassFixture<PeerFixture>
{
    /// <summary>
    /// Runs the script on one server. With <paramref name="expect"/> null (the oracle) each connection's frames are
    /// read until it is quiet and their counts recorded in <paramref name="counts"/>; otherwise exactly that many are read.
    /// </summary>
    private static List<string> Run(int port, string script, List<int>? expect, List<int> counts)
    {
        var conns = new SortedDictionary<string, Resp3Connection>(StringComparer.Ordinal);
        var log = new List<string>();
        string rid = "0";
        int step = 0;
        try
        {
            foreach (var raw in script.Split('\n'))
            {
                string line = raw.Trim();
                if (line.Length == 0 || line.StartsWith('#')) continue;
                int space = line.IndexOf(' ');
                string name = line[..space], command = line[(space + 1)..].Replace("$R", rid);
                if (!conns.TryGetValue(name, out var c)) conns[name] = c = new Resp3Connection(port, protocol: 2);
                var reply = c.Call(PeerFixture.Words(command));
                if (name == "r" && command == "client id") rid = Encoding.ASCII.GetString(reply)[1..^2];
                log.Add($"{line} => {Show(reply)}");
                foreach (var (other, o) in conns)
                {
                    if (expect == null)
                    {
                        int n = 0;
                        while (o.TryReadFrame(150) is { } f)
                        {
                            log.Add($"  {other} got {Show(f)}");
                            n++;
                        }
                        counts.Add(n);
                    }
                    else
                        for (int i = 0; i < expect[step]; i++) log.Add($"  {other} got {(o.TryReadFrame(3000) is { } f ? Show(f) : "(nothing)")}");
                    step++;
                }
            }
        }
        finally
        {
            foreach (var c in conns.Values) c.Dispose();
        }
        // Client ids differ between the servers: the redirect target's and HELLO's are normalized.
        return log.Select(l => HelloId().Replace(rid == "0" ? l : l
            .Replace($"redirect⏎:{rid}⏎", "redirect⏎:R⏎").Replace($"tracking-redir-broken⏎:{rid}⏎", "tracking-redir-broken⏎:R⏎")
            .Replace($"r client id => :{rid}⏎", "r client id => :R⏎").Replace($"getredir => :{rid}⏎", "getredir => :R⏎"), "id⏎:ID")).ToList();
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"(?<=\$2⏎)id⏎:\d+")]
    private static partial System.Text.RegularExpressions.Regex HelloId();

    private static string Show(byte[] frame) => Resp3Frames.Show(frame);

    private void AssertSame(string script)
    {
        var counts = new List<int>();
        var expected = Run(peers.Redis.Port, script, null, counts);
        var actual = Run(peers.Codis.Port, script, counts, []);
        Assert.Equal(string.Join("\n", expected), string.Join("\n", actual));
    }

    [Fact]
    public void DefaultMode_Resp3Pushes_SameAsRedis() => AssertSame("""
        b flushall
        a hello 3
        a client tracking on
        a client getredir
        a client trackinginfo
        a get k1
        a mget k2 k3
        b set k1 x
        b mset k2 1 k3 2
        b set k1 again
        a get k1
        a set k1 y
        a client tracking on noloop
        a client trackinginfo
        a get k1
        a set k1 z
        b del k1
        a get k4
        b expire k4 100
        a client tracking off
        a client getredir
        a client trackinginfo
        """);

    [Fact]
    public void ScriptsReadsAndWrites_CountForTheCaller_SameAsRedis() => AssertSame("""
        b flushall
        a hello 3
        a client tracking on noloop
        a eval "return redis.call('get','s1')" 0
        b set s1 x
        a eval "return redis.call('get',KEYS[1])" 1 s1
        b set s1 y
        a eval "return redis.call('get',KEYS[1])" 1 s2
        a eval "return redis.call('set',KEYS[1],'mine')" 1 s2
        a eval "return redis.call('get',KEYS[1])" 1 s2
        b set s2 theirs
        a client tracking off
        a client tracking on optin
        a client caching yes
        a eval "redis.call('get',KEYS[1]); return redis.call('get',KEYS[2])" 2 s3 s4
        b mset s3 1 s4 2
        a client tracking off
        """);

    [Fact]
    public void Bcast_Prefixes_SameAsRedis() => AssertSame("""
        b flushall
        a hello 3
        a client tracking on bcast prefix p: prefix q:
        a client trackinginfo
        b set p:1 x
        b set other 1
        b mset p:2 x p:3 y q:1 y zz 1
        a client tracking on prefix p:
        a client tracking on bcast prefix p:1
        a client tracking on bcast prefix r: prefix r:1
        a client tracking on bcast prefix s:
        a client trackinginfo
        b set s:x 1
        a client tracking on
        a client tracking off
        a client tracking on prefix x:
        """);

    [Fact]
    public void OptInOptOut_AndErrors_SameAsRedis() => AssertSame("""
        b flushall
        a hello 3
        a client caching yes
        a client tracking on optin optout
        a client tracking on optin bcast
        a client tracking on redirect 99999999
        a client tracking on redirect 1 redirect 2
        a client tracking maybe
        a client tracking on foo
        a client tracking on optin
        a client caching no
        a client caching maybe
        a client trackinginfo
        a get o1
        b set o1 1
        a client caching yes
        a client trackinginfo
        a get o1
        b set o1 2
        a client tracking on optout
        a client tracking off
        a client tracking on optout
        a client caching yes
        a client caching no
        a get o2
        b set o2 1
        a get o2
        b set o2 2
        a client tracking off
        """);

    [Fact]
    public void RedirectToResp2Subscriber_AndFlush_SameAsRedis() => AssertSame("""
        b flushall
        r client id
        r subscribe __redis__:invalidate
        a client tracking on redirect $R
        a client getredir
        a get k1
        b set k1 x
        a get k1
        a get k2
        b flushdb
        a client tracking off
        c hello 3
        c client tracking on
        c get f1
        b flushall
        c client tracking off
        """);

    [Fact]
    public void BrokenRedirect_IsReported_SameAsRedis() => AssertSame("""
        b flushall
        r client id
        a hello 3
        a client tracking on redirect $R
        r quit
        a get kk
        b set kk 1
        a client trackinginfo
        """);

    [Fact]
    public void Tracking_ShowsInInfoAndClientList()
    {
        using var a = new Resp3Connection(peers.Codis.Port);
        using var b = new Resp3Connection(peers.Codis.Port);
        a.Call("FLUSHALL"); // empties the tracking table left by other tests
        a.Call("CLIENT", "TRACKING", "ON");
        a.Call("GET", "trk:info:1");
        a.Call("GET", "trk:info:2");
        b.Call("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "trk:");
        string info = Encoding.UTF8.GetString(a.Call("INFO"));
        Assert.Contains("tracking_clients:2\r\n", info);
        Assert.Contains("tracking_total_keys:2\r\n", info);
        Assert.Contains("tracking_total_items:2\r\n", info);
        Assert.Contains("tracking_total_prefixes:1\r\n", info);
        string list = Encoding.UTF8.GetString(a.Call("CLIENT", "LIST"));
        Assert.Contains(" flags=t ", list);
        Assert.Contains(" flags=tB ", list);
        Assert.Contains(" redir=0 ", list);
        b.Call("CLIENT", "TRACKING", "OFF");
        a.Call("CLIENT", "TRACKING", "OFF");
        info = Encoding.UTF8.GetString(a.Call("INFO"));
        Assert.Contains("tracking_clients:0\r\n", info);
        Assert.Contains("tracking_total_prefixes:0\r\n", info);
    }
}
