using System.Diagnostics;
using System.Text;
using Codis.Coordinator.ZooKeeper;
using Codis.Coordinator.ZooKeeper.Client;
using Codis.Testing;

namespace Codis.Coordinator.Tests.ZooKeeper;

/// <summary>
/// The server going away: restarted (the session resumes, watches fire again), stopped (calls fail in time,
/// naming the address), gone for longer than the session timeout (the session is declared expired). These stop
/// the shared server, so they have their own; each test starts it again if a previous one left it stopped.
/// </summary>
public sealed class ZooKeeperFailureTests : IClassFixture<ZooKeeperFixture>
{
    private readonly ZooKeeperFixture zk;

    public ZooKeeperFailureTests(ZooKeeperFixture zk)
    {
        this.zk = zk;
        if (!zk.Server.Running) zk.Server.Restart();
    }

    private static byte[] Bytes(string s) => Encoding.UTF8.GetBytes(s);
    private static string Root() => "/zkf-" + Guid.NewGuid().ToString("N")[..10];

    private static async Task Within(Task task, TimeSpan timeout, string what)
    {
        var done = await Task.WhenAny(task, Task.Delay(timeout));
        Assert.True(done == task, $"{what} did not happen within {timeout}");
        await task;
    }

    private static async Task WaitUntil(Func<bool> condition, TimeSpan timeout, string what)
    {
        var sw = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(sw.Elapsed < timeout, $"{what} did not happen within {timeout}");
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task A_restarted_server_gets_the_same_session_back_with_its_ephemerals_and_watches()
    {
        // The longest session the server allows (20 ticks), so a JVM restart fits in it.
        await using var c = await zk.OpenAsync(TimeSpan.FromSeconds(10));
        string root = Root();
        await c.CreateAsync(root + "/x", Bytes("a"));
        var eph = await c.CreateEphemeralAsync(root + "/proxy", Bytes("e"));
        long session = c.Client.SessionId;
        var node = await c.ReadAndWatchAsync(root + "/x");
        var children = await c.ListAndWatchAsync(root);

        zk.Server.Restart(hard: true); // kill -9 and start again on the same port and data
        await WaitUntil(() => c.Client.State == ZkSessionState.Connected && c.Client.ConnectedServer != null,
            TimeSpan.FromSeconds(8), "reconnect after the restart");
        Assert.Equal(session, c.Client.SessionId);
        Assert.Equal("a", (await c.ReadAsync(root + "/x"))!.Text);

        // The restarted server knew none of our watches: they came back with setWatches and fire again.
        await using var other = await zk.OpenAsync();
        Assert.Equal("e", (await other.ReadAsync(root + "/proxy"))!.Text);
        await other.UpdateAsync(root + "/x", Bytes("b"));
        await other.CreateAsync(root + "/y", Bytes("y"));
        await Within(node.Changed, TimeSpan.FromSeconds(5), "the node watch after the restart");
        await Within(children.Changed, TimeSpan.FromSeconds(5), "the children watch after the restart");
        Assert.False(eph.Lost.IsCompleted);
        await eph.UpdateAsync(Bytes("e2"));
        Assert.Equal("e2", (await other.ReadAsync(root + "/proxy"))!.Text);
    }

    [Fact]
    public async Task A_stopped_server_makes_calls_fail_within_the_timeout_naming_the_address()
    {
        var opTimeout = TimeSpan.FromSeconds(1);
        await using var c = await zk.OpenAsync(TimeSpan.FromSeconds(10), operation: opTimeout);
        string root = Root();
        await c.CreateAsync(root, Bytes("a"));
        zk.Server.Stop();

        foreach (var call in new Func<Task>[]
                 {
                     () => c.ReadAsync(root), () => c.UpdateAsync(root, Bytes("b")), () => c.CreateAsync(root + "/n", Bytes("n")),
                     () => c.ListAndWatchAsync(root), () => c.CreateEphemeralAsync(root + "/e", Bytes("e")),
                 })
        {
            var sw = Stopwatch.StartNew();
            var e = await Assert.ThrowsAsync<CoordinatorUnavailableException>(call);
            Assert.True(sw.Elapsed < opTimeout + TimeSpan.FromSeconds(1.5), $"took {sw.Elapsed}");
            Assert.Contains(zk.Address, e.Message);
        }

        // Opening a coordinator on a dead server fails the same way.
        var open = Stopwatch.StartNew();
        var oe = await Assert.ThrowsAsync<CoordinatorUnavailableException>(() => ZooKeeperCoordinator.OpenAsync(zk.Options(operation: opTimeout)));
        Assert.True(open.Elapsed < opTimeout + TimeSpan.FromSeconds(1.5), $"open took {open.Elapsed}");
        Assert.Contains(zk.Address, oe.Message);

        // Back within the session timeout: the same client carries on.
        zk.Server.Restart();
        await WaitUntil(() => c.Client.State == ZkSessionState.Connected, TimeSpan.FromSeconds(8), "reconnect");
        Assert.Equal("a", (await c.ReadAsync(root))!.Text);
    }

    [Fact]
    public async Task No_server_for_the_whole_session_timeout_ends_the_session_with_a_clear_error()
    {
        var session = TimeSpan.FromSeconds(2);
        await using var c = await zk.OpenAsync(session);
        string root = Root();
        var eph = await c.CreateEphemeralAsync(root + "/lock", Bytes("held"));
        var w = await c.ReadAndWatchAsync(root + "/lock");
        zk.Server.Stop();

        // The dashboard lock must not be believed held once the server can have expired it.
        await Within(eph.Lost, session + TimeSpan.FromSeconds(3), "Lost after the session timeout without a server");
        Assert.Equal(ZkSessionState.Expired, c.Client.State);
        await Within(w.Changed, TimeSpan.FromSeconds(1), "the watch ending");
        var e = await Assert.ThrowsAsync<SessionExpiredException>(() => c.ReadAsync(root + "/lock"));
        Assert.Contains(zk.Address, e.Message);

        zk.Server.Restart();
        await Assert.ThrowsAsync<SessionExpiredException>(() => c.ReadAsync(root + "/lock"));
        // A new coordinator gets a new session; the old session's node is gone by then (restarted server
        // resumes the session timers, so allow for its timeout).
        await using var fresh = await zk.OpenAsync();
        var sw = Stopwatch.StartNew();
        while (await fresh.ReadAsync(root + "/lock") != null)
        {
            Assert.True(sw.Elapsed < session + TimeSpan.FromSeconds(5), "the expired session's node stayed");
            await Task.Delay(100);
        }
    }
}
