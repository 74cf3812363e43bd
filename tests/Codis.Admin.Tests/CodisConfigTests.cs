using System.Text.Json.Nodes;
using Codis.Admin;
using Codis.Testing;

namespace Codis.Admin.Tests;

public class CodisConfigTests
{
    private static string Dir(string ini)
    {
        string dir = Directory.CreateTempSubdirectory("codis-config-").FullName;
        File.WriteAllText(Path.Combine(dir, "config.ini"), ini);
        return dir;
    }

    private const string SeedIni = """
        coordinator=zookeeper
        zk=127.0.0.1:2181
        product=test
        dashboard_addr=10.19.21.241:18087
        password=
        backend_ping_period=5
        session_max_timeout=1800
        session_max_bufsize=131072
        session_max_pipeline=1024
        zk_session_timeout=30
        proxy_id=proxy_1
        """;

    [Fact]
    public void ReadsTheSeedsConfigIni()
    {
        var c = SeedConfig.Load(Path.Combine(Dir(SeedIni), "config.ini"));
        Assert.Equal(("zookeeper", "127.0.0.1:2181", "test", "10.19.21.241:18087", "proxy_1"), (c.Coordinator, c.CoordinatorAddr, c.Product, c.DashboardAddr, c.ProxyId));
        Assert.Equal(TimeSpan.FromSeconds(30), c.SessionTimeout);
    }

    [Fact]
    public void UnknownCoordinatorIsRefused()
    {
        var e = Assert.Throws<AdminException>(() => SeedConfig.Load(Path.Combine(Dir("coordinator=consul\n"), "config.ini")));
        Assert.Contains("zookeeper, etcd or filesystem", e.Message);
    }

    [Fact]
    public void MissingConfigIniSaysWhereItLooked()
    {
        string dir = Directory.CreateTempSubdirectory("codis-config-").FullName;
        var r = CliRunner.Run(BinaryNames.Config, dir, "slot", "init");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("config.ini", r.Stderr);
        Assert.Contains("-c", r.Stderr);
    }

    [Theory]
    [InlineData("remove-fence", "keeps no proxy fences")]
    [InlineData("gc", "keeps no action log")]
    public void Codis2CleanUps_SayWhyThereIsNothingToClean(string action, string why)
    {
        // no dashboard at this address: the answer needs none
        string dir = Dir($"coordinator=filesystem\nzk=/tmp/none\nproduct=t\ndashboard_addr=127.0.0.1:{ManagedProcess.FreePort()}\n");
        var r = CliRunner.Run(BinaryNames.Config, dir, "action", action, "-n", "10");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains(why, r.Stderr);
    }

    [Fact]
    public void UnreachableDashboardIsExplained()
    {
        int port = ManagedProcess.FreePort();
        string dir = Dir($"coordinator=filesystem\nzk=/tmp/none\nproduct=t\ndashboard_addr=127.0.0.1:{port}\n");
        var r = CliRunner.Run(BinaryNames.Config, dir, "server", "list");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains($"can't reach the dashboard at 127.0.0.1:{port}", r.Stderr);
        Assert.Contains("codis-config dashboard", r.Stderr);
    }

    [Fact]
    public void BadArgumentsGetUsage()
    {
        string dir = Dir("coordinator=filesystem\nzk=/tmp/none\nproduct=t\ndashboard_addr=127.0.0.1:1\n");
        var r = CliRunner.Run(BinaryNames.Config, dir, "server", "add", "x", "h:1", "master");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("group id must be an integer, got 'x'", r.Stderr);
        r = CliRunner.Run(BinaryNames.Config, dir, "server", "add", "1", "h:1", "boss");
        Assert.Contains("role must be master or slave", r.Stderr);
        r = CliRunner.Run(BinaryNames.Config, dir, "slot", "range-set", "0", "511");
        Assert.Contains("usage: codis-config slot range-set", r.Stderr);
    }

    [Fact]
    public void ServerListIsTheSeedsShape()
    {
        var groups = JsonNode.Parse("""{"models":[{"id":1,"servers":[{"server":"localhost:6379"},{"server":"localhost:6380"}]}]}""");
        var list = CodisConfigCli.ServerGroups(groups, "test");
        Assert.Equal("""[{"id":1,"product_name":"test","servers":[{"addr":"localhost:6379","group_id":1,"type":"master"},{"addr":"localhost:6380","group_id":1,"type":"slave"}]}]""",
            list.ToJsonString());
    }

    [Fact]
    public void RebalancePlanIsDescribedPerGroup()
    {
        var plan = JsonNode.Parse("""{"0":3,"1":3,"2":3,"700":2}""")!.AsObject();
        string text = CodisConfigCli.DescribePlan(plan);
        Assert.Contains("4 slots move", text);
        Assert.Contains("to group 3: 3 slots (0-2)", text);
        Assert.Contains("to group 2: 1 slots (700)", text);
    }
}
