using Codis.Server.Tests.Infrastructure;
using Codis.Core.Resp;
using Codis.Testing;

namespace Codis.Server.Tests.Admin;

/// <summary>MEMORY USAGE: the replies and errors of Redis, and estimates close to what a value really holds.</summary>
public class MemoryUsageTests(AdminFixture fx) : IClassFixture<AdminFixture>
{
    private static void Fill(RespClient c, string key, string type, int n)
    {
        for (int i = 0; i < n; i += 500)
        {
            var range = Enumerable.Range(i, Math.Min(500, n - i));
            string[] cmd = type switch
            {
                "hash" => ["HSET", key, .. range.SelectMany(j => new[] { $"field:{j}", $"value-{j}" })],
                "set" => ["SADD", key, .. range.Select(j => $"member:{j}")],
                "ints" => ["SADD", key, .. range.Select(j => j.ToString())],
                "zset" => ["ZADD", key, .. range.SelectMany(j => new[] { j.ToString(), $"member:{j}" })],
                "list" => ["RPUSH", key, .. range.Select(j => $"item:{j}")],
                "stream" => ["XADD", key, "*", "f", $"v{i}"],
                _ => throw new ArgumentException(type),
            };
            c.Call(cmd);
            if (type == "stream") for (int j = 1; j < 500; j++) c.Call("XADD", key, "*", "f", $"v{i + j}");
        }
    }

    private static long Used(RespClient c)
    {
        c.Call("MEMORY", "PURGE").AssertOk(); // a compacting collection: what is left is what is held
        var info = c.Call("INFO", "memory").Text!;
        return long.Parse(info.Split("\r\n").First(l => l.StartsWith("used_memory:", StringComparison.Ordinal))["used_memory:".Length..]);
    }

    /// <summary>The estimate against what the server's heap grew by when the value was made (a server of its own).</summary>
    [Theory]
    [InlineData("hash", 50_000)]
    [InlineData("set", 50_000)]
    [InlineData("ints", 50_000)]
    [InlineData("zset", 50_000)]
    [InlineData("list", 50_000)]
    [InlineData("stream", 60_000)] // bigger than the others: a stream entry is small, and a busy machine moves the heap by tens of KB
    public void Estimate_is_what_the_value_holds(string type, int n)
    {
        using var server = CodisServerProcess.Start("--save", "");
        using var c = server.Client();
        long before = Used(c);
        Fill(c, "mu:" + type, type, n);
        long grown = Used(c) - before;
        long estimate = c.Call("MEMORY", "USAGE", "mu:" + type, "SAMPLES", "0").AssertInt();
        Assert.True(estimate >= grown * 6 / 10 && estimate <= grown * 14 / 10, $"{type}: estimate {estimate}, the heap grew {grown}");
        // the default samples 5 elements; for these uniform collections that is close to counting them all
        long sampled = c.Call("MEMORY", "USAGE", "mu:" + type).AssertInt();
        Assert.InRange(sampled, estimate * 8 / 10, estimate * 12 / 10);
    }

    [Fact]
    public void Replies_and_errors_are_redis_servers()
    {
        using var ours = fx.Client();
        using var redis = fx.Redis.Client();
        foreach (var c in new[] { ours, redis }) c.Call("SET", "mu:k", "v").AssertOk();
        string[][] cases =
        [
            ["MEMORY", "USAGE", "mu:missing"],
            ["MEMORY", "USAGE"],
            ["MEMORY", "USAGE", "mu:k", "SAMPLES"],
            ["MEMORY", "USAGE", "mu:k", "SAMPLES", "-1"],
            ["MEMORY", "USAGE", "mu:k", "SAMPLES", "abc"],
            ["MEMORY", "USAGE", "mu:k", "FOO"],
            ["MEMORY", "USAGE", "mu:k", "SAMPLES", "5", "x"],
        ];
        foreach (var cmd in cases)
        {
            var expected = redis.Call(cmd);
            var actual = ours.Call(cmd);
            Assert.True(expected.Text == actual.Text && expected.IsNull == actual.IsNull && expected.IsError == actual.IsError,
                $"{string.Join(' ', cmd)}: redis {expected}, ours {actual}");
        }
        Assert.True(ours.Call("MEMORY", "USAGE", "mu:k", "samples", "0").AssertInt() > 0);
        // a string is its bytes plus the key's entry and name (the reading connection's buffers are not the key's)
        ours.Call("SET", "mu:big", new string('b', 10_000)).AssertOk();
        Assert.InRange(ours.Call("MEMORY", "USAGE", "mu:big").AssertInt(), 10_000, 10_200);
    }
}
