using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Codis.Core.Models;
using Codis.Testing;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Codis.WebUi.Tests;

/// <summary>Where the UI is served, the product list it switches with, and what it says when it can't get through.</summary>
[Collection(UiCollection.Name)]
public class AccessTests(UiCluster cluster)
{
    [Fact]
    public async Task BrowsersGetThePageAtTheRootAndApiClientsKeepTheRedirect()
    {
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
        string root = $"http://{cluster.Dashboard.AdminAddr}";
        using (var page = new HttpRequestMessage(HttpMethod.Get, root + "/"))
        {
            page.Headers.Accept.ParseAdd("text/html,application/xhtml+xml");
            using var r = await http.SendAsync(page);
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            Assert.Equal("text/html", r.Content.Headers.ContentType?.MediaType);
            Assert.Contains("<script type=\"module\" src=\"/ui/app.js\">", await r.Content.ReadAsStringAsync());
        }
        using (var r = await http.GetAsync(root + "/"))
        {
            Assert.Equal(HttpStatusCode.Redirect, r.StatusCode);
            Assert.Equal("/topom", r.Headers.Location?.ToString());
        }
        using (var r = await http.GetAsync(root + "/ui/views/slots.js"))
        {
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            Assert.Equal("text/javascript", r.Content.Headers.ContentType?.MediaType);
            var etag = r.Headers.ETag!;
            using var again = new HttpRequestMessage(HttpMethod.Get, root + "/ui/views/slots.js");
            again.Headers.IfNoneMatch.Add(etag);
            using var cached = await http.SendAsync(again);
            Assert.Equal(HttpStatusCode.NotModified, cached.StatusCode);
        }
        using (var r = await http.GetAsync(root + "/ui/nothing.js"))
        {
            Assert.Equal(HttpStatusCode.NotFound, r.StatusCode);
            Assert.Contains("no such file of the web UI: nothing.js", await r.Content.ReadAsStringAsync());
        }
    }

    [Fact]
    public async Task ProductSwitcherOpensTheOtherProductsDashboardAndAStoppedDashboardIsSaidSo()
    {
        using var other = CodisDashboardProcess.Start("filesystem", cluster.CoordinatorDir, "second");
        // the API: every product of the coordinator, its xauth, and the dashboard that holds its lock
        var list = (await cluster.Dashboard.GetAsync(DashboardRoutes.Products))!;
        Assert.Null(list["error"]);
        var products = list["products"]!.AsArray().ToDictionary(p => p!["name"]!.GetValue<string>());
        Assert.True(products[UiCluster.Product]!["current"]!.GetValue<bool>());
        Assert.Equal(cluster.Dashboard.AdminAddr, products[UiCluster.Product]!["dashboard"]!.GetValue<string>());
        Assert.False(products["second"]!["current"]!.GetValue<bool>());
        Assert.Equal(other.AdminAddr, products["second"]!["dashboard"]!.GetValue<string>());
        Assert.Equal(XAuth.Dashboard("second"), products["second"]!["xauth"]!.GetValue<string>());

        var page = await cluster.OpenAsync("overview");
        var select = page.Locator("#product");
        await Expect(select.Locator("option[value='second']")).ToContainTextAsync($"dashboard {other.AdminAddr}");
        await Expect(select).ToHaveValueAsync(UiCluster.Product);
        await select.SelectOptionAsync("second");
        await page.WaitForURLAsync($"http://{other.AdminAddr}/#overview");
        await Expect(page.Locator("#product")).ToHaveValueAsync("second");
        await Expect(page.Locator("#dashboard-info")).ToContainTextAsync("second");
        await Expect(page.Locator("[data-card='groups'] .value")).ToHaveTextAsync("0");

        // the dashboard goes away under the open page: the page says so and keeps the last figures
        Assert.True(other.Terminate(TimeSpan.FromSeconds(15)), "the second dashboard did not stop");
        await Expect(page.Locator("#errors .error").First).ToContainTextAsync($"Can't refresh: the dashboard at {other.AdminAddr} does not answer");
        await Expect(page.Locator("#freshness")).ToContainTextAsync("stale since");
        await Expect(page.Locator("[data-card='groups'] .value")).ToHaveTextAsync("0");

        // back on our product, the stopped one is listed without a dashboard, and choosing it says why nothing opens
        page = await cluster.OpenAsync("overview");
        await Expect(page.Locator("#product option[value='second']")).ToContainTextAsync("no dashboard running");
        await page.Locator("#product").SelectOptionAsync("second");
        await Expect(page.Locator("#errors .error").First).ToContainTextAsync("Product second: no dashboard holds its lock");
        await Expect(page.Locator("#product")).ToHaveValueAsync(UiCluster.Product);
    }

    [Fact]
    public async Task ADashboardWithAnAdminTokenAsksForIt()
    {
        using var guarded = CodisDashboardProcess.Start("filesystem", cluster.CoordinatorDir, "guarded", true, "--admin_token", "s3cret");
        var page = await cluster.OpenAsync("overview", $"http://{guarded.AdminAddr}/", waitForData: false);
        await Expect(page.Locator("#errors .error").First).ToContainTextAsync("missing admin token (header X-Codis-Admin-Token)");
        await page.FillAsync("#token-form input[name=token]", "wrong");
        await page.ClickAsync("#token-form button");
        await Expect(page.Locator("#errors .error").First).ToContainTextAsync("invalid admin token");
        await page.FillAsync("#token-form input[name=token]", "s3cret");
        await page.ClickAsync("#token-form button");
        await Expect(page.Locator("#freshness")).ToContainTextAsync("updated");
        await Expect(page.Locator("#product")).ToHaveValueAsync("guarded");
        try { await Expect(page.Locator("#errors .error")).ToHaveCountAsync(0); }
        catch (PlaywrightException e)
        {
            var left = await page.Locator("#errors .error").AllInnerTextsAsync();
            throw new Xunit.Sdk.XunitException($"errors left after the right token: {string.Join(" | ", left)}\n{e.Message}");
        }
    }
}
