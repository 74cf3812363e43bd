using Codis.Server.Tests.Infrastructure;
using Codis.Testing;

namespace Codis.Server.Tests.Acl;

/// <summary>
/// Users kept across restarts: the ACL file (ACL SAVE / LOAD in Redis's format, a bad file refused whole, a bad
/// file at start-up stops the server) and `user` entries in the TOML config, which CONFIG REWRITE writes back.
/// </summary>
public class AclPersistenceTests
{
    [Fact]
    public void AclFile_SaveLoadRoundTrip_LoadClosesOldUsersConnections()
    {
        string dir = Directory.CreateTempSubdirectory("codis-acl-").FullName;
        string path = Path.Combine(dir, "users.acl");
        File.WriteAllText(path, "user default on nopass ~* &* +@all\nuser filed on >pw ~f* &* -@all +get\n");
        using var server = CodisServerProcess.StartIn(dir, "--aclfile", path);
        using var admin = server.Client();
        Assert.Equal(["user default on nopass ~* &* +@all",
            "user filed on #30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4 ~f* &* -@all +get"], admin.Call("ACL", "LIST").Names());
        admin.Call("ACL", "SETUSER", "added", "on", ">pw2", "~a*", "(+set ~s*)", "+@read").AssertOk();
        var listed = admin.Call("ACL", "LIST").Names();
        admin.Call("ACL", "SAVE").AssertOk();
        Assert.Equal(listed, File.ReadAllLines(path));

        using var filed = AclTests.As(server, "filed", "pw");
        File.AppendAllText(path, "user late on nopass ~* +ping\n");
        admin.Call("ACL", "LOAD").AssertOk();
        Assert.Equal(["added", "default", "filed", "late"], admin.Call("ACL", "USERS").Names());
        Assert.True(AclTests.Closed(filed), "ACL LOAD keeps a connection of a replaced user (Redis 7.0 closes them)");
        Assert.Equal("PONG", admin.Call("PING").Text); // the default user's connections stay
        Assert.Equal(listed.Append("user late on nopass ~* resetchannels -@all +ping").Order(StringComparer.Ordinal).ToArray(),
            admin.Call("ACL", "LIST").Names());

        File.WriteAllText(path, "user ok on nopass\n# a comment\nuser bad on +nosuch ~x >secret #zz\nuser ok off\n");
        admin.Call("ACL", "LOAD").AssertError(
            $"ERR {path}:2 should start with user keyword followed by the username. {path}:3: Error in applying operation '+nosuch': Unknown command or category name in ACL. " +
            $"{path}:3: The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters. WARNING: Duplicate user 'ok' found on line 4. " +
            "WARNING: ACL errors detected, no change to the previously active ACL rules was performed");
        Assert.Equal(["added", "default", "filed", "late"], admin.Call("ACL", "USERS").Names());
        File.Delete(path);
        admin.Call("ACL", "LOAD").AssertError($"ERR Error loading ACLs, opening file '{path}': No such file or directory");
    }

    [Fact]
    public void AclFile_ABadFileStopsTheStart()
    {
        string dir = Directory.CreateTempSubdirectory("codis-acl-").FullName;
        string path = Path.Combine(dir, "users.acl");
        File.WriteAllText(path, "user broken on +nosuch\n");
        Assert.ThrowsAny<Exception>(() => CodisServerProcess.StartIn(dir, "--aclfile", path).Dispose());
    }

    [Fact]
    public void WithoutAclFile_SaveAndLoadSaySo()
    {
        using var server = CodisServerProcess.Start();
        using var c = server.Client();
        c.Call("ACL", "SAVE").AssertError("ERR This Redis instance is not configured to use an ACL file.");
        c.Call("ACL", "LOAD").AssertError("ERR This Redis instance is not configured to use an ACL file.");
        c.Call("CONFIG", "GET", "user").AssertInt0Pairs();
        c.Call("CONFIG", "SET", "user", "x on").AssertError("ERR Unknown option or number of arguments for CONFIG SET - 'user'");
    }

    [Fact]
    public void TomlUsers_AreLoaded_AndConfigRewriteKeepsTheUsers()
    {
        string dir = Directory.CreateTempSubdirectory("codis-acl-").FullName;
        string config = Path.Combine(dir, "server.toml");
        File.WriteAllText(config, """
            # users as Redis's `user` lines, without the word "user"
            user = [
              "alice on >wonder ~cache:* +get +set",
              "bob off",
            ]
            """);
        string rewritten;
        using (var server = CodisServerProcess.StartIn(dir, config))
        {
            using var admin = server.Client();
            Assert.Equal(["alice", "bob", "default"], admin.Call("ACL", "USERS").Names());
            using var alice = AclTests.As(server, "alice", "wonder");
            alice.Call("SET", "cache:1", "v").AssertOk();
            alice.Call("SET", "other", "v").AssertError("NOPERM");
            admin.Call("ACL", "DELUSER", "bob").AssertInt();
            admin.Call("ACL", "SETUSER", "carol", "on", ">c", "~*", "+@all", "-@dangerous").AssertOk();
            admin.Call("CONFIG", "REWRITE").AssertOk();
            rewritten = File.ReadAllText(config);
            Assert.Contains("# users as Redis's `user` lines", rewritten);
            Assert.DoesNotContain("bob", rewritten);
        }
        using (var again = CodisServerProcess.StartIn(dir, config))
        {
            using var admin = again.Client();
            Assert.Equal(["alice", "carol", "default"], admin.Call("ACL", "USERS").Names());
            using var carol = AclTests.As(again, "carol", "c");
            carol.Call("FLUSHALL").AssertError("NOPERM this user has no permissions to run the 'flushall' command");
        }
    }

    [Fact]
    public void FlagUsers_OneFlagPerUser()
    {
        using var server = CodisServerProcess.Start("--user", "one on nopass +ping", "--user", "two on nopass +echo");
        using var admin = server.Client();
        Assert.Equal(["default", "one", "two"], admin.Call("ACL", "USERS").Names());
        using var two = AclTests.As(server, "two", "x");
        Assert.Equal("hi", two.Call("ECHO", "hi").Text);
        two.Call("PING").AssertError("NOPERM");
    }
}

internal static class AclReplies
{
    public static void AssertInt0Pairs(this Codis.Core.Resp.RespValue v) => Assert.Empty(v.Items!);

    /// <summary>An array of strings (none null), for comparing with expected names.</summary>
    public static string[] Names(this Codis.Core.Resp.RespValue v) => v.Strings().Select(s => s ?? "(nil)").ToArray();
}
