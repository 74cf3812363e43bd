using System.Diagnostics;
using System.Text;
using Codis.Coordinator.Etcd;
using Codis.Testing;
using dotnet_etcd;
using Etcdserverpb;

namespace Codis.Coordinator.Tests.Etcd;

/// <summary>What only etcd has: leases running out, the server going away and coming back, auth, the key mapping.</summary>
public sealed class EtcdCoordinatorTests : IDisposable
{
    private readonly EtcdServer etcd = new();

    public void Dispose() => etcd.Dispose();

    private static byte[] Bytes(string s) => Encoding.UTF8.GetBytes(s);

    [Fact]
    public async Task The_tree_is_stored_as_path_keys_with_explicit_parents()
    {
        await using var c = await EtcdCoordinator.OpenAsync(etcd.Options());
        await c.CreateAsync("/codis3/demo/slots/slot-0001", Bytes("{\"id\":1}"));
        await using var seq = await c.CreateEphemeralAsync("/jodis/demo/proxy-", Bytes("x"), sequential: true);
        using var raw = new EtcdClient("http://" + etcd.Address);
        var all = await raw.GetAsync(new RangeRequest { Key = Google.Protobuf.ByteString.CopyFromUtf8("\0"), RangeEnd = Google.Protobuf.ByteString.CopyFrom(0) });
        var keys = all.Kvs.Select(kv => kv.Key.ToStringUtf8()).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(["/codis3", "/codis3/demo", "/codis3/demo/slots", "/codis3/demo/slots/slot-0001", "/jodis", "/jodis/demo", seq.Path, "codis-sequence:/jodis/demo"], keys);
        Assert.Equal("{\"id\":1}", all.Kvs.Single(kv => kv.Key.ToStringUtf8() == "/codis3/demo/slots/slot-0001").Value.ToStringUtf8());
        Assert.NotEqual(0, all.Kvs.Single(kv => kv.Key.ToStringUtf8() == seq.Path).Lease);
        Assert.Equal(0, all.Kvs.Single(kv => kv.Key.ToStringUtf8() == "/jodis/demo").Lease);
        Assert.Equal(["proxy-0000000000"], await c.ListAsync("/jodis/demo"));
    }

    [Fact]
    public async Task A_killed_owners_ephemeral_lasts_until_its_lease_runs_out()
    {
        await using var c = await EtcdCoordinator.OpenAsync(etcd.Options());
        using var owner = new ManagedProcess("dotnet", [Binaries.Dll("Codis.Coordinator.TestOwner"), "--name", "etcd", "--addr", etcd.Address, "--session-ms", "2000", "--ephemeral", "/jodis/demo/proxy-a"]);
        owner.WaitForOutput("ready", TimeSpan.FromSeconds(60));
        var w = await c.ReadAndWatchAsync("/jodis/demo/proxy-a");
        Assert.NotNull(w.Value);
        owner.Kill();
        var sw = Stopwatch.StartNew();
        // The lease still holds for a moment (no keep-alive can arrive any more)...
        Assert.NotNull(await c.ReadAsync("/jodis/demo/proxy-a"));
        // ...and etcd deletes the key when it expires; the watch sees it.
        var done = await Task.WhenAny(w.Changed, Task.Delay(TimeSpan.FromSeconds(10)));
        Assert.True(done == w.Changed, "the watch did not see the lease expire");
        Assert.Null(await c.ReadAsync("/jodis/demo/proxy-a"));
        Assert.InRange(sw.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(8));
    }

    [Fact]
    public async Task An_unreachable_etcd_fails_fast_with_the_address()
    {
        int dead = ManagedProcess.FreePort();
        var opts = etcd.Options() with { Address = $"127.0.0.1:{dead}", OperationTimeout = TimeSpan.FromSeconds(1) };
        var sw = Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<CoordinatorUnavailableException>(() => EtcdCoordinator.OpenAsync(opts));
        Assert.Contains($"127.0.0.1:{dead}", e.Message);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(5), $"open took {sw.Elapsed}");
        // Through the factory too.
        await Assert.ThrowsAsync<CoordinatorUnavailableException>(() => CoordinatorFactory.OpenAsync(opts));
    }

    [Fact]
    public async Task Etcd_stopped_gives_unavailable_and_restarted_works_again()
    {
        var opts = etcd.Options() with { OperationTimeout = TimeSpan.FromSeconds(1.5) };
        await using var c = await EtcdCoordinator.OpenAsync(opts);
        await c.CreateAsync("/codis3/demo/topom", Bytes("before"));
        var eph = await c.CreateEphemeralAsync("/jodis/demo/proxy-a", Bytes("alive"));
        var w = await c.ReadAndWatchAsync("/codis3/demo/topom");

        etcd.Stop();
        foreach (var op in new Func<Task>[]
        {
            () => c.ReadAsync("/codis3/demo/topom"),
            () => c.UpdateAsync("/codis3/demo/topom", Bytes("x")),
            () => c.ListAsync("/codis3/demo"),
            () => c.CreateEphemeralAsync("/jodis/demo/proxy-b", Bytes("x")),
        })
        {
            var sw = Stopwatch.StartNew();
            var e = await Assert.ThrowsAsync<CoordinatorUnavailableException>(op);
            Assert.Contains(etcd.Address, e.Message);
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(6), $"an operation on a stopped etcd took {sw.Elapsed}");
        }
        // The broken watch stream completes the watch (spuriously): callers re-read.
        var fired = await Task.WhenAny(w.Changed, Task.Delay(TimeSpan.FromSeconds(10)));
        Assert.True(fired == w.Changed, "the watch did not complete when etcd went away");

        etcd.Start();
        await WaitUntilAsync(async () =>
        {
            try { return (await c.ReadAsync("/codis3/demo/topom"))?.Text == "before"; }
            catch (CoordinatorUnavailableException) { return false; }
        }, TimeSpan.FromSeconds(20));
        await c.UpdateAsync("/codis3/demo/topom", Bytes("after"));
        Assert.Equal("after", (await c.ReadAsync("/codis3/demo/topom"))!.Text);
        // A short outage does not cost the lease: the ephemeral node is still there and still ours.
        Assert.Equal("alive", (await c.ReadAsync("/jodis/demo/proxy-a"))!.Text);
        await Task.Delay(TimeSpan.FromSeconds(3)); // more than the TTL: the keep-alive resumed
        Assert.NotNull(await c.ReadAsync("/jodis/demo/proxy-a"));
        Assert.False(eph.Lost.IsCompleted);
        // New watches work on the new connection.
        var w2 = await c.ReadAndWatchAsync("/codis3/demo/topom");
        await c.UpdateAsync("/codis3/demo/topom", Bytes("again"));
        Assert.True(await Task.WhenAny(w2.Changed, Task.Delay(TimeSpan.FromSeconds(10))) == w2.Changed, "a watch after the restart did not fire");
        await eph.DisposeAsync();
        Assert.Null(await c.ReadAsync("/jodis/demo/proxy-a"));
    }

    [Fact]
    public async Task Lease_loss_is_reported_and_a_new_ephemeral_gets_a_new_lease()
    {
        await using var c = await EtcdCoordinator.OpenAsync(etcd.Options());
        var e = await c.CreateEphemeralAsync("/jodis/demo/proxy-a", Bytes("x"));
        // Revoke our lease behind the client's back (as an expiry during a long pause would).
        using var raw = new EtcdClient("http://" + etcd.Address);
        var kv = (await raw.GetAsync("/jodis/demo/proxy-a")).Kvs.Single();
        await raw.LeaseRevokeAsync(new LeaseRevokeRequest { ID = kv.Lease });
        Assert.True(await Task.WhenAny(e.Lost, Task.Delay(TimeSpan.FromSeconds(10))) == e.Lost, "Lost did not fire");
        await Assert.ThrowsAnyAsync<CoordinatorException>(() => e.UpdateAsync(Bytes("y")));
        await using var again = await c.CreateEphemeralAsync("/jodis/demo/proxy-a", Bytes("z"));
        var kv2 = (await raw.GetAsync("/jodis/demo/proxy-a")).Kvs.Single();
        Assert.NotEqual(kv.Lease, kv2.Lease);
        Assert.Equal("z", kv2.Value.ToStringUtf8());
    }

    [Fact]
    public async Task Basic_auth_from_user_colon_password()
    {
        // Credentials given to a server without auth: it does not ask, so they are not needed.
        await using (var noAuthYet = await EtcdCoordinator.OpenAsync(etcd.Options("nobody:x")))
            Assert.Null(await noAuthYet.ReadAsync("/codis3/demo/topom"));
        using (var admin = new EtcdClient("http://" + etcd.Address))
        {
            await admin.UserAddAsync(new AuthUserAddRequest { Name = "root", Password = "s3cret" });
            await admin.UserGrantRoleAsync(new AuthUserGrantRoleRequest { User = "root", Role = "root" });
            await admin.AuthEnableAsync(new AuthEnableRequest());
        }
        await using (var c = await EtcdCoordinator.OpenAsync(etcd.Options("root:s3cret")))
        {
            await c.CreateAsync("/codis3/demo/topom", Bytes("authed"));
            await using var eph = await c.CreateEphemeralAsync("/jodis/demo/proxy-a", Bytes("x"));
            var w = await c.ListAndWatchAsync("/codis3/demo");
            await c.CreateAsync("/codis3/demo/proxy", Bytes("p"));
            Assert.True(await Task.WhenAny(w.Changed, Task.Delay(TimeSpan.FromSeconds(10))) == w.Changed);
            Assert.Equal("authed", (await c.ReadAsync("/codis3/demo/topom"))!.Text);
        }
        var bad = await Assert.ThrowsAnyAsync<CoordinatorException>(() => EtcdCoordinator.OpenAsync(etcd.Options("root:wrong")));
        Assert.Contains("authentication failed", bad.Message);
        await using var anonymous = await EtcdCoordinator.OpenAsync(etcd.Options()).ContinueWith(t => t.IsFaulted ? null : t.Result);
        Assert.Null(anonymous); // auth is on: no token, no access
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout)
    {
        var sw = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(sw.Elapsed < timeout, $"not within {timeout}");
            await Task.Delay(100);
        }
    }
}
