using Codis.Dashboard.Config;

namespace Codis.Dashboard.Tests.Unit;

public class SettingsTests
{
    [Fact]
    public void SeedConfigIniMapsOntoDashboardSettings()
    {
        var s = DashboardSettings.Create();
        var errors = DashboardSettings.ApplyIni(s, new Dictionary<string, string>
        {
            ["coordinator"] = "zookeeper", ["zk"] = "127.0.0.1:2181", ["product"] = "test", ["dashboard_addr"] = "127.0.0.1:18087",
            ["password"] = "pw", ["backend_ping_period"] = "5", ["session_max_timeout"] = "1800", ["session_max_bufsize"] = "131072",
            ["session_max_pipeline"] = "1024", ["zk_session_timeout"] = "30", ["proxy_id"] = "proxy_1",
        });
        Assert.Empty(errors);
        Assert.Equal(("zookeeper", "127.0.0.1:2181", "test", "127.0.0.1:18087", "pw"),
            (s["coordinator_name"].Value, s["coordinator_addr"].Value, s["product_name"].Value, s["admin_addr"].Value, s["product_auth"].Value));
        Assert.Equal(TimeSpan.FromSeconds(30), s["coordinator_timeout"].AsDuration);
    }

    [Fact]
    public void SessionTimeoutAbove100IsMilliseconds()
    {
        var s = DashboardSettings.Create();
        Assert.Empty(DashboardSettings.ApplyIni(s, new Dictionary<string, string> { ["zk_session_timeout"] = "30000" }));
        Assert.Equal(TimeSpan.FromSeconds(30), s["coordinator_timeout"].AsDuration);
    }

    [Fact]
    public void BadValuesAreReportedByName()
    {
        var s = DashboardSettings.Create();
        var errors = DashboardSettings.ApplyIni(s, new Dictionary<string, string> { ["coordinator"] = "redis", ["product"] = "bad name!", ["nonsense"] = "1" });
        Assert.Equal(3, errors.Count);
        Assert.Contains(errors, e => e.Contains("coordinator_name"));
        Assert.Contains(errors, e => e.Contains("product_name"));
        Assert.Contains(errors, e => e.Contains("nonsense"));
    }

    [Fact]
    public void PromoteCatchupTimeout_DefaultsToFiveSecondsAndRefusesZeroAndJunk()
    {
        var s = DashboardSettings.Create();
        Assert.Equal(TimeSpan.FromSeconds(5), s["promote_catchup_timeout"].AsDuration);
        Assert.Empty(DashboardSettings.ApplyIni(s, new Dictionary<string, string> { ["promote_catchup_timeout"] = "30s" }));
        Assert.Equal(TimeSpan.FromSeconds(30), s["promote_catchup_timeout"].AsDuration);
        foreach (var bad in new[] { "0", "0s", "-1s", "11m", "soon" })
        {
            var errors = DashboardSettings.ApplyIni(DashboardSettings.Create(), new Dictionary<string, string> { ["promote_catchup_timeout"] = bad });
            Assert.True(errors.Count == 1 && errors[0].Contains("promote_catchup_timeout"), $"'{bad}': {string.Join("; ", errors)}");
        }
    }
}
