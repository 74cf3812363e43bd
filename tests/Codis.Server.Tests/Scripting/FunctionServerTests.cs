using System.Diagnostics;
using Codis.Core.Resp;
using Codis.Server.Tests.Infrastructure;
using Codis.Testing;

namespace Codis.Server.Tests.Scripting;

/// <summary>
/// Functions where the oracle comparison cannot reach: RDB files both ways (ours and redis-server's), replicas
/// (the stream and a full sync, with redis-server as a replica too), the AOF, the time limit with FUNCTION KILL
/// and FUNCTION STATS, INFO, and that SCRIPT FLUSH and FLUSHALL leave functions alone.
/// </summary>
public class FunctionServerTests(ServerFixture fx) : IClassFixture<ServerFixture>
{
    private const string Lib = "#!lua name=lib\nredis.register_function{function_name='hello', callback=function(keys, args) return 'hello ' .. args[1] end, flags={'no-writes'}}\n" +
        "redis.register_function{function_name='put', callback=function(keys, args) return redis.call('set', keys[1], args[1]) end}";

    private static void AssertHello(RespClient c) => Assert.Equal("hello x", c.Call("FCALL", "hello", "0", "x").Text);

    [Fact]
    public void Functions_survive_a_restart_through_our_rdb_and_load_into_redis_server()
    {
        using var s = CodisServerProcess.Start("--save", "");
        using (var c = s.Client())
        {
            Assert.Equal("lib", c.Call("FUNCTION", "LOAD", Lib).Text);
            c.Call("SET", "k", "v").AssertOk();
            c.Call("SAVE").AssertOk();
        }
        string file = Path.Combine(s.DataDir, "dump.rdb");
        var (exit, output) = Durability.PersistenceHelpers.Run("redis-check-rdb", file);
        Assert.True(exit == 0 && output.Contains("RDB looks OK"), output);
        s.Dispose();
        using (var again = CodisServerProcess.StartIn(s.DataDir, "--save", ""))
        using (var c = again.Client())
        {
            AssertHello(c);
            Assert.Equal("v", c.Call("GET", "k").Text);
        }
        using var redis = RedisServerProcess.Start("--dir", s.DataDir, "--dbfilename", "dump.rdb");
        using var rc = redis.Client();
        AssertHello(rc);
    }

    [Fact]
    public void Redis_server_rdb_with_functions_loads_into_ours()
    {
        using var redis = RedisServerProcess.Start();
        using (var rc = redis.Client())
        {
            rc.Call("FUNCTION", "LOAD", Lib);
            rc.Call("SAVE").AssertOk();
        }
        using var s = CodisServerProcess.StartIn(redis.DataDir, "--save", "");
        using var c = s.Client();
        AssertHello(c);
        Assert.Equal("OK", c.Call("FCALL", "put", "1", "pk", "pv").Text);
    }

    [Fact]
    public void Function_changes_reach_replicas_and_a_full_sync_carries_them()
    {
        using var master = CodisServerProcess.Start("--save", "");
        using var m = master.Client();
        m.Call("FUNCTION", "LOAD", Lib);
        // A full sync brings the libraries, to ours and to redis-server.
        using var replica = CodisServerProcess.Start("--save", "", "--replicaof", $"127.0.0.1 {master.Port}");
        using var r = replica.Client();
        using var redisReplica = RedisServerProcess.Start("--replicaof", "127.0.0.1", master.Port.ToString());
        using var rr = redisReplica.Client();
        foreach (var c in new[] { r, rr })
            Eventually.True(() => c.Call("FCALL", "hello", "0", "x").Text == "hello x", TimeSpan.FromSeconds(30), "the library after the full sync");

        // Then the stream: LOAD REPLACE, a function's writes, DELETE, RESTORE.
        m.Call("FUNCTION", "LOAD", "REPLACE", Lib.Replace("'hello '", "'hi '"));
        Assert.Equal("OK", m.Call("FCALL", "put", "1", "fk", "fv").Text);
        m.Call("FUNCTION", "LOAD", "#!lua name=second\nredis.register_function('two', function() return 2 end)");
        foreach (var c in new[] { r, rr })
        {
            Eventually.True(() => c.Call("FUNCTION", "LIST", "LIBRARYNAME", "second").Items!.Length == 1, TimeSpan.FromSeconds(30), "the second library");
            Assert.Equal("hi x", c.Call("FCALL", "hello", "0", "x").Text);
            Assert.Equal("fv", c.Call("GET", "fk").Text);
            // A read-only replica refuses the writes.
            c.Call("FCALL", "two", "0").AssertError("READONLY You can't write against a read only replica.");
            c.Call("FUNCTION", "DELETE", "second").AssertError("READONLY You can't write against a read only replica.");
            c.Call("FCALL", "put", "1", "fk", "x").AssertError("READONLY You can't write against a read only replica.");
            Assert.Equal("hi x", c.Call("FCALL_RO", "hello", "0", "x").Text);
        }
        var dump = m.Call("FUNCTION", "DUMP").Bytes!;
        m.Call("FUNCTION", "DELETE", "second").AssertOk();
        foreach (var c in new[] { r, rr })
            Eventually.True(() => c.Call("FUNCTION", "LIST", "LIBRARYNAME", "second").Items!.Length == 0, TimeSpan.FromSeconds(30), "the delete");
        m.Call("FUNCTION", "RESTORE", dump, "REPLACE").AssertOk();
        foreach (var c in new[] { r, rr })
            Eventually.True(() => c.Call("FUNCTION", "LIST", "LIBRARYNAME", "second").Items!.Length == 1, TimeSpan.FromSeconds(30), "the restore");
        m.Call("FUNCTION", "FLUSH").AssertOk();
        foreach (var c in new[] { r, rr })
            Eventually.True(() => c.Call("FUNCTION", "LIST").Items!.Length == 0, TimeSpan.FromSeconds(30), "the flush");
    }

    [Fact]
    public void Function_loads_are_replayed_from_the_aof_and_kept_by_its_rewrite()
    {
        using var s = CodisServerProcess.Start("--save", "", "--appendonly", "yes");
        using (var c = s.Client())
        {
            c.Call("FUNCTION", "LOAD", Lib);
            c.Call("FUNCTION", "LOAD", "#!lua name=gone\nredis.register_function('gone', function() return 1 end)");
            c.Call("FUNCTION", "DELETE", "gone").AssertOk();
        }
        s.Dispose();
        using (var again = CodisServerProcess.StartIn(s.DataDir, "--save", "", "--appendonly", "yes"))
        using (var c = again.Client())
        {
            AssertHello(c);
            c.Call("FCALL", "gone", "0").AssertError("ERR Function not found");
            // The rewrite writes an RDB base: the library is in it.
            c.Call("BGREWRITEAOF");
            Eventually.True(() => c.Call("INFO", "persistence").Text!.Contains("aof_rewrite_in_progress:0") &&
                                  Directory.GetFiles(Path.Combine(s.DataDir, "appendonlydir"), "*.base.rdb").Length > 0,
                TimeSpan.FromSeconds(30), "the rewrite");
        }
        using var third = CodisServerProcess.StartIn(s.DataDir, "--save", "", "--appendonly", "yes");
        using var c3 = third.Client();
        AssertHello(c3);
    }

    [Fact]
    public void A_long_function_makes_others_busy_until_FUNCTION_KILL()
    {
        using var server = CodisServerProcess.Start("--save", "", "--busy-reply-threshold", "200");
        using var runner = server.Client(30_000);
        using var other = server.Client(30_000);
        other.Call("FUNCTION", "LOAD", "#!lua name=busy\nredis.register_function('spin', function() local i = 0 while true do i = i + 1 end end)");
        runner.Send([.. new[] { "FCALL", "spin", "1", "kk", "a1" }.Select(System.Text.Encoding.UTF8.GetBytes)]);
        runner.Flush();
        Eventually.True(() => other.Call("PING").IsError, TimeSpan.FromSeconds(20), "BUSY");
        other.Call("GET", "x").AssertError("BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.");
        other.Call("SCRIPT", "KILL").AssertError("BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.");
        var stats = other.Call("FUNCTION", "STATS");
        var running = stats.Items![1].Items!;
        Assert.Equal("spin", running[1].Text);
        Assert.Equal(new string?[] { "FCALL", "spin", "1", "kk", "a1" }, running[3].Strings());
        Assert.True(running[5].Integer >= 200, $"duration_ms {running[5].Integer}");
        other.Call("FUNCTION", "KILL").AssertOk();
        Assert.Equal("ERR Script killed by user with SCRIPT KILL... script: spin, on @user_function:2.", runner.Read().Text);
        Assert.Equal("PONG", other.Call("PING").Text);
        other.Call("FUNCTION", "KILL").AssertError("NOTBUSY No scripts in execution right now.");
        Assert.True(other.Call("FUNCTION", "STATS").Items![1].IsNull);

        // An EVAL script is SCRIPT KILL's, not FUNCTION KILL's.
        runner.Send([.. new[] { "EVAL", "while true do end", "0" }.Select(System.Text.Encoding.UTF8.GetBytes)]);
        runner.Flush();
        Eventually.True(() => other.Call("PING").IsError, TimeSpan.FromSeconds(20), "BUSY");
        other.Call("FUNCTION", "KILL").AssertError("BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.");
        other.Call("FUNCTION", "STATS").AssertError("BUSY Redis is busy running a script. You can only call SCRIPT KILL");
        other.Call("SCRIPT", "KILL").AssertOk();
        runner.Read().AssertError("ERR Script killed by user with SCRIPT KILL...");
    }

    [Fact]
    public void Client_pause_write_holds_function_changes_but_not_questions()
    {
        using var s = CodisServerProcess.Start("--save", "");
        using var admin = s.Client();
        using var c = s.Client();
        admin.Call("CLIENT", "PAUSE", "1500", "WRITE").AssertOk();
        var sw = Stopwatch.StartNew();
        Assert.Empty(c.Call("FUNCTION", "LIST").Items!);
        Assert.True(sw.ElapsedMilliseconds < 1000, $"FUNCTION LIST waited {sw.ElapsedMilliseconds} ms");
        Assert.Equal("lib", c.Call("FUNCTION", "LOAD", Lib).Text);
        Assert.True(sw.ElapsedMilliseconds >= 1200, $"FUNCTION LOAD ran after {sw.ElapsedMilliseconds} ms, during the pause");
    }

    [Fact]
    public void A_library_that_loops_at_load_times_out_and_the_server_goes_on()
    {
        using var c = fx.Client();
        var sw = Stopwatch.StartNew();
        c.Call("FUNCTION", "LOAD", "#!lua name=loops\nwhile true do end").AssertError("ERR Error registering functions: ERR FUNCTION LOAD timeout");
        Assert.InRange(sw.ElapsedMilliseconds, 400, 5000);
        Assert.Equal("loops2", c.Call("FUNCTION", "LOAD", "#!lua name=loops2\nredis.register_function('fine', function() local n = 0 for i = 1, 3000000 do n = n + 1 end return n end)").Text);
        // The load limit is not a run limit, and the hook was re-armed normally after the timeout.
        Assert.Equal(3000000, c.Call("FCALL", "fine", "0").Integer);
        c.Call("FUNCTION", "DELETE", "loops2").AssertOk();
    }

    [Fact]
    public void Script_flush_and_flushall_keep_functions_and_info_counts_them()
    {
        using var s = CodisServerProcess.Start("--save", "");
        using var c = s.Client();
        var info = Info(c);
        Assert.Equal("0", info["number_of_functions"]);
        Assert.Equal("0", info["number_of_libraries"]);
        c.Call("FUNCTION", "LOAD", Lib);
        c.Call("SCRIPT", "FLUSH").AssertOk();
        c.Call("FLUSHALL").AssertOk();
        AssertHello(c);
        info = Info(c);
        Assert.Equal("2", info["number_of_functions"]);
        Assert.Equal("1", info["number_of_libraries"]);
        Assert.Equal(Lib.Length.ToString(), info["used_memory_functions"]);
        Assert.True(long.Parse(info["used_memory_vm_functions"]) > 0);
        Assert.Equal(long.Parse(info["used_memory_vm_eval"]) + long.Parse(info["used_memory_vm_functions"]), long.Parse(info["used_memory_vm_total"]));
        c.Call("FUNCTION", "FLUSH", "ASYNC").AssertOk();
        Assert.Equal("0", Info(c)["number_of_functions"]);
    }

    private static Dictionary<string, string> Info(RespClient c) =>
        c.Call("INFO", "memory").Text!.Split("\r\n").Where(l => l.Contains(':'))
            .ToDictionary(l => l[..l.IndexOf(':')], l => l[(l.IndexOf(':') + 1)..]);
}
