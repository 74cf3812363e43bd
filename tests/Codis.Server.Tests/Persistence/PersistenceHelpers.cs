using System.Diagnostics;
using System.Text;
using Codis.Core.Resp;

namespace Codis.Server.Tests.Durability;

internal static class PersistenceHelpers
{
    public static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    /// <summary>Runs a tool (redis-check-rdb, redis-check-aof) and returns its exit code and output.</summary>
    public static (int Exit, string Output) Run(string tool, params string[] args)
    {
        var psi = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(30000))
        {
            p.Kill();
            throw new TimeoutException(tool + " did not finish");
        }
        return (p.ExitCode, stdout.Result + stderr.Result);
    }

    /// <summary>
    /// Strings in every RDB string encoding (int8/16/32, text integers, LZF-compressible, incompressible, binary,
    /// empty, 300 KB) spread over db 0 and db 7, some with an expiry: the same set goes into any server.
    /// </summary>
    public static List<(int Db, byte[] Key, byte[] Value, bool Ttl)> Dataset()
    {
        var rnd = new Random(42);
        var incompressible = new byte[3000];
        rnd.NextBytes(incompressible);
        var list = new List<(int, byte[], byte[], bool)>
        {
            (0, B("int8"), B("-100"), false), (0, B("int16"), B("30000"), false), (0, B("int32"), B("-2147483648"), false),
            (0, B("bigint"), B("9223372036854775807"), false), (0, B("notcanon"), B("007"), false),
            (0, B("empty"), [], false), (0, B("bin"), [0, 255, 13, 10, 0], false),
            (0, B("lzf"), B(string.Concat(Enumerable.Repeat("abcdefgh", 40))), true),
            (0, B("incompressible"), incompressible, false),
            (0, B("big"), B(string.Concat(Enumerable.Repeat("0123456789", 30000))), false),
            (7, B("other-db"), B("seven"), true), (7, B("\x00binary key\xff"), B("v"), false),
        };
        for (int i = 0; i < 500; i++) list.Add((i % 2 == 0 ? 0 : 3, B($"key:{i}"), B($"value-{i}-{new string('x', i % 50)}"), i % 10 == 0));
        return list;
    }

    public const long FarExpiry = 4102444800123; // year 2100, as the vectors use

    public static void Load(RespClient c, List<(int Db, byte[] Key, byte[] Value, bool Ttl)> data)
    {
        foreach (var (db, key, value, ttl) in data)
        {
            Ok(c.Call(B("SELECT"), B(db.ToString())));
            Ok(ttl ? c.Call(B("SET"), key, value, B("PXAT"), B(FarExpiry.ToString())) : c.Call(B("SET"), key, value));
        }
        Ok(c.Call("SELECT", "0"));
    }

    /// <summary>Every key has its value and expiry, and nothing else is there.</summary>
    public static void AssertHas(RespClient c, List<(int Db, byte[] Key, byte[] Value, bool Ttl)> data)
    {
        foreach (var group in data.GroupBy(d => d.Db))
        {
            Ok(c.Call(B("SELECT"), B(group.Key.ToString())));
            Assert.Equal(group.Count(), c.Call("DBSIZE").Integer);
            foreach (var (_, key, value, ttl) in group)
            {
                var got = c.Call(B("GET"), key);
                Assert.False(got.IsNull, $"key {Encoding.UTF8.GetString(key)} missing in db {group.Key}");
                Assert.Equal(value, got.Bytes);
                Assert.Equal(ttl ? FarExpiry : -1, c.Call(B("PEXPIRETIME"), key).Integer);
            }
        }
        Ok(c.Call("SELECT", "0"));
    }

    /// <summary>redis-server listens while it still loads (-LOADING): wait until it answers.</summary>
    public static void WaitLoaded(RespClient c) =>
        Infrastructure.Eventually.True(() => !c.Call("PING").IsError, TimeSpan.FromSeconds(30), "redis-server to finish loading");

    public static void Ok(RespValue v) => Assert.True(v.Text == "OK", "expected OK, got " + v);
}
