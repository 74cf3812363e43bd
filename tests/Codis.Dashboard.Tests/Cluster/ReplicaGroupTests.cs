using System.Text.Json.Nodes;
using Codis.Core.Models;
using Codis.Core.Resp;
using Codis.Dashboard.Servers;
using Codis.Testing;
using Codis.Testing.Cluster;

namespace Codis.Dashboard.Tests.Cluster;

/// <summary>
/// The per-server switches an operator sets with codis-admin (reference/codis.md §7.5 and the sync actions):
/// replica-group flags that send the proxies' reads to replicas, sync actions that make a server follow its
/// group's master again, and the dashboard's log level.
/// </summary>
public class ReplicaGroupTests
{
    private static long GetCalls(CodisServerProcess s)
    {
        using var c = s.Client();
        var stats = RedisOps.ParseInfo(c.Call("INFO", "commandstats").Text ?? "");
        if (!stats.TryGetValue("cmdstat_get", out var line)) return 0;
        var calls = line.Split(',')[0]; // calls=N
        return long.Parse(calls[(calls.IndexOf('=') + 1)..]);
    }

    private static JsonNode ServerOf(SeedEnv env, string addr)
    {
        var r = env.Admin("--list-group");
        Assert.True(r.ExitCode == 0, r.ToString());
        foreach (var g in JsonNode.Parse(r.Stdout)!["models"]!.AsArray())
            foreach (var s in g!["servers"]!.AsArray())
                if (s!["server"]!.GetValue<string>() == addr) return s;
        throw new InvalidOperationException($"{addr} is in no group: {r.Stdout}");
    }

    private static JsonArray? ReplicaGroupsOfSlot0(CodisProxyProcess proxy)
    {
        var r = CliRunner.CodisAdmin(proxy.Dir, "--proxy=" + proxy.AdminAddr, "slots");
        Assert.True(r.ExitCode == 0, r.ToString());
        return JsonNode.Parse(r.Stdout)!.AsArray()[0]!["replica_groups"] as JsonArray;
    }

    [Fact]
    public void ReplicaGroupFlag_SendsReadsToTheReplica_AndSyncActionRepointsAServer()
    {
        using var env = new SeedEnv();
        env.StartDashboard();
        var master = env.Own(CodisServerProcess.Start());
        var replica = env.Own(CodisServerProcess.Start());
        string m = $"127.0.0.1:{master.Port}", r = $"127.0.0.1:{replica.Port}";
        env.Ok("slot", "init");
        env.Ok("server", "add", "1", m, "master");
        env.Ok("server", "add", "1", r, "slave");
        env.Ok("slot", "range-set", "0", "1023", "1", "online");
        var proxy = env.StartProxy();
        env.Ok("proxy", "online", "proxy_1");
        using (var c = proxy.Client()) LoadClient.Load(c, "rg:", 200);
        SeedEnv.Eventually(() => { using var rc = replica.Client(); return rc.Call("DBSIZE").Integer == 200; }, TimeSpan.FromSeconds(20), "replicated");
        Assert.Null(ReplicaGroupsOfSlot0(proxy));

        // flag the replica: the proxy has it at once, and a session that only reads is served by it
        var on = env.Admin("--replica-groups", "--gid=1", "--addr=" + r, "--enable");
        Assert.True(on.ExitCode == 0, on.ToString());
        Assert.True(ServerOf(env, r)["replica_group"]!.GetValue<bool>());
        Assert.Equal(r, ReplicaGroupsOfSlot0(proxy)![0]![0]!.GetValue<string>());
        long replicaBefore = GetCalls(replica), masterBefore = GetCalls(master);
        using (var c = proxy.Client())
            for (int i = 0; i < 200; i++) Assert.Equal($"v{i}", c.Call("GET", "rg:" + i).Text);
        // (the first reads may go to the master while the proxy opens its link to the replica)
        Assert.True(GetCalls(replica) - replicaBefore >= 190, $"the replica served {GetCalls(replica) - replicaBefore} of 200 reads");
        Assert.True(GetCalls(master) - masterBefore < 10, $"the master served {GetCalls(master) - masterBefore} reads");

        // and off again: reads go back to the master
        var off = env.Admin("--replica-groups-all", "--disable");
        Assert.True(off.ExitCode == 0, off.ToString());
        Assert.Null(ReplicaGroupsOfSlot0(proxy));
        masterBefore = GetCalls(master);
        using (var c = proxy.Client())
            for (int i = 0; i < 50; i++) c.Call("GET", "rg:" + i);
        Assert.True(GetCalls(master) - masterBefore >= 50);
        var neither = env.Admin("--replica-groups", "--gid=1", "--addr=" + r);
        Assert.NotEqual(0, neither.ExitCode);
        Assert.Contains("--enable or --disable", neither.Stderr);

        // a replica that stopped following (REPLICAOF NO ONE behind the dashboard's back) is put back by a sync action
        using (var rc = replica.Client()) Assert.Equal("OK", rc.Call("REPLICAOF", "NO", "ONE").Text);
        var sync = env.Admin("--sync-action", "--create", "--addr=" + r);
        Assert.True(sync.ExitCode == 0, sync.ToString());
        using (var rc = replica.Client())
            Assert.Contains($"master_port:{master.Port}", rc.Call("INFO", "replication").Text);
        var action = ServerOf(env, r)["action"]!;
        Assert.Equal("synced", action["state"]!.GetValue<string>());
        Assert.True(action["index"]!.GetValue<int>() >= 1);
        Assert.True(env.Admin("--sync-action", "--remove", "--addr=" + r).ExitCode == 0);
        Assert.Null(ServerOf(env, r)["action"]!["state"]);
        var again = env.Admin("--sync-action", "--remove", "--addr=" + r);
        Assert.NotEqual(0, again.ExitCode);
        Assert.Contains("has no sync action", again.Stderr);
        var unknown = env.Admin("--sync-action", "--create", "--addr=127.0.0.1:1");
        Assert.NotEqual(0, unknown.ExitCode);
        Assert.Contains("is not in any group", unknown.Stderr);
    }

    [Fact]
    public void TheOriginalsFlags_Views_ShortForms_LogLevel_AndLockedFill()
    {
        using var env = new SeedEnv();
        var dash = env.StartDashboard();
        var (g1, _, proxy) = env.StartTwoGroups();
        // codis-admin --dashboard=ADDR [config|model|stats|slots|group|proxy]
        JsonNode View(string v)
        {
            var r = env.Admin(v);
            Assert.True(r.ExitCode == 0, $"{v}: {r}");
            return JsonNode.Parse(r.Stdout)!;
        }
        Assert.Equal("test", View("config")["product_name"]!.GetValue<string>());
        Assert.Equal(env.DashboardAddr, View("model")["admin_addr"]!.GetValue<string>());
        Assert.NotNull(View("stats")["group"]);
        Assert.Equal(1024, View("slots").AsArray().Count);
        Assert.Equal(2, View("group")["models"]!.AsArray().Count);
        Assert.Single(View("proxy")["models"]!.AsArray());
        Assert.Contains("unknown dashboard view 'groups'", env.Admin("groups").Stderr);
        // -g GID -x ADDR, as the original's short forms
        string m = $"127.0.0.1:{g1.Port}";
        Assert.True(env.Admin("--replica-groups", "-g", "1", "-x", m, "--enable").ExitCode == 0);
        Assert.Equal(m, ReplicaGroupsOfSlot0(proxy)![0]![0]!.GetValue<string>());

        // --fillslots --locked: the proxy holds requests to those slots until a fill unlocks them
        string file = Path.Combine(env.Dir, "slot0.json");
        File.WriteAllText(file, $$"""[{"id":0,"backend_addr":"{{m}}","backend_addr_group_id":1}]""");
        Assert.True(CliRunner.CodisAdmin(proxy.Dir, "--proxy=" + proxy.AdminAddr, "--fillslots=" + file, "--locked").ExitCode == 0);
        var slots = CliRunner.CodisAdmin(proxy.Dir, "--proxy=" + proxy.AdminAddr, "slots");
        Assert.True(JsonNode.Parse(slots.Stdout)!.AsArray()[0]!["locked"]!.GetValue<bool>(), slots.Stdout);
        Assert.True(env.Admin("--resync-group", "--gid=1").ExitCode == 0);
        slots = CliRunner.CodisAdmin(proxy.Dir, "--proxy=" + proxy.AdminAddr, "slots");
        Assert.False(JsonNode.Parse(slots.Stdout)!.AsArray()[0]!["locked"]?.GetValue<bool>() ?? false, slots.Stdout);

        Assert.True(env.Admin("--log-level=debug").ExitCode == 0);
        var bad = env.Admin("--log-level=loud");
        Assert.NotEqual(0, bad.ExitCode);
        Assert.Contains("invalid log level 'loud'", bad.Stderr);
        Assert.Matches("log level set", dash.Output);
        var p = CliRunner.CodisAdmin(proxy.Dir, "--proxy=" + proxy.AdminAddr, "--log-level=warn");
        Assert.True(p.ExitCode == 0, p.ToString());
        var pbad = CliRunner.CodisAdmin(proxy.Dir, "--proxy=" + proxy.AdminAddr, "--log-level=loud");
        Assert.NotEqual(0, pbad.ExitCode);
        Assert.Contains("invalid log level", pbad.Stderr);
    }
}
