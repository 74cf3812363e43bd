using Codis.Testing;

namespace Codis.Server.Tests.Admin;

/// <summary>A second server on a port in use must refuse to start (as redis-server does), not share it.</summary>
public class PortInUseTests
{
    [Fact]
    public void A_second_server_on_the_same_port_says_the_address_is_in_use()
    {
        using var first = CodisServerProcess.Start("--save", "");
        var second = CliRunner.Run("codis-server", Path.GetTempPath(), TimeSpan.FromSeconds(30), "--port", first.Port.ToString(), "--save", "");
        Assert.NotEqual(0, second.ExitCode);
        Assert.Contains("Address already in use", second.ToString());
        using var c = first.Client();
        Assert.Equal("PONG", c.Call("PING").Text);
    }
}
