using System.Diagnostics;
using System.Text;
using Codis.Coordinator.ZooKeeper.Client;
using Codis.Coordinator.ZooKeeper.Protocol;
using Codis.Testing;

namespace Codis.Coordinator.Tests.ZooKeeper;

/// <summary>The wire client and the ZooKeeper-specific behaviour against a real ZooKeeper 3.8 (one per class).</summary>
public sealed class ZooKeeperClientTests(ZooKeeperFixture zk) : IClassFixture<ZooKeeperFixture>
{
    private static byte[] Bytes(string s) => Encoding.UTF8.GetBytes(s);
    private static string Root() => "/zkt-" + Guid.NewGuid().ToString("N")[..10];

    private static async Task Within(Task task, TimeSpan timeout, string what)
    {
        var done = await Task.WhenAny(task, Task.Delay(timeout));
        Assert.True(done == task, $"{what} did not happen within {timeout}");
        await task;
    }

    private static async Task WaitUntil(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var sw = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(sw.Elapsed < timeout, $"{what} did not happen within {timeout}");
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task Sequential_nodes_get_increasing_10_digit_suffixes()
    {
        await using var c = await zk.ClientAsync();
        string root = Root();
        await c.CreateAsync(root, ReadOnlyMemory<byte>.Empty);
        var names = new List<string>();
        for (int i = 0; i < 3; i++) names.Add(await c.CreateAsync(root + "/n-", Bytes("x"), ZkCreateMode.PersistentSequential));
        Assert.Equal([root + "/n-0000000000", root + "/n-0000000001", root + "/n-0000000002"], names);
    }

    [Fact]
    public async Task Multi_applies_every_op_and_returns_their_results()
    {
        await using var c = await zk.ClientAsync();
        string root = Root();
        await c.CreateAsync(root, Bytes("v0"));
        var results = await c.MultiAsync([ZkOp.Check(root, 0), ZkOp.SetData(root, Bytes("v1")), ZkOp.Create(root + "/a", Bytes("a"))]);
        Assert.Equal([ZkOpCode.Check, ZkOpCode.SetData, ZkOpCode.Create], results.Select(r => r.Type));
        Assert.Equal(1, results[1].Stat!.Value.Version);
        Assert.Equal(root + "/a", results[2].CreatedPath);
        Assert.Equal("v1", Encoding.UTF8.GetString((await c.GetDataAsync(root))!.Value.Data));
        Assert.NotNull(await c.ExistsAsync(root + "/a"));
    }

    [Fact]
    public async Task Multi_with_one_failing_op_applies_none()
    {
        await using var c = await zk.ClientAsync();
        string root = Root();
        await c.CreateAsync(root, Bytes("v0"));
        var e = await Assert.ThrowsAsync<VersionMismatchException>(() =>
            c.MultiAsync([ZkOp.Create(root + "/a", Bytes("a")), ZkOp.SetData(root, Bytes("v1")), ZkOp.Check(root, 7), ZkOp.Delete(root + "/none")]));
        Assert.Equal(root, e.Path);
        Assert.Null(await c.ExistsAsync(root + "/a"));
        var data = await c.GetDataAsync(root);
        Assert.Equal("v0", Encoding.UTF8.GetString(data!.Value.Data));
        Assert.Equal(0, data.Value.Stat.Version);
        await Assert.ThrowsAsync<NodeExistsException>(() => c.MultiAsync([ZkOp.Create(root + "/b", Bytes("")), ZkOp.Create(root, Bytes(""))]));
        Assert.Null(await c.ExistsAsync(root + "/b"));
    }

    [Fact]
    public async Task Data_child_and_exist_watches_deliver_their_events_once()
    {
        await using var c = await zk.ClientAsync();
        await using var other = await zk.ClientAsync();
        string root = Root();
        await c.CreateAsync(root, Bytes("a"));
        var data = new ZkWatch(root);
        var child = new ZkWatch(root);
        var exist = new ZkWatch(root + "/later");
        Assert.NotNull(await c.GetDataAsync(root, data));
        Assert.NotNull(await c.GetChildrenAsync(root, child));
        Assert.Null(await c.ExistsAsync(root + "/later", exist));
        Assert.Equal(3, c.WatchCount);

        await other.SetDataAsync(root, Bytes("b"));
        await Within(data.Changed, TimeSpan.FromSeconds(5), "the data watch");
        Assert.Equal(new ZkWatchedEvent(ZkEventType.NodeDataChanged, ZkKeeperState.SyncConnected, root), await data.Changed);
        Assert.False(child.Changed.IsCompleted); // data changes do not touch child watches

        await other.CreateAsync(root + "/later", Bytes("x"));
        await Within(Task.WhenAll(child.Changed, exist.Changed), TimeSpan.FromSeconds(5), "the child and exist watches");
        Assert.Equal(ZkEventType.NodeChildrenChanged, (await child.Changed).Type);
        Assert.Equal(ZkEventType.NodeCreated, (await exist.Changed).Type);
        Assert.Equal(0, c.WatchCount); // one-shot
    }

    [Fact]
    public async Task Pipelined_requests_are_matched_to_their_replies()
    {
        await using var c = await zk.ClientAsync();
        string root = Root();
        await c.CreateAsync(root, ReadOnlyMemory<byte>.Empty);
        await Task.WhenAll(Enumerable.Range(0, 200).Select(i => c.CreateAsync($"{root}/n{i}", Bytes($"value-{i}"))));
        var reads = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => c.GetDataAsync($"{root}/n{i}")));
        for (int i = 0; i < 200; i++) Assert.Equal($"value-{i}", Encoding.UTF8.GetString(reads[i]!.Value.Data));
        var children = await c.GetChildrenAsync(root);
        Assert.Equal(200, children!.Value.Children.Count);
        Assert.Equal(200, children.Value.Stat.NumChildren);
    }

    [Fact]
    public async Task Session_timeout_is_negotiated_within_the_server_bounds()
    {
        await using var big = await zk.ClientAsync(TimeSpan.FromSeconds(100));
        await using var small = await zk.ClientAsync(TimeSpan.FromMilliseconds(100));
        Assert.Equal(TimeSpan.FromMilliseconds(20 * zk.Server.TickMs), big.NegotiatedTimeout);
        Assert.Equal(TimeSpan.FromMilliseconds(2 * zk.Server.TickMs), small.NegotiatedTimeout);
        Assert.NotEqual(big.SessionId, small.SessionId);
        Assert.Equal(16, big.SessionPassword.Length);
    }

    [Fact]
    public async Task Digest_auth_gives_nodes_an_acl_only_that_user_passes()
    {
        string root = Root();
        await using (var owner = await zk.OpenAsync(auth: "codis:secret"))
            await owner.CreateAsync(root + "/topom", Bytes("locked"));

        await using var same = await zk.OpenAsync(auth: "codis:secret");
        Assert.Equal("locked", (await same.ReadAsync(root + "/topom"))!.Text);
        await same.UpdateAsync(root + "/topom", Bytes("mine"));

        await using var anonymous = await zk.OpenAsync();
        var e = await Assert.ThrowsAsync<ZooKeeperException>(() => anonymous.ReadAsync(root + "/topom"));
        Assert.Equal(ZkErrorCode.NoAuth, e.Code);
        Assert.Contains(root + "/topom", e.Message);
        await using var wrong = await zk.OpenAsync(auth: "codis:wrong");
        Assert.Equal(ZkErrorCode.NoAuth, (await Assert.ThrowsAsync<ZooKeeperException>(() => wrong.UpdateAsync(root + "/topom", Bytes("x")))).Code);

        // Credentials added later to a session count too.
        await using var late = await zk.ClientAsync();
        await late.AddAuthAsync("digest", Bytes("codis:secret"));
        Assert.Equal("mine", Encoding.UTF8.GetString((await late.GetDataAsync(root + "/topom"))!.Value.Data));
    }

    [Fact]
    public async Task Rejected_credentials_fail_clearly_and_are_not_replayed()
    {
        await using var c = await zk.ClientAsync();
        long session = c.SessionId;
        var e = await Assert.ThrowsAsync<ZooKeeperException>(() => c.AddAuthAsync("no-such-scheme", Bytes("x")));
        Assert.Equal(ZkErrorCode.AuthFailed, e.Code);
        // The server dropped the connection; the session carries on without the bad credentials.
        string root = Root();
        var sw = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await c.CreateAsync(root, Bytes("ok"));
                break;
            }
            catch (CoordinatorUnavailableException) when (sw.Elapsed < TimeSpan.FromSeconds(5))
            {
                await Task.Delay(50);
            }
        }
        Assert.Equal(session, c.SessionId);
        Assert.NotNull(await c.ExistsAsync(root));
    }

    [Fact]
    public async Task A_dead_first_server_in_the_list_is_skipped()
    {
        int dead = ManagedProcess.FreePort();
        var options = zk.Options() with { Address = $"127.0.0.1:{dead},{zk.Address}" };
        await using var c = await ZooKeeperCoordinatorOpen(options);
        string root = Root();
        await c.CreateAsync(root, Bytes("ok"));
        Assert.Equal("ok", (await c.ReadAsync(root))!.Text);
    }

    private static async Task<ICoordinator> ZooKeeperCoordinatorOpen(CoordinatorOptions o) => await CoordinatorFactory.OpenAsync(o);

    [Fact]
    public async Task A_cut_connection_resumes_the_same_session_and_rearms_watches()
    {
        await using var c = await zk.OpenAsync();
        await using var other = await zk.OpenAsync();
        string root = Root();
        await c.CreateAsync(root + "/x", Bytes("a"));
        await using var eph = await c.CreateEphemeralAsync(root + "/eph", Bytes("e"));
        long session = c.Client.SessionId;
        var w = await c.ReadAndWatchAsync(root + "/x");

        c.Client.DropConnection(); // the server forgets this connection's watches; setWatches must bring them back
        await WaitUntil(() => Task.FromResult(c.Client.State == ZkSessionState.Connected && c.Client.ConnectedServer != null),
            TimeSpan.FromSeconds(5), "reconnect");
        Assert.Equal("a", (await c.ReadAsync(root + "/x"))!.Text);
        Assert.Equal(session, c.Client.SessionId);
        Assert.False(w.Changed.IsCompleted);

        await other.UpdateAsync(root + "/x", Bytes("b"));
        await Within(w.Changed, TimeSpan.FromSeconds(5), "the re-armed watch");
        Assert.Equal("e", (await other.ReadAsync(root + "/eph"))!.Text);
        Assert.False(eph.Lost.IsCompleted);
    }

    [Fact]
    public async Task A_lost_server_of_the_list_hands_the_session_to_the_next_and_changes_made_meanwhile_fire()
    {
        using var a = new TcpRelay(zk.Server.Port);
        using var b = new TcpRelay(zk.Server.Port);
        var relays = new Dictionary<string, TcpRelay> { [a.Address] = a, [b.Address] = b };
        await using var c = (Codis.Coordinator.ZooKeeper.ZooKeeperCoordinator)await CoordinatorFactory.OpenAsync(
            zk.Options(TimeSpan.FromSeconds(8)) with { Address = $"{a.Address},{b.Address}" });
        await using var other = await zk.OpenAsync();
        string root = Root();
        await c.CreateAsync(root + "/x", Bytes("a"));
        await using var eph = await c.CreateEphemeralAsync(root + "/eph", Bytes("e"));
        long session = c.Client.SessionId;
        var w = await c.ReadAndWatchAsync(root + "/x");

        // Both "servers" unreachable; the node changes meanwhile; then one comes back.
        string first = c.Client.ConnectedServer!;
        var down = relays[first];
        var up = relays.Values.Single(r => r != down);
        up.Refuse();
        down.Refuse();
        await WaitUntil(() => Task.FromResult(c.Client.ConnectedServer == null), TimeSpan.FromSeconds(5), "the disconnect");
        await other.UpdateAsync(root + "/x", Bytes("changed while away"));
        Assert.False(w.Changed.IsCompleted);
        up.Accept();

        // setWatches carries the last zxid seen: the server fires what changed in between.
        await Within(w.Changed, TimeSpan.FromSeconds(8), "the watch for a change made while disconnected");
        Assert.Equal(up.Address, c.Client.ConnectedServer);
        Assert.Equal(session, c.Client.SessionId);
        Assert.Equal("changed while away", (await c.ReadAsync(root + "/x"))!.Text);
        Assert.Equal("e", (await other.ReadAsync(root + "/eph"))!.Text);
        Assert.False(eph.Lost.IsCompleted);
    }

    [Fact]
    public async Task A_frozen_owner_loses_its_ephemeral_and_then_learns_its_session_expired()
    {
        var session = TimeSpan.FromSeconds(2);
        await using var owner = await zk.OpenAsync(session);
        await using var observer = await zk.OpenAsync();
        string root = Root();
        var node = await owner.CreateEphemeralAsync(root + "/lock", Bytes("held"));
        var watched = await owner.ReadAndWatchAsync(root + "/other");

        owner.Client.Freeze(); // no pings, no reads: the server hears nothing
        var sw = Stopwatch.StartNew();
        await WaitUntil(async () => await observer.ReadAsync(root + "/lock") == null, session + TimeSpan.FromSeconds(5), "the frozen owner's node to vanish");
        Assert.True(sw.Elapsed >= session - TimeSpan.FromMilliseconds(300), $"the node vanished after {sw.Elapsed}, before the session timeout");

        owner.Client.Thaw(); // the owner wakes up: reconnecting tells it the session is gone
        await Within(owner.Client.Expired, TimeSpan.FromSeconds(5), "the owner noticing the expiry");
        await Within(node.Lost, TimeSpan.FromSeconds(2), "Lost");
        await Within(watched.Changed, TimeSpan.FromSeconds(2), "its watches firing");
        var e = await Assert.ThrowsAsync<SessionExpiredException>(() => owner.ReadAsync(root + "/lock"));
        Assert.Contains("expired", e.Message);
        await Assert.ThrowsAsync<SessionExpiredException>(() => node.UpdateAsync(Bytes("x")));
        // The lock is free for someone else.
        await using var next = await observer.CreateEphemeralAsync(root + "/lock", Bytes("next"));
    }

    [Fact]
    public async Task A_stopped_owner_process_loses_its_ephemeral_within_the_session_timeout()
    {
        string root = Root();
        var o = zk.Options(TimeSpan.FromSeconds(2));
        using var owner = new ManagedProcess("dotnet",
            [Binaries.Dll("Codis.Coordinator.TestOwner"), "--name", "zookeeper", "--addr", o.Address, "--session-ms", "2000",
             "--ephemeral", root + "/proxy-1", "--data", "child"]);
        var path = owner.WaitForOutput(@"ready (\S+)", TimeSpan.FromSeconds(30)).Groups[1].Value;
        await using var observer = await zk.OpenAsync();
        Assert.Equal("child", (await observer.ReadAsync(path))!.Text);
        var w = await observer.ListAndWatchAsync(root);
        owner.Signal(19); // SIGSTOP: the process is alive but silent
        try
        {
            await WaitUntil(async () => await observer.ReadAsync(path) == null, TimeSpan.FromSeconds(2 + 5), "the stopped owner's node to vanish");
            await Within(w.Changed, TimeSpan.FromSeconds(2), "the children watch");
        }
        finally
        {
            owner.Signal(18); // SIGCONT so Dispose can stop it
        }
    }
}
