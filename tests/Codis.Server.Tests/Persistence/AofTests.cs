using System.Diagnostics;
using System.Text;
using Codis.Core.Resp;
using Codis.Server.Tests.Infrastructure;
using Codis.Testing;
using static Codis.Server.Tests.Durability.PersistenceHelpers;

namespace Codis.Server.Tests.Durability;

/// <summary>
/// The multi-part AOF through real processes: kill -9 under a write load with appendfsync always and everysec,
/// BGREWRITEAOF while serving, truncated and corrupt files, and files shared with redis-server 7.0 both ways.
/// </summary>
public class AofTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static string AofDir(string dataDir) => Path.Combine(dataDir, "appendonlydir");

    /// <summary>
    /// Writes INCRs and SETs as fast as one client can for a while, then kills the server with SIGKILL.
    /// Returns the last acknowledged counter value and the data folder.
    /// </summary>
    private static (long Acked, string Dir) WriteThenKill(string fsync, TimeSpan duration)
    {
        var s = CodisServerProcess.Start("--save", "", "--appendonly", "yes", "--appendfsync", fsync);
        long acked = 0;
        using (var c = s.Client())
        {
            var sw = Stopwatch.StartNew();
            while (sw.Elapsed < duration)
            {
                long v = c.Call("INCR", "counter").Integer;
                Ok(c.Call("SET", "k:" + v, "v" + v));
                acked = v;
            }
            s.Kill();
        }
        s.Dispose();
        return (acked, s.DataDir);
    }

    [Fact]
    public void Always_keeps_every_acknowledged_write_after_kill_9()
    {
        var (acked, dir) = WriteThenKill("always", TimeSpan.FromSeconds(1.5));
        Assert.True(acked > 50, $"only {acked} writes in 1.5 s");
        using var s = CodisServerProcess.StartIn(dir, "--save", "", "--appendonly", "yes");
        using var c = s.Client();
        long counter = long.Parse(c.Call("GET", "counter").Text!);
        Assert.True(counter >= acked, $"acknowledged {acked} but only {counter} survived");
        output.WriteLine($"appendfsync always, kill -9 after {acked} acknowledged writes: {counter - acked} extra, none lost");
        for (long i = 1; i <= acked; i += Math.Max(1, acked / 200))
            Assert.Equal("v" + i, c.Call("GET", "k:" + i).Text);
        Assert.Equal("v" + acked, c.Call("GET", "k:" + acked).Text);
    }

    [Fact]
    public void Everysec_loses_at_most_about_a_second_after_kill_9()
    {
        var (acked, dir) = WriteThenKill("everysec", TimeSpan.FromSeconds(1.5));
        using var s = CodisServerProcess.StartIn(dir, "--save", "", "--appendonly", "yes");
        using var c = s.Client();
        long counter = long.Parse(c.Call("GET", "counter").Text ?? "0");
        long perSecond = (long)(acked / 1.5);
        // The writes are in the kernel after each batch (only an OS crash can lose the unfsynced second).
        output.WriteLine($"appendfsync everysec, kill -9 after {acked} acknowledged writes ({perSecond}/s): {acked - counter} lost");
        Assert.True(acked - counter <= perSecond + 10, $"lost {acked - counter} of {acked} writes ({perSecond}/s)");
    }

    [Fact]
    public void Bgrewriteaof_compacts_while_serving_and_the_result_restarts()
    {
        string dir;
        using (var s = CodisServerProcess.Start("--save", "", "--appendonly", "yes"))
        {
            dir = s.DataDir;
            using var c = s.Client();
            for (int i = 0; i < 3000; i++) c.Call("INCR", "n");
            Ok(c.Call("SET", "big", new string('x', 100_000)));
            Ok(c.Call("SELECT", "2"));
            Ok(c.Call("SET", "db2", "two", "EX", "1000"));
            long before = Directory.GetFiles(AofDir(dir)).Sum(f => new FileInfo(f).Length);
            Assert.Equal("Background append only file rewriting started", c.Call("BGREWRITEAOF").Text);
            // Served meanwhile, and these writes land in the new increment.
            Ok(c.Call("SET", "during", "rewrite"));
            Eventually.True(() => s.Output.Contains("Background AOF rewrite finished successfully"), TimeSpan.FromSeconds(20), "the rewrite");
            Ok(c.Call("SET", "after", "rewrite")); // db 2, like "during"
            var manifest = File.ReadAllText(Path.Combine(AofDir(dir), "appendonly.aof.manifest"));
            Assert.Contains("appendonly.aof.2.base.rdb seq 2 type b", manifest);
            Assert.Contains("appendonly.aof.2.incr.aof seq 2 type i", manifest);
            Assert.DoesNotContain(".1.", manifest);
            Assert.False(File.Exists(Path.Combine(AofDir(dir), "appendonly.aof.1.incr.aof")));
            long after = Directory.GetFiles(AofDir(dir)).Sum(f => new FileInfo(f).Length);
            Assert.True(after < before, $"{after} bytes after the rewrite, {before} before");
            var (exit, output) = Run("redis-check-aof", Path.Combine(AofDir(dir), "appendonly.aof.manifest"));
            Assert.True(exit == 0, output);
        }
        using var again = CodisServerProcess.StartIn(dir, "--save", "", "--appendonly", "yes");
        using var c2 = again.Client();
        Assert.Equal("3000", c2.Call("GET", "n").Text);
        Assert.Equal(100_000, c2.Call("STRLEN", "big").Integer);
        Ok(c2.Call("SELECT", "2"));
        Assert.Equal("rewrite", c2.Call("GET", "after").Text);
        Assert.Equal("rewrite", c2.Call("GET", "during").Text);
        Assert.InRange(c2.Call("TTL", "db2").Integer, 900, 1000);
    }

    private static string MakeAof(params string[][] commands)
    {
        using var s = CodisServerProcess.Start("--save", "", "--appendonly", "yes", "--appendfsync", "always");
        using (var c = s.Client())
            foreach (var cmd in commands) c.Call(cmd);
        s.Terminate(TimeSpan.FromSeconds(10));
        return s.DataDir;
    }

    [Fact]
    public void A_truncated_last_command_is_dropped_with_a_warning_or_refused()
    {
        string dir = MakeAof(["SET", "a", "1"], ["SET", "b", "2"]);
        string incr = Path.Combine(AofDir(dir), "appendonly.aof.1.incr.aof");
        long goodLength = new FileInfo(incr).Length;
        File.AppendAllText(incr, "*3\r\n$3\r\nSET\r\n$1\r\nc\r\n$5\r\nhal");

        // aof-load-truncated no: refuses, saying where.
        var ex = Assert.ThrowsAny<InvalidOperationException>(() =>
            CodisServerProcess.StartIn(dir, "--save", "", "--appendonly", "yes", "--aof-load-truncated", "no").Dispose());
        Assert.Contains($"Unexpected end of file reading the append only file appendonly.aof.1.incr.aof at offset {goodLength}", RdbTests.Unescaped(ex));

        // The default: loads what is complete, warns, and cuts the file.
        using var s = CodisServerProcess.StartIn(dir, "--save", "", "--appendonly", "yes");
        Assert.Contains("short read while loading the AOF file appendonly.aof.1.incr.aof", s.Output);
        using var c = s.Client();
        Assert.Equal("2", c.Call("GET", "b").Text);
        Assert.True(c.Call("GET", "c").IsNull);
        Assert.Equal(goodLength, new FileInfo(incr).Length);
        Ok(c.Call("SET", "d", "4"));
    }

    [Fact]
    public void A_corrupt_file_refuses_to_start_with_the_file_and_offset()
    {
        string dir = MakeAof(["SET", "a", "1"]);
        string incr = Path.Combine(AofDir(dir), "appendonly.aof.1.incr.aof");
        long offset = new FileInfo(incr).Length;
        File.AppendAllText(incr, "*2\r\n$3\r\nGET\r\n$x\r\nzz\r\n*1\r\n$4\r\nPING\r\n");
        var ex = Assert.ThrowsAny<InvalidOperationException>(() =>
            CodisServerProcess.StartIn(dir, "--save", "", "--appendonly", "yes").Dispose());
        Assert.Contains($"Bad file format reading the append only file appendonly.aof.1.incr.aof at offset {offset}", RdbTests.Unescaped(ex));

        File.WriteAllText(Path.Combine(AofDir(dir), "appendonly.aof.manifest"), "file appendonly.aof.1.base.rdb seq x type b\n");
        ex = Assert.ThrowsAny<InvalidOperationException>(() =>
            CodisServerProcess.StartIn(dir, "--save", "", "--appendonly", "yes").Dispose());
        Assert.Contains("appendonly.aof.manifest:1: Invalid AOF manifest file format", RdbTests.Unescaped(ex));
    }

    [Fact]
    public void Redis_server_loads_our_aof_and_we_load_its()
    {
        var data = Dataset().Take(120).ToList();
        string dir;
        using (var s = CodisServerProcess.Start("--save", "", "--appendonly", "yes"))
        {
            dir = s.DataDir;
            using var c = s.Client();
            Load(c, data.Take(60).ToList());
            Assert.Equal("Background append only file rewriting started", c.Call("BGREWRITEAOF").Text);
            Eventually.True(() => s.Output.Contains("Background AOF rewrite finished successfully"), TimeSpan.FromSeconds(20), "the rewrite");
            Load(c, data.Skip(60).ToList()); // these are in the increment file
        }
        var (exit, output) = Run("redis-check-aof", Path.Combine(AofDir(dir), "appendonly.aof.manifest"));
        Assert.True(exit == 0, output);
        using (var redis = RedisServerProcess.Start("--dir", dir, "--appendonly", "yes"))
        {
            using var rc = redis.Client();
            WaitLoaded(rc);
            AssertHas(rc, data);
            Ok(rc.Call("SET", "from-redis", "1"));
            Assert.StartsWith("Background append only file rewriting", rc.Call("BGREWRITEAOF").Text);
            Eventually.True(() => rc.Call("INFO", "persistence").Text!.Contains("aof_rewrite_in_progress:0"), TimeSpan.FromSeconds(20), "redis rewrite");
            Ok(rc.Call("SET", "from-redis-incr", "2"));
        }
        using var again = CodisServerProcess.StartIn(dir, "--save", "", "--appendonly", "yes");
        using var c2 = again.Client();
        Assert.Equal("1", c2.Call("GET", "from-redis").Text);
        Assert.Equal("2", c2.Call("GET", "from-redis-incr").Text);
        c2.Call("DEL", "from-redis", "from-redis-incr");
        AssertHas(c2, data);
    }

    [Fact]
    public void Sigterm_flushes_the_aof()
    {
        string dir;
        using (var s = CodisServerProcess.Start("--save", "", "--appendonly", "yes", "--appendfsync", "no"))
        {
            dir = s.DataDir;
            using var c = s.Client();
            for (int i = 0; i < 200; i++) Ok(c.Call("SET", "k" + i, "v" + i));
            Assert.True(s.Terminate(TimeSpan.FromSeconds(10)));
        }
        using var again = CodisServerProcess.StartIn(dir, "--save", "", "--appendonly", "yes");
        using var c2 = again.Client();
        Assert.Equal(200, c2.Call("DBSIZE").Integer);
        Assert.Equal("v199", c2.Call("GET", "k199").Text);
    }
}
