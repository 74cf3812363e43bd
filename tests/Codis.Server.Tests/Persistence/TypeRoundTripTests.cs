using Codis.Core.Resp;
using Codis.Testing;
using static Codis.Server.Tests.Durability.PersistenceHelpers;

namespace Codis.Server.Tests.Durability;

/// <summary>
/// Every type the keyspace holds survives an RDB restart, an AOF restart and the trip to redis-server and back,
/// in both the small (listpack/intset) and the large (hashtable/skiplist/quicklist) encodings.
/// </summary>
public class TypeRoundTripTests
{
    private static readonly string[][] Commands = Build();

    private static string[][] Build()
    {
        var c = new List<string[]>
        {
            new[] { "RPUSH", "list:small", "a", "b", "1", "2" },
            new[] { "SADD", "set:int", "1", "2", "3" },
            new[] { "SADD", "set:str", "a", "b", "c" },
            new[] { "HSET", "hash:small", "f1", "v1", "f2", "v2" },
            new[] { "ZADD", "zset:small", "1", "a", "2.5", "b", "-inf", "c" },
            new[] { "SET", "string", "plain" },
            new[] { "PEXPIREAT", "hash:small", "4102444800123" },
        };
        var big = new List<string> { "RPUSH", "list:big" };
        var hash = new List<string> { "HSET", "hash:big" };
        var set = new List<string> { "SADD", "set:big" };
        var zset = new List<string> { "ZADD", "zset:big" };
        for (int i = 0; i < 700; i++)
        {
            big.Add("item:" + i);
            hash.Add("field:" + i);
            hash.Add("value:" + i);
            set.Add("member:" + i);
            zset.Add((i * 1.5).ToString(System.Globalization.CultureInfo.InvariantCulture));
            zset.Add("m" + i);
        }
        c.Add(big.ToArray());
        c.Add(hash.ToArray());
        c.Add(set.ToArray());
        c.Add(zset.ToArray());
        return c.ToArray();
    }

    /// <summary>A canonical text of every key (sorted members for unordered types) plus its expiry.</summary>
    private static string Describe(RespClient c)
    {
        var keys = c.Call("KEYS", "*").Items!.Select(k => k.Text!).Order(StringComparer.Ordinal);
        var sb = new System.Text.StringBuilder();
        foreach (var k in keys)
        {
            string type = c.Call("TYPE", k).Text!;
            IEnumerable<string> items = type switch
            {
                "string" => [c.Call("GET", k).Text!],
                "list" => c.Call("LRANGE", k, "0", "-1").Items!.Select(i => i.Text!),
                "set" => c.Call("SMEMBERS", k).Items!.Select(i => i.Text!).Order(StringComparer.Ordinal),
                "hash" => Pairs(c.Call("HGETALL", k)).Order(StringComparer.Ordinal),
                "zset" => Pairs(c.Call("ZRANGE", k, "0", "-1", "WITHSCORES")),
                _ => [type],
            };
            sb.Append(k).Append(' ').Append(type).Append(' ').Append(c.Call("PEXPIRETIME", k).Integer).Append(": ")
              .AppendJoin(',', items).Append('\n');
        }
        return sb.ToString();
    }

    private static IEnumerable<string> Pairs(RespValue v)
    {
        var items = v.Items!;
        for (int i = 0; i + 1 < items.Length; i += 2) yield return items[i].Text + "=" + items[i + 1].Text;
    }

    [Fact]
    public void Every_type_survives_rdb_aof_and_redis_server_both_ways()
    {
        string expected;
        string dir;
        using (var s = CodisServerProcess.Start("--save", "", "--appendonly", "yes"))
        {
            dir = s.DataDir;
            using var c = s.Client();
            foreach (var cmd in Commands) Assert.False(c.Call(cmd).IsError, string.Join(' ', cmd.Take(3)));
            expected = Describe(c);
            Ok(c.Call("SAVE"));
        }
        Assert.Contains("list:big list -1: item:0,item:1", expected);

        // AOF restart (the increment holds the commands), then RDB restart.
        using (var s = CodisServerProcess.StartIn(dir, "--save", "", "--appendonly", "yes"))
        using (var c = s.Client())
            Assert.Equal(expected, Describe(c));
        using (var s = CodisServerProcess.StartIn(dir, "--save", ""))
        using (var c = s.Client())
            Assert.Equal(expected, Describe(c));

        var (exit, output) = Run("redis-check-rdb", Path.Combine(dir, "dump.rdb"));
        Assert.True(exit == 0, output);
        using var redis = RedisServerProcess.Start("--dir", dir);
        using var rc = redis.Client();
        WaitLoaded(rc);
        Assert.Equal(expected, Describe(rc));
        Ok(rc.Call("SAVE"));
        using var back = CodisServerProcess.StartIn(dir, "--save", ""); // redis wrote its dump.rdb there (--dir)
        using var bc = back.Client();
        Assert.Equal(expected, Describe(bc));
    }
}
