using Codis.Core.Resp;
using Codis.Server.Tests.Infrastructure;
using Codis.Testing;
using static Codis.Server.Tests.Replicas.ReplicationTests;

namespace Codis.Server.Tests.Geo;

/// <summary>
/// What replicas and the AOF get from the GEO writes: GEOADD as the ZADD it stands for (as Redis propagates it),
/// the STORE searches as they are, nothing for a search that stores nothing new or only reads. A real
/// redis-server 7.0 replica must end up with the same sorted sets, and so must a restart from the AOF.
/// </summary>
public class GeoPropagationTests
{
    private static readonly string[] Keys = ["{g}pts", "{g}near", "{g}dist", "{g}box", "{g}gone", "{g}never"];

    private static void Writes(RespClient m)
    {
        Assert.Equal(4, m.Call("GEOADD", "{g}pts", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania",
            "180", "85.05112878", "corner", "-179.9", "-85", "south").Integer);
        Assert.Equal(1, m.Call("GEOADD", "{g}pts", "CH", "XX", "13.5", "38", "Palermo", "1", "1", "absent").Integer);
        Assert.Equal(0, m.Call("GEOADD", "{g}pts", "NX", "0", "0", "Catania").Integer);
        Assert.Equal(2, m.Call("GEORADIUS", "{g}pts", "15", "37", "200", "km", "STORE", "{g}near").Integer);
        Assert.Equal(2, m.Call("GEORADIUSBYMEMBER", "{g}pts", "Palermo", "300", "km", "STOREDIST", "{g}dist", "COUNT", "5").Integer);
        Assert.Equal(1, m.Call("GEOSEARCHSTORE", "{g}box", "{g}pts", "FROMLONLAT", "179", "-84", "BYBOX", "500", "500", "km", "STOREDIST").Integer);
        Assert.Equal(1, m.Call("GEOADD", "{g}gone", "1", "1", "x").Integer);
        Assert.Equal(0, m.Call("GEORADIUS", "{g}pts", "0", "0", "1", "km", "STORE", "{g}gone").Integer);
        Assert.Equal(0, m.Call("GEOSEARCHSTORE", "{g}never", "{g}pts", "FROMLONLAT", "0", "0", "BYRADIUS", "1", "km").Integer);
    }

    private static List<string> Snapshot(RespClient c) =>
        Keys.Select(k => $"{k}: {c.Call("TYPE", k)} {c.Call("ZRANGE", k, "0", "-1", "WITHSCORES")}").ToList();

    [Fact]
    public void Redis_replica_of_codis_gets_the_same_sets_and_reads_send_nothing()
    {
        using var master = CodisServerProcess.Start("--save", "");
        using var redis = RedisServerProcess.Start("--replicaof", "127.0.0.1", master.Port.ToString());
        using var m = master.Client();
        using var r = redis.Client();
        WaitLinkUp(r);
        Writes(m);
        var expected = Snapshot(m);
        Assert.Contains("{g}gone: none", expected[4]);
        Eventually.True(() => Snapshot(r).SequenceEqual(expected), TimeSpan.FromSeconds(30), "the replica to have the master's sets");

        // Searches that only read, or store nothing where nothing was, do not grow the stream.
        string offset = Info(m, "replication")["master_repl_offset"];
        m.Call("GEORADIUS", "{g}pts", "15", "37", "200", "km", "WITHDIST");
        m.Call("GEOSEARCH", "{g}pts", "FROMMEMBER", "Palermo", "BYRADIUS", "100", "km");
        m.Call("GEORADIUS_RO", "{g}pts", "15", "37", "200", "km");
        m.Call("GEORADIUS", "{g}pts", "0", "0", "1", "km", "STORE", "{g}never");
        m.Call("GEOADD", "{g}pts", "13.5", "38", "Palermo");
        m.Call("GEOADD", "{g}pts", "XX", "1", "1", "absent");
        Assert.Equal(offset, Info(m, "replication")["master_repl_offset"]);
    }

    [Fact]
    public void Aof_holds_zadd_for_geoadd_and_replays_to_the_same_sets()
    {
        List<string> expected;
        string dir;
        using (var s = CodisServerProcess.Start("--save", "", "--appendonly", "yes", "--appendfsync", "always"))
        {
            dir = s.DataDir;
            using var c = s.Client();
            Writes(c);
            expected = Snapshot(c);
        }
        string aof = string.Concat(Directory.GetFiles(Path.Combine(dir, "appendonlydir"), "*.incr.aof").Select(File.ReadAllText));
        Assert.Contains("zadd", aof, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("geoadd", aof, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("GEORADIUS", aof, StringComparison.Ordinal);
        Assert.Contains("GEOSEARCHSTORE", aof, StringComparison.Ordinal);

        using (var again = CodisServerProcess.StartIn(dir, "--save", "", "--appendonly", "yes"))
        {
            using var c2 = again.Client();
            Assert.Equal(expected, Snapshot(c2));
        }

        // The same file replays on redis-server 7.0.
        using var redis = RedisServerProcess.Start("--dir", dir, "--appendonly", "yes");
        using var r = redis.Client();
        Eventually.True(() => r.Call("PING").Text == "PONG", TimeSpan.FromSeconds(30), "redis-server to load the AOF");
        Assert.Equal(expected, Snapshot(r));
    }
}
