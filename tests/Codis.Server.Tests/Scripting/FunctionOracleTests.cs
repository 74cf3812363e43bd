using Codis.Core.Resp;
using Codis.Server.Tests.Infrastructure;

namespace Codis.Server.Tests.Scripting;

/// <summary>FUNCTION and FCALL against Debian's redis-server 7.0: replies and error texts must match.</summary>
public class FunctionOracleTests(PeerFixture peers) : IClassFixture<PeerFixture>
{
    /// <summary>A library's code: the shebang line, then the body.</summary>
    private static string Lib(string name, string body) => $"#!lua name={name}\n{body}";

    private const string MyLib = """
        redis.register_function("f1", function(keys, args) return {keys[1], args[1], #keys, #args} end)
        redis.register_function{function_name="f2", callback=function(k, a) return redis.call("set", k[1], a[1]) end,
          flags={"allow-cross-slot-keys", "no-writes", "allow-oom", "allow-stale", "no-cluster"}, description="desc two"}
        redis.register_function{function_name="w", callback=function(k, a) return redis.call("set", k[1], a[1]) end}
        redis.register_function{function_name="r", callback=function(k) return redis.call("get", k[1]) end, flags={"no-writes"}}
        redis.register_function{function_name="pub", callback=function() return redis.call("publish", "ch", "m") end, flags={"no-writes"}}
        local n = 0
        redis.register_function("count", function() n = n + 1 return n end)
        redis.register_function("err", function() error("boom") end)
        redis.register_function("nosuch", function() return redis.call("nosuch") end)
        redis.register_function("keysglobal", function() return KEYS end)
        redis.register_function("setglobal", function() x = 1 end)
        redis.register_function("errreply", function() return redis.error_reply("MY err") end)
        redis.register_function("nested", function() return redis.call("fcall", "count", 0) end)
        """;

    private const string Solo = """
        redis.register_function{function_name="solo", callback=function() return "alone" end,
          flags={"allow-cross-slot-keys", "no-writes", "allow-oom", "allow-stale", "no-cluster"}, description="the only one"}
        """;

    /// <summary>Runs each command on both servers; every reply must be the same.</summary>
    private void Same(params string[][] commands)
    {
        using var ours = peers.Codis.Client();
        using var theirs = peers.Redis.Client();
        var diffs = new List<string>();
        foreach (var args in commands)
        {
            string expected = theirs.Call(args).ToString();
            string actual = ours.Call(args).ToString();
            if (expected != actual) diffs.Add($"{string.Join(' ', args).Replace("\n", "\\n")}\n  redis: {expected}\n  codis: {actual}");
        }
        Assert.True(diffs.Count == 0, $"{diffs.Count} replies differ from redis-server:\n" + string.Join("\n", diffs.Take(20)));
    }

    private static string[] C(params string[] args) => args;

    [Fact]
    public void Load_list_and_fcall_match_redis() => Same(
        C("function", "flush"),
        C("function", "load", Lib("mylib", MyLib)),
        // Redis lists a library's functions in its hash table's order: compare libraries of one function.
        C("function", "load", Lib("solo", Solo)),
        C("function", "list", "libraryname", "SO*"),
        C("function", "list", "withcode", "libraryname", "solo"),
        C("function", "list", "libraryname", "solo", "withcode"),
        C("function", "list", "libraryname", "x*"),
        C("function", "stats"),
        C("fcall", "solo", "0"),
        C("function", "delete", "solo"),
        C("fcall", "f1", "1", "a", "b", "c"),
        C("fcall", "f1", "0"),
        C("fcall", "f1", "2", "a"),
        C("fcall", "f1", "-1", "a"),
        C("fcall", "f1", "x", "a"),
        C("fcall", "nofunction", "x"),
        C("fcall_ro", "nofunction", "0"),
        C("fcall", "w", "1", "fk", "v"),
        C("fcall", "r", "1", "fk"),
        C("fcall_ro", "r", "1", "fk"),
        C("fcall_ro", "w", "1", "fk", "v"),
        C("fcall_ro", "f1", "0"),
        C("fcall", "f2", "1", "fk", "v"),
        C("fcall_ro", "f2", "1", "fk", "v"),
        C("fcall", "pub", "0"),
        C("fcall_ro", "pub", "0"),
        C("fcall", "count", "0"),
        C("fcall", "count", "0"),
        C("fcall", "err", "0"),
        C("fcall", "nosuch", "0"),
        C("fcall", "keysglobal", "0"),
        C("fcall", "setglobal", "0"),
        C("fcall", "errreply", "0"),
        C("fcall", "nested", "0"),
        C("eval", "return redis.call('fcall', 'count', 0)", "0"),
        C("function", "load", Lib("mylib", "redis.register_function('other', function() return 1 end)")),
        C("function", "load", "replace", Lib("mylib", "redis.register_function('other', function() return 2 end)")),
        C("fcall", "other", "0"),
        C("fcall", "f1", "0"),
        C("function", "load", Lib("second", "redis.register_function('other', function() return 3 end)")),
        C("function", "load", "REPLACE", "replace", Lib("mylib", MyLib)),
        C("function", "delete", "mylib"),
        C("function", "delete", "mylib"),
        C("fcall", "f1", "0"),
        C("function", "list"),
        C("function", "dump"),
        C("function", "stats"),
        C("function", "flush"));

    [Fact]
    public void Load_errors_match_redis() => Same(
        C("function", "flush"),
        C("function", "load", Lib("lib2", "return 1")),
        C("function", "load", Lib("lib2", "redis.register_function('g', function() end) redis.register_function('g', function() end)")),
        C("function", "load", Lib("lib2", "redis.call('ping')")),
        C("function", "load", Lib("lib2", "local x = string.format('a') redis.register_function('g', function() end)")),
        C("function", "load", Lib("lib2", "error('x')")),
        C("function", "load", Lib("lib2", "x = 1")),
        C("function", "load", Lib("lib2", "function helper() end")),
        C("function", "load", Lib("lib2", "redis.x = 1")),
        C("function", "load", Lib("lib2", "redis.setresp(3)")),
        C("function", "load", Lib("lib2", "redis.log(redis.LOG_WARNING)")),
        C("function", "load", Lib("lib2", "redis.log(9, 'x')")),
        C("function", "load", Lib("lib2", "redis.register_function('g')")),
        C("function", "load", Lib("lib2", "redis.register_function()")),
        C("function", "load", Lib("lib2", "redis.register_function('g', 1)")),
        C("function", "load", Lib("lib2", "redis.register_function(true, function() end)")),
        C("function", "load", Lib("lib2", "redis.register_function('g', function() end, 3)")),
        C("function", "load", Lib("lib2", "redis.register_function('g h', function() end)")),
        C("function", "load", Lib("lib2", "redis.register_function('', function() end)")),
        C("function", "load", Lib("lib2", "redis.register_function({})")),
        C("function", "load", Lib("lib2", "redis.register_function({function_name='g'})")),
        C("function", "load", Lib("lib2", "redis.register_function({callback=function() end})")),
        C("function", "load", Lib("lib2", "redis.register_function({function_name='g', callback=3})")),
        C("function", "load", Lib("lib2", "redis.register_function({function_name='g', callback=function() end, other=3})")),
        C("function", "load", Lib("lib2", "redis.register_function({function_name='g', callback=function() end, flags={'bad'}})")),
        C("function", "load", Lib("lib2", "redis.register_function({function_name='g', callback=function() end, flags={3}})")),
        C("function", "load", Lib("lib2", "redis.register_function({function_name='g', callback=function() end, flags='no-writes'})")),
        C("function", "load", Lib("lib2", "redis.register_function({function_name='g', callback=function() end, description={}})")),
        C("function", "load", Lib("lib2", "while true do end")),
        C("function", "load", Lib("bad name", "return 1")),
        C("function", "load", Lib("", "return 1")),
        C("function", "load", "#!js name=x\nreturn 1"),
        C("function", "load", "return 1"),
        C("function", "load", "#!lua\nreturn 1"),
        C("function", "load", "#!lua name=a foo=b\nreturn 1"),
        C("function", "load", "#!lua name=a name=b\nreturn 1"),
        C("function", "load", "#!lua name=x"),
        C("function", "load", "#!LUA  name=upper\nredis.register_function('up', function() return 1 end)"),
        C("function", "load"),
        C("function", "load", "a", "b", "c"),
        C("function", "load", "replace"),
        C("function", "list"),
        C("function", "flush"));

    [Fact]
    public void Subcommand_errors_match_redis() => Same(
        C("function"),
        C("function", "foo"),
        C("function", "delete"),
        C("function", "delete", "a", "b"),
        C("function", "delete", "nosuch"),
        C("function", "flush", "foo"),
        C("function", "flush", "async", "sync"),
        C("function", "flush", "ASYNC"),
        C("function", "flush", "sync"),
        C("function", "list", "foo"),
        C("function", "list", "withcode", "withcode"),
        C("function", "list", "libraryname"),
        C("function", "list", "libraryname", "a", "libraryname", "b"),
        C("function", "dump", "x"),
        C("function", "kill"),
        C("function", "kill", "x"),
        C("function", "stats", "x"),
        C("function", "help"),
        C("function", "help", "x"),
        C("function", "restore"),
        C("function", "restore", "abc"),
        C("function", "restore", "abc", "foo"),
        C("function", "restore", "abc", "flush", "x"),
        C("fcall"),
        C("fcall", "f"),
        C("script", "kill"));

    [Fact]
    public void Command_info_and_getkeys_of_scripts_match_redis() => Same(
        C("command", "info", "fcall", "fcall_ro", "eval", "evalsha", "eval_ro", "evalsha_ro"),
        C("command", "info", "function|load", "function|delete", "function|flush", "function|list", "function|dump"),
        C("command", "info", "function|restore", "function|kill", "function|stats", "function|help", "script|kill"),
        C("command", "getkeys", "fcall", "f", "2", "a", "b", "c"),
        C("command", "getkeys", "fcall_ro", "f", "0"),
        C("command", "getkeys", "eval", "return 1", "1", "k"),
        C("command", "getkeys", "eval", "return 1", "0"),
        C("eval", "return redis.call('function', 'foo')", "0"),
        C("eval", "return redis.call('function', 'list')", "0"),
        C("eval", "return redis.call('config', 'foo')", "0"));

    [Fact]
    public void Read_only_scripts_match_redis() => Same(
        C("eval_ro", "return redis.call('publish', 'ch', 'm')", "0"),
        C("eval", "#!lua flags=no-writes\nreturn redis.call('publish', 'ch', 'm')", "0"),
        C("eval", "#!lua flags=no-writes\nreturn redis.call('set', 'a', 'b')", "0"),
        C("eval_ro", "#!lua\nreturn redis.call('get', 'a')", "0"),
        C("eval_ro", "#!lua\nreturn 1", "0"),
        C("eval_ro", "#!lua flags=no-writes\nreturn 1", "0"),
        C("eval_ro", "return 1", "0"));

    [Fact]
    public void Dump_restore_and_policies_match_redis()
    {
        using var ours = peers.Codis.Client();
        using var theirs = peers.Redis.Client();
        foreach (var c in new[] { ours, theirs })
        {
            c.Call("function", "flush").AssertOk();
            Assert.Equal("a", c.Call("function", "load", Lib("a", "redis.register_function('fa', function() return 1 end)")).Text);
        }
        // The same library dumps to the same bytes (LZF and CRC-64 included), and each side restores the other's.
        var ourDump = ours.Call("function", "dump").Bytes!;
        var theirDump = theirs.Call("function", "dump").Bytes!;
        Assert.Equal(Convert.ToHexString(theirDump), Convert.ToHexString(ourDump));
        var longLib = Lib("big", string.Concat(Enumerable.Range(0, 40).Select(i => $"redis.register_function('big{i}', function() return {i} end)\n")));
        theirs.Call("function", "load", longLib);
        var theirBig = theirs.Call("function", "dump").Bytes!;
        theirs.Call("function", "delete", "big").AssertOk();
        ours.Call("function", "flush").AssertOk();
        ours.Call("function", "restore", theirBig).AssertOk();
        Assert.Equal(39, ours.Call("fcall", "big39", "0").Integer);
        Assert.Equal(1, ours.Call("fcall", "fa", "0").Integer);
        theirs.Call("function", "flush").AssertOk();
        theirs.Call("function", "restore", ours.Call("function", "dump").Bytes!).AssertOk();
        Assert.Equal(39, theirs.Call("fcall", "big39", "0").Integer);
        ours.Call("function", "delete", "big").AssertOk();
        theirs.Call("function", "delete", "big").AssertOk();

        var onlyA = theirDump;
        byte[] corrupt = [.. onlyA[..^1], (byte)(onlyA[^1] ^ 1)];
        var key = theirs.Call("set", "dumpkey", "v");
        var keyDump = theirs.Call("dump", "dumpkey").Bytes!;
        var commands = new List<object[]>
        {
            new object[] { "function", "restore", onlyA },
            new object[] { "function", "restore", onlyA, "append" },
            new object[] { "function", "restore", onlyA, "replace" },
            new object[] { "function", "delete", "a" },
            new object[] { "function", "load", Lib("c", "redis.register_function('fa', function() return 3 end)") },
            new object[] { "function", "restore", onlyA, "replace" },
            new object[] { "function", "restore", onlyA, "append" },
            new object[] { "function", "restore", onlyA, "FLUSH" },
            new object[] { "function", "list" },
            new object[] { "fcall", "fa", "0" },
            new object[] { "function", "restore", corrupt },
            new object[] { "function", "restore", keyDump },
            new object[] { "function", "restore", "abc", "append" },
        };
        var diffs = new List<string>();
        foreach (var args in commands)
        {
            string expected = theirs.Call(args).ToString();
            string actual = ours.Call(args).ToString();
            if (expected != actual) diffs.Add($"{args[1]} {(args.Length > 3 ? args[3] : "")}\n  redis: {expected}\n  codis: {actual}");
        }
        Assert.True(diffs.Count == 0, string.Join("\n", diffs));
    }

    [Fact]
    public void Oom_and_the_flags_match_redis()
    {
        try
        {
            Same(
                C("function", "flush"),
                C("function", "load", Lib("m", MyLib.Replace("allow-cross-slot-keys", "allow-oom"))),
                C("function", "load", Lib("o", "redis.register_function{function_name='oom', callback=function(k) return redis.call('set', k[1], 'v') end, flags={'allow-oom'}}")),
                C("config", "set", "maxmemory", "1"),
                C("fcall", "w", "1", "ok", "v"),
                C("fcall", "r", "1", "ok"),
                C("fcall", "oom", "1", "ok"),
                C("fcall_ro", "r", "1", "ok"),
                C("fcall_ro", "f1", "0"),
                C("function", "load", Lib("x", "redis.register_function('x', function() return 1 end)")),
                C("eval", "#!lua\nreturn redis.call('set', 'ok', 'v')", "0"),
                C("eval", "#!lua flags=allow-oom\nreturn redis.call('set', 'ok', 'v')", "0"),
                C("eval", "#!lua flags=no-writes\nreturn redis.call('get', 'ok')", "0"),
                C("eval_ro", "#!lua\nreturn 1", "0"),
                C("eval", "return redis.call('set', 'ok', 'v')", "0"),
                C("eval", "return redis.call('get', 'ok')", "0"),
                C("function", "delete", "o"),
                C("config", "set", "maxmemory", "0"),
                C("function", "flush"));
        }
        finally
        {
            using var ours = peers.Codis.Client();
            using var theirs = peers.Redis.Client();
            ours.Call("config", "set", "maxmemory", "0");
            theirs.Call("config", "set", "maxmemory", "0");
        }
    }
}
