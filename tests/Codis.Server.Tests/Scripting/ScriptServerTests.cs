using System.Diagnostics;
using Codis.Core.Resp;
using Codis.Server.Tests.Infrastructure;
using Codis.Testing;
using StackExchange.Redis;

namespace Codis.Server.Tests.Scripting;

/// <summary>
/// What the oracle comparison cannot show: the time limit (BUSY for other clients, SCRIPT KILL, UNKILLABLE,
/// SHUTDOWN NOSAVE), effects replication to a replica and the AOF, read-only replicas, the missing libraries'
/// errors, INFO, and StackExchange.Redis's scripting API.
/// </summary>
public class ScriptServerTests(ServerFixture fx) : IClassFixture<ServerFixture>
{
    private const string Forever = "local i = 0 while true do i = i + 1 end";

    [Fact]
    public void A_long_script_makes_others_busy_until_SCRIPT_KILL()
    {
        using var server = CodisServerProcess.Start("--save", "", "--busy-reply-threshold", "200");
        using var runner = server.Client(30_000);
        using var other = server.Client(30_000);
        runner.Send([.. new[] { "EVAL", Forever, "0" }.Select(System.Text.Encoding.UTF8.GetBytes)]);
        runner.Flush();
        // Until the threshold the others wait; after it they are answered at once with BUSY.
        RespValue reply = RespValue.Nil;
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < TimeSpan.FromSeconds(20))
        {
            reply = other.Call("GET", "x");
            if (reply.IsError) break;
        }
        Assert.Equal("BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.", reply.Text);
        var ping = Stopwatch.StartNew();
        other.Call("PING").AssertError("BUSY");
        Assert.True(ping.ElapsedMilliseconds < 2000, $"BUSY took {ping.ElapsedMilliseconds} ms");
        other.Call("SCRIPT", "KILL").AssertOk();
        var killed = runner.Read();
        Assert.Equal("ERR Script killed by user with SCRIPT KILL... script: " + Sha(Forever) + ", on @user_script:1.", killed.Text);
        Assert.Equal("PONG", other.Call("PING").Text);
        other.Call("SCRIPT", "KILL").AssertError("NOTBUSY No scripts in execution right now.");
        // A pcall in the script does not swallow the kill.
        string catching = "local ok = pcall(function() " + Forever + " end) return 'survived'";
        runner.Send([.. new[] { "EVAL", catching, "0" }.Select(System.Text.Encoding.UTF8.GetBytes)]);
        runner.Flush();
        Eventually.True(() => other.Call("PING").IsError, TimeSpan.FromSeconds(20), "BUSY");
        other.Call("SCRIPT", "KILL").AssertOk();
        runner.Read().AssertError("ERR Script killed by user with SCRIPT KILL...");
        // Nor does running the loop in a coroutine (hooks belong to a thread: each coroutine gets one).
        string inCoroutine = "coroutine.wrap(function() " + Forever + " end)() return 'survived'";
        runner.Send([.. new[] { "EVAL", inCoroutine, "0" }.Select(System.Text.Encoding.UTF8.GetBytes)]);
        runner.Flush();
        Eventually.True(() => other.Call("PING").IsError, TimeSpan.FromSeconds(20), "BUSY");
        other.Call("SCRIPT", "KILL").AssertOk();
        runner.Read().AssertError("ERR Script killed by user with SCRIPT KILL...");
        Assert.Equal("v", Eval(other, "redis.call('set','after','v') return redis.call('get','after')").Text);
    }

    [Fact]
    public void A_script_that_wrote_is_unkillable_but_SHUTDOWN_NOSAVE_stops_the_server()
    {
        using var server = CodisServerProcess.Start("--save", "", "--busy-reply-threshold", "200");
        using var runner = server.Client(30_000);
        using var other = server.Client(30_000);
        runner.Send([.. new[] { "EVAL", "redis.call('set','w','1') " + Forever, "0" }.Select(System.Text.Encoding.UTF8.GetBytes)]);
        runner.Flush();
        Eventually.True(() => other.Call("PING").IsError, TimeSpan.FromSeconds(20), "BUSY");
        other.Call("SCRIPT", "KILL").AssertError("UNKILLABLE Sorry the script already executed write commands");
        other.Call("SHUTDOWN").AssertError("BUSY");
        other.Send([System.Text.Encoding.UTF8.GetBytes("SHUTDOWN"), System.Text.Encoding.UTF8.GetBytes("NOSAVE")]);
        other.Flush();
        Assert.True(server.WaitForExit(TimeSpan.FromSeconds(20)), "the server did not stop");
    }

    [Fact]
    public void Client_pause_write_holds_eval_back_but_not_eval_ro()
    {
        using var server = CodisServerProcess.Start("--save", "");
        using var admin = server.Client();
        using var other = server.Client();
        // the scripting engine's first start is slow on a busy machine: not part of what is measured
        Assert.Equal(1, other.Call("EVAL_RO", "return 1", "0").Integer);
        var sincePause = Stopwatch.StartNew();
        admin.Call("CLIENT", "PAUSE", "1500", "WRITE").AssertOk();
        var sw = Stopwatch.StartNew();
        Assert.True(other.Call("EVAL_RO", "return redis.call('get', 'p')", "0").IsNull);
        Assert.True(sw.ElapsedMilliseconds < 1000, $"EVAL_RO waited {sw.ElapsedMilliseconds} ms");
        Assert.Equal(1, Eval(other, "return redis.call('incr', 'p')").Integer);
        Assert.True(sincePause.ElapsedMilliseconds >= 1400, $"EVAL ran {sincePause.ElapsedMilliseconds} ms into a 1500 ms pause");
    }

    [Fact]
    public void Monitor_shows_the_eval_then_what_its_script_ran()
    {
        using var server = CodisServerProcess.Start("--save", "");
        using var monitor = server.Client();
        using var c = server.Client();
        monitor.Call("MONITOR").AssertOk();
        Assert.Equal(1, Eval(c, "return redis.call('incr', KEYS[1])", "1", "mon:k").Integer);
        string first = monitor.Read().Text!, second = monitor.Read().Text!;
        Assert.Contains("\"EVAL\" \"return redis.call('incr', KEYS[1])\" \"1\" \"mon:k\"", first);
        Assert.Contains("[0 lua] \"incr\" \"mon:k\"", second);
    }

    [Fact]
    public void Time_limit_is_a_setting_with_its_old_name()
    {
        using var c = fx.Client();
        Assert.Equal(new string?[] { "busy-reply-threshold", "5000" }, c.Call("CONFIG", "GET", "busy-reply-threshold").Strings());
        c.Call("CONFIG", "SET", "lua-time-limit", "6000").AssertOk();
        Assert.Equal(new string?[] { "lua-time-limit", "6000" }, c.Call("CONFIG", "GET", "lua-time-limit").Strings());
        c.Call("CONFIG", "SET", "busy-reply-threshold", "5000").AssertOk();
    }

    [Fact]
    public void Missing_libraries_say_so_and_resp3_runs()
    {
        using var c = fx.Client();
        Eval(c, "return struct.pack('>I', 1)").AssertError("ERR struct.pack is not supported by codis-server");
        Eval(c, "return cmsgpack.pack({1})").AssertError("ERR cmsgpack.pack is not supported by codis-server");
        Assert.True(Eval(c, "redis.setresp(3)").IsNull); // RESP3 replies are supported (see Resp3ScriptTests)
        Eval(c, "redis.setresp(4)").AssertError("ERR RESP version must be 2 or 3.");
        Eval(c, "setmetatable({}, {__gc = function() end})").AssertError("ERR user_script:1: __gc metamethods are not available to scripts");
        // Bytecode cannot be loaded (it could break out of the sandbox).
        Assert.Equal("attempt to load a binary chunk (mode is 't')",
            Eval(c, "local f, e = load(string.dump(function() return 1 end)) return e").Text);
    }

    [Fact]
    public void Absurdly_deep_tables_are_cut_not_a_crash()
    {
        using var c = fx.Client();
        const string deep = "local t = {} local c = t for i = 1, 100000 do c[1] = {} c = c[1] end ";
        var reply = Eval(c, deep + "return t");
        int depth = 0;
        while (reply.Type == RespType.Array)
        {
            reply = reply.Items![0];
            depth++;
        }
        Assert.Equal(1000, depth);
        reply.AssertError("ERR reached lua stack limit");
        Eval(c, deep + "cjson.encode_max_depth(1000000) return cjson.encode(t)").AssertError("ERR user_script:1: Cannot serialise, excessive nesting (1001)");
        string nested = new string('[', 100_000) + new string(']', 100_000);
        Eval(c, "cjson.decode_max_depth(1000000) return cjson.decode(ARGV[1])", "0", nested).AssertError("ERR user_script:1: Found too many nested data structures (1001)");
        Assert.Equal("PONG", c.Call("PING").Text);
    }

    [Fact]
    public void Info_counts_cached_scripts_and_lua_memory()
    {
        using var server = CodisServerProcess.Start("--save", "");
        using var c = server.Client();
        Assert.Equal("0", Info(c)["number_of_cached_scripts"]);
        c.Call("SCRIPT", "LOAD", "return 1");
        c.Call("SCRIPT", "LOAD", "return 2");
        var info = Info(c);
        Assert.Equal("2", info["number_of_cached_scripts"]);
        Assert.True(long.Parse(info["used_memory_lua"]) > 10_000, info["used_memory_lua"]);
        c.Call("SCRIPT", "FLUSH").AssertOk();
        Assert.Equal("0", Info(c)["number_of_cached_scripts"]);
    }

    [Fact]
    public void Script_writes_reach_a_replica_and_the_aof_wrapped_in_multi_exec()
    {
        using var master = CodisServerProcess.Start("--save", "", "--appendonly", "yes");
        using var m = master.Client();
        using var replica = CodisServerProcess.Start("--save", "", "--replicaof", $"127.0.0.1 {master.Port}");
        using var r = replica.Client();
        Eventually.True(() => r.Call("INFO", "replication").Text!.Contains("master_link_status:up"), TimeSpan.FromSeconds(30), "link up");
        Assert.Equal(3, Eval(m, "redis.call('set', KEYS[1], ARGV[1]) redis.call('rpush', 'l', 'a', 'b') redis.call('select', 2) return redis.call('rpush', 'l', 'c', 'd', 'e')",
            "1", "k", "v").Integer);
        Assert.Equal(1, Eval(m, "return redis.call('incr', 'single')").Integer);
        Assert.Equal("OK", Eval(m, "redis.set_repl(redis.REPL_NONE) redis.call('set', 'here-only', '1') redis.set_repl(redis.REPL_ALL) return redis.call('set', 'marker', '1')").Text);
        Eventually.True(() => r.Call("GET", "marker").Text == "1", TimeSpan.FromSeconds(30), "the replica to apply the script's effects");
        Assert.True(r.Call("GET", "here-only").IsNull, "a write under REPL_NONE reached the replica");
        Assert.Equal("1", m.Call("GET", "here-only").Text);
        Assert.Equal("v", r.Call("GET", "k").Text);
        Assert.Equal(new string?[] { "a", "b" }, r.Call("LRANGE", "l", "0", "-1").Strings());
        r.Call("SELECT", "2").AssertOk();
        Assert.Equal(new string?[] { "c", "d", "e" }, r.Call("LRANGE", "l", "0", "-1").Strings());
        r.Call("SELECT", "0").AssertOk();

        // On a read-only replica: reads run, writes are refused inside the script.
        Assert.Equal("v", Eval(r, "return redis.call('get', 'k')").Text);
        Assert.Equal("v", r.Call("EVAL_RO", "return redis.call('get', 'k')", "0").Text);
        Eval(r, "return redis.call('set', 'k', 'x')").AssertError("READONLY You can't write against a read only replica. script: ");

        // The AOF has the effects in a transaction, and a restart replays them.
        string aofDir = Path.Combine(master.DataDir, "appendonlydir");
        string aof = string.Concat(Directory.GetFiles(aofDir, "*.incr.aof").Select(File.ReadAllText));
        Assert.Contains("MULTI", aof);
        Assert.Contains("EXEC", aof);
        Assert.DoesNotContain("EVAL", aof, StringComparison.OrdinalIgnoreCase);
        m.Dispose();
        master.Dispose();
        using var restarted = CodisServerProcess.StartIn(master.DataDir, "--save", "", "--appendonly", "yes");
        using var c2 = restarted.Client();
        Assert.Equal("v", c2.Call("GET", "k").Text);
        Assert.Equal("1", c2.Call("GET", "single").Text);
    }

    [Fact]
    public void StackExchange_Redis_scripting_api_works()
    {
        using var mux = ConnectionMultiplexer.Connect(new ConfigurationOptions
        {
            EndPoints = { { "127.0.0.1", fx.Server.Port } },
            AllowAdmin = true,
            ConnectTimeout = 10_000,
            SyncTimeout = 10_000,
        });
        var db = mux.GetDatabase();
        var result = db.ScriptEvaluate("redis.call('set', KEYS[1], ARGV[1]) return redis.call('get', KEYS[1])",
            [(RedisKey)"se:script"], [(RedisValue)"hello"]);
        Assert.Equal("hello", (string?)result);
        var prepared = LuaScript.Prepare("return redis.call('incrby', @key, @amount)");
        Assert.Equal(5, (long)db.ScriptEvaluate(prepared, new { key = (RedisKey)"se:n", amount = 5 }));
        var loaded = prepared.Load(mux.GetServer("127.0.0.1", fx.Server.Port));
        Assert.Equal(10, (long)loaded.Evaluate(db, new { key = (RedisKey)"se:n", amount = 5 }));
        var arr = (RedisResult[])db.ScriptEvaluate("return {1, 'two', {3}}")!;
        Assert.Equal(3, arr.Length);
        Assert.Equal("two", (string?)arr[1]);
        var ex = Assert.Throws<RedisServerException>(() => db.ScriptEvaluate("return redis.call('nosuch')"));
        Assert.StartsWith("ERR Unknown Redis command called from script", ex.Message);
    }

    private static RespValue Eval(RespClient c, string script, params string[] rest) =>
        c.Call(["EVAL", script, .. (rest.Length == 0 ? ["0"] : rest)]);

    private static string Sha(string body) => Convert.ToHexStringLower(System.Security.Cryptography.SHA1.HashData(System.Text.Encoding.UTF8.GetBytes(body)));

    private static Dictionary<string, string> Info(RespClient c)
    {
        var d = new Dictionary<string, string>();
        foreach (var line in c.Call("INFO", "memory").Text!.Split("\r\n"))
        {
            int colon = line.IndexOf(':');
            if (colon > 0) d[line[..colon]] = line[(colon + 1)..];
        }
        return d;
    }
}
