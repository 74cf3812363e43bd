using Codis.Core.Resp;
using Codis.Testing;

namespace Codis.Server.Tests.Infrastructure;

/// <summary>One real codis-server process shared by the tests of a class (each test uses its own keys or db).</summary>
public sealed class ServerFixture : IDisposable
{
    public CodisServerProcess Server { get; } = CodisServerProcess.Start();

    public RespClient Client() => Server.Client();

    public void Dispose() => Server.Dispose();
}

/// <summary>Helpers for asserting replies.</summary>
public static class Reply
{
    public static RespValue Call(this RespClient c, params object[] args) =>
        c.Call(args.Select(a => a switch
        {
            byte[] b => b,
            _ => System.Text.Encoding.UTF8.GetBytes(Convert.ToString(a, System.Globalization.CultureInfo.InvariantCulture)!),
        }).ToArray());

    public static void AssertOk(this RespValue v) => Assert.Equal("OK", v.Text);

    public static void AssertError(this RespValue v, string prefix)
    {
        Assert.True(v.IsError, $"expected error starting with '{prefix}', got {v}");
        Assert.StartsWith(prefix, v.Text);
    }

    public static long AssertInt(this RespValue v)
    {
        Assert.True(v.Type == RespType.Integer, $"expected integer, got {v}");
        return v.Integer;
    }

    public static string?[] Strings(this RespValue v)
    {
        Assert.True(v.Type == RespType.Array, $"expected array, got {v}");
        return v.Items!.Select(i => i.IsNull ? null : i.Text).ToArray();
    }
}
