using System.Text;
using Codis.Core.Models;
using Codis.Core.Sentinel;
using Codis.Dashboard.Config;

namespace Codis.Dashboard.Tests.Unit;

/// <summary>The Sentinel model's JSON, Codis's master names in Sentinel, and the sentinel_* settings' defaults (reference/codis.md §1.3, §3.2, §7.3).</summary>
public class SentinelModelTests
{
    [Fact]
    public void SentinelModel_IsWrittenAsTheOriginal_EmptyFieldsLeftOut()
    {
        Assert.Equal("{}", Encoding.UTF8.GetString(ModelJson.Encode(new SentinelModel())));
        string json = Encoding.UTF8.GetString(ModelJson.Encode(new SentinelModel { Servers = ["10.0.0.1:26379", "10.0.0.2:26379"], OutOfSync = true }));
        Assert.Equal("{\n    \"servers\": [\n        \"10.0.0.1:26379\",\n        \"10.0.0.2:26379\"\n    ],\n    \"out_of_sync\": true\n}", json.Replace("\r", ""));
        var back = ModelJson.Decode<SentinelModel>("""{"servers":["a:1"],"out_of_sync":false}"""u8);
        Assert.True(back.Any);
        Assert.False(back.OutOfSync);
        Assert.False(ModelJson.Decode<SentinelModel>("{}"u8).Any);
    }

    [Theory]
    [InlineData("codis-demo-1", 1)]
    [InlineData("codis-demo-12", 12)]
    [InlineData("codis-demo-", null)]
    [InlineData("codis-demo-x", null)]
    [InlineData("codis-demo-0", null)]
    [InlineData("codis-demo-1-2", null)]
    [InlineData("codis-demo2-1", null)]
    [InlineData("mymaster", null)]
    public void GroupOf_OnlyProductPrefixAndIntegerSuffix_IsCodisOwned(string name, int? gid)
    {
        Assert.Equal(gid, SentinelNames.GroupOf("codis-demo", name));
    }

    [Fact]
    public void Master_NamesTheGroupAsProductDashGid() => Assert.Equal("codis-demo-7", SentinelNames.Master("codis-demo", 7));

    [Fact]
    public void SentinelSettings_HaveTheOriginalsDefaults()
    {
        var s = DashboardSettings.Create();
        Assert.Equal(TimeSpan.FromSeconds(10), s["sentinel_client_timeout"].AsDuration);
        Assert.Equal(2, s["sentinel_quorum"].AsInt);
        Assert.Equal(1, s["sentinel_parallel_syncs"].AsInt);
        Assert.Equal(TimeSpan.FromSeconds(30), s["sentinel_down_after"].AsDuration);
        Assert.Equal(TimeSpan.FromMinutes(5), s["sentinel_failover_timeout"].AsDuration);
        Assert.Equal("", s["sentinel_notification_script"].Value);
        Assert.Equal("", s["sentinel_client_reconfig_script"].Value);
        Assert.Empty(DashboardSettings.ApplyIni(s, new Dictionary<string, string> { ["sentinel_down_after"] = "1s", ["sentinel_quorum"] = "3" }));
        Assert.Equal((TimeSpan.FromSeconds(1), 3), (s["sentinel_down_after"].AsDuration, s["sentinel_quorum"].AsInt));
    }
}
