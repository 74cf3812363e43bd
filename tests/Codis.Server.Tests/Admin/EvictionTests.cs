using System.Text;
using Codis.Core.Resp;
using Codis.Server.Tests.Infrastructure;
using Codis.Testing;

namespace Codis.Server.Tests.Admin;

/// <summary>
/// maxmemory with each maxmemory-policy: memory held near the limit, the right keys go (old ones for LRU, rarely
/// used ones for LFU, the nearest deadline for volatile-ttl, only keys with a TTL for volatile-*), OOM errors
/// where nothing may go, and the settings, INFO fields and errors of redis-server 7.0.
/// </summary>
public class EvictionTests(AdminFixture fx) : IClassFixture<AdminFixture>
{
    private static readonly string Value = new('v', 1000);

    // The tests that check which keys go hold ~80 MB: the limit is held within the GC's young-generation budget
    // (gc-gen0-size, 4 MB), which must stay small next to the third they evict.
    private static readonly string Big = new('b', 4000);

    /// <summary>Pipelined SETs (EX when <paramref name="ttlSeconds"/> > 0); returns the error replies.</summary>
    private static List<string> Load(RespClient c, string prefix, int from, int count, int ttlSeconds = 0, string? value = null)
    {
        var errors = new List<string>();
        value ??= Value;
        for (int i = from; i < from + count; i += 200)
        {
            int n = Math.Min(200, from + count - i);
            for (int j = i; j < i + n; j++)
            {
                string[] cmd = ttlSeconds > 0 ? ["SET", $"{prefix}{j}", value, "EX", ttlSeconds.ToString()] : ["SET", $"{prefix}{j}", value];
                c.Send(cmd.Select(a => Encoding.UTF8.GetBytes(a)).ToArray());
            }
            c.Flush();
            for (int j = 0; j < n; j++)
                if (c.Read() is { IsError: true } e) errors.Add(e.Text!);
        }
        return errors;
    }

    private static long Info(RespClient c, string field)
    {
        var text = c.Call("INFO", "everything").Text!;
        var line = text.Split("\r\n").First(l => l.StartsWith(field + ":", StringComparison.Ordinal));
        return long.Parse(line[(field.Length + 1)..]);
    }

    private static int Surviving(RespClient c, string prefix, int from, int count)
    {
        int alive = 0;
        for (int i = from; i < from + count; i++) alive += (int)c.Call("EXISTS", $"{prefix}{i}").AssertInt();
        return alive;
    }

    /// <summary>A server filled by <paramref name="fill"/> whose limit is then set to two thirds of what the data holds.</summary>
    private static CodisServerProcess TwoThirds(string policy, Action<RespClient> fill, out RespClient client)
    {
        var server = CodisServerProcess.Start("--save", "", "--maxmemory-policy", policy, "--maxmemory-eviction-tenacity", "100");
        client = server.Client();
        client.Call("MEMORY", "PURGE").AssertOk();
        long empty = Info(client, "used_memory");
        fill(client);
        client.Call("MEMORY", "PURGE").AssertOk();
        long full = Info(client, "used_memory");
        client.Call("CONFIG", "SET", "maxmemory", (empty + (full - empty) * 2 / 3).ToString()).AssertOk();
        return server;
    }

    [Fact]
    public void Settings_and_their_errors_are_redis_servers()
    {
        fx.AssertSame("""
            CONFIG GET maxmemory-policy
            CONFIG GET maxmemory-samples
            CONFIG GET maxmemory-eviction-tenacity
            CONFIG GET lfu-log-factor
            CONFIG GET lfu-decay-time
            CONFIG GET replica-ignore-maxmemory
            CONFIG GET slave-ignore-maxmemory
            CONFIG SET maxmemory-policy foo
            CONFIG SET maxmemory-samples 0
            CONFIG SET maxmemory-eviction-tenacity 101
            CONFIG SET lfu-log-factor -1
            CONFIG SET lfu-decay-time -1
            CONFIG SET replica-ignore-maxmemory maybe
            CONFIG SET maxmemory-policy allkeys-lru
            CONFIG GET maxmemory-policy
            SET ev:k v
            OBJECT FREQ ev:k
            CONFIG SET maxmemory-policy allkeys-lfu
            OBJECT IDLETIME ev:k
            CONFIG SET maxmemory-policy noeviction
            DEL ev:k
            """);
    }

    [Fact]
    public void Allkeys_lru_holds_memory_near_the_limit_and_every_write_succeeds()
    {
        using var server = CodisServerProcess.Start("--save", "", "--maxmemory", "40mb", "--maxmemory-policy", "allkeys-lru");
        using var c = server.Client();
        var errors = Load(c, "lru:", 0, 120_000); // ~150 MB of keys and values
        Assert.Empty(errors);
        // the cron may go on evicting between the reads
        long keysBefore = c.Call("DBSIZE").AssertInt();
        long evicted = Info(c, "evicted_keys");
        long keysAfter = c.Call("DBSIZE").AssertInt();
        Assert.InRange(keysAfter, 10_000, 60_000);
        Assert.InRange(120_000L, keysAfter + evicted, keysBefore + evicted);
        Eventually.True(() => Info(c, "used_memory") <= 40L * 1024 * 1024 * 12 / 10, TimeSpan.FromSeconds(10), "used_memory within 1.2 x maxmemory");
        Assert.Equal("allkeys-lru", c.Call("CONFIG", "GET", "maxmemory-policy").Items![1].Text);
        Assert.Contains("maxmemory_policy:allkeys-lru", c.Call("INFO", "memory").Text);
        c.Call("CONFIG", "SET", "maxmemory", "0").AssertOk(); // else the cron may still evict a few
        c.Call("CONFIG", "RESETSTAT").AssertOk();
        Assert.Equal(0, Info(c, "evicted_keys"));
    }

    [Fact]
    public void Lru_evicts_the_keys_idle_longest()
    {
        using var server = TwoThirds("allkeys-lru", c =>
        {
            // old keys by RESTORE ... IDLETIME, fresh ones just written
            c.Call("SET", "payload", Big).AssertOk();
            byte[] dump = c.Call("DUMP", "payload").Bytes!;
            c.Call("DEL", "payload");
            for (int i = 0; i < 10_000; i++)
                c.Call([Encoding.UTF8.GetBytes("RESTORE"), Encoding.UTF8.GetBytes($"old:{i}"), "0"u8.ToArray(), dump, "IDLETIME"u8.ToArray(), "100000"u8.ToArray()]).AssertOk();
            Assert.InRange(c.Call("OBJECT", "IDLETIME", "old:1").AssertInt(), 99_990, 100_010);
            Assert.Empty(Load(c, "new:", 0, 10_000, value: Big));
        }, out var client);
        using (client)
        {
            client.Call("CONFIG", "SET", "maxmemory-samples", "10").AssertOk();
            client.Call("SET", "trigger", "x").AssertOk(); // the check before this write evicts a third of the data
            int oldLeft = Surviving(client, "old:", 0, 10_000), newLeft = Surviving(client, "new:", 0, 10_000);
            Assert.True(Info(client, "evicted_keys") >= 5_000, "a third of the data evicted");
            Assert.True(newLeft >= 9_000, $"fresh keys kept: {newLeft} of 10000 (old ones left: {oldLeft})");
            Assert.True(oldLeft <= 5_000, $"old keys evicted first: {oldLeft} of 10000 left");
        }
    }

    [Fact]
    public void Volatile_ttl_evicts_the_nearest_deadline_and_never_a_key_without_ttl()
    {
        using var server = TwoThirds("volatile-ttl", c =>
        {
            Assert.Empty(Load(c, "keep:", 0, 6_000, value: Big));
            Assert.Empty(Load(c, "soon:", 0, 6_000, ttlSeconds: 1000, value: Big));
            Assert.Empty(Load(c, "late:", 0, 6_000, ttlSeconds: 100_000, value: Big));
        }, out var client);
        using (client)
        {
            client.Call("SET", "trigger", "x").AssertOk();
            Assert.Equal(6_000, Surviving(client, "keep:", 0, 6_000));
            int soon = Surviving(client, "soon:", 0, 6_000), late = Surviving(client, "late:", 0, 6_000);
            Assert.True(soon < 1_500 && late > 4_500, $"left: soon {soon}, late {late} of 6000");
        }
    }

    [Fact]
    public void Volatile_policies_without_volatile_keys_refuse_writes_with_redis_servers_oom_error()
    {
        using var server = TwoThirds("volatile-lru", c => Assert.Empty(Load(c, "keep:", 0, 10_000)), out var client);
        using (client)
        {
            var oom = client.Call("SET", "more", "x");
            Assert.True(oom.IsError);
            Assert.Equal("OOM command not allowed when used memory > 'maxmemory'.", oom.Text);
            Assert.Equal(10_000, client.Call("DBSIZE").AssertInt());
            Assert.Equal(Value, client.Call("GET", "keep:1").Text); // reads still work
            Assert.Equal(0, Info(client, "evicted_keys"));
            Thread.Sleep(200); // still over the limit, with nothing it may evict: the time over it keeps counting
            Assert.True(Info(client, "current_eviction_exceeded_time") >= 150, "current_eviction_exceeded_time counts the time over maxmemory");
            Assert.True(Info(client, "total_eviction_exceeded_time") >= 150, "total_eviction_exceeded_time includes the current period");
        }
    }

    [Fact]
    public void Noeviction_refuses_writes_until_deletes_make_room()
    {
        using var server = TwoThirds("noeviction", c => Assert.Empty(Load(c, "k:", 0, 10_000)), out var client);
        using (client)
        {
            Assert.Equal("OOM command not allowed when used memory > 'maxmemory'.", client.Call("SET", "more", "x").Text);
            Assert.Equal(1, client.Call("DEL", "k:1").AssertInt()); // DEL is not refused
            client.Call("FLUSHALL").AssertOk();
            // the GC reclaims the flushed values when the server asks it to (once a second while over the limit)
            Eventually.True(() => client.Call("SET", "more", "x").Text == "OK", TimeSpan.FromSeconds(15), "a write accepted after FLUSHALL");
        }
    }

    [Fact]
    public void Lfu_counts_accesses_and_keeps_the_frequently_used_keys()
    {
        using var server = TwoThirds("allkeys-lfu", c =>
        {
            Assert.Empty(Load(c, "cold:", 0, 10_000, value: Big));
            Assert.Empty(Load(c, "hot:", 0, 10_000, value: Big));
            for (int round = 0; round < 30; round++)
            {
                for (int i = 0; i < 10_000; i++) c.Send([Encoding.UTF8.GetBytes("GET"), Encoding.UTF8.GetBytes($"hot:{i}")]);
                c.Flush();
                for (int i = 0; i < 10_000; i++) c.Read();
            }
        }, out var client);
        using (client)
        {
            client.Call("SET", "trigger", "x").AssertOk();
            int hot = Surviving(client, "hot:", 0, 10_000), cold = Surviving(client, "cold:", 0, 10_000);
            string diag = $"evicted {Info(client, "evicted_keys")}, used {Info(client, "used_memory")}, maxmemory {Info(client, "maxmemory")}";
            Assert.True(hot >= 9_000 && cold <= 5_000, $"left: hot {hot}, cold {cold} of 10000; {diag}");
            var hotKey = Enumerable.Range(0, 10_000).Select(i => $"hot:{i}").First(k => client.Call("EXISTS", k).AssertInt() == 1);
            var coldKey = Enumerable.Range(0, 10_000).Select(i => $"cold:{i}").First(k => client.Call("EXISTS", k).AssertInt() == 1);
            long hotFreq = client.Call("OBJECT", "FREQ", hotKey).AssertInt(), coldFreq = client.Call("OBJECT", "FREQ", coldKey).AssertInt();
            Assert.True(hotFreq > coldFreq, $"hot {hotFreq} > cold {coldFreq}");
        }
    }

    [Fact]
    public void Restore_freq_and_idletime_set_the_counters_as_redis_server_does()
    {
        foreach (var c in new[] { fx.Client(), fx.Redis.Client() })
            using (c)
            {
                c.Call("SET", "ev:src", "v").AssertOk();
                byte[] dump = c.Call("DUMP", "ev:src").Bytes!;
                c.Call("CONFIG", "SET", "maxmemory-policy", "allkeys-lfu").AssertOk();
                c.Call([.. new[] { "RESTORE", "ev:f", "0" }.Select(Encoding.UTF8.GetBytes), dump, .. new[] { "FREQ", "100", "REPLACE" }.Select(Encoding.UTF8.GetBytes)]).AssertOk();
                Assert.Equal(100, c.Call("OBJECT", "FREQ", "ev:f").AssertInt());
                c.Call("CONFIG", "SET", "maxmemory-policy", "allkeys-lru").AssertOk();
                c.Call([.. new[] { "RESTORE", "ev:i", "0" }.Select(Encoding.UTF8.GetBytes), dump, .. new[] { "IDLETIME", "5000", "REPLACE" }.Select(Encoding.UTF8.GetBytes)]).AssertOk();
                Assert.InRange(c.Call("OBJECT", "IDLETIME", "ev:i").AssertInt(), 4_999, 5_002);
                c.Call("CONFIG", "SET", "maxmemory-policy", "noeviction").AssertOk();
                c.Call("DEL", "ev:src", "ev:f", "ev:i");
            }
    }

    [Fact]
    public void Evicted_keys_are_deleted_on_the_replica_which_does_not_evict_by_itself()
    {
        using var master = CodisServerProcess.Start("--save", "", "--maxmemory-policy", "allkeys-random");
        using var replica = CodisServerProcess.Start("--save", "", "--maxmemory", "1mb", "--maxmemory-policy", "allkeys-random");
        using var m = master.Client();
        using var r = replica.Client();
        r.Call("REPLICAOF", "127.0.0.1", master.Port.ToString()).AssertOk();
        Eventually.True(() => r.Call("INFO", "replication").Text!.Contains("master_link_status:up"), TimeSpan.FromSeconds(20), "replica linked");
        Assert.Empty(Load(m, "rk:", 0, 20_000)); // ~25 MB: far over the replica's own 1 MB limit
        Eventually.True(() => r.Call("DBSIZE").AssertInt() == 20_000, TimeSpan.FromSeconds(20), "the replica has every key");
        Assert.Equal(0, Info(r, "evicted_keys"));

        m.Call("MEMORY", "PURGE").AssertOk();
        long used = Info(m, "used_memory");
        m.Call("CONFIG", "SET", "maxmemory", (used * 6 / 10).ToString()).AssertOk();
        m.Call("SET", "trigger", "x").AssertOk();
        Eventually.True(() => Info(m, "evicted_keys") > 2_000, TimeSpan.FromSeconds(10), "the master evicts");
        Eventually.True(() => r.Call("DBSIZE").AssertInt() == m.Call("DBSIZE").AssertInt(), TimeSpan.FromSeconds(20), "the replica follows the evictions");
        Assert.Equal(0, Info(r, "evicted_keys"));
    }
    private static RespValue RestoreWith(RespClient c, string key, byte[] dump, string option, string value) =>
        c.Call([.. new[] { "RESTORE", key, "0" }.Select(Encoding.UTF8.GetBytes), dump, .. new[] { option, value, "REPLACE" }.Select(Encoding.UTF8.GetBytes)]);

    [Fact]
    public void Rdb_files_keep_idle_times_and_counters_both_ways_with_redis_server()
    {
        // ours (LRU) -> redis-server: the IDLE records
        string dir;
        using (var ours = CodisServerProcess.Start("--save", "", "--maxmemory-policy", "allkeys-lru"))
        {
            dir = ours.DataDir;
            using var c = ours.Client();
            c.Call("SET", "src", "v").AssertOk();
            RestoreWith(c, "idle", c.Call("DUMP", "src").Bytes!, "IDLETIME", "5000").AssertOk();
            c.Call("SAVE").AssertOk();
        }
        using (var redis = RedisServerProcess.Start("--dir", dir, "--maxmemory-policy", "allkeys-lru"))
        using (var rc = redis.Client())
        {
            Eventually.True(() => rc.Call("DBSIZE").Integer == 2, TimeSpan.FromSeconds(20), "redis-server loaded our file");
            Assert.InRange(rc.Call("OBJECT", "IDLETIME", "idle").AssertInt(), 4_999, 5_010);
            Assert.InRange(rc.Call("OBJECT", "IDLETIME", "src").AssertInt(), 0, 10);

            // redis-server (LFU) -> ours: the FREQ records
            rc.Call("CONFIG", "SET", "maxmemory-policy", "allkeys-lfu").AssertOk();
            RestoreWith(rc, "freq", rc.Call("DUMP", "src").Bytes!, "FREQ", "77").AssertOk();
            rc.Call("SAVE").AssertOk();
            using var ours = CodisServerProcess.StartIn(dir, "--save", "", "--maxmemory-policy", "allkeys-lfu");
            using var c = ours.Client();
            Assert.Equal(77, c.Call("OBJECT", "FREQ", "freq").AssertInt());
        }
    }
}
