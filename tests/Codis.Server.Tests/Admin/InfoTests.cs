using Codis.Server.Introspection;
using Codis.Server.Tests.Infrastructure;

namespace Codis.Server.Tests.Admin;

public class InfoTests(AdminFixture fx) : IClassFixture<AdminFixture>
{
    private static string[] Titles(string info) =>
        info.Split("\r\n").Where(l => l.StartsWith("# ", StringComparison.Ordinal)).Select(l => l[2..]).ToArray();

    [Theory]
    [InlineData("")]
    [InlineData("default")]
    [InlineData("all")]
    [InlineData("everything")]
    [InlineData("server clients")]
    [InlineData("keyspace cpu")]
    [InlineData("SERVER")]
    [InlineData("commandstats")]
    [InlineData("modules")]
    [InlineData("bogus")]
    public void Sections_SameSelectionAndOrderAsRedis(string args)
    {
        using var ours = fx.Client();
        using var theirs = fx.Redis.Client();
        var words = args.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        string[] cmd = ["INFO", .. words];
        var expected = Titles(theirs.Call(cmd).Text!);
        var actual = Titles(ours.Call(cmd).Text!);
        // "all"/"everything" also carry codis-server's own slots section, after keyspace.
        if (words.Any(w => w is "all" or "everything")) expected = [.. expected, "Slots"];
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void Layout_BlankLineBetweenSections_NoneAfterTheLast()
    {
        using var c = fx.Client();
        string text = c.Call("INFO", "keyspace", "cpu").Text!;
        Assert.StartsWith("# CPU\r\n", text);
        Assert.Contains("\r\n\r\n# Keyspace\r\n", text);
        Assert.EndsWith("\r\n", text);
        Assert.False(text.EndsWith("\r\n\r\n", StringComparison.Ordinal));
        Assert.Equal("# Modules\r\n", c.Call("INFO", "modules").Text);
        Assert.Equal("", c.Call("INFO", "bogus").Text);
    }

    /// <summary>
    /// Every field redis-server 7.0 prints in these sections exists in ours with the same name, except the few
    /// that describe Redis's own build or allocator.
    /// </summary>
    [Fact]
    public void Fields_RedisFieldNamesPresent()
    {
        using var ours = fx.Client();
        using var theirs = fx.Redis.Client();
        var r = AdminFixture.ParseInfo(theirs.Call("INFO", "everything").Text!);
        var o = AdminFixture.ParseInfo(ours.Call("INFO", "everything").Text!);
        string[] notOurs =
        [
            "atomicvar_api", "gcc_version", "used_memory_lua", "used_memory_vm_eval", "used_memory_lua_human", "used_memory_scripts_eval",
            "number_of_cached_scripts", "number_of_functions", "number_of_libraries", "used_memory_vm_functions", "used_memory_vm_total",
            "used_memory_vm_total_human", "used_memory_functions", "used_memory_scripts", "used_memory_scripts_human",
            "allocator_allocated", "allocator_active", "allocator_resident", "allocator_frag_ratio", "allocator_frag_bytes",
            "allocator_rss_ratio", "allocator_rss_bytes", "rss_overhead_ratio", "rss_overhead_bytes", "mem_total_replication_buffers",
            "mem_cluster_links", "used_cpu_sys_main_thread", "used_cpu_user_main_thread",
        ];
        var missing = new List<string>();
        foreach (var section in new[] { "Server", "Clients", "Memory", "Persistence", "Stats", "Replication", "CPU", "Cluster" })
            foreach (var field in r[section].Keys)
                if (!notOurs.Contains(field) && !o[section].ContainsKey(field)) missing.Add(section + "." + field);
        Assert.Empty(missing);
    }

    [Fact]
    public void Values_ReflectTheServer()
    {
        using var c = fx.Client();
        c.Call("SELECT", "5").AssertOk();
        c.Call("FLUSHDB").AssertOk();
        c.Call("SET", "info:a", "1").AssertOk();
        c.Call("SET", "info:b", "2", "EX", "1000").AssertOk();
        var info = AdminFixture.ParseInfo(c.Call("INFO").Text!);
        Assert.Equal("master", info["Replication"]["role"]);
        Assert.Equal(fx.Codis.Port.ToString(), info["Server"]["tcp_port"]);
        Assert.Equal("7.0.15", info["Server"]["redis_version"]);
        Assert.Equal("0", info["Persistence"]["aof_enabled"]);
        Assert.Equal("0", info["Cluster"]["cluster_enabled"]);
        Assert.Matches("^[0-9a-f]{40}$", info["Replication"]["master_replid"]);
        Assert.True(long.Parse(info["Memory"]["used_memory"]) > 0);
        Assert.True(long.Parse(info["Memory"]["used_memory_rss"]) > 0);
        Assert.True(long.Parse(info["Clients"]["connected_clients"]) >= 1);
        var db5 = info["Keyspace"]["db5"];
        Assert.StartsWith("keys=2,expires=1,avg_ttl=", db5);
        long avgTtl = long.Parse(db5[(db5.LastIndexOf('=') + 1)..]);
        Assert.InRange(avgTtl, 900_000, 1_000_000);
    }

    [Fact]
    public void Stats_HitsMissesErrorsAndCommandStats()
    {
        using var c = fx.Client();
        c.Call("SELECT", "6").AssertOk();
        var before = AdminFixture.ParseInfo(c.Call("INFO", "stats").Text!)["Stats"];
        c.Call("SET", "stats:k", "v").AssertOk();
        c.Call("GET", "stats:k");
        c.Call("GET", "stats:k");
        c.Call("GET", "stats:none");
        c.Call("INCR", "stats:k").AssertError("ERR");
        c.Call("NOSUCHCOMMAND").AssertError("ERR unknown command");
        var after = AdminFixture.ParseInfo(c.Call("INFO", "all").Text!);
        long Delta(string f) => long.Parse(after["Stats"][f]) - long.Parse(before[f]);
        Assert.True(Delta("keyspace_hits") >= 2);
        Assert.True(Delta("keyspace_misses") >= 1);
        Assert.True(Delta("total_error_replies") >= 2);
        Assert.True(Delta("total_commands_processed") >= 6);
        Assert.True(long.Parse(after["Stats"]["total_net_input_bytes"]) > 0);
        Assert.Matches(@"^calls=\d+,usec=\d+,usec_per_call=\d+\.\d\d,rejected_calls=\d+,failed_calls=[1-9]\d*$", after["Commandstats"]["cmdstat_incr"]);
        Assert.Matches(@"^count=\d+$", after["Errorstats"]["errorstat_ERR"]);
        Assert.Matches(@"^p50=\d+\.\d{3},p99=\d+\.\d{3},p99\.9=\d+\.\d{3}$", after["Latencystats"]["latency_percentiles_usec_get"]);
    }

    [Fact]
    public void Slots_OneLinePerNonEmptySlot()
    {
        using var c = fx.Client();
        c.Call("SELECT", "7").AssertOk();
        // slot("a") = 579, slot("{a}x") = 579 too; slot("b") = 1017.
        c.Call("SET", "a", "1").AssertOk();
        c.Call("SET", "{a}x", "1", "PX", "100000").AssertOk();
        c.Call("SET", "b", "1").AssertOk();
        var slots = AdminFixture.ParseInfo(c.Call("INFO", "slots").Text!)["Slots"];
        Assert.StartsWith("keys=", slots["slot_579"]);
        var counts = slots["slot_579"].Split(',').Select(p => long.Parse(p.Split('=')[1])).ToArray();
        Assert.True(counts[0] >= 2 && counts[1] >= 1, slots["slot_579"]);
        Assert.True(slots.ContainsKey("slot_1017"));
        Assert.Equal(slots.Count - 1, long.Parse(slots["slots_with_keys"]));
        Assert.DoesNotContain("# Slots", c.Call("INFO").Text!);
    }

    [Fact]
    public void Registry_ReplacingASectionKeepsItsPlace()
    {
        var registry = new InfoRegistry();
        registry.Register("server", i => i.Field("a", 1));
        registry.Register("persistence", i => i.Field("aof_enabled", 0));
        registry.Register("extra", i => i.Field("x", "y"), isDefault: false);
        registry.Register("persistence", i => i.Field("aof_enabled", 1));
        Assert.Equal(["server", "persistence", "extra"], registry.Names);
        Assert.Equal("# Server\r\na:1\r\n\r\n# Persistence\r\naof_enabled:1\r\n", registry.Render([]));
        Assert.Equal("# Extra\r\nx:y\r\n", registry.Render(["EXTRA"]));
        Assert.Equal(3, registry.Render(["everything"]).Split("# ").Length - 1);
    }

    [Theory]
    [InlineData(null, 4L << 20)]
    [InlineData("1mb", 1L << 20)]
    [InlineData("0", 0L)]
    public void Gen0Budget_AppliedInPlaceAndShownInInfo(string? setting, long expected)
    {
        string[] args = setting == null ? [] : ["--gc-gen0-size", setting];
        using var server = Codis.Testing.CodisServerProcess.Start(args);
        using var c = server.Client();
        var info = AdminFixture.ParseInfo(c.Call("INFO", "memory").Text!)["Memory"];
        Assert.Equal(expected.ToString(), info["gc_gen0_budget"]);
        Assert.True(double.Parse(info["gc_pause_max_ephemeral_ms"], System.Globalization.CultureInfo.InvariantCulture) >= 0);
        // re-executed in place: the process we started is the one serving
        var server_ = AdminFixture.ParseInfo(c.Call("INFO", "server").Text!)["Server"];
        Assert.Equal(server.Pid.ToString(), server_["process_id"]);
    }
}
