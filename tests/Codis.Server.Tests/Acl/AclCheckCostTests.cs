using System.Text;
using Codis.Core.Resp;
using Codis.Server.Acl;
using Codis.Server.Commands;

namespace Codis.Server.Tests.Acl;

/// <summary>
/// The permission check in process, on the server's own classes: a user allowed everything is one flag, and the
/// check of a restricted user's command, keys and channels allocates nothing (it runs before every command).
/// </summary>
public class AclCheckCostTests
{
    private static RespRequest Request(params string[] words)
    {
        var wire = new StringBuilder().Append('*').Append(words.Length).Append("\r\n");
        foreach (var w in words) wire.Append('$').Append(Encoding.UTF8.GetByteCount(w)).Append("\r\n").Append(w).Append("\r\n");
        var request = new RespRequest();
        Assert.Equal(ParseStatus.Complete, RespRequestParser.TryParse(Encoding.UTF8.GetBytes(wire.ToString()), request, new RespLimits(), authenticated: true, out _, out _));
        return request;
    }

    private static AclUser User(params string[] rules)
    {
        var user = new AclUser("cost", false);
        foreach (var rule in rules) Assert.Equal(AclRuleError.None, user.Apply(rule, false));
        return user;
    }

    [Fact]
    public void AUserAllowedEverything_IsUnrestricted_OthersAreNot()
    {
        Assert.True(User("+@all", "~*", "&*").Unrestricted);
        Assert.False(User("+@all", "~*").Unrestricted);
        Assert.False(User("+@all", "&*", "%R~*").Unrestricted);
        Assert.False(User("+@all", "~*", "&*", "-get").Unrestricted);
    }

    [Fact]
    public void CheckingCommandsKeysAndChannels_AllocatesNothing()
    {
        var user = User("on", "~k*", "%R~r*", "&c*", "+get", "+mset", "+publish", "+set", "(~s* +del)");
        (CommandSpec Spec, RespRequest Request, AclDenial Expected)[] cases =
        [
            (CommandTable.Find("get")!, Request("GET", "k1"), AclDenial.None),
            (CommandTable.Find("get")!, Request("GET", "r1"), AclDenial.None),
            (CommandTable.Find("set")!, Request("SET", "r1", "v"), AclDenial.Key),
            (CommandTable.Find("mset")!, Request("MSET", "k1", "a", "k2", "b", "x", "c"), AclDenial.Key),
            (CommandTable.Find("publish")!, Request("PUBLISH", "c1", "m"), AclDenial.None),
            (CommandTable.Find("publish")!, Request("PUBLISH", "z", "m"), AclDenial.Channel),
            (CommandTable.Find("del")!, Request("DEL", "s1", "s2"), AclDenial.None),
            (CommandTable.Find("del")!, Request("DEL", "k1"), AclDenial.Key),
            (CommandTable.Find("hset")!, Request("HSET", "k1", "f", "v"), AclDenial.Command),
        ];
        foreach (var (spec, request, expected) in cases) Assert.Equal(expected, user.Check(spec, request, 0, out _));
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
            foreach (var (spec, request, _) in cases) user.Check(spec, request, 0, out _);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
