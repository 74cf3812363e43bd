using System.Text;
using Codis.Coordinator;
using Codis.Testing;

namespace Codis.Coordinator.Tests.Contract;

/// <summary>
/// The behaviour every coordinator backend must show, written once. A backend's test class derives from this,
/// provides a running backend (a temp root, a real etcd or ZooKeeper started by a fixture) and says how a child
/// process opens the same backend. Each test works under its own product so tests never see each other's nodes.
/// Interior nodes (parents) hold no data in these tests: the filesystem backend keeps Codis's layout, where a
/// node with children is a directory.
/// </summary>
public abstract class CoordinatorContractTests
{
    /// <summary>A fresh client on the shared backend; the test disposes it.</summary>
    protected abstract Task<ICoordinator> OpenAsync();

    /// <summary>The options a child process passes to CoordinatorFactory.OpenAsync to reach the same backend.</summary>
    protected abstract CoordinatorOptions OwnerOptions { get; }

    /// <summary>How long after its owner process is killed an ephemeral node may still be seen.</summary>
    protected abstract TimeSpan EphemeralExpiry { get; }

    /// <summary>How long a watch may take to fire after the change (polling backends need more).</summary>
    protected virtual TimeSpan WatchTimeout => TimeSpan.FromSeconds(10);

    protected static byte[] Bytes(string s) => Encoding.UTF8.GetBytes(s);

    /// <summary>A product name no other test uses, so its subtree starts empty.</summary>
    protected static CoordinatorPaths NewProduct() => new("t" + Guid.NewGuid().ToString("N")[..12]);

    private async Task<(ICoordinator C, CoordinatorPaths P)> Start()
    {
        var c = await OpenAsync();
        return (c, NewProduct());
    }

    private async Task AssertFires(Task changed, string what)
    {
        var done = await Task.WhenAny(changed, Task.Delay(WatchTimeout));
        Assert.True(done == changed, $"watch did not fire within {WatchTimeout} after {what}");
        await changed; // never faults
    }

    private async Task WaitUntil(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(sw.Elapsed < timeout, $"{what} did not happen within {timeout}");
            await Task.Delay(50);
        }
    }

    /// <summary>Starts Codis.Coordinator.TestOwner holding an ephemeral node; returns the process and the node's real path.</summary>
    protected (ManagedProcess Owner, string Path) StartOwner(string path, bool sequential = false, string data = "owner")
    {
        var o = OwnerOptions;
        var args = new List<string>
        {
            Binaries.Dll("Codis.Coordinator.TestOwner"), "--name", o.Name, "--addr", o.Address,
            "--session-ms", ((int)o.SessionTimeout.TotalMilliseconds).ToString(), "--ephemeral", path, "--data", data,
        };
        if (o.Auth.Length > 0) args.AddRange(["--auth", o.Auth]);
        if (sequential) args.Add("--sequential");
        var p = new ManagedProcess("dotnet", args);
        try
        {
            var m = p.WaitForOutput(@"ready (\S+)", TimeSpan.FromSeconds(60)); // generous: CI machines can be loaded
            return (p, m.Groups[1].Value);
        }
        catch
        {
            p.Dispose();
            throw;
        }
    }

    // ---- create / read / update ----

    [Fact]
    public async Task Create_then_read_returns_the_data_and_a_second_create_fails()
    {
        var (c, p) = await Start();
        await using var _ = c;
        await c.CreateAsync(p.Topom, Bytes("{\"a\":1}"));
        var n = await c.ReadAsync(p.Topom);
        Assert.NotNull(n);
        Assert.Equal("{\"a\":1}", n.Text);
        var e = await Assert.ThrowsAsync<NodeExistsException>(() => c.CreateAsync(p.Topom, Bytes("other")));
        Assert.Equal(p.Topom, e.Path);
        Assert.Equal("{\"a\":1}", (await c.ReadAsync(p.Topom))!.Text);
    }

    [Fact]
    public async Task Create_makes_the_parents()
    {
        var (c, p) = await Start();
        await using var _ = c;
        await c.CreateAsync(p.Slot(7), Bytes("{}"));
        Assert.Equal(["slots"], await c.ListAsync(p.Root));
        Assert.Equal(["slot-0007"], await c.ListAsync(p.SlotsDir));
        Assert.NotNull(await c.ReadAsync(p.SlotsDir));
    }

    [Fact]
    public async Task Binary_and_empty_data_round_trip()
    {
        var (c, p) = await Start();
        await using var _ = c;
        byte[] all = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
        await c.CreateAsync(p.Root + "/bin", all);
        await c.CreateAsync(p.Root + "/empty", ReadOnlyMemory<byte>.Empty);
        Assert.Equal(all, (await c.ReadAsync(p.Root + "/bin"))!.Data.ToArray());
        var empty = await c.ReadAsync(p.Root + "/empty");
        Assert.NotNull(empty);
        Assert.Equal(0, empty.Data.Length);
    }

    [Fact]
    public async Task Read_of_a_missing_node_is_null()
    {
        var (c, p) = await Start();
        await using var _ = c;
        Assert.Null(await c.ReadAsync(p.Topom));
        Assert.Null(await c.ReadAsync(p.Root + "/no/such/deep/node"));
    }

    [Fact]
    public async Task Update_creates_a_missing_node_and_overwrites_an_existing_one()
    {
        var (c, p) = await Start();
        await using var _ = c;
        await c.UpdateAsync(p.Group(1), Bytes("v1"));
        var first = await c.ReadAsync(p.Group(1));
        Assert.Equal("v1", first!.Text);
        await c.UpdateAsync(p.Group(1), Bytes("v2"));
        var second = await c.ReadAsync(p.Group(1));
        Assert.Equal("v2", second!.Text);
        Assert.NotEqual(first.Version, second.Version);
        // A second client sees the same value.
        await using var other = await OpenAsync();
        Assert.Equal("v2", (await other.ReadAsync(p.Group(1)))!.Text);
    }

    // ---- compare-and-set ----

    [Fact]
    public async Task Update_many_writes_every_node_and_bumps_each_version()
    {
        var (c, p) = await Start();
        await using var _ = c;
        var first = Enumerable.Range(0, 300).Select(i => (p.Slot(i), (ReadOnlyMemory<byte>)Encoding.UTF8.GetBytes($"a{i}"))).ToList();
        await c.UpdateManyAsync(first);
        var second = Enumerable.Range(0, 300).Where(i => i % 2 == 0).Select(i => (p.Slot(i), (ReadOnlyMemory<byte>)Encoding.UTF8.GetBytes($"b{i}"))).ToList();
        await c.UpdateManyAsync(second);
        await c.UpdateManyAsync([]);
        await using var other = await OpenAsync();
        Assert.Equal(300, (await other.ListAsync(p.SlotsDir)).Count);
        var n0 = await other.ReadAsync(p.Slot(0));
        var n1 = await other.ReadAsync(p.Slot(1));
        Assert.Equal(("b0", "a1"), (n0!.Text, n1!.Text));
        Assert.True(n0.Version > n1!.Version, $"versions {n0.Version} / {n1.Version}");
        Assert.Equal("a299", (await other.ReadAsync(p.Slot(299)))!.Text);
    }

    [Fact]
    public async Task Compare_and_set_succeeds_on_the_read_version_and_returns_the_new_one()
    {
        var (c, p) = await Start();
        await using var _ = c;
        await c.CreateAsync(p.Sentinel, Bytes("a"));
        var n = await c.ReadAsync(p.Sentinel);
        long v = await c.CompareAndSetAsync(p.Sentinel, Bytes("b"), n!.Version);
        var after = await c.ReadAsync(p.Sentinel);
        Assert.Equal("b", after!.Text);
        Assert.Equal(v, after.Version);
        Assert.NotEqual(n.Version, v);
        // The returned version is usable for the next compare-and-set.
        long v2 = await c.CompareAndSetAsync(p.Sentinel, Bytes("c"), v);
        Assert.NotEqual(v, v2);
        Assert.Equal("c", (await c.ReadAsync(p.Sentinel))!.Text);
    }

    [Fact]
    public async Task Compare_and_set_with_a_stale_version_fails_and_keeps_the_value()
    {
        var (c, p) = await Start();
        await using var _ = c;
        await c.CreateAsync(p.Sentinel, Bytes("a"));
        var n = await c.ReadAsync(p.Sentinel);
        await using var other = await OpenAsync();
        await other.UpdateAsync(p.Sentinel, Bytes("someone else"));
        var e = await Assert.ThrowsAsync<VersionMismatchException>(() => c.CompareAndSetAsync(p.Sentinel, Bytes("mine"), n!.Version));
        Assert.Equal(p.Sentinel, e.Path);
        Assert.Equal("someone else", (await c.ReadAsync(p.Sentinel))!.Text);
    }

    [Fact]
    public async Task Compare_and_set_of_a_missing_node_fails_with_no_node()
    {
        var (c, p) = await Start();
        await using var _ = c;
        var e = await Assert.ThrowsAsync<NoNodeException>(() => c.CompareAndSetAsync(p.Sentinel, Bytes("x"), 1));
        Assert.Equal(p.Sentinel, e.Path);
        Assert.Null(await c.ReadAsync(p.Sentinel));
    }

    [Fact]
    public async Task Two_racing_compare_and_sets_on_one_version_have_one_winner()
    {
        var (c, p) = await Start();
        await using var _ = c;
        await using var other = await OpenAsync();
        await c.CreateAsync(p.Sentinel, Bytes("0"));
        long v = (await c.ReadAsync(p.Sentinel))!.Version;
        var results = await Task.WhenAll(
            Try(() => c.CompareAndSetAsync(p.Sentinel, Bytes("c"), v)),
            Try(() => other.CompareAndSetAsync(p.Sentinel, Bytes("other"), v)));
        Assert.Equal(1, results.Count(r => r));

        static async Task<bool> Try(Func<Task<long>> f)
        {
            try { await f(); return true; }
            catch (VersionMismatchException) { return false; }
        }
    }

    [Fact]
    public async Task Compare_and_set_increments_from_several_processes_lose_nothing()
    {
        var (c, p) = await Start();
        await using var _ = c;
        string counter = p.Root + "/counter";
        await c.CreateAsync(counter, Bytes("0"));
        var o = OwnerOptions;
        var workers = Enumerable.Range(0, 3).Select(_ => new ManagedProcess("dotnet",
        [
            Binaries.Dll("Codis.Coordinator.TestOwner"), "--name", o.Name, "--addr", o.Address, .. (o.Auth.Length > 0 ? new[] { "--auth", o.Auth } : []),
            // A long session: this test is about lost updates, not about surviving a pause on a loaded machine.
            "--session-ms", "30000", "--increment", counter, "--count", "20",
        ])).ToList();
        try
        {
            foreach (var w in workers)
            {
                Assert.True(w.WaitForExit(TimeSpan.FromSeconds(120)), $"a worker did not finish:\n{w.Output}");
                Assert.True(w.ExitCode == 0 && w.Output.Contains("done 20"), $"worker failed ({w.ExitCode}):\n{w.Output}");
            }
        }
        finally
        {
            foreach (var w in workers) w.Dispose();
        }
        Assert.Equal("60", (await c.ReadAsync(counter))!.Text);
    }

    // ---- delete ----

    [Fact]
    public async Task Delete_of_a_missing_node_is_not_an_error()
    {
        var (c, p) = await Start();
        await using var _ = c;
        await c.DeleteAsync(p.Topom);
        await c.DeleteAsync(p.Root + "/a/b/c", recursive: true);
        Assert.Null(await c.ReadAsync(p.Topom));
    }

    [Fact]
    public async Task Delete_removes_a_leaf()
    {
        var (c, p) = await Start();
        await using var _ = c;
        await c.CreateAsync(p.Proxy("x"), Bytes("1"));
        await c.DeleteAsync(p.Proxy("x"));
        Assert.Null(await c.ReadAsync(p.Proxy("x")));
        Assert.Empty(await c.ListAsync(p.ProxiesDir));
        // And it can be created again.
        await c.CreateAsync(p.Proxy("x"), Bytes("2"));
        Assert.Equal("2", (await c.ReadAsync(p.Proxy("x")))!.Text);
    }

    [Fact]
    public async Task Delete_of_a_node_with_children_fails_unless_recursive()
    {
        var (c, p) = await Start();
        await using var _ = c;
        await c.CreateAsync(p.Slot(1), Bytes("1"));
        await c.CreateAsync(p.Slot(2), Bytes("2"));
        await c.CreateAsync(p.Topom, Bytes("t"));
        var e = await Assert.ThrowsAsync<NotEmptyException>(() => c.DeleteAsync(p.SlotsDir));
        Assert.Equal(p.SlotsDir, e.Path);
        Assert.Equal("1", (await c.ReadAsync(p.Slot(1)))!.Text);

        await c.DeleteAsync(p.SlotsDir, recursive: true);
        Assert.Null(await c.ReadAsync(p.Slot(1)));
        Assert.Null(await c.ReadAsync(p.Slot(2)));
        Assert.Null(await c.ReadAsync(p.SlotsDir));
        Assert.Empty(await c.ListAsync(p.SlotsDir));
        Assert.Equal(["topom"], await c.ListAsync(p.Root));
        Assert.Equal("t", (await c.ReadAsync(p.Topom))!.Text);
    }

    [Fact]
    public async Task Recursive_delete_does_not_touch_a_sibling_sharing_the_name_prefix()
    {
        var (c, p) = await Start();
        await using var _ = c;
        await c.CreateAsync(p.Root + "/ab/x", Bytes("1"));
        await c.CreateAsync(p.Root + "/abc", Bytes("2"));
        await c.CreateAsync(p.Root + "/ab0", Bytes("3"));
        await c.DeleteAsync(p.Root + "/ab", recursive: true);
        Assert.Equal(["ab0", "abc"], await c.ListAsync(p.Root));
        Assert.Equal("2", (await c.ReadAsync(p.Root + "/abc"))!.Text);
    }

    // ---- list ----

    [Fact]
    public async Task List_returns_the_sorted_names_of_direct_children_only()
    {
        var (c, p) = await Start();
        await using var _ = c;
        foreach (var name in new[] { "b", "a", "c-1", "c", "B" })
            await c.CreateAsync(p.Root + "/d/" + name, Bytes(name));
        await c.CreateAsync(p.Root + "/d/x/grandchild", Bytes("g"));
        await c.CreateAsync(p.Root + "/dd", Bytes("not a child"));
        Assert.Equal(["B", "a", "b", "c", "c-1", "x"], await c.ListAsync(p.Root + "/d"));
        Assert.Equal(["grandchild"], await c.ListAsync(p.Root + "/d/x"));
    }

    [Fact]
    public async Task List_of_a_missing_node_is_empty()
    {
        var (c, p) = await Start();
        await using var _ = c;
        Assert.Empty(await c.ListAsync(p.ProxiesDir));
    }

    [Fact]
    public async Task List_of_1024_slots_is_complete_and_in_order()
    {
        var (c, p) = await Start();
        await using var _ = c;
        // 16 writes in flight, as a dashboard filling its slots would have; not 1024 racing one deadline.
        await Parallel.ForEachAsync(Enumerable.Range(0, 1024), new ParallelOptions { MaxDegreeOfParallelism = 16 },
            async (i, _) => await c.UpdateAsync(p.Slot(i), Bytes($"{{\"id\":{i}}}")));
        var names = await c.ListAsync(p.SlotsDir);
        Assert.Equal(Enumerable.Range(0, 1024).Select(i => $"slot-{i:D4}"), names);
        Assert.Equal("{\"id\":1023}", (await c.ReadAsync(p.Slot(1023)))!.Text);
    }

    // ---- watches ----

    [Fact]
    public async Task Node_watch_fires_on_change()
    {
        var (c, p) = await Start();
        await using var _ = c;
        await c.CreateAsync(p.Topom, Bytes("a"));
        var w = await c.ReadAndWatchAsync(p.Topom);
        Assert.Equal("a", w.Value!.Text);
        Assert.False(w.Changed.IsCompleted);
        await using var other = await OpenAsync();
        await other.UpdateAsync(p.Topom, Bytes("b"));
        await AssertFires(w.Changed, "an update");
        Assert.Equal("b", (await c.ReadAsync(p.Topom))!.Text);
    }

    [Fact]
    public async Task Node_watch_on_a_missing_node_fires_on_create()
    {
        var (c, p) = await Start();
        await using var _ = c;
        var w = await c.ReadAndWatchAsync(p.Topom);
        Assert.Null(w.Value);
        Assert.False(w.Changed.IsCompleted);
        await using var other = await OpenAsync();
        await other.CreateAsync(p.Topom, Bytes("new"));
        await AssertFires(w.Changed, "a create");
    }

    [Fact]
    public async Task Node_watch_fires_on_delete()
    {
        var (c, p) = await Start();
        await using var _ = c;
        await c.CreateAsync(p.Topom, Bytes("a"));
        var w = await c.ReadAndWatchAsync(p.Topom);
        await using var other = await OpenAsync();
        await other.DeleteAsync(p.Topom);
        await AssertFires(w.Changed, "a delete");
        Assert.Null(await c.ReadAsync(p.Topom));
    }

    [Fact]
    public async Task Children_watch_fires_when_a_child_is_added()
    {
        var (c, p) = await Start();
        await using var _ = c;
        await c.CreateAsync(p.Proxy("a"), Bytes("a"));
        var w = await c.ListAndWatchAsync(p.ProxiesDir);
        Assert.Equal(["proxy-a"], w.Value);
        Assert.False(w.Changed.IsCompleted);
        await using var other = await OpenAsync();
        await other.CreateAsync(p.Proxy("b"), Bytes("b"));
        await AssertFires(w.Changed, "a child was added");
        Assert.Equal(["proxy-a", "proxy-b"], await c.ListAsync(p.ProxiesDir));
    }

    [Fact]
    public async Task Children_watch_fires_when_a_child_is_removed()
    {
        var (c, p) = await Start();
        await using var _ = c;
        await c.CreateAsync(p.Proxy("a"), Bytes("a"));
        await c.CreateAsync(p.Proxy("b"), Bytes("b"));
        var w = await c.ListAndWatchAsync(p.ProxiesDir);
        Assert.Equal(["proxy-a", "proxy-b"], w.Value);
        await using var other = await OpenAsync();
        await other.DeleteAsync(p.Proxy("a"));
        await AssertFires(w.Changed, "a child was removed");
    }

    [Fact]
    public async Task Children_watch_on_a_missing_folder_fires_when_the_first_child_appears()
    {
        var (c, p) = await Start();
        await using var _ = c;
        var w = await c.ListAndWatchAsync(p.ProxiesDir);
        Assert.Empty(w.Value);
        await using var other = await OpenAsync();
        await other.CreateAsync(p.Proxy("a"), Bytes("a"));
        await AssertFires(w.Changed, "the first child was created");
    }

    [Fact]
    public async Task Watch_is_cancelled_by_its_token()
    {
        var (c, p) = await Start();
        await using var _ = c;
        using var cts = new CancellationTokenSource();
        var w = await c.ReadAndWatchAsync(p.Topom, cts.Token);
        cts.Cancel();
        var done = await Task.WhenAny(w.Changed, Task.Delay(WatchTimeout));
        Assert.True(done == w.Changed, "a cancelled watch did not complete");
        Assert.True(w.Changed.IsCanceled, "a cancelled watch should end cancelled");
    }

    // ---- ephemeral nodes ----

    [Fact]
    public async Task Ephemeral_node_is_visible_to_others_and_vanishes_on_dispose()
    {
        var (c, p) = await Start();
        await using var _ = c;
        await using var other = await OpenAsync();
        var e = await c.CreateEphemeralAsync(p.Jodis("tok"), Bytes("{\"addr\":\"x\"}"));
        Assert.Equal(p.Jodis("tok"), e.Path);
        Assert.Equal("{\"addr\":\"x\"}", (await other.ReadAsync(p.Jodis("tok")))!.Text);
        Assert.Equal(["proxy-tok"], await other.ListAsync(p.JodisDir));
        Assert.False(e.Lost.IsCompleted);
        await e.DisposeAsync();
        Assert.Null(await other.ReadAsync(p.Jodis("tok")));
        Assert.Empty(await other.ListAsync(p.JodisDir));
    }

    [Fact]
    public async Task Ephemeral_node_held_by_a_live_owner_cannot_be_created_again()
    {
        var (c, p) = await Start();
        await using var _ = c;
        await using var other = await OpenAsync();
        await using var e = await c.CreateEphemeralAsync(p.Jodis("tok"), Bytes("mine"));
        await Assert.ThrowsAsync<NodeExistsException>(() => other.CreateEphemeralAsync(p.Jodis("tok"), Bytes("theirs")));
        await Assert.ThrowsAsync<NodeExistsException>(() => other.CreateAsync(p.Jodis("tok"), Bytes("theirs")));
        Assert.Equal("mine", (await other.ReadAsync(p.Jodis("tok")))!.Text);
    }

    [Fact]
    public async Task Ephemeral_update_changes_the_data_and_keeps_it_ephemeral()
    {
        var (c, p) = await Start();
        await using var _ = c;
        await using var other = await OpenAsync();
        var e = await c.CreateEphemeralAsync(p.Jodis("tok"), Bytes("v1"));
        await e.UpdateAsync(Bytes("v2"));
        Assert.Equal("v2", (await other.ReadAsync(p.Jodis("tok")))!.Text);
        await e.DisposeAsync();
        Assert.Null(await other.ReadAsync(p.Jodis("tok")));
    }

    [Fact]
    public async Task Ephemeral_nodes_vanish_when_their_client_is_closed()
    {
        var (c, p) = await Start();
        await using var other = await OpenAsync();
        await c.CreateEphemeralAsync(p.Jodis("a"), Bytes("a"));
        await c.CreateEphemeralAsync(p.Jodis("b"), Bytes("b"));
        Assert.Equal(2, (await other.ListAsync(p.JodisDir)).Count);
        await c.DisposeAsync();
        Assert.Empty(await other.ListAsync(p.JodisDir));
    }

    [Fact]
    public async Task Ephemeral_lost_fires_when_someone_else_deletes_it()
    {
        var (c, p) = await Start();
        await using var _ = c;
        await using var other = await OpenAsync();
        await using var e = await c.CreateEphemeralAsync(p.Jodis("tok"), Bytes("x"));
        await other.DeleteAsync(p.Jodis("tok"));
        await AssertFires(e.Lost, "the ephemeral node was deleted by another client");
    }

    [Fact]
    public async Task Ephemeral_node_vanishes_when_its_owner_process_is_killed()
    {
        var (c, p) = await Start();
        await using var _ = c;
        var (owner, path) = StartOwner(p.Jodis("tok"), data: "from-child");
        using (owner)
        {
            Assert.Equal(p.Jodis("tok"), path);
            Assert.Equal("from-child", (await c.ReadAsync(path))!.Text);
            await Assert.ThrowsAsync<NodeExistsException>(() => c.CreateEphemeralAsync(path, Bytes("mine")));
            var w = await c.ListAndWatchAsync(p.JodisDir);
            owner.Kill(); // kill -9: no chance to clean up
            await WaitUntil(async () => await c.ReadAsync(path) == null, EphemeralExpiry + TimeSpan.FromSeconds(5), "the dead owner's node to vanish");
            await AssertFires(w.Changed, "the owner was killed");
            Assert.Empty(await c.ListAsync(p.JodisDir));
        }
        // The path is free again for a new owner.
        await using var mine = await c.CreateEphemeralAsync(path, Bytes("mine"));
        Assert.Equal("mine", (await c.ReadAsync(path))!.Text);
    }

    [Fact]
    public async Task Ephemeral_node_stays_while_its_owner_process_lives()
    {
        var (c, p) = await Start();
        await using var _ = c;
        var (owner, path) = StartOwner(p.Jodis("tok"));
        using (owner)
        {
            // Longer than the session timeout: keep-alives / liveness checks must keep it.
            await Task.Delay(OwnerOptions.SessionTimeout + TimeSpan.FromSeconds(1));
            Assert.NotNull(await c.ReadAsync(path));
            Assert.False(owner.HasExited);
        }
    }

    [Fact]
    public async Task Sequential_ephemeral_names_increase()
    {
        var (c, p) = await Start();
        await using var _ = c;
        string prefix = p.JodisDir + "/seq-";
        var nodes = new List<IEphemeralNode>();
        for (int i = 0; i < 5; i++) nodes.Add(await c.CreateEphemeralAsync(prefix, Bytes($"n{i}"), sequential: true));
        var (owner, childPath) = StartOwner(prefix, sequential: true);
        using (owner)
        {
            nodes.Add(await c.CreateEphemeralAsync(prefix, Bytes("last"), sequential: true));
            var paths = nodes.Select(n => n.Path).ToList();
            paths.Insert(5, childPath);
            var suffixes = new List<long>();
            foreach (var path in paths)
            {
                Assert.StartsWith(prefix, path);
                string suffix = path[prefix.Length..];
                Assert.Equal(10, suffix.Length);
                Assert.True(suffix.All(char.IsAsciiDigit), $"suffix '{suffix}' is not 10 digits");
                suffixes.Add(long.Parse(suffix));
            }
            for (int i = 1; i < suffixes.Count; i++) Assert.True(suffixes[i] > suffixes[i - 1], $"sequence did not increase: {string.Join(",", suffixes)}");
            Assert.Equal("n2", (await c.ReadAsync(nodes[2].Path))!.Text);
            Assert.Equal(paths.Select(CoordinatorPath.Name).Order(StringComparer.Ordinal), await c.ListAsync(p.JodisDir));
        }
        foreach (var n in nodes) await n.DisposeAsync();
    }

    // ---- paths, products, close ----

    public static TheoryData<string> InvalidPaths => ["", "codis3", "/codis3/", "/codis3//x", "/codis3/../etc", "/codis3/./x", "/..", "/a/b/.."];

    [Theory]
    [MemberData(nameof(InvalidPaths))]
    public async Task Invalid_paths_are_rejected_by_every_operation(string path)
    {
        await using var c = await OpenAsync();
        await Assert.ThrowsAsync<InvalidPathException>(() => c.CreateAsync(path, Bytes("x")));
        await Assert.ThrowsAsync<InvalidPathException>(() => c.UpdateAsync(path, Bytes("x")));
        await Assert.ThrowsAsync<InvalidPathException>(() => c.CompareAndSetAsync(path, Bytes("x"), 0));
        await Assert.ThrowsAsync<InvalidPathException>(() => c.DeleteAsync(path, recursive: true));
        await Assert.ThrowsAsync<InvalidPathException>(() => c.ReadAsync(path));
        await Assert.ThrowsAsync<InvalidPathException>(() => c.ListAsync(path));
        await Assert.ThrowsAsync<InvalidPathException>(() => c.ReadAndWatchAsync(path));
        await Assert.ThrowsAsync<InvalidPathException>(() => c.ListAndWatchAsync(path));
        await Assert.ThrowsAsync<InvalidPathException>(() => c.CreateEphemeralAsync(path, Bytes("x")));
    }

    [Fact]
    public async Task Two_products_do_not_see_each_other()
    {
        await using var c = await OpenAsync();
        var p1 = NewProduct();
        var p2 = NewProduct();
        await c.CreateAsync(p1.Topom, Bytes("one"));
        await c.CreateAsync(p1.Slot(0), Bytes("s1"));
        Assert.Null(await c.ReadAsync(p2.Topom));
        await c.CreateAsync(p2.Topom, Bytes("two"));
        Assert.Equal("one", (await c.ReadAsync(p1.Topom))!.Text);
        Assert.Empty(await c.ListAsync(p2.SlotsDir));
        await c.DeleteAsync(p2.Root, recursive: true);
        Assert.Null(await c.ReadAsync(p2.Topom));
        Assert.Equal("one", (await c.ReadAsync(p1.Topom))!.Text);
        Assert.Equal(["slot-0000"], await c.ListAsync(p1.SlotsDir));
        var roots = await c.ListAsync("/codis3");
        Assert.Contains(p1.Product, roots);
        Assert.DoesNotContain(p2.Product, roots);
    }

    [Fact]
    public async Task A_closed_client_refuses_work_and_close_is_idempotent()
    {
        var (c, p) = await Start();
        var w = await c.ReadAndWatchAsync(p.Topom);
        await c.DisposeAsync();
        await c.DisposeAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => c.ReadAsync(p.Topom));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => c.CreateAsync(p.Topom, Bytes("x")));
        var done = await Task.WhenAny(w.Changed, Task.Delay(WatchTimeout));
        Assert.True(done == w.Changed, "close did not end the watch");
    }
}
