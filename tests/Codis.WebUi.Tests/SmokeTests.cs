using Microsoft.Playwright;
namespace Codis.WebUi.Tests;
public class SmokeTests
{
    [Fact]
    public async Task Launches()
    {
        using var pw = await Playwright.CreateAsync();
        await using var b = await pw.Chromium.LaunchAsync(new() { ExecutablePath = "/usr/bin/chromium", Headless = true });
        var page = await b.NewPageAsync();
        await page.SetContentAsync("<p id=x>hello</p>");
        Assert.Equal("hello", await page.InnerTextAsync("#x"));
    }
}
