using System.Text.RegularExpressions;
using static Microsoft.Playwright.Assertions;

namespace Codis.WebUi.Tests;

[Collection(UiCollection.Name)]
public class MigrationTests(UiCluster cluster)
{
    [Fact]
    public async Task MigrateARangePausedCancelledResumedAndWatchItFinish()
    {
        const int keys = 3000;
        using (var c = cluster.Proxy.Client()) Keys.Write(c, "mig:", keys);
        var page = await cluster.OpenAsync("migration");
        await Expect(page.Locator("#migration-status")).ToContainTextAsync("No migration in progress");

        await page.ClickAsync("#pause");
        await GroupTests.ConfirmAsync(page, "starts no new slot");
        await Expect(page.Locator("#migration-status .executor")).ToHaveTextAsync("paused");
        await Expect(page.Locator("#resume")).ToBeEnabledAsync();

        // queued while paused, then cancelled: nothing moves
        await page.FillAsync("#migrate input[name=beg]", "100");
        await page.FillAsync("#migrate input[name=end]", "131");
        await page.SelectOptionAsync("#migrate select[name=gid]", "2");
        await page.ClickAsync("#migrate button");
        await GroupTests.ConfirmAsync(page, "Queues 32 slot(s) for group 2: 32 from group 1", "Migration is paused");
        await Expect(page.Locator("#migration-status .active")).ToContainTextAsync("32 slot(s) to go (32 pending)");
        await page.ClickAsync("#cancel");
        await GroupTests.ConfirmAsync(page, "Removes the 32 slot(s) still waiting (100-131)");
        await Expect(page.Locator("#migration-status")).ToContainTextAsync("No migration in progress");
        var afterCancel = (await cluster.StatsAsync())["slots"]!.AsArray();
        Assert.All(afterCancel.Where(s => s!["id"]!.GetValue<int>() is >= 100 and <= 131), s => Assert.Equal(1, s!["group_id"]!.GetValue<int>()));

        // queued while paused: the slot map marks the slots, then resume and watch it finish
        await page.FillAsync("#migrate input[name=beg]", "0");
        await page.FillAsync("#migrate input[name=end]", "63");
        await page.SelectOptionAsync("#migrate select[name=gid]", "2");
        await page.ClickAsync("#migrate button");
        await GroupTests.ConfirmAsync(page, "Queues 64 slot(s) for group 2: 64 from group 1");
        await Expect(page.Locator("#migration-status .active")).ToContainTextAsync("64 slot(s) to go");
        await Expect(page.Locator("#migration-status .active")).ToContainTextAsync("ETA paused");
        await Expect(page.Locator("#migration-status .done")).ToHaveTextAsync("0 of 64 slot(s) done");
        await Expect(page.Locator("#migration-slots tbody tr")).ToHaveCountAsync(24);
        await Expect(page.Locator("#migration-slots tfoot")).ToContainTextAsync("and 40 more queued (24-63)");
        await page.GotoAsync(cluster.Url + "#slots");
        await Expect(page.Locator("#slot-map .slot.migrating")).ToHaveCountAsync(64);
        await Expect(page.Locator("#slot-map .slot[data-slot='5']")).ToHaveAttributeAsync("title", new Regex("^slot 5: group 1 → 2, pending"));
        await Expect(page.Locator(".migrating-legend")).ToContainTextAsync("migrating: 64 slots to go");
        await UiCluster.ScreenshotAsync(page, "slots-migrating");

        // run it slowly (a pause between migration calls), watch the first batches finish, pause in the middle
        await page.GotoAsync(cluster.Url + "#migration");
        await cluster.PutAsync(Codis.Core.Models.DashboardRoutes.ActionInterval(cluster.X, 100_000));
        await page.ClickAsync("#resume");
        await Expect(page.Locator("#migration-status .done")).ToHaveTextAsync(new Regex(@"^([1-9]|[1-5][0-9]|6[0-3]) of 64 slot\(s\) done$"), new() { Timeout = 60_000 });
        await page.ClickAsync("#pause");
        await GroupTests.ConfirmAsync(page, "starts no new slot");
        await Expect(page.Locator("#migration-status .executor")).ToHaveTextAsync("paused");
        await Expect(page.Locator("#migration-status .active")).ToContainTextAsync(new Regex(@"[0-9,]+ keys/s · ETA paused"));
        await UiCluster.ScreenshotAsync(page, "migration");

        await cluster.PutAsync(Codis.Core.Models.DashboardRoutes.ActionInterval(cluster.X, 0));
        await page.ClickAsync("#resume");
        await Expect(page.Locator("#migration-status")).ToContainTextAsync("No migration in progress", new() { Timeout = 90_000 });
        await Expect(page.Locator("#migration-status .executor")).Not.ToHaveTextAsync("paused");
        var moved = await page.Locator("#migration-status .facts-line").InnerTextAsync();
        Assert.Matches(@" [1-9][0-9,]* keys moved", moved);
        await page.GotoAsync(cluster.Url + "#slots");
        await Expect(page.Locator("#slot-map .slot.migrating")).ToHaveCountAsync(0);
        foreach (var id in new[] { 0, 31, 63 })
            await Expect(page.Locator($"#slot-map .slot[data-slot='{id}']")).ToHaveAttributeAsync("data-group", "2");
        await Expect(page.Locator("#slot-map .slot[data-slot='64']")).ToHaveAttributeAsync("data-group", "1");
        using (var c = cluster.Proxy.Client()) Assert.Equal(0, Keys.Missing(c, "mig:", keys));
        Assert.Empty(cluster.ErrorsOf(page));
    }
}
