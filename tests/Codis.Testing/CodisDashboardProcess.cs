using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Codis.Testing;

/// <summary>A real codis-dashboard process on a free loopback port, over a coordinator given by flags.</summary>
public sealed class CodisDashboardProcess : ManagedProcess
{
    public string AdminAddr { get; private set; } = "";
    public string Product { get; }

    private CodisDashboardProcess(string product, IEnumerable<string> args, string dir) : base("dotnet", args, dir) => Product = product;

    /// <summary>Starts a dashboard; waits until it holds the lock (or, with <paramref name="waitForLock"/> false, until it listens).</summary>
    public static CodisDashboardProcess Start(string coordinatorName, string coordinatorAddr, string product, bool waitForLock = true, params string[] extraArgs)
    {
        string dir = Directory.CreateTempSubdirectory("codis-dashboard-").FullName;
        var p = new CodisDashboardProcess(product, [Binaries.Dll("codis-dashboard"), "--admin_addr", "127.0.0.1:0",
            "--coordinator_name", coordinatorName, "--coordinator_addr", coordinatorAddr, "--product_name", product, .. extraArgs], dir);
        try
        {
            try { p.AdminAddr = p.WaitForOutput(@"dashboard listening admin_addr=([^ ]+)", TimeSpan.FromSeconds(30)).Groups[1].Value; }
            catch (InvalidOperationException) when (!waitForLock && p.HasExited) { return p; } // refused before it listened
            if (waitForLock) p.WaitForOutput("dashboard ready", TimeSpan.FromSeconds(30));
            return p;
        }
        catch
        {
            p.Dispose();
            throw;
        }
    }

    public void WaitForLock(TimeSpan timeout) => WaitForOutput("dashboard ready", timeout);

    /// <summary>GET a read route of the API (JSON).</summary>
    public async Task<JsonNode?> GetAsync(string path)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        return await http.GetFromJsonAsync<JsonNode>($"http://{AdminAddr}{path}");
    }
}
