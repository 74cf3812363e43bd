using Codis.Server.Tests.Infrastructure;
using Codis.Testing;

namespace Codis.Server.Tests.Admin;

/// <summary>codis-server beside a redis-server 7.0 that allows MODULE (enable-module-command yes) and has no modules loaded.</summary>
public sealed class ModuleFixture : IDisposable
{
    public CodisServerProcess Codis { get; } = CodisServerProcess.Start();
    public RedisServerProcess Redis { get; } = RedisServerProcess.Start("--enable-module-command", "yes");

    public void Dispose()
    {
        Codis.Dispose();
        Redis.Dispose();
    }
}

/// <summary>MODULE: an empty list, Redis's errors for arity and unknown modules, a plain refusal to load one.</summary>
public class ModuleTests(ModuleFixture fx) : IClassFixture<ModuleFixture>
{
    [Fact]
    public void ListUnloadAndErrors_SameAsRedis()
    {
        using var ours = fx.Codis.Client();
        using var theirs = fx.Redis.Client();
        string[][] cases =
        [
            ["MODULE", "LIST"], ["MODULE", "list", "x"], ["MODULE", "HELP", "x"], ["MODULE", "UNLOAD", "foo"], ["MODULE", "UNLOAD"],
            ["MODULE", "LOAD"], ["MODULE", "LOADEX"], ["MODULE", "foo"], ["MODULE"],
            ["COMMAND", "INFO", "module|list", "module|load", "module|loadex", "module|unload", "module|help"],
        ];
        foreach (var c in cases) Assert.Equal(theirs.Call(c).ToString(), ours.Call(c).ToString());
    }

    [Theory]
    [InlineData("LOAD", "/nonexistent/x.so")]
    [InlineData("LOAD", "/nonexistent/x.so", "arg")]
    [InlineData("LOADEX", "/nonexistent/x.so", "CONFIG", "a", "b", "ARGS", "c")]
    public void Load_RefusedPlainly(params string[] args)
    {
        using var ours = fx.Codis.Client();
        using var theirs = fx.Redis.Client();
        string[] command = ["MODULE", .. args];
        theirs.Call(command).AssertError("ERR Error loading the extension");
        var reply = ours.Call(command);
        reply.AssertError("ERR Error loading the extension");
        Assert.Contains("no module support", reply.Text);
        Assert.Empty(ours.Call("MODULE", "LIST").Items!);
    }

    [Fact]
    public void Help_ListsTheSubcommands()
    {
        using var ours = fx.Codis.Client();
        var lines = ours.Call("MODULE", "HELP").Strings();
        Assert.StartsWith("MODULE <subcommand>", lines[0]);
        foreach (var sub in new[] { "LIST", "LOAD <path>", "LOADEX <path>", "UNLOAD <name>", "HELP" })
            Assert.Contains(lines, l => l!.StartsWith(sub, StringComparison.Ordinal));
    }
}
