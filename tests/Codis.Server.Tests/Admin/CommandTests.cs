using Codis.Server.Tests.Infrastructure;

namespace Codis.Server.Tests.Admin;

public class CommandTests(AdminFixture fx) : IClassFixture<AdminFixture>
{
    [Fact]
    public void InfoGetKeysAndErrors_SameAsRedis() => fx.AssertSame("""
        COMMAND INFO get getrange echo
        COMMAND INFO nosuch
        COMMAND GETKEYS mset a 1 b 2
        COMMAND GETKEYS get
        COMMAND GETKEYS ping
        COMMAND GETKEYS nosuch a
        COMMAND GETKEYS set a
        COMMAND GETKEYS get a b
        COMMAND GETKEYS get a
        COMMAND GETKEYSANDFLAGS get a
        COMMAND DOCS nosuch
        COMMAND COUNT x
        COMMAND LIST FILTERBY foo x
        COMMAND LIST FILTERBY aclcat
        COMMAND LIST FILTERBY aclcat nosuchcat
        COMMAND LIST FILTERBY module x
        COMMAND FOO
        """);

    [Fact]
    public void CountMatchesTheTable_ListHasSubcommands()
    {
        using var c = fx.Client();
        long count = c.Call("COMMAND", "COUNT").AssertInt();
        var all = c.Call("COMMAND");
        Assert.Equal(count, all.Items!.Length);
        Assert.Equal(count, c.Call("COMMAND", "INFO").Items!.Length);
        var names = c.Call("COMMAND", "LIST").Strings();
        Assert.Contains("get", names);
        Assert.Contains("config|get", names);
        Assert.Contains("client|kill", names);
        Assert.Equal(new string?[] { "get", "getbit", "getdel", "getex", "getrange", "getset" }, c.Call("COMMAND", "LIST", "FILTERBY", "PATTERN", "get*").Strings().Order().ToArray());
        Assert.Contains("set", c.Call("COMMAND", "LIST", "FILTERBY", "ACLCAT", "write").Strings());
        Assert.DoesNotContain("get", c.Call("COMMAND", "LIST", "FILTERBY", "ACLCAT", "write").Strings());
    }

    [Fact]
    public void Info_ContainerHasSubcommands_TenFields()
    {
        using var c = fx.Client();
        var config = c.Call("COMMAND", "INFO", "config").Items![0];
        Assert.Equal(10, config.Items!.Length);
        Assert.Equal("config", config.Items[0].Text);
        var subs = config.Items[9].Items!.Select(s => s.Items![0].Text).ToArray();
        Assert.Contains("config|set", subs);
        Assert.Equal(-4, config.Items[9].Items!.First(s => s.Items![0].Text == "config|set").Items![1].Integer);
        var mset = c.Call("COMMAND", "INFO", "mset").Items![0].Items!;
        Assert.Equal(new string?[] { "write", "denyoom" }, mset[2].Strings());
        Assert.Equal([1L, -1L, 2L], new[] { mset[3].Integer, mset[4].Integer, mset[5].Integer });
    }

    [Fact]
    public void Docs_SummaryAndGroup()
    {
        using var c = fx.Client();
        var docs = c.Call("COMMAND", "DOCS", "get", "config").Items!;
        Assert.Equal("get", docs[0].Text);
        var getDoc = docs[1].Strings();
        Assert.Equal("summary", getDoc[0]);
        Assert.False(string.IsNullOrEmpty(getDoc[1]));
        Assert.Equal(new string?[] { "group", "string" }, getDoc[2..4]);
        Assert.Equal("config", docs[2].Text);
        Assert.Contains(docs[3].Items!, i => i.Text == "subcommands");
    }
}
