using System.Diagnostics;
using Codis.Core.Resp;
using Codis.Server.Tests.Infrastructure;
using Codis.Testing;
using static Codis.Server.Tests.Replicas.ReplicationTests;

namespace Codis.Server.Tests.Keys;

/// <summary>
/// MIGRATE between codis-server and redis-server 7.0 in every direction, every value type with its TTL; COPY,
/// REPLACE, KEYS, AUTH; the error replies side by side with redis-server as the source; a hung target blocks only
/// the calling client; a key written while its copy travels reaches the target in its new state.
/// </summary>
public class MigrateTests(MigrateFixture fx) : IClassFixture<MigrateFixture>
{
    private const string Host = "127.0.0.1";

    /// <summary>Fills the source, migrates every key with one KEYS request, and checks the target holds the same values.</summary>
    private static void MigrateEveryType(RespClient source, RespClient target, int targetPort, string prefix)
    {
        var keys = KeyContents.Fill(source, prefix);
        var before = keys.ToDictionary(k => k, k => KeyContents.Of(source, k));
        long ttl = source.Call("PTTL", prefix + "ttl").Integer;
        target.Call(["DEL", .. keys]);
        source.Call(["MIGRATE", Host, targetPort.ToString(), "", "0", "5000", "KEYS", .. keys]).AssertOk();
        foreach (var k in keys)
        {
            Assert.Equal(0, source.Call("EXISTS", k).Integer);
            Assert.Equal(before[k], KeyContents.Of(target, k));
        }
        long after = target.Call("PTTL", prefix + "ttl").Integer;
        Assert.InRange(after, 1, ttl);
        Assert.InRange(after, ttl - 10_000, ttl);
        Assert.Equal(-1, target.Call("PTTL", prefix + "str").Integer);
    }

    [Fact]
    public void OursToRedis_EveryType_SameValuesAndTtl()
    {
        using var s = fx.Codis.Client();
        using var t = fx.RedisTarget.Client();
        MigrateEveryType(s, t, fx.RedisTarget.Port, "o2r:");
    }

    [Fact]
    public void RedisToOurs_EveryType_SameValuesAndTtl()
    {
        using var s = fx.Redis.Client();
        using var t = fx.CodisTarget.Client();
        MigrateEveryType(s, t, fx.CodisTarget.Port, "r2o:");
    }

    [Fact]
    public void OursToOurs_EveryType_SameValuesAndTtl_OneKeyForm()
    {
        using var s = fx.Codis.Client();
        using var t = fx.CodisTarget.Client();
        MigrateEveryType(s, t, fx.CodisTarget.Port, "o2o:");
        s.Call("SET", "o2o:single", "x", "EX", "100").AssertOk();
        s.Call("MIGRATE", Host, fx.CodisTarget.Port, "o2o:single", "0", "1000").AssertOk();
        Assert.Equal("x", t.Call("GET", "o2o:single").Text);
        Assert.InRange(t.Call("TTL", "o2o:single").Integer, 90, 100);
    }

    [Fact]
    public void CopyReplaceKeysAndNokey_OursToOurs()
    {
        using var s = fx.Codis.Client();
        using var t = fx.CodisTarget.Client();
        string port = fx.CodisTarget.Port.ToString();
        t.Call("DEL", "cr:a", "cr:b", "cr:c");
        s.Call("SET", "cr:a", "1").AssertOk();
        s.Call("MIGRATE", Host, port, "cr:a", "0", "1000", "COPY").AssertOk();
        Assert.Equal("1", s.Call("GET", "cr:a").Text);
        Assert.Equal("1", t.Call("GET", "cr:a").Text);
        s.Call("MIGRATE", Host, port, "cr:a", "0", "1000", "COPY").AssertError("ERR Target instance replied with error: BUSYKEY Target key name already exists.");
        s.Call("SET", "cr:a", "2").AssertOk();
        s.Call("MIGRATE", Host, port, "cr:a", "0", "1000", "REPLACE").AssertOk();
        Assert.Equal(0, s.Call("EXISTS", "cr:a").Integer);
        Assert.Equal("2", t.Call("GET", "cr:a").Text);
        Assert.Equal("NOKEY", s.Call("MIGRATE", Host, port, "cr:a", "0", "1000").Text);
        Assert.Equal("NOKEY", s.Call("MIGRATE", Host, port, "", "0", "1000", "KEYS", "cr:none", "cr:a").Text);

        // KEYS: the keys the target refused stay, the others move; the reply is the first refusal.
        s.Call("MSET", "cr:a", "3", "cr:b", "4", "cr:c", "5").AssertOk();
        s.Call("MIGRATE", Host, port, "", "0", "1000", "KEYS", "cr:a", "cr:b", "cr:none", "cr:c")
            .AssertError("ERR Target instance replied with error: BUSYKEY");
        Assert.Equal(1, s.Call("EXISTS", "cr:a", "cr:b", "cr:c").Integer);
        Assert.Equal("3", s.Call("GET", "cr:a").Text);
        Assert.Equal("4", t.Call("GET", "cr:b").Text);

        // Another db, selected once on the cached link; then back to db 0 on the same link.
        s.Call("SET", "cr:db", "x").AssertOk();
        s.Call("MIGRATE", Host, port, "cr:db", "3", "1000", "COPY").AssertOk();
        t.Call("SELECT", "3").AssertOk();
        Assert.Equal("x", t.Call("GETDEL", "cr:db").Text);
        t.Call("SELECT", "0").AssertOk();
        s.Call("MIGRATE", Host, port, "cr:db", "0", "1000").AssertOk();
        Assert.Equal("x", t.Call("GET", "cr:db").Text);
    }

    [Fact]
    public void Auth_ToServerWithRequirepass()
    {
        using var s = fx.Codis.Client();
        using var t = fx.AuthTarget.Client();
        t.Call("AUTH", "secret").AssertOk();
        string port = fx.AuthTarget.Port.ToString();
        s.Call("SET", "au:a", "1").AssertOk();
        s.Call("MIGRATE", Host, port, "au:a", "0", "1000").AssertError("ERR Target instance replied with error: NOAUTH Authentication required.");
        s.Call("MIGRATE", Host, port, "au:a", "0", "1000", "AUTH", "wrong").AssertError("ERR Target instance replied with error: WRONGPASS");
        Assert.Equal(1, s.Call("EXISTS", "au:a").Integer);
        s.Call("MIGRATE", Host, port, "au:a", "0", "1000", "AUTH", "secret").AssertOk();
        Assert.Equal("1", t.Call("GET", "au:a").Text);
        s.Call("SET", "au:b", "2").AssertOk();
        s.Call("MIGRATE", Host, port, "", "0", "1000", "AUTH2", "default", "secret", "KEYS", "au:b").AssertOk();
        Assert.Equal("2", t.Call("GET", "au:b").Text);
        Assert.Equal(0, s.Call("EXISTS", "au:a", "au:b").Integer);
    }

    /// <summary>The same MIGRATE from redis-server and from ours, to the same targets, get the same reply.</summary>
    [Fact]
    public void Errors_SameAsRedis()
    {
        using var ours = fx.Codis.Client();
        using var theirs = fx.Redis.Client();
        using var target = fx.RedisTarget.Client();
        using var silent = new FakeTarget(FakeTarget.Mode.Silent);
        using var closing = new FakeTarget(FakeTarget.Mode.Close);
        string t = fx.RedisTarget.Port.ToString(), auth = fx.AuthTarget.Port.ToString(), closed = MigrateFixture.ClosedPort().ToString();
        string[][] cases =
        [
            ["MIGRATE", Host, t, "er:a", "0", "1000"], // BUSYKEY: the target has it
            ["MIGRATE", Host, t, "er:a", "99", "1000"],
            ["MIGRATE", Host, t, "er:a", "x", "1000"],
            ["MIGRATE", Host, t, "er:a", "0", "soon"],
            ["MIGRATE", Host, t, "er:a", "0", "1000", "FOO"],
            ["MIGRATE", Host, t, "er:a", "x", "1000", "AUTH"],
            ["MIGRATE", Host, t, "er:a", "0", "1000", "AUTH2", "u"],
            ["MIGRATE", Host, t, "er:a", "0", "1000", "KEYS", "er:a"],
            ["MIGRATE", Host, t, "", "0", "1000", "KEYS"],
            ["MIGRATE", Host, t, "", "0", "1000"],
            ["MIGRATE", Host, t, "er:none", "0", "1000"],
            ["MIGRATE", Host, t, "", "0", "1000", "REPLACE", "KEYS", "er:none"],
            ["MIGRATE", Host, closed, "er:a", "0", "1000"],
            ["MIGRATE", Host, "", "er:a", "0", "1000"],
            ["MIGRATE", Host, "-5", "er:a", "0", "1000"],
            ["MIGRATE", "nosuchhost.invalid", t, "er:a", "0", "1000"],
            ["MIGRATE", "", t, "er:a", "0", "1000"],
            // "localhost": not the link Auth_ToServerWithRequirepass may have authenticated (links are cached per host:port).
            ["MIGRATE", "localhost", auth, "er:a", "0", "1000"],
            ["MIGRATE", "localhost", auth, "er:a", "0", "1000", "AUTH", "nope"],
            ["MIGRATE", "localhost", auth, "er:a", "0", "1000", "AUTH2", "default", "nope"],
            ["MIGRATE", Host, silent.Port.ToString(), "er:a", "0", "200"],
            ["MIGRATE", Host, closing.Port.ToString(), "er:a", "0", "1000"],
            ["MIGRATE", Host, t, "er:a"],
        ];
        target.Call("SET", "er:a", "taken").AssertOk();
        var diffs = new List<string>();
        foreach (var c in cases)
        {
            theirs.Call("SET", "er:a", "1").AssertOk();
            ours.Call("SET", "er:a", "1").AssertOk();
            string expected = theirs.Call(c).ToString(), actual = ours.Call(c).ToString();
            if (expected != actual) diffs.Add($"{string.Join(' ', c)}\n  redis: {expected}\n  codis: {actual}");
            long kept = theirs.Call("EXISTS", "er:a").Integer;
            if (ours.Call("EXISTS", "er:a").Integer != kept) diffs.Add($"{string.Join(' ', c)}: the key {(kept == 1 ? "stayed" : "moved")} in redis");
        }
        Assert.True(diffs.Count == 0, string.Join("\n", diffs));
        Assert.Equal("taken", target.Call("GET", "er:a").Text);
    }

    [Fact]
    public void CommandInfoAndGetKeys_SameAsRedis()
    {
        using var ours = fx.Codis.Client();
        using var theirs = fx.Redis.Client();
        string[][] cases =
        [
            ["COMMAND", "INFO", "migrate"],
            ["COMMAND", "GETKEYS", "MIGRATE", "h", "1", "k", "0", "0"],
            ["COMMAND", "GETKEYS", "MIGRATE", "h", "1", "", "0", "0", "COPY", "KEYS", "a", "b"],
            ["COMMAND", "GETKEYS", "MIGRATE", "h", "1", "", "0", "0", "AUTH", "keys", "KEYS", "x"],
            ["COMMAND", "GETKEYS", "MIGRATE", "h", "1", "", "0", "0", "AUTH2", "keys", "keys", "KEYS", "x"],
            ["COMMAND", "GETKEYS", "MIGRATE", "h", "1", "k", "0", "0", "KEYS", "a"],
            ["COMMAND", "GETKEYSANDFLAGS", "MIGRATE", "h", "1", "", "0", "0", "KEYS", "a", "b"],
        ];
        foreach (var c in cases) Assert.Equal(theirs.Call(c).ToString(), ours.Call(c).ToString());
    }

    /// <summary>A target that never answers: the MIGRATE times out, but only its own client waited.</summary>
    [Fact]
    public async Task HungTarget_OtherClientsServedMeanwhile_ThenReadTimeout()
    {
        using var hung = new FakeTarget(FakeTarget.Mode.Silent);
        using var s = fx.Codis.Client();
        using var other = fx.Codis.Client();
        s.Call("SET", "hu:a", "1").AssertOk();
        var watch = Stopwatch.StartNew();
        var migrate = Task.Run(() => s.Call("MIGRATE", Host, hung.Port.ToString(), "hu:a", "0", "3000"));
        Eventually.True(() => hung.Received.Count >= 2, TimeSpan.FromSeconds(10), "the target to receive SELECT and RESTORE");
        var ping = Stopwatch.StartNew();
        Assert.Equal("PONG", other.Call("PING").Text);
        other.Call("SET", "hu:b", "2").AssertOk();
        Assert.True(ping.ElapsedMilliseconds < 1000, $"other clients waited {ping.ElapsedMilliseconds} ms");
        Assert.False(migrate.IsCompleted);
        (await migrate).AssertError("IOERR error or timeout reading to target instance");
        Assert.InRange(watch.ElapsedMilliseconds, 2500, 10_000);
        Assert.Equal("1", s.Call("GET", "hu:a").Text);
    }

    /// <summary>Keys written or deleted here while their copies travel: the target is brought up to date before OK.</summary>
    [Fact]
    public async Task KeysChangedInFlight_TargetGetsTheirNewState()
    {
        using var fake = new FakeTarget(FakeTarget.Mode.Ok);
        using var s = fx.Codis.Client();
        using var other = fx.Codis.Client();
        s.Call("MSET", "fl:a", "old", "fl:b", "gone-soon", "fl:c", "same").AssertOk();
        fake.Release.Reset();
        var migrate = Task.Run(() => s.Call("MIGRATE", Host, fake.Port.ToString(), "", "0", "5000", "KEYS", "fl:a", "fl:b", "fl:c"));
        Eventually.True(() => fake.Received.Count >= 4, TimeSpan.FromSeconds(10), "SELECT and three RESTOREs");
        other.Call("SET", "fl:a", "new").AssertOk();
        Assert.Equal(1, other.Call("DEL", "fl:b").Integer);
        fake.Release.Set();
        (await migrate).AssertOk();
        var got = fake.Received.Select(c => string.Join(' ', c.Take(2).Select(a => System.Text.Encoding.UTF8.GetString(a)))).ToList();
        Assert.Equal(["SELECT 0", "RESTORE fl:a", "RESTORE fl:b", "RESTORE fl:c", "RESTORE fl:a", "DEL fl:b"], got);
        var resent = fake.Received[4];
        Assert.Equal("REPLACE", System.Text.Encoding.UTF8.GetString(resent[^1]));
        Assert.Equal("new", System.Text.Encoding.UTF8.GetString(resent[3].AsSpan(2, 3)));
        Assert.Equal(0, s.Call("EXISTS", "fl:a", "fl:b", "fl:c").Integer);
    }

    /// <summary>Redis keeps one link per target for 10 s: the second MIGRATE reuses the first one's connection.</summary>
    [Fact]
    public void LinkCachedPerTarget()
    {
        using var fake = new FakeTarget(FakeTarget.Mode.Ok);
        using var s = fx.Codis.Client();
        s.Call("SET", "ca:a", "1").AssertOk();
        s.Call("MIGRATE", Host, fake.Port.ToString(), "ca:a", "0", "1000", "COPY").AssertOk();
        s.Call("MIGRATE", Host, fake.Port.ToString(), "ca:a", "0", "1000", "COPY").AssertOk();
        s.Call("MIGRATE", Host, fake.Port.ToString(), "ca:a", "0", "1000").AssertOk();
        var names = fake.Received.Select(c => System.Text.Encoding.UTF8.GetString(c[0])).ToList();
        Assert.Equal(["SELECT", "RESTORE", "RESTORE", "RESTORE"], names);
        Assert.Equal(0, s.Call("EXISTS", "ca:a").Integer);
    }

    /// <summary>The source's replicas see the move as DEL; COPY sends them nothing.</summary>
    [Fact]
    public void Replica_SeesDel()
    {
        using var master = CodisServerProcess.Start("--save", "");
        using var replica = RedisServerProcess.Start("--replicaof", "127.0.0.1", master.Port.ToString());
        using var m = master.Client();
        using var r = replica.Client();
        using var t = fx.CodisTarget.Client();
        WaitLinkUp(r);
        m.Call("MSET", "rp:a", "1", "rp:b", "2").AssertOk();
        Eventually.True(() => r.Call("EXISTS", "rp:a", "rp:b").Integer == 2, TimeSpan.FromSeconds(10), "the replica to get the keys");
        t.Call("DEL", "rp:a", "rp:b");
        m.Call("MIGRATE", Host, fx.CodisTarget.Port.ToString(), "rp:b", "0", "1000", "COPY").AssertOk();
        m.Call("MIGRATE", Host, fx.CodisTarget.Port.ToString(), "", "0", "1000", "KEYS", "rp:a").AssertOk();
        Eventually.True(() => r.Call("EXISTS", "rp:a").Integer == 0, TimeSpan.FromSeconds(10), "the replica to delete the moved key");
        Assert.Equal(1, r.Call("EXISTS", "rp:b").Integer);
    }

    /// <summary>Inside MULTI the whole migration runs at once, and the EXEC reply holds its OK.</summary>
    [Fact]
    public void InsideMulti_Runs()
    {
        using var s = fx.Codis.Client();
        using var t = fx.CodisTarget.Client();
        t.Call("DEL", "mu:a");
        s.Call("SET", "mu:a", "1").AssertOk();
        s.Call("MULTI").AssertOk();
        Assert.Equal("QUEUED", s.Call("MIGRATE", Host, fx.CodisTarget.Port.ToString(), "mu:a", "0", "1000").Text);
        Assert.Equal("QUEUED", s.Call("EXISTS", "mu:a").Text);
        var exec = s.Call("EXEC").Items!;
        Assert.Equal("OK", exec[0].Text);
        Assert.Equal(0, exec[1].Integer);
        Assert.Equal("1", t.Call("GET", "mu:a").Text);
    }

    /// <summary>In a script MIGRATE runs under the lock like the rest of it; an expired key is not migrated (NOKEY).</summary>
    [Fact]
    public void InScript_AndExpiredKey()
    {
        using var s = fx.Codis.Client();
        using var t = fx.CodisTarget.Client();
        t.Call("DEL", "sc:a", "sc:gone");
        s.Call("SET", "sc:a", "1").AssertOk();
        s.Call("EVAL", "return redis.call('MIGRATE', ARGV[1], ARGV[2], KEYS[1], '0', '1000')", "1", "sc:a", Host, fx.CodisTarget.Port.ToString()).AssertOk();
        Assert.Equal("1", t.Call("GET", "sc:a").Text);
        Assert.Equal(0, s.Call("EXISTS", "sc:a").Integer);
        s.Call("SET", "sc:gone", "1", "PX", "1").AssertOk();
        Thread.Sleep(20);
        Assert.Equal("NOKEY", s.Call("MIGRATE", Host, fx.CodisTarget.Port.ToString(), "sc:gone", "0", "1000").Text);
        Assert.Equal(0, t.Call("EXISTS", "sc:gone").Integer);
    }

    /// <summary>A cached link the target closed meanwhile: the MIGRATE retries once on a new connection, as Redis does.</summary>
    [Fact]
    public void CachedLinkClosedByTarget_RetriedOnce()
    {
        using var s = fx.Codis.Client();
        using var t = fx.CodisTarget.Client();
        string port = fx.CodisTarget.Port.ToString();
        t.Call("DEL", "rt:a", "rt:b");
        s.Call("MSET", "rt:a", "1", "rt:b", "2").AssertOk();
        s.Call("MIGRATE", Host, port, "rt:a", "0", "1000").AssertOk();
        var link = t.Call("CLIENT", "LIST").Text!.Split('\n').Single(l => l.Contains("cmd=restore") && l.Contains($"laddr=127.0.0.1:{port}"));
        string id = link.Split(' ')[0]["id=".Length..];
        Assert.Equal(1, t.Call("CLIENT", "KILL", "ID", id).Integer);
        s.Call("MIGRATE", Host, port, "rt:b", "0", "1000").AssertOk();
        Assert.Equal("2", t.Call("GET", "rt:b").Text);
    }
}
