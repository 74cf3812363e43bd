using System.Globalization;
using System.Text.RegularExpressions;
using Codis.Core.Resp;
using Codis.Server.Tests.Infrastructure;

namespace Codis.Server.Tests.Dump;

/// <summary>
/// DUMP/RESTORE of hashes, lists, sets and sorted sets through the real servers: the captured vectors' commands
/// replayed on codis-server give the same OBJECT ENCODING and (for every encoding whose layout is deterministic)
/// byte-identical DUMP payloads; and values travel redis-server → codis-server → redis-server unchanged.
/// </summary>
public partial class CollectionDumpTests(PeerFixture peers) : IClassFixture<PeerFixture>
{
    public static TheoryData<string> CollectionKeys
    {
        get
        {
            var data = new TheoryData<string>();
            if (Vectors.Dir == null) return data;
            foreach (var row in Vectors.Tsv("dump-7.0.15.tsv"))
                if (row["type"] is "list" or "set" or "hash" or "zset" && row["key"] != "list:plain") data.Add(row["key"]);
            return data;
        }
    }

    [GeneratedRegex(@"^FOR i IN (\d+)\.\.(\d+): (.*)$")]
    private static partial Regex ForLoop();

    [GeneratedRegex(@"\{(i(?:\*[0-9.]+)?)\}")]
    private static partial Regex Expression();

    /// <summary>The vector notation as the commands to send (FOR loops expanded; {i*1.5} printed as Python would).</summary>
    private static IEnumerable<byte[][]> Expand(string commands)
    {
        foreach (var command in commands.Split(" ; "))
        {
            var m = ForLoop().Match(command);
            if (!m.Success)
            {
                yield return VectorCommands.Tokenize(command).ToArray();
                continue;
            }
            int from = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), to = int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
            for (int i = from; i <= to; i++)
            {
                string line = Expression().Replace(m.Groups[3].Value, x =>
                {
                    string e = x.Groups[1].Value;
                    if (e == "i") return i.ToString(CultureInfo.InvariantCulture);
                    string f = e[2..];
                    if (!f.Contains('.')) return (i * int.Parse(f, CultureInfo.InvariantCulture)).ToString(CultureInfo.InvariantCulture);
                    double d = i * double.Parse(f, CultureInfo.InvariantCulture);
                    return d == Math.Floor(d) ? ((long)d).ToString(CultureInfo.InvariantCulture) + ".0" : d.ToString("R", CultureInfo.InvariantCulture);
                });
                yield return VectorCommands.Tokenize(line).ToArray();
            }
        }
    }

    [VectorTheory]
    [MemberData(nameof(CollectionKeys))]
    public void VectorCommands_OnCodis_GiveRedisEncodingAndDump(string key)
    {
        var row = Vectors.Dump(key);
        using var c = peers.Codis.Client();
        c.Call("del", key);
        foreach (var args in Expand(row["commands"])) Assert.False(c.Call(args).IsError);
        Assert.Equal(row["encoding"], c.Call("object", "encoding", key).Text);
        var dump = c.Call("dump", key).Bytes!;
        if (row["encoding"] != "hashtable")
        {
            Assert.Equal(row["dump_hex"], Convert.ToHexString(dump).ToLowerInvariant());
            return;
        }
        // Hashtable order follows each server's hash seed: compare what redis-server makes of our payload.
        using var r = peers.Redis.Client();
        r.Call("del", key, key + ":ours");
        foreach (var args in Expand(row["commands"])) r.Call(args);
        r.Call("restore", key + ":ours", "0", dump).AssertOk();
        Assert.Equal(Content(r, key), Content(r, key + ":ours"));
        Assert.Equal("hashtable", r.Call("object", "encoding", key + ":ours").Text);
    }

    /// <summary>A value as comparable text: order-free types sorted.</summary>
    private static string Content(RespClient c, string key)
    {
        string type = c.Call("type", key).Text!;
        IEnumerable<string?> items = type switch
        {
            "list" => c.Call("lrange", key, "0", "-1").Strings(),
            "set" => c.Call("smembers", key).Strings().Order(StringComparer.Ordinal),
            "hash" => Pairs(c.Call("hgetall", key).Strings()).Order(StringComparer.Ordinal),
            "zset" => c.Call("zrange", key, "0", "-1", "withscores").Strings(),
            _ => [type],
        };
        return type + ":" + string.Join(",", items);
    }

    private static IEnumerable<string?> Pairs(string?[] flat)
    {
        for (int i = 0; i < flat.Length; i += 2) yield return flat[i] + "=" + flat[i + 1];
    }

    public static TheoryData<string, string> Values => new()
    {
        { "hash-small", "hset {k} a 1 b two c 3.5" },
        { "hash-big", "hset {k} " + string.Join(" ", Enumerable.Range(0, 600).Select(i => $"f{i} v{i}")) },
        { "hash-longvalue", "hset {k} a " + new string('x', 100) },
        { "list-small", "rpush {k} a 1 -5 c" },
        { "list-lpushed", "lpush {k} " + string.Join(" ", Enumerable.Range(0, 3000).Select(i => "element-" + i)) },
        { "set-intset", "sadd {k} 5 -3 70000 9223372036854775807" },
        { "set-strings", "sadd {k} " + string.Join(" ", Enumerable.Range(0, 300).Select(i => "m" + i)) },
        { "set-bigints", "sadd {k} " + string.Join(" ", Enumerable.Range(0, 700)) },
        { "zset-small", "zadd {k} 1 a 2.5 b -inf c +inf d 0.1 e" },
        { "zset-big", "zadd {k} " + string.Join(" ", Enumerable.Range(0, 400).Select(i => $"{i * 0.7} m{i}")) },
        { "zset-longmember", "zadd {k} 1 " + new string('m', 80) + " 2 b" },
    };

    [Theory]
    [MemberData(nameof(Values))]
    public void RedisToCodisToRedis_GivesBackTheSameValue(string name, string build)
    {
        string key = "interop:" + name;
        using var r = peers.Redis.Client();
        using var c = peers.Codis.Client();
        r.Call("del", key, key + ":back");
        c.Call("del", key);
        r.Call(build.Replace("{k}", key).Split(' ')).AssertInt();
        var theirs = r.Call("dump", key).Bytes!;
        c.Call("restore", key, "0", theirs).AssertOk();
        Assert.Equal(Content(r, key), Content(c, key));
        Assert.Equal(r.Call("object", "encoding", key).Text, c.Call("object", "encoding", key).Text);
        var ours = c.Call("dump", key).Bytes!;
        r.Call("restore", key + ":back", "0", ours).AssertOk();
        Assert.Equal(Content(r, key), Content(r, key + ":back"));
        Assert.Equal(r.Call("object", "encoding", key).Text, r.Call("object", "encoding", key + ":back").Text);
        // COPY and TYPE see the restored collection too.
        c.Call("del", key + ":copy");
        Assert.Equal(1, c.Call("copy", key, key + ":copy").AssertInt());
        Assert.Equal(Content(c, key), Content(c, key + ":copy"));
    }

    [Fact]
    public void RestoreOfACorruptCollectionPayload_IsRefused()
    {
        using var r = peers.Redis.Client();
        using var c = peers.Codis.Client();
        r.Call("del", "interop:bad");
        r.Call("hset", "interop:bad", "a", "1");
        var payload = r.Call("dump", "interop:bad").Bytes!;
        payload[3] ^= 0xff;
        c.Call("restore", "interop:bad2", "0", payload).AssertError("ERR DUMP payload version or checksum are wrong");
    }
}
