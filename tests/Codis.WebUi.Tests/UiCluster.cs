using System.Text.Json.Nodes;
using Codis.Core.Models;
using Codis.Testing;
using Microsoft.Playwright;

namespace Codis.WebUi.Tests;

/// <summary>
/// A real local cluster for the browser tests, shared by them: a dashboard on the filesystem coordinator, two
/// groups of one master (slots 0-511 on group 1, 512-1023 on group 2), two spare servers the tests add through
/// the UI, one proxy online and a second one registered but offline; plus Debian's chromium driven by Playwright.
/// </summary>
public sealed class UiCluster : IAsyncLifetime
{
    public const string Product = "webui";
    private const string Chromium = "/usr/bin/chromium";
    private readonly List<IDisposable> owned = [];

    public string CoordinatorDir { get; } = Directory.CreateTempSubdirectory("codis-webui-").FullName;
    public CodisDashboardProcess Dashboard { get; private set; } = null!;
    public CodisServerProcess G1 { get; private set; } = null!;
    public CodisServerProcess G2 { get; private set; } = null!;
    public CodisServerProcess SpareA { get; private set; } = null!;
    public CodisServerProcess SpareB { get; private set; } = null!;
    public CodisProxyProcess Proxy { get; private set; } = null!;
    public CodisProxyProcess OfflineProxy { get; private set; } = null!;
    public IBrowser Browser { get; private set; } = null!;
    private IPlaywright playwright = null!;

    /// <summary>Screenshots of the pages, written by the tests (an artifact of the test run).</summary>
    public static string ScreenshotDir { get; } = Path.Combine(AppContext.BaseDirectory, "screenshots");

    public string Url => $"http://{Dashboard.AdminAddr}/";
    public string X => XAuth.Dashboard(Product);

    public T Own<T>(T d) where T : IDisposable
    {
        lock (owned) owned.Add(d);
        return d;
    }

    public static string Addr(CodisServerProcess s) => $"127.0.0.1:{s.Port}";

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(ScreenshotDir);
        var servers = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => Own(CodisServerProcess.Start()))));
        (G1, G2, SpareA, SpareB) = (servers[0], servers[1], servers[2], servers[3]);
        // small migration batches and one key per call: a migration of a few dozen slots is watched in steps
        Dashboard = Own(CodisDashboardProcess.Start("filesystem", CoordinatorDir, Product, true,
            "--migration_parallel_slots", "8", "--migration_async_numkeys", "1"));
        // no `slots init`: a slot without a node is offline already, and each slot write costs a coordinator round
        await PutAsync(DashboardRoutes.GroupCreate(X, 1));
        await PutAsync(DashboardRoutes.GroupAdd(X, 1, Addr(G1), "master"));
        await PutAsync(DashboardRoutes.GroupCreate(X, 2));
        await PutAsync(DashboardRoutes.GroupAdd(X, 2, Addr(G2), "master"));
        await PutAsync(DashboardRoutes.SlotsAssignRange(X, 0, 511, 1));
        await PutAsync(DashboardRoutes.SlotsAssignRange(X, 512, 1023, 2));
        Proxy = StartProxy();
        await PutAsync(DashboardRoutes.ProxyOnline(X, Proxy.AdminAddr));
        OfflineProxy = StartProxy();
        await PutAsync(DashboardRoutes.ProxyRegister(X, OfflineProxy.AdminAddr));

        playwright = await Playwright.CreateAsync();
        // Debian's chromium, not a browser build of Playwright's own (none is ever downloaded)
        Browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = Chromium, Headless = true });
        Assertions.SetDefaultExpectTimeout(30_000); // generous: CI machines are shared
    }

    /// <summary>A proxy of the product, not yet known to the dashboard.</summary>
    public CodisProxyProcess StartProxy() =>
        Own(CodisProxyProcess.Start(Directory.CreateTempSubdirectory("codis-webui-proxy-").FullName, ["--product_name", Product], waitOnline: false));

    /// <summary>A fresh page (own context) at 1280x900 on the given section of the UI; browser errors fail the test.</summary>
    public async Task<IPage> OpenAsync(string section, string? url = null, bool waitForData = true)
    {
        var context = await Browser.NewContextAsync(new() { ViewportSize = new() { Width = 1280, Height = 900 } });
        var page = await context.NewPageAsync();
        var errors = new List<string>();
        page.PageError += (_, e) => { lock (errors) errors.Add(e); };
        page.Console += (_, m) => { if (m.Type == "error") lock (errors) errors.Add(m.Text); };
        pageErrors[page] = errors;
        await page.GotoAsync((url ?? Url) + "#" + section);
        if (waitForData) await Assertions.Expect(page.Locator("#freshness")).ToContainTextAsync("updated");
        return page;
    }

    private readonly Dictionary<IPage, List<string>> pageErrors = [];

    /// <summary>Script errors and failed loads the page reported (the UI must have none).</summary>
    public IReadOnlyList<string> ErrorsOf(IPage page) => pageErrors.TryGetValue(page, out var e) ? e : [];

    public static Task ScreenshotAsync(IPage page, string name) =>
        page.ScreenshotAsync(new() { Path = Path.Combine(ScreenshotDir, name + ".png"), FullPage = true });

    public async Task<JsonNode> PutAsync(string route)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
        using var resp = await http.PutAsync($"http://{Dashboard.AdminAddr}{route}", null);
        var body = await resp.Content.ReadAsStringAsync();
        if ((int)resp.StatusCode != 200) throw new InvalidOperationException($"PUT {route}: HTTP {(int)resp.StatusCode} {body}");
        return JsonNode.Parse(body)!;
    }

    public async Task<JsonNode> StatsAsync() => (await Dashboard.GetAsync(DashboardRoutes.Stats(X)))!;

    public async Task DisposeAsync()
    {
        if (Browser != null) await Browser.DisposeAsync();
        playwright?.Dispose();
        for (int i = owned.Count - 1; i >= 0; i--)
        {
            try { owned[i].Dispose(); } catch (InvalidOperationException) { }
        }
        try { Directory.Delete(CoordinatorDir, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

[CollectionDefinition(Name)]
public sealed class UiCollection : ICollectionFixture<UiCluster>
{
    public const string Name = "web UI cluster";
}
