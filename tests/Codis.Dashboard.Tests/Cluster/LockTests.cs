using System.Diagnostics;
using Codis.Testing;

namespace Codis.Dashboard.Tests.Cluster;

/// <summary>One dashboard per product: refusal naming the holder, kill -9 recovery, standby takeover, forced removal.</summary>
public class LockTests
{
    private static string Fs() => Directory.CreateTempSubdirectory("codis-coord-").FullName;

    [Fact]
    public void SecondDashboardIsRefusedNamingTheHolder()
    {
        string fs = Fs();
        using var a = CodisDashboardProcess.Start("filesystem", fs, "locktest");
        using var b = CodisDashboardProcess.Start("filesystem", fs, "locktest", waitForLock: false);
        Assert.True(b.WaitForExit(TimeSpan.FromSeconds(20)), b.Output);
        Assert.Equal(2, b.ExitCode);
        Assert.Contains("dashboard already running for product 'locktest'", b.Output);
        Assert.Contains($"addr={a.AdminAddr}, pid={a.Pid}, host={Environment.MachineName}", b.Output);
        Assert.Contains("--standby", b.Output);
        // another product on the same coordinator is independent
        using var c = CodisDashboardProcess.Start("filesystem", fs, "otherproduct");
    }

    [Fact]
    public void KilledDashboardDoesNotBlockTheNext()
    {
        string fs = Fs();
        var a = CodisDashboardProcess.Start("filesystem", fs, "killtest");
        a.Kill();
        a.Dispose();
        var sw = Stopwatch.StartNew();
        using var b = CodisDashboardProcess.Start("filesystem", fs, "killtest");
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(15), $"took {sw.Elapsed}");
    }

    [Fact]
    public async Task StandbyWaitsThenTakesOverWhenTheHolderDies()
    {
        string fs = Fs();
        var a = CodisDashboardProcess.Start("filesystem", fs, "standbytest");
        using var b = CodisDashboardProcess.Start("filesystem", fs, "standbytest", waitForLock: false, "--standby");
        b.WaitForOutput("standby: waiting for the lock", TimeSpan.FromSeconds(20));
        using (var http = new HttpClient())
        {
            var resp = await http.GetAsync($"http://{b.AdminAddr}/topom");
            Assert.Equal(800, (int)resp.StatusCode);
            Assert.Contains($"standby; the active one is addr={a.AdminAddr}", await resp.Content.ReadAsStringAsync());
        }
        var sw = Stopwatch.StartNew();
        a.Kill();
        a.Dispose();
        b.WaitForLock(TimeSpan.FromSeconds(15));
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(15));
        var model = await b.GetAsync("/topom/model");
        Assert.Equal(b.Pid, model!["pid"]!.GetValue<int>());
    }

    [Fact]
    public void RemoveLockSaysWhoseItWasAndTheHolderStops()
    {
        string fs = Fs();
        using var a = CodisDashboardProcess.Start("filesystem", fs, "removetest");
        string dir = Directory.CreateTempSubdirectory("codis-admin-").FullName;
        var r = CliRunner.CodisAdmin(dir, "--remove-lock", "--product=removetest", "--filesystem=" + fs);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains($"pid={a.Pid}", r.Stderr);
        Assert.Contains(a.AdminAddr, r.Stderr);
        Assert.True(a.WaitForExit(TimeSpan.FromSeconds(15)), "the dashboard kept running without its lock:\n" + a.Output);
        Assert.Equal(1, a.ExitCode);
        Assert.Contains("lock was lost", a.Output);
    }

    [Fact]
    public void CleanShutdownLeavesNoLock()
    {
        string fs = Fs();
        var a = CodisDashboardProcess.Start("filesystem", fs, "cleantest");
        Assert.True(a.Terminate(TimeSpan.FromSeconds(15)), a.Output);
        Assert.Equal(0, a.ExitCode);
        a.Dispose();
        string dir = Directory.CreateTempSubdirectory("codis-admin-").FullName;
        var r = CliRunner.CodisAdmin(dir, "--remove-lock", "--product=cleantest", "--filesystem=" + fs);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("no dashboard lock", r.Stderr);
    }
}
