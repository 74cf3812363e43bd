using System.Text.Json;
using Codis.Core.Resp;
using Codis.Core.Slots;
using Codis.Testing;

namespace Codis.Proxy.Tests;

/// <summary>Two groups of codis-server behind two proxies (A and B) with the same slots: for transactions and blocking pops.</summary>
public sealed class PinnedCluster : TwoGroupCluster
{
    public PinnedCluster() => ProxyB = CodisProxyProcess.StartWithSlots(Slots(Group1.Port, Group2.Port));

    public CodisProxyProcess ProxyB { get; }

    public RespClient ClientB(int timeoutMs = 10000) => ProxyB.Client(timeoutMs);

    /// <summary>The server that owns <paramref name="key"/>'s slot.</summary>
    public CodisServerProcess Owner(string key) => SlotHash.Slot(System.Text.Encoding.UTF8.GetBytes(key)) < 512 ? Group1 : Group2;

    public CodisServerProcess Other(string key) => Owner(key) == Group1 ? Group2 : Group1;

    /// <summary>Fills <paramref name="key"/>'s slot on proxy A as migrating from its owner to the other group.</summary>
    public Task StartMigratingAsync(string key, int forwardMethod = 0)
    {
        int slot = SlotHash.Slot(System.Text.Encoding.UTF8.GetBytes(key));
        var (from, to) = (Owner(key), Other(key));
        return FillAsync(new
        {
            id = slot, backend_addr = $"127.0.0.1:{to.Port}", backend_addr_group_id = to == Group1 ? 1 : 2,
            migrate_from = $"127.0.0.1:{from.Port}", migrate_from_group_id = from == Group1 ? 1 : 2,
            forward_method = forwardMethod,
        });
    }

    /// <summary>Gives <paramref name="key"/>'s slot back to its owner on proxy A.</summary>
    public Task RestoreAsync(string key)
    {
        int slot = SlotHash.Slot(System.Text.Encoding.UTF8.GetBytes(key));
        var owner = Owner(key);
        return FillAsync(new { id = slot, backend_addr = $"127.0.0.1:{owner.Port}", backend_addr_group_id = owner == Group1 ? 1 : 2 });
    }

    private async Task FillAsync(object slot)
    {
        var (status, body) = await AdminHttp.PutAsync(Proxy.AdminAddr, $"/api/proxy/fillslots/{Proxy.XAuth}", JsonSerializer.Serialize(new[] { slot }));
        Assert.True(status == System.Net.HttpStatusCode.OK, body.ToString());
    }

    /// <summary>A field of the server's INFO clients section.</summary>
    public static long ClientsField(CodisServerProcess server, string field)
    {
        using var c = server.Client();
        var info = c.Call("INFO", "clients").Text!;
        var line = info.Split('\n').First(l => l.StartsWith(field + ":", StringComparison.Ordinal));
        return long.Parse(line[(field.Length + 1)..].Trim());
    }

    /// <summary>Waits (up to <paramref name="seconds"/>) until <paramref name="condition"/> holds.</summary>
    public static bool Eventually(Func<bool> condition, double seconds = 5)
    {
        var until = DateTime.UtcNow.AddSeconds(seconds);
        while (DateTime.UtcNow < until)
        {
            if (condition()) return true;
            Thread.Sleep(20);
        }
        return condition();
    }

    public override void Dispose()
    {
        ProxyB.Dispose();
        base.Dispose();
    }
}

[CollectionDefinition("pinned")]
public sealed class PinnedCollection : ICollectionFixture<PinnedCluster>;
