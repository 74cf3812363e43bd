using System.Text.Json;
using Codis.Core.Resp;

namespace Codis.Testing;

/// <summary>A real codis-proxy process on free ports (it prints the ones it bound).</summary>
public sealed class CodisProxyProcess : ManagedProcess
{
    public int Port { get; private set; }
    public string AdminAddr { get; private set; } = "";
    public string XAuth { get; private set; } = "";
    public string Dir { get; }

    private CodisProxyProcess(string dir, IEnumerable<string> args) : base("dotnet", args, dir) => Dir = dir;

    /// <summary>Starts a proxy whose slots are filled from <paramref name="slots"/> (so it is online at once).</summary>
    public static CodisProxyProcess StartWithSlots(IEnumerable<object> slots, params string[] extraArgs)
    {
        string dir = Directory.CreateTempSubdirectory("codis-proxy-").FullName;
        string file = Path.Combine(dir, "slots.json");
        File.WriteAllText(file, JsonSerializer.Serialize(slots));
        return Start(dir, ["--fillslots", file, .. extraArgs], waitOnline: true);
    }

    public static CodisProxyProcess Start(string dir, string[] extraArgs, bool waitOnline)
    {
        var p = new CodisProxyProcess(dir, [Binaries.Dll("codis-proxy"), "--addr=127.0.0.1:0", "--http-addr=127.0.0.1:0", .. extraArgs]);
        try
        {
            p.Port = int.Parse(p.WaitForOutput(@"proxy listening proxy_addr=[^ ]*:(\d+)", TimeSpan.FromSeconds(30)).Groups[1].Value);
            var admin = p.WaitForOutput(@"admin API listening admin_addr=([^ ]+) xauth=([0-9a-f]+)", TimeSpan.FromSeconds(30));
            p.AdminAddr = admin.Groups[1].Value;
            p.XAuth = admin.Groups[2].Value;
            if (waitOnline) p.WaitForOutput("proxy is online", TimeSpan.FromSeconds(30));
            return p;
        }
        catch
        {
            p.Dispose();
            throw;
        }
    }

    public RespClient Client(int timeoutMs = 10000) => new("127.0.0.1", Port, TimeSpan.FromMilliseconds(timeoutMs));

    /// <summary>The original's slot JSON for a contiguous range owned by one backend.</summary>
    public static IEnumerable<object> Range(int from, int to, string backend, int group) =>
        Enumerable.Range(from, to - from + 1).Select(i => (object)new Dictionary<string, object>
        {
            ["id"] = i,
            ["backend_addr"] = backend,
            ["backend_addr_group_id"] = group,
        });
}
