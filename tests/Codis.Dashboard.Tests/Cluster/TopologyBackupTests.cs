using System.Text;
using System.Text.Json.Nodes;
using Codis.Coordinator;
using Codis.Core.Slots;
using Codis.Testing;
using Codis.Testing.Cluster;

namespace Codis.Dashboard.Tests.Cluster;

/// <summary>
/// codis-admin's coordinator tools with real processes: a product's topology dumped and restored into another
/// product, and a Codis 2 product (its ZooKeeper tree, as codis-config 2.x leaves it) dumped with -1, converted
/// and restored, then served by our dashboard and proxy over the Codis 2 cluster's own servers and data.
/// </summary>
public class TopologyBackupTests
{
    private static CliResult Admin(string dir, params string[] args) => CliRunner.CodisAdmin(dir, args);

    private static void Succeeds(CliResult r) => Assert.True(r.ExitCode == 0, r.ToString());

    [Fact]
    public void Dump_ThenRestoreIntoAnotherProduct_GivesTheSameTopology_AndIsRefusedWhileADashboardRuns()
    {
        using var env = new SeedEnv();
        var dash = env.StartDashboard();
        var (g1, g2, _) = env.StartTwoGroups();
        string fs = "--filesystem=" + env.CoordinatorDir;

        var dump = Admin(env.Dir, "--config-dump", "--product=test", fs);
        Succeeds(dump);
        var topo = JsonNode.Parse(dump.Stdout)!;
        Assert.Equal(1024, topo["slots"]!.AsArray().Count);
        Assert.Equal(2, topo["group"]!.AsArray().Count);
        Assert.Single(topo["proxy"]!.AsArray());
        string file = Path.Combine(env.Dir, "dump.json");
        File.WriteAllText(file, dump.Stdout);

        // a running dashboard holds its product: a restore into it is refused, naming the holder
        var held = Admin(env.Dir, "--config-restore=" + file, "--product=test", fs, "--confirm");
        Assert.NotEqual(0, held.ExitCode);
        Assert.Contains("a dashboard holds product 'test'", held.Stderr);

        // into a product with no dashboard: first the plan, then the write
        var plan = Admin(env.Dir, "--config-restore=" + file, "--product=copy", fs);
        Succeeds(plan);
        Assert.Contains("would write 1024 slots and 2 groups into product 'copy'", plan.Stderr);
        Assert.Empty(Admin(env.Dir, "--config-dump", "--product=copy", fs).Stdout);
        Succeeds(Admin(env.Dir, "--config-restore=" + file, "--product=copy", fs, "--confirm"));
        var copy = JsonNode.Parse(Admin(env.Dir, "--config-dump", "--product=copy", fs).Stdout)!;
        Assert.Equal(topo["slots"]!.ToJsonString(), copy["slots"]!.ToJsonString());
        Assert.Equal(topo["group"]!.ToJsonString(), copy["group"]!.ToJsonString());
        Assert.Empty(copy["proxy"]!.AsArray()); // proxies register themselves

        var list = Admin(env.Dir, "--dashboard-list", fs);
        Succeeds(list);
        Assert.Equal($"[{{\"name\":\"test\",\"dashboard\":\"{env.DashboardAddr}\"}}]", JsonNode.Parse(list.Stdout)!.ToJsonString());

        var broken = Path.Combine(env.Dir, "broken.json");
        File.WriteAllText(broken, """{"slots":[{"id":5,"group_id":7,"action":{}}],"group":[]}""");
        var bad = Admin(env.Dir, "--config-restore=" + broken, "--product=other", fs, "--confirm");
        Assert.NotEqual(0, bad.ExitCode);
        Assert.Contains("slot 5 belongs to group 7, which is neither in the dump nor in product 'other'", bad.Stderr);
        Assert.NotNull(dash);
        GC.KeepAlive((g1, g2));
    }

    [Fact]
    public async Task ACodis2Product_IsDumpedConvertedRestored_AndServedByOurDashboardAndProxy()
    {
        using var zk = ZooKeeperServerProcess.Start();
        var a = CodisServerProcess.Start();
        var b = CodisServerProcess.Start();
        var spare = CodisServerProcess.Start();
        using var _ = a; using var __ = b; using var ___ = spare;
        string aa = $"127.0.0.1:{a.Port}", ba = $"127.0.0.1:{b.Port}", sa = $"127.0.0.1:{spare.Port}";
        // the Codis 2 cluster's data: each key on the server of its slot's group (0..511 on a, 512..1023 on b)
        var keys = Enumerable.Range(0, 300).Select(i => "old:" + i).ToArray();
        foreach (var k in keys)
        {
            using var c = (SlotHash.Slot(Encoding.UTF8.GetBytes(k)) < 512 ? a : b).Client();
            Assert.Equal("OK", c.Call("SET", k, "v-" + k).Text);
        }
        // its ZooKeeper tree, as codis-config 2.x and its dashboard left it
        await using (var coord = await CoordinatorFactory.OpenAsync(new CoordinatorOptions { Name = "zookeeper", Address = zk.Address }, CancellationToken.None))
        {
            const string root = "/zk/codis/db_legacy";
            async Task Put(string path, string json) => await coord.CreateAsync(root + path, Encoding.UTF8.GetBytes(json));
            for (int i = 0; i < 1024; i++)
            {
                string status = i == 1023 ? "migrate" : "online";
                int gid = i < 512 ? 1 : 2;
                await Put($"/slots/slot_{i}", "{\"product_name\":\"legacy\",\"id\":" + i + ",\"group_id\":" + gid +
                    ",\"state\":{\"status\":\"" + status + "\",\"migrate_status\":{\"from\":-1,\"to\":-1},\"last_op_ts\":\"0\"}}");
            }
            await Put("/servers/group_1", "");
            await Put($"/servers/group_1/{aa}", $$"""{"type":"master","group_id":1,"addr":"{{aa}}"}""");
            await Put($"/servers/group_1/{sa}", $$"""{"type":"offline","group_id":1,"addr":"{{sa}}"}""");
            await Put("/servers/group_2", "");
            await Put($"/servers/group_2/{ba}", $$"""{"type":"master","group_id":2,"addr":"{{ba}}"}""");
            await Put("/dashboard", """{"addr": "10.0.0.1:18087", "pid": 4242}""");
        }

        using var env = new SeedEnv(product: "legacy", coordinator: ("zookeeper", zk.Address));
        string z = "--zookeeper=" + zk.Address;
        var dump = Admin(env.Dir, "--config-dump", "--product=legacy", z, "-1");
        Succeeds(dump);
        var tree = JsonNode.Parse(dump.Stdout)!;
        Assert.Equal(1024, tree["slots"]!.AsObject().Count);
        Assert.Equal("master", tree["servers"]!["group_1"]![aa]!["type"]!.GetValue<string>());
        Assert.Equal(4242, tree["dashboard"]!["pid"]!.GetValue<int>());
        string v2 = Path.Combine(env.Dir, "v2.json"), v3 = Path.Combine(env.Dir, "v3.json");
        File.WriteAllText(v2, dump.Stdout);

        var converted = Admin(env.Dir, "--config-convert=" + v2);
        Succeeds(converted);
        Assert.Contains("1023 (migrate)", converted.Stderr);          // said, not silently dropped
        Assert.Contains($"{sa} is offline, left out", converted.Stderr);
        var v3json = JsonNode.Parse(converted.Stdout)!;
        Assert.Equal(1023, v3json["slots"]!.AsArray().Count);
        Assert.Equal(aa, v3json["group"]![0]!["servers"]![0]!["server"]!.GetValue<string>());
        Assert.Single(v3json["group"]![0]!["servers"]!.AsArray());
        File.WriteAllText(v3, converted.Stdout);
        Succeeds(Admin(env.Dir, "--config-restore=" + v3, "--product=legacy", z, "--confirm"));

        // our dashboard takes the restored product; slot 1023 is given its group by hand, as the note said
        env.StartDashboard();
        env.Ok("slot", "range-set", "1023", "1023", "2", "online");
        var proxy = env.StartProxy();
        env.Ok("proxy", "online", "proxy_1");
        using (var c = proxy.Client())
            foreach (var k in keys) Assert.Equal("v-" + k, c.Call("GET", k).Text);
        var list = env.Json("server", "list").AsArray();
        Assert.Equal(2, list.Count);
    }
}
