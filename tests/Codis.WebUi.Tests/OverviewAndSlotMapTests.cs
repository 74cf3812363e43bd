using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Codis.WebUi.Tests;

[Collection(UiCollection.Name)]
public class OverviewAndSlotMapTests(UiCluster cluster)
{
    [Fact]
    public async Task SlotMapShowsBothGroupsAsTheDashboardRecordsThem()
    {
        var page = await cluster.OpenAsync("slots");
        await Expect(page.Locator("#slot-map .slot")).ToHaveCountAsync(1024);
        var slots = (await cluster.StatsAsync())["slots"]!.AsArray();
        int g1 = slots.Count(s => s!["group_id"]!.GetValue<int>() == 1), g2 = slots.Count(s => s!["group_id"]!.GetValue<int>() == 2);
        Assert.True(g1 > 0 && g2 > 0 && g1 + g2 == 1024, $"groups 1 and 2 own {g1} and {g2} slots");
        await Expect(page.Locator("#slot-map .slot[data-group='1']")).ToHaveCountAsync(g1);
        await Expect(page.Locator("#slot-map .slot[data-group='2']")).ToHaveCountAsync(g2);
        await Expect(page.Locator(".legend-item[data-group='1']")).ToContainTextAsync($"group 1: {g1} slots");
        await Expect(page.Locator(".legend-item[data-group='2']")).ToContainTextAsync($"group 2: {g2} slots");
        // the two groups are drawn in different colours
        string c1 = await page.Locator("#slot-map .slot[data-group='1']").First.EvaluateAsync<string>("e => getComputedStyle(e).backgroundColor");
        string c2 = await page.Locator("#slot-map .slot[data-group='2']").First.EvaluateAsync<string>("e => getComputedStyle(e).backgroundColor");
        Assert.NotEqual(c1, c2);
        await Expect(page.Locator("#slot-map .slot[data-slot='1023']")).ToHaveAttributeAsync("title", new Regex("^slot 1023: group [12]$"));
        await UiCluster.ScreenshotAsync(page, "slots");
        Assert.Empty(cluster.ErrorsOf(page));
    }

    [Fact]
    public async Task OverviewShowsTheProductAndLiveOpsChartsWithoutReload()
    {
        var page = await cluster.OpenAsync("overview");
        await Expect(page.Locator("[data-card='slots'] .value")).ToHaveTextAsync("1024 / 1024");
        await Expect(page.Locator("[data-card='proxies'] .value")).ToHaveTextAsync(new Regex(@"^[1-9] / [1-9]$"));
        await Expect(page.Locator("#dashboard-info")).ToContainTextAsync("filesystem " + cluster.CoordinatorDir);
        await Expect(page.Locator("#dashboard-info")).ToContainTextAsync("sentinelsnone (the dashboard fails over)");

        // load through the proxy for a few seconds: the product chart and the proxy's chart rise while the page stays loaded
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(6));
        var load = Task.Run(() =>
        {
            using var c = cluster.Proxy.Client();
            while (!stop.IsCancellationRequested) Keys.Write(c, "overview:", 200);
        });
        var before = int.Parse(await page.Locator("#chart-total").GetAttributeAsync("data-points") ?? "0");
        await Expect(page.Locator("#chart-total")).ToHaveAttributeAsync("data-current", new Regex("^[1-9][0-9]*$"));
        var proxyChart = page.Locator("#chart-proxies figure").Filter(new() { HasText = $"127.0.0.1:{cluster.Proxy.Port}" }).Locator("svg");
        await Expect(proxyChart).ToHaveAttributeAsync("data-current", new Regex("^[1-9][0-9]*$"));
        await Expect(page.Locator("[data-card='qps'] .value")).Not.ToHaveTextAsync("0");
        await Expect(page.Locator("[data-card='keys'] .value")).Not.ToHaveTextAsync("0");
        var after = int.Parse(await page.Locator("#chart-total").GetAttributeAsync("data-points") ?? "0");
        Assert.True(after > before, $"the chart took no new samples ({before} → {after})");
        await load;
        Assert.Empty(cluster.ErrorsOf(page));

        // the dashboard keeps two minutes of ops/s: a page opened later starts its charts with that history
        var history = (await cluster.Dashboard.GetAsync(Codis.Core.Models.DashboardRoutes.OpsHistory(cluster.X)))!;
        var samples = history["samples"]!.AsArray();
        Assert.InRange(samples.Count, 5, 120);
        Assert.Contains(samples, s => s!["qps"]!.GetValue<long>() > 0 && s["proxies"]!.AsObject().Any(p => p.Value!.GetValue<long>() > 0));
        var times = samples.Select(s => s!["t"]!.GetValue<long>()).ToList();
        Assert.Equal(times.Order(), times);
        var later = await cluster.OpenAsync("overview");
        int seeded = int.Parse(await later.Locator("#chart-total").GetAttributeAsync("data-points") ?? "0");
        Assert.True(seeded >= 5, $"a new page drew {seeded} points, not the dashboard's history");
        await UiCluster.ScreenshotAsync(later, "overview");
    }
}
