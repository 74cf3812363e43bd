using Codis.Core.Resp;

namespace Codis.Server.Tests.Admin;

/// <summary>
/// COMMAND LIST against redis-server 7.0's: every command and subcommand Redis lists is listed here too, except the
/// ones codis-server does not implement (below, on purpose: a new command must be declared to pass); the declared
/// subcommands have Redis's COMMAND INFO.
/// </summary>
public class CommandListTests(AdminFixture fx) : IClassFixture<AdminFixture>
{
    /// <summary>Redis 7.0 commands codis-server does not have (no client-side caching, no cluster mode).</summary>
    private static readonly string[] NotImplemented =
    [
        "client|caching", "client|tracking", "client|trackinginfo", "restore-asking",
    ];

    private static HashSet<string> Names(RespClient c) => c.Call("COMMAND", "LIST").Items!.Select(i => i.Text!).ToHashSet();

    [Fact]
    public void List_HasEveryRedisCommand_ButTheUnimplemented()
    {
        using var ours = fx.Client();
        using var theirs = fx.Redis.Client();
        var missing = Names(theirs).Except(Names(ours)).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(NotImplemented.Order(StringComparer.Ordinal).ToArray(), missing);
    }

    public static TheoryData<string> Declared => new()
    {
        "object|encoding", "object|freq", "object|help", "object|idletime", "object|refcount", "client|unblock",
        "client|no-evict", "readonly", "readwrite", "asking", "migrate", "lolwut", "cluster|addslots", "cluster|addslotsrange",
        "cluster|bumpepoch", "cluster|count-failure-reports", "cluster|countkeysinslot", "cluster|delslots",
        "cluster|delslotsrange", "cluster|failover", "cluster|flushslots", "cluster|forget", "cluster|getkeysinslot",
        "cluster|help", "cluster|info", "cluster|keyslot", "cluster|links", "cluster|meet", "cluster|myid", "cluster|nodes",
        "cluster|replicas", "cluster|replicate", "cluster|reset", "cluster|saveconfig", "cluster|set-config-epoch",
        "cluster|setslot", "cluster|shards", "cluster|slaves", "cluster|slots",
        "acl|cat", "acl|deluser", "acl|dryrun", "acl|genpass", "acl|getuser", "acl|help", "acl|list", "acl|load",
        "acl|log", "acl|save", "acl|setuser", "acl|users", "acl|whoami",
    };

    [Theory]
    [MemberData(nameof(Declared))]
    public void Info_SameAsRedis(string name)
    {
        using var ours = fx.Client();
        using var theirs = fx.Redis.Client();
        Assert.Equal(theirs.Call("COMMAND", "INFO", name).ToString(), ours.Call("COMMAND", "INFO", name).ToString());
    }

    [Fact]
    public void SubcommandArity_SameAsRedis() => fx.AssertSame("""
        OBJECT foo
        OBJECT HELP x
        OBJECT ENCODING
        OBJECT encoding nokey
        OBJECT FREQ nokey x
        CLUSTER INFO x
        CLUSTER SETSLOT 1
        CLUSTER foo
        CLUSTER myshardid
        CLUSTER KEYSLOT a
        CLUSTER RESET
        CLUSTER reset hard
        """);
}
