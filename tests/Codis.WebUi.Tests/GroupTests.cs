using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Codis.WebUi.Tests;

[Collection(UiCollection.Name)]
public class GroupTests(UiCluster cluster)
{
    /// <summary>Clicks the dialog's OK after checking it says what will happen.</summary>
    internal static async Task ConfirmAsync(IPage page, params string[] says)
    {
        var dialog = page.Locator("#confirm");
        await Expect(dialog).ToBeVisibleAsync();
        foreach (var s in says) await Expect(page.Locator("#confirm-text")).ToContainTextAsync(s);
        await page.Locator("#confirm-yes").ClickAsync();
        await Expect(dialog).Not.ToBeVisibleAsync();
    }

    [Fact]
    public async Task CreateGroupAddServersPromoteAndRemove()
    {
        string a = UiCluster.Addr(cluster.SpareA), b = UiCluster.Addr(cluster.SpareB);
        var page = await cluster.OpenAsync("groups");
        var group3 = page.Locator(".group[data-group='3']");

        await page.FillAsync("#add-group input[name=gid]", "3");
        await page.ClickAsync("#add-group button");
        await ConfirmAsync(page, "Creates group 3 with no servers");
        await Expect(group3).ToContainTextAsync("No servers");

        await page.SelectOptionAsync("#add-server select[name=gid]", "3");
        await page.FillAsync("#add-server input[name=addr]", a);
        await page.ClickAsync("#add-server button");
        await ConfirmAsync(page, $"{a} becomes the master of group 3");
        var rowA = group3.Locator($"tr[data-server='{a}']");
        await Expect(rowA.Locator(".role")).ToHaveTextAsync("master");
        await Expect(rowA.Locator(".keys")).ToHaveTextAsync("0"); // INFO of the new server reached the page
        using (var spare = cluster.SpareA.Client()) spare.Call("CONFIG", "SET", "maxmemory", "1gb");
        await Expect(rowA.Locator(".memory")).ToContainTextAsync("/ 1.0 GiB"); // used / maxmemory, as the original shows it

        await page.SelectOptionAsync("#add-server select[name=gid]", "3");
        await page.FillAsync("#add-server input[name=addr]", b);
        await page.SelectOptionAsync("#add-server select[name=role]", "slave");
        await page.ClickAsync("#add-server button");
        await ConfirmAsync(page, $"{b} is told to replicate {a}", "its own data is replaced");
        var rowB = group3.Locator($"tr[data-server='{b}']");
        await Expect(rowB.Locator(".role")).ToHaveTextAsync("replica");
        await Expect(rowB.Locator(".link")).ToHaveTextAsync("up");
        await UiCluster.ScreenshotAsync(page, "groups");

        // the replica serves reads, then is synced again, each recorded by the dashboard
        await rowB.Locator("button[data-action=reads]").ClickAsync();
        await ConfirmAsync(page, $"send reads of group 3's slots to {b}");
        await Expect(rowB.Locator("button[data-action=reads]")).ToHaveTextAsync("Reads: on");
        Assert.True(ServerModel(await cluster.StatsAsync(), b)["replica_group"]!.GetValue<bool>());
        await rowB.Locator("button[data-action=sync]").ClickAsync();
        await ConfirmAsync(page, $"{b} is told to replicate {a} again");
        await Expect(rowB.Locator("button[data-action=sync]")).ToHaveAttributeAsync("title", new Regex("last sync action #[0-9]+: synced"));
        Assert.Equal("synced", ServerModel(await cluster.StatsAsync(), b)["action"]!["state"]!.GetValue<string>());

        await rowB.Locator("button[data-action=promote]").ClickAsync();
        await ConfirmAsync(page, $"{b} becomes the master of group 3", "REPLICAOF NO ONE", $"the old master {a} becomes a replica");
        await Expect(group3.Locator("tbody tr").First).ToHaveAttributeAsync("data-server", b);
        await Expect(rowB.Locator(".role")).ToHaveTextAsync("master");
        await Expect(rowA.Locator(".role")).ToHaveTextAsync("replica");
        await Expect(rowA.Locator(".link")).ToHaveTextAsync("up"); // the old master now replicates the new one

        // the rebalance plan is shown, and nothing moves until it is run
        await page.GotoAsync(cluster.Url + "#migration");
        await page.ClickAsync("#plan");
        await Expect(page.Locator(".plan-summary")).ToContainTextAsync(new Regex(@"moves 3[0-9]{2} slot"));
        await Expect(page.Locator("table.plan")).ToContainTextAsync("group 3");
        await UiCluster.ScreenshotAsync(page, "rebalance-plan");
        await page.Locator("#plan-view button[data-action=discard]").ClickAsync();
        await Expect(page.Locator(".plan-summary")).ToHaveCountAsync(0);
        Assert.Empty((await cluster.StatsAsync())["slot_action"]!["actions"]!.AsArray());

        await page.GotoAsync(cluster.Url + "#groups");
        await rowA.Locator("button[data-action=remove-server]").ClickAsync();
        await ConfirmAsync(page, $"{a} is taken out of group 3", "not stopped");
        await Expect(rowA).ToHaveCountAsync(0);
        await group3.Locator("button[data-action=remove-group]").ClickAsync();
        await ConfirmAsync(page, "Deletes group 3");
        await Expect(group3).ToHaveCountAsync(0);
        Assert.DoesNotContain((await cluster.StatsAsync())["group"]!["models"]!.AsArray(), g => g!["id"]!.GetValue<int>() == 3);
        Assert.Empty(cluster.ErrorsOf(page));
    }

    private static System.Text.Json.Nodes.JsonNode ServerModel(System.Text.Json.Nodes.JsonNode stats, string addr) =>
        stats["group"]!["models"]!.AsArray().SelectMany(g => g!["servers"]!.AsArray()).First(x => x!["server"]!.GetValue<string>() == addr)!;

    [Fact]
    public async Task ApiErrorsAreShownInWords()
    {
        var page = await cluster.OpenAsync("groups");
        // a server that does not answer: the dashboard's refusal is shown, with what was tried
        await page.SelectOptionAsync("#add-server select[name=gid]", "1");
        await page.FillAsync("#add-server input[name=addr]", "127.0.0.1:1");
        await page.SelectOptionAsync("#add-server select[name=role]", "slave");
        await page.ClickAsync("#add-server button");
        await ConfirmAsync(page, "127.0.0.1:1 is told to replicate");
        var error = page.Locator("#errors .error").First;
        await Expect(error).ToContainTextAsync("Add 127.0.0.1:1 to group 1 failed:");
        await Expect(error).ToContainTextAsync("127.0.0.1:1 does not answer PING");
        await UiCluster.ScreenshotAsync(page, "error");
        await error.Locator(".dismiss").ClickAsync();
        await Expect(page.Locator("#errors .error")).ToHaveCountAsync(0);

        // a group that owns slots can't be removed: the page says why
        await page.Locator(".group[data-group='1'] button[data-action=remove-group]").ClickAsync();
        await ConfirmAsync(page, "The dashboard refuses this: the group still owns");
        await Expect(page.Locator("#errors .error").First).ToContainTextAsync(new Regex(@"Remove group 1 failed: group 1 still owns or receives \d+ slots"));
        Assert.Contains((await cluster.StatsAsync())["group"]!["models"]!.AsArray(), g => g!["id"]!.GetValue<int>() == 1);

        // cancelling the dialog changes nothing
        await page.FillAsync("#add-group input[name=gid]", "77");
        await page.ClickAsync("#add-group button");
        await Expect(page.Locator("#confirm")).ToBeVisibleAsync();
        await page.Locator("#confirm-no").ClickAsync();
        await Expect(page.Locator("#confirm")).Not.ToBeVisibleAsync();
        await Task.Delay(1500);
        await Expect(page.Locator(".group[data-group='77']")).ToHaveCountAsync(0);
    }
}
