using System.Diagnostics;
using Codis.Server.Tests.Infrastructure;

namespace Codis.Server.Tests.Keys;

/// <summary>The real redis-cli against codis-server, as a user would type the commands.</summary>
public class RedisCliTests(ServerFixture fx) : IClassFixture<ServerFixture>
{
    private string Cli(params string[] args)
    {
        var psi = new ProcessStartInfo("redis-cli")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in (string[])["-p", fx.Server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), .. args]) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        Assert.True(p.WaitForExit(10_000), "redis-cli did not exit");
        return output.TrimEnd('\n');
    }

    [Fact]
    public void RedisCli_StringAndKeyCommands_PrintLikeRedis()
    {
        Assert.Equal("OK", Cli("set", "cli:k", "hello"));
        Assert.Equal("hello", Cli("get", "cli:k"));
        Assert.Equal("5", Cli("strlen", "cli:k"));
        Assert.Equal("1", Cli("expire", "cli:k", "100"));
        Assert.Equal("100", Cli("ttl", "cli:k"));
        Assert.Equal("string", Cli("type", "cli:k"));
        Assert.Equal("3.5", Cli("incrbyfloat", "cli:f", "3.5"));
        Assert.Equal("ERR value is not an integer or out of range", Cli("incr", "cli:k"));
        // --no-raw: the tty formatting of an error and of nil.
        Assert.Equal("(error) ERR no such key", Cli("--no-raw", "rename", "cli:none", "cli:x"));
        Assert.Equal("(nil)", Cli("--no-raw", "get", "cli:none"));
        Assert.Equal("(integer) 1", Cli("--no-raw", "exists", "cli:k"));
    }

    [Fact]
    public void RedisCli_ScanMode_ListsMatchingKeys()
    {
        for (int i = 0; i < 50; i++) Assert.Equal("OK", Cli("set", "cliscan:" + i, "v"));
        var lines = Cli("--scan", "--pattern", "cliscan:*").Split('\n');
        Assert.Equal(50, lines.Distinct().Count());
    }
}
