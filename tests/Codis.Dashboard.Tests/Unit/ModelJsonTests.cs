using System.Text;
using Codis.Core.Models;
using Codis.Dashboard.Failover;
using Codis.Dashboard.Servers;

namespace Codis.Dashboard.Tests.Unit;

public class ModelJsonTests
{
    [Fact]
    public void SlotMappingIsWrittenAsTheOriginalWithEmptyActionFieldsLeftOut()
    {
        string idle = Encoding.UTF8.GetString(ModelJson.Encode(new SlotMapping { Id = 5, GroupId = 2 }));
        Assert.Equal("{\n    \"id\": 5,\n    \"group_id\": 2,\n    \"action\": {}\n}", idle.Replace("\r", ""));
        string moving = Encoding.UTF8.GetString(ModelJson.Encode(new SlotMapping { Id = 5, GroupId = 2, Action = new SlotAction { Index = 3, State = "pending", TargetId = 4 } }));
        Assert.Contains("\"action\": {\n        \"index\": 3,\n        \"state\": \"pending\",\n        \"target_id\": 4\n    }", moving.Replace("\r", ""));
        var back = ModelJson.Decode<SlotMapping>(Encoding.UTF8.GetBytes(moving));
        Assert.Equal(("pending", 4, 3), (back.Action.State, back.Action.TargetId, back.Action.Index));
    }

    [Fact]
    public void GroupMasterIsTheFirstServer()
    {
        var g = ModelJson.Decode<GroupModel>("""{"id":1,"servers":[{"server":"a:1","datacenter":"","action":{},"replica_group":false},{"server":"b:2"}],"promoting":{},"out_of_sync":false}"""u8);
        Assert.Equal("a:1", g.Master);
        Assert.False(g.IsPromoting);
    }

    [Fact]
    public void DashboardXAuthIsTheOriginals()
    {
        Assert.Equal("95b62887719520f17e312eaa76d28f2b", XAuth.Dashboard("codis-demo"));
    }

    [Fact]
    public void InfoParsingReadsFieldsAndKeyspace()
    {
        var info = RedisOps.ParseInfo("# Replication\r\nrole:slave\r\nmaster_host:127.0.0.1\r\nmaster_port:6379\r\nslave_repl_offset:1234\r\n# Keyspace\r\ndb0:keys=10,expires=0,avg_ttl=0\r\ndb3:keys=2,expires=1\r\n");
        Assert.True(HealthMonitor.Replicates(info, "localhost:6379"));
        Assert.False(HealthMonitor.Replicates(info, "127.0.0.1:6380"));
        Assert.Equal(1234, HealthMonitor.Offset(info));
        Assert.Equal([0, 3], RedisOps.KeyspaceDatabases(info));
        Assert.Equal(10, RedisOps.KeyCount(info["db0"]));
    }

    [Theory]
    [InlineData("nohost")]
    [InlineData("h:0")]
    [InlineData("h:70000")]
    [InlineData(":80")]
    public void BadServerAddressesAreRefused(string addr) => Assert.Throws<ArgumentException>(() => RedisOps.Split(addr));
}

public class XAuthTests
{
    [Fact]
    public void ProxyXAuthCoversProductAuthAndToken()
    {
        string a = XAuth.Proxy("p", "", "t1"), b = XAuth.Proxy("p", "", "t2"), c = XAuth.Proxy("p", "pw", "t1");
        Assert.Equal(32, a.Length);
        Assert.NotEqual(a, b);
        Assert.NotEqual(a, c);
        Assert.Equal(XAuth.Of("p", "", "t1"), a);
    }
}
