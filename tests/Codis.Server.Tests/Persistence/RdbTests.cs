using System.Diagnostics;
using Codis.Core.Resp;
using Codis.Server.Tests.Infrastructure;
using Codis.Testing;
using static Codis.Server.Tests.Durability.PersistenceHelpers;

namespace Codis.Server.Tests.Durability;

/// <summary>
/// RDB snapshots through real processes: restart keeps the data, files pass redis-check-rdb and load into
/// redis-server 7.0, redis-server's files load into ours, BGSAVE serves clients meanwhile (copy-on-write strings),
/// save rules, SHUTDOWN SAVE/NOSAVE and SIGTERM.
/// </summary>
public class RdbTests
{
    [Fact]
    public void Save_then_restart_keeps_every_key_value_and_expiry()
    {
        var data = Dataset();
        string dir;
        using (var s = CodisServerProcess.Start("--save", ""))
        {
            dir = s.DataDir;
            using var c = s.Client();
            Load(c, data);
            Ok(c.Call("SAVE"));
            Assert.True(c.Call("LASTSAVE").Integer > DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 60);
        }
        using var again = CodisServerProcess.StartIn(dir, "--save", "");
        using var c2 = again.Client();
        AssertHas(c2, data);
        Assert.Contains("DB loaded from disk", again.Output);
    }

    [Fact]
    public void Our_file_passes_redis_check_rdb_and_loads_into_redis_server()
    {
        var data = Dataset();
        using var s = CodisServerProcess.Start("--save", "");
        using (var c = s.Client())
        {
            Load(c, data);
            Ok(c.Call("SAVE"));
        }
        string file = Path.Combine(s.DataDir, "dump.rdb");
        var (exit, output) = Run("redis-check-rdb", file);
        Assert.True(exit == 0 && output.Contains("RDB looks OK"), output);

        using var redis = RedisServerProcess.Start("--dir", s.DataDir, "--dbfilename", "dump.rdb");
        using var rc = redis.Client();
        WaitLoaded(rc);
        AssertHas(rc, data);
    }

    [Fact]
    public void Redis_server_file_loads_into_ours()
    {
        var data = Dataset();
        using var redis = RedisServerProcess.Start();
        using (var rc = redis.Client())
        {
            Load(rc, data);
            Ok(rc.Call("SAVE"));
        }
        using var s = CodisServerProcess.StartIn(redis.DataDir, "--save", "");
        using var c = s.Client();
        AssertHas(c, data);
    }

    [Fact]
    public void Bad_files_refuse_to_start_with_a_message_that_names_the_problem()
    {
        // A wrong checksum.
        var data = Dataset();
        string dir;
        using (var s = CodisServerProcess.Start("--save", ""))
        {
            dir = s.DataDir;
            using var c = s.Client();
            Load(c, data.Take(20).ToList());
            Ok(c.Call("SAVE"));
        }
        string file = Path.Combine(dir, "dump.rdb");
        var bytes = File.ReadAllBytes(file);
        bytes[^3] ^= 0x55;
        File.WriteAllBytes(file, bytes);
        var failure = StartFailing(dir, "--save", "");
        Assert.Contains("wrong RDB checksum", failure);

        // A newer format than 7.0 reads.
        File.WriteAllBytes(file, [.. "REDIS0011"u8, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0]);
        failure = StartFailing(dir, "--save", "");
        Assert.Contains("Can't handle RDB format version 11", failure);
    }

    [Fact]
    public void Redis_dataset_with_every_type_loads()
    {
        string dir = Directory.CreateTempSubdirectory("codis-rdb-vector-").FullName;
        File.Copy(Path.Combine(VectorsDir, "rdb-7.0.15", "dataset-a.rdb"), Path.Combine(dir, "dump.rdb"));
        CodisServerProcess? s = null;
        try
        {
            s = CodisServerProcess.StartIn(dir, "--save", "");
            using var redis = RedisServerProcess.Start("--dir", dir);
            using var rc = redis.Client();
            WaitLoaded(rc);
            using var c = s.Client();
            for (int db = 0; db < 16; db++)
            {
                rc.Call("SELECT", db.ToString());
                c.Call("SELECT", db.ToString());
                Assert.Equal(rc.Call("DBSIZE").Integer, c.Call("DBSIZE").Integer);
            }
        }
        finally
        {
            s?.Dispose();
        }
    }

    private static string VectorsDir => "/work/shared/vectors";

    [Fact]
    public void Bgsave_keeps_serving_and_writes_the_moment_it_started()
    {
        using var s = CodisServerProcess.Start("--save", "");
        using var c = s.Client(30000);
        const int Keys = 200_000;
        FillKeys(c, Keys, valueSize: 100);
        Ok(c.Call("SET", "cow", "before"));
        Ok(c.Call("SET", "patched", "aaaaaaaaaa"));
        Ok(c.Call("MSET", "same1", "1111", "same2", "2222"));

        Assert.Equal("Background saving started", c.Call("BGSAVE").Text);
        // Same-length overwrites (which reuse the stored array when no snapshot reads it) must not reach it either.
        Ok(c.Call("MSET", "same1", "xxxx", "k:1", new string('w', 100)));
        Ok(c.Call("SET", "same2", "yyyy"));
        // Changes right after the snapshot, including an in-place patch, must not reach the file.
        Ok(c.Call("SET", "cow", "after"));
        Assert.Equal(10, c.Call("SETRANGE", "patched", "0", "bbbbb").Integer);
        Assert.Equal(0, c.Call("SETBIT", "patched", "7", "1").Integer);
        var longest = TimeSpan.Zero;
        var sw = Stopwatch.StartNew();
        while (!s.Output.Contains("Background saving terminated with success") && sw.Elapsed < TimeSpan.FromSeconds(60))
        {
            var t = Stopwatch.StartNew();
            Assert.Equal("PONG", c.Call("PING").Text);
            if (t.Elapsed > longest) longest = t.Elapsed;
        }
        Assert.Contains("Background saving terminated with success", s.Output);
        Assert.True(longest < TimeSpan.FromSeconds(1), $"a PING waited {longest.TotalMilliseconds} ms during BGSAVE");
        var pause = System.Text.RegularExpressions.Regex.Match(s.Output, @"Background saving started.*pause_ms=([\d.]+)");
        Assert.True(pause.Success);

        using var redis = RedisServerProcess.Start("--dir", s.DataDir);
        using var rc = redis.Client(30000);
        WaitLoaded(rc);
        Assert.Equal(Keys + 4, rc.Call("DBSIZE").Integer);
        Assert.Equal("before", rc.Call("GET", "cow").Text);
        Assert.Equal("1111", rc.Call("GET", "same1").Text);
        Assert.Equal("2222", rc.Call("GET", "same2").Text);
        Assert.Equal(new string('v', 100), rc.Call("GET", "k:1").Text);
        Assert.Equal("xxxx", c.Call("GET", "same1").Text);
        Assert.Equal("aaaaaaaaaa", rc.Call("GET", "patched").Text);
        Assert.Equal("cbbbbaaaaa", c.Call("GET", "patched").Text); // the live value did change
    }

    internal static void FillKeys(RespClient c, int count, int valueSize, string prefix = "k:")
    {
        string value = new('v', valueSize);
        const int Batch = 1000;
        for (int i = 0; i < count; i += Batch)
        {
            var args = new List<byte[]> { B("MSET") };
            for (int j = i; j < Math.Min(count, i + Batch); j++)
            {
                args.Add(B(prefix + j));
                args.Add(B(value));
            }
            Ok(c.Call(args.ToArray()));
        }
    }

    [Fact]
    public void Save_rules_trigger_a_background_save()
    {
        using var s = CodisServerProcess.Start("--save", "1 2");
        using var c = s.Client();
        long before = c.Call("LASTSAVE").Integer;
        Ok(c.Call("SET", "a", "1"));
        Ok(c.Call("SET", "b", "2"));
        Eventually.True(() => c.Call("LASTSAVE").Integer > before || File.Exists(Path.Combine(s.DataDir, "dump.rdb")),
            TimeSpan.FromSeconds(15), "a save triggered by the rule");
        Eventually.True(() => s.Output.Contains("Background saving terminated with success"), TimeSpan.FromSeconds(15), "the save to finish");
        Assert.Contains("2 changes in 1 seconds. Saving...", s.Output);
    }

    [Fact]
    public void Shutdown_nosave_save_and_sigterm()
    {
        // NOSAVE with save rules: nothing written.
        var s = CodisServerProcess.Start();
        string dir = s.DataDir;
        using (var c = s.Client())
        {
            Ok(c.Call("SET", "k", "1"));
            Assert.Throws<IOException>(() => c.Call("SHUTDOWN", "NOSAVE"));
        }
        Assert.True(s.WaitForExit(TimeSpan.FromSeconds(10)));
        s.Dispose();
        Assert.False(File.Exists(Path.Combine(dir, "dump.rdb")));

        // SAVE without save rules: written.
        s = CodisServerProcess.StartIn(dir, "--save", "");
        using (var c = s.Client())
        {
            Ok(c.Call("SET", "k", "2"));
            Assert.Equal("ERR syntax error", c.Call("SHUTDOWN", "BOGUS").Text);
            Assert.Throws<IOException>(() => c.Call("SHUTDOWN", "SAVE"));
        }
        Assert.True(s.WaitForExit(TimeSpan.FromSeconds(10)));
        s.Dispose();
        Assert.True(File.Exists(Path.Combine(dir, "dump.rdb")));

        // SIGTERM with save rules: a final snapshot.
        s = CodisServerProcess.StartIn(dir);
        using (var c = s.Client())
        {
            Assert.Equal("2", c.Call("GET", "k").Text);
            Ok(c.Call("SET", "k", "3"));
        }
        Assert.True(s.Terminate(TimeSpan.FromSeconds(10)));
        Assert.Contains("Saving the final RDB snapshot before exiting", s.Output);
        s.Dispose();
        using var last = CodisServerProcess.StartIn(dir, "--save", "");
        using var c3 = last.Client();
        Assert.Equal("3", c3.Call("GET", "k").Text);
    }

    [Fact]
    public void Command_replies_match_redis()
    {
        using var peers = new PeerFixture();
        peers.AssertSame("""
            BGSAVE NOW
            BGSAVE SCHEDULE extra
            SAVE extra
            LASTSAVE extra
            SHUTDOWN ABORT
            """);
    }
}
