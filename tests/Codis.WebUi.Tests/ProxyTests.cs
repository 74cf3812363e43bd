using static Microsoft.Playwright.Assertions;

namespace Codis.WebUi.Tests;

[Collection(UiCollection.Name)]
public class ProxyTests(UiCluster cluster)
{
    [Fact]
    public async Task TakeAProxyOnlineThenOfflineAndAddOneByAddress()
    {
        var page = await cluster.OpenAsync("proxies");
        var off = cluster.OfflineProxy;
        var row = page.Locator($"#proxies tr:has(td:text-is('127.0.0.1:{off.Port}'))");
        await Expect(row.Locator(".status")).ToHaveTextAsync("offline");

        await row.Locator("button[data-action=online]").ClickAsync();
        await GroupTests.ConfirmAsync(page, "the full slot table and starts it");
        await Expect(row.Locator(".status")).ToHaveTextAsync("online");
        await Expect(row.Locator("button[data-action=online]")).ToHaveCountAsync(0);
        using (var c = off.Client()) Assert.Equal("PONG", c.Call("PING").Text);
        await UiCluster.ScreenshotAsync(page, "proxies");

        await row.Locator("button[data-action=offline]").ClickAsync();
        await GroupTests.ConfirmAsync(page, "client connection(s) are closed", "process exits");
        await Expect(row).ToHaveCountAsync(0);
        Assert.True(off.WaitForExit(TimeSpan.FromSeconds(15)), "the proxy taken offline did not exit");

        // a new proxy, added by its admin address, comes online
        var fresh = cluster.StartProxy();
        await page.FillAsync("#add-proxy input[name=addr]", fresh.AdminAddr);
        await page.ClickAsync("#add-proxy button");
        await GroupTests.ConfirmAsync(page, $"admin API is at {fresh.AdminAddr}");
        var freshRow = page.Locator($"#proxies tr:has(td:text-is('127.0.0.1:{fresh.Port}'))");
        await Expect(freshRow.Locator(".status")).ToHaveTextAsync("online");
        using (var c = fresh.Client()) Assert.Equal("PONG", c.Call("PING").Text);
        Assert.Empty(cluster.ErrorsOf(page));
    }
}
