using System.Text;
using Codis.Core.Resp;
using Codis.Server.Tests.Infrastructure;

namespace Codis.Server.Tests.Keys;

/// <summary>
/// Seeded random commands of every type over five keys, with arguments that are often wrong (not numbers, out of
/// range, floats that overflow, hexadecimal floats, spaces) so that keys change type under the commands and the
/// order of Redis's checks shows: the same sequence goes to codis-server and redis-server 7.0 and every reply must
/// match. Replies whose order Redis leaves unspecified (SMEMBERS, HGETALL, ...) are compared sorted.
/// </summary>
public class MixedTypeRandomTests(PeerFixture peers) : IClassFixture<PeerFixture>
{
    private static readonly string[] Keys = ["k1", "k2", "k3", "{t}a", "{t}b"];
    private static readonly string[] Ints = ["0", "1", "-1", "2", "10", "-5", "100", "9223372036854775807", "-9223372036854775808", "9223372036854775808", "abc", "1.5", "", " 1", "01", "+1", "-0", "3", "7"];
    private static readonly string[] Ttls = ["-1", "0", "5000000", "100000", "abc", "9223372036854775807", "", "-9223372036854775808", "1.5"];
    private static readonly string[] Floats = ["0", "1.5", "-1.5", "inf", "-inf", "nan", "1e308", "1e309", "abc", "", "3", "0.1", "+inf", "-0", "1e-320", "1e-400", "0x10", "0x1p-2", " 1", "1 ", "(1", "(0x2"];
    private static readonly string[] Values = ["a", "b", "c", "", "hello", "1", "2", "10", "-3", new string('x', 50), "3.5", "foo bar", "abcbd"];
    private static readonly string[] Elements = ["a", "b", "c", "d", "e", "1", "2", "3", "100", "-1", ""];
    private static readonly HashSet<string> Unordered = ["smembers", "hgetall", "hkeys", "hvals", "sinter", "sunion", "sdiff"];

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void RandomCommandsOfEveryType_SameRepliesAsRedis(int seed)
    {
        var rnd = new Random(seed);
        string K() => Keys[rnd.Next(Keys.Length)];
        string I() => Ints[rnd.Next(Ints.Length)];
        string T() => Ttls[rnd.Next(Ttls.Length)];
        string F() => Floats[rnd.Next(Floats.Length)];
        string V() => Values[rnd.Next(Values.Length)];
        string E() => Elements[rnd.Next(Elements.Length)];
        string[] Pick(params string[][] options) => options[rnd.Next(options.Length)];
        string[][] Repeat(int max, Func<string[]> f) => Enumerable.Range(0, rnd.Next(max + 1)).Select(_ => f()).ToArray();
        string[] Cat(params string[][] parts) => parts.SelectMany(p => p).ToArray();
        var generators = new Func<string[]>[]
        {
            () => Cat(["set", K(), V()], Pick([], ["nx"], ["xx"], ["get"], ["ex", T()], ["px", T()], ["keepttl"], ["nx", "xx"], ["get", "nx"])),
            () => ["get", K()], () => ["append", K(), V()], () => ["incr", K()], () => ["incrby", K(), I()],
            () => ["incrbyfloat", K(), F()], () => ["getrange", K(), I(), I()], () => ["strlen", K()],
            () => ["setrange", K(), Pick(["0"], ["1"], ["5"], ["-1"], ["abc"])[0], V()],
            () => Cat([Pick(["bitfield"], ["bitfield_ro"])[0], K()], Pick(["get", "u8", I()], ["set", "i5", I(), I()], ["incrby", "u4", "#1", I()], ["overflow", "fail", "incrby", "i8", "0", I()])),
            () => ["getbit", K(), I()], () => ["setbit", K(), Pick(["0"], ["7"], ["100"], ["-1"])[0], Pick(["0"], ["1"], ["2"])[0]],
            () => Cat(["bitcount", K()], Pick([], [I(), I()], [I(), I(), "bit"], [I()])),
            () => Cat(["bitpos", K(), Pick(["0"], ["1"], ["2"])[0]], Pick([], [I()], [I(), I()], [I(), I(), "bit"])),
            () => Cat(["bitop", Pick(["and"], ["or"], ["xor"], ["not"], ["foo"])[0], "{t}a", "{t}b"], Pick([], ["{t}a"])),
            () => Cat(["getex", K()], Pick([], ["persist"], ["ex", T()])), () => ["getdel", K()],
            () => Cat(["mset"], Cat(Repeat(2, () => [K(), V()])), Pick([], [K()])), () => ["mget", K(), K()],
            () => ["msetnx", K(), V(), K(), V()], () => ["getset", K(), V()],
            () => ["del", K(), K()], () => ["exists", K(), K()], () => ["type", K()], () => ["ttl", K()],
            () => Cat(["expire", K(), T()], Pick([], ["nx"], ["xx"], ["gt"], ["lt"], ["foo"])), () => ["persist", K()],
            () => ["rename", K(), K()], () => ["renamenx", K(), K()],
            () => Cat(["copy", K(), K()], Pick([], ["replace"], ["db", "1"], ["db", "x"])),
            () => Cat(["lcs", "{t}a", "{t}b"], Pick([], ["len"], ["idx"], ["idx", "minmatchlen", I()], ["idx", "withmatchlen"], ["len", "idx"], ["foo"])),
            () => Cat(["hset", K()], Cat(Repeat(3, () => [E(), V()]))), () => ["hget", K(), E()], () => ["hdel", K(), E(), E()],
            () => ["hincrby", K(), E(), I()], () => ["hincrbyfloat", K(), E(), F()], () => ["hsetnx", K(), E(), V()],
            () => ["hgetall", K()], () => ["hlen", K()], () => ["hstrlen", K(), E()], () => ["hmget", K(), E(), E()],
            () => Cat([Pick(["lpush"], ["rpush"], ["lpushx"], ["rpushx"])[0], K()], Cat(Repeat(3, () => [E()]))),
            () => Cat([Pick(["lpop"], ["rpop"])[0], K()], Pick([], [I()])), () => ["lrange", K(), I(), I()],
            () => ["lindex", K(), I()], () => ["lset", K(), I(), E()], () => ["lrem", K(), I(), E()], () => ["ltrim", K(), I(), I()],
            () => ["linsert", K(), Pick(["before"], ["after"], ["x"])[0], E(), E()], () => ["llen", K()],
            () => Cat(["lpos", K(), E()], Pick([], ["rank", I()], ["count", I()], ["maxlen", I()], ["rank", "-1", "count", "0"])),
            () => ["lmove", K(), K(), Pick(["left"], ["right"], ["up"])[0], Pick(["left"], ["right"])[0]], () => ["rpoplpush", K(), K()],
            () => Cat(["sadd", K()], Cat(Repeat(3, () => [E()]))), () => ["srem", K(), E(), E()], () => ["smembers", K()],
            () => ["sismember", K(), E()], () => ["smismember", K(), E(), E()], () => ["scard", K()], () => ["smove", K(), K(), E()],
            () => [Pick(["sinter"], ["sunion"], ["sdiff"])[0], "{t}a", "{t}b"],
            () => [Pick(["sinterstore"], ["sunionstore"], ["sdiffstore"])[0], "{t}a", "{t}b", "{t}a"],
            () => Cat(["zadd", K()], Pick([], ["nx"], ["xx"], ["gt"], ["lt", "ch"], ["incr"], ["nx", "gt"]), Cat(Repeat(2, () => [F(), E()]))),
            () => ["zscore", K(), E()], () => ["zincrby", K(), F(), E()],
            () => Cat(["zrange", K(), I(), I()], Pick([], ["withscores"], ["rev"])),
            () => Cat(["zrange", K(), F(), F(), "byscore"], Pick([], ["withscores"], ["limit", I(), I()])),
            () => ["zcount", K(), F(), F()], () => ["zrem", K(), E()], () => ["zcard", K()], () => ["zrank", K(), E()],
            () => Cat(["zpopmin", K()], Pick([], [I()])), () => ["pfadd", K(), E(), E()], () => ["pfcount", K()], () => ["dbsize"],
        };

        using var ours = peers.Codis.Client();
        using var theirs = peers.Redis.Client();
        ours.Call("flushall");
        theirs.Call("flushall");
        var diffs = new List<string>();
        for (int i = 0; i < 4000 && diffs.Count < 10; i++)
        {
            var cmd = generators[rnd.Next(generators.Length)]();
            var args = cmd.Select(a => Encoding.UTF8.GetBytes(a)).ToArray();
            string expected = Normalize(cmd[0], theirs.Call(args));
            string actual = Normalize(cmd[0], ours.Call(args));
            if (expected == actual) continue;
            diffs.Add($"{string.Join(' ', cmd.Select(a => a.Length == 0 || a.Contains(' ') ? $"\"{a}\"" : a))}\n  redis: {expected}\n  codis: {actual}");
            // start again from the same state, so that one difference is reported once and not as a cascade
            ours.Call("flushall");
            theirs.Call("flushall");
        }
        Assert.True(diffs.Count == 0, $"{diffs.Count} replies differ from redis-server:\n" + string.Join("\n", diffs));
    }

    private static string Normalize(string command, RespValue reply)
    {
        if (!Unordered.Contains(command) || reply.Items == null) return reply.ToString();
        var items = reply.Items.Select(x => x.ToString());
        if (command == "hgetall")
            items = reply.Items.Chunk(2).Select(p => p[0] + "=" + p[1]);
        return string.Join(",", items.Order(StringComparer.Ordinal));
    }
}
