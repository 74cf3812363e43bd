using System.Text;
using System.Text.Json;
using Codis.Core.Resp;
using Codis.Server.Tests.Infrastructure;
using Codis.Testing;
using Xunit.Abstractions;

namespace Codis.Server.Tests.Slots;

/// <summary>
/// The real codis-proxy in front of two codis-servers: slots are switched to "migrating from A" in sync or semi-async
/// mode, moved by the SLOTSMGRT* loop the dashboard runs, while a client keeps writing and reading through the proxy.
/// This checks that the servers answer what the proxy sends (SLOTSMGRTTAGONE, SLOTSMGRT-EXEC-WRAPPER).
/// </summary>
public class ProxyMigrationTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public async Task SlotsMoveWhileAClientWorksThroughTheProxy(int forwardMethod)
    {
        using var a = CodisServerProcess.Start();
        using var b = CodisServerProcess.Start();
        string addrA = $"127.0.0.1:{a.Port}", addrB = $"127.0.0.1:{b.Port}";
        using var proxy = CodisProxyProcess.StartWithSlots(CodisProxyProcess.Range(0, 1023, addrA, 1));
        int[] slots = Enumerable.Range(100, 8).ToArray();
        var keys = SlotKeys.InSlots(slots, 150, "px").Values.SelectMany(k => k).ToList();
        foreach (int s in slots)
        {
            string tag = SlotKeys.TagInSlot(s, "pxt");
            for (int i = 0; i < 10; i++) keys.Add($"{{{tag}}}:{i}");
        }
        var expected = new Dictionary<string, string>();
        using (var c = proxy.Client())
        {
            foreach (var k in keys)
            {
                c.Call("SET", k, "v-" + k, "EX", "3600").AssertOk();
                expected[k] = "v-" + k;
            }
        }

        using var http = new HttpClient();
        async Task Fill(Func<int, object> entry)
        {
            var body = JsonSerializer.Serialize(slots.Select(entry));
            var r = await http.PutAsync($"http://{proxy.AdminAddr}/api/proxy/fillslots/{proxy.XAuth}", new StringContent(body, Encoding.UTF8, "application/json"));
            Assert.True(r.IsSuccessStatusCode, await r.Content.ReadAsStringAsync());
        }
        await Fill(s => new Dictionary<string, object>
        {
            ["id"] = s, ["backend_addr"] = addrB, ["backend_addr_group_id"] = 2,
            ["migrate_from"] = addrA, ["migrate_from_group_id"] = 1, ["forward_method"] = forwardMethod,
        });

        using var stop = new CancellationTokenSource();
        long writes = 0, reads = 0;
        var writer = Task.Run(() =>
        {
            using var c = proxy.Client();
            var rnd = new Random(3);
            for (long n = 0; !stop.IsCancellationRequested; n++)
            {
                string key = keys[rnd.Next(keys.Count)];
                if (n % 3 == 2)
                {
                    Assert.Equal(expected[key], c.Call("GET", key).Text);
                    reads++;
                    continue;
                }
                string value = $"w{n}";
                c.Call("SET", key, value, "EX", "3600").AssertOk();
                expected[key] = value;
                writes++;
            }
        });

        using (var c = a.Client())
        {
            // the move starts once the client is really working (a busy machine can take a while to start it)
            Assert.True(SpinWait.SpinUntil(() => Interlocked.Read(ref writes) >= 3 || writer.IsCompleted, TimeSpan.FromSeconds(20)), "the client did not start");
            foreach (int s in slots)
            {
                while (true)
                {
                    var r = forwardMethod == 0
                        ? c.Call("SLOTSMGRTTAGSLOT", "127.0.0.1", b.Port, "5000", s)
                        : c.Call("SLOTSMGRTTAGSLOT-ASYNC", "127.0.0.1", b.Port, "5000", "200", "0", s, "20");
                    Assert.True(r.Type == RespType.Array, $"slot {s}: {r}");
                    if (r.Items![1].Integer == 0) break;
                }
            }
        }
        await Fill(s => new Dictionary<string, object> { ["id"] = s, ["backend_addr"] = addrB, ["backend_addr_group_id"] = 2 });
        stop.Cancel();
        await writer;
        output.WriteLine($"forward_method {forwardMethod}: {writes} writes and {reads} checked reads through the proxy during the move");
        Assert.True(writes > 20, $"only {writes} writes");

        using var ca = a.Client();
        using var cb = b.Client();
        foreach (int s in slots) Assert.Empty(ca.Call("SLOTSINFO", s, "1").Items!);
        Assert.Equal(keys.Count, cb.Call("DBSIZE").AssertInt());
        using var cp = proxy.Client();
        foreach (var k in keys)
        {
            Assert.Equal(expected[k], cp.Call("GET", k).Text);
            Assert.InRange(cb.Call("TTL", k).AssertInt(), 3500, 3600);
        }
    }
}
