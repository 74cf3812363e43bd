using System.Diagnostics;
using System.Text;
using Codis.Coordinator.ZooKeeper;
using Codis.Coordinator.ZooKeeper.Client;

namespace Codis.Coordinator.Tests.ZooKeeper;

/// <summary>
/// The server restarted (the session resumes with its ephemerals, watches fire again) or stopped for a while
/// (calls fail in time naming the address, then carry on). On a slow-tick server so sessions can be long
/// enough to outlive a JVM restart on a loaded machine.
/// </summary>
public sealed class ZooKeeperRestartTests : IClassFixture<SlowTickZooKeeperFixture>
{
    private static readonly TimeSpan LongSession = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan ReconnectWithin = TimeSpan.FromSeconds(20);
    private readonly SlowTickZooKeeperFixture zk;

    public ZooKeeperRestartTests(SlowTickZooKeeperFixture zk)
    {
        this.zk = zk;
        if (!zk.Server.Running) zk.Server.Restart();
    }

    private static byte[] Bytes(string s) => Encoding.UTF8.GetBytes(s);
    private static string Root() => "/zkr-" + Guid.NewGuid().ToString("N")[..10];

    private static async Task Within(Task task, TimeSpan timeout, string what)
    {
        var done = await Task.WhenAny(task, Task.Delay(timeout));
        Assert.True(done == task, $"{what} did not happen within {timeout}");
        await task;
    }

    private static async Task WaitForSession(ZooKeeperCoordinator c, TimeSpan timeout, string what)
    {
        var sw = Stopwatch.StartNew();
        while (!(c.Client.State == ZkSessionState.Connected && c.Client.ConnectedServer != null))
        {
            Assert.True(sw.Elapsed < timeout, $"{what} did not happen within {timeout} (session {c.Client.State}, last error: {c.Client.LastError})");
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task A_restarted_server_gets_the_same_session_back_with_its_ephemerals_and_watches()
    {
        await using var c = await zk.OpenAsync(LongSession);
        string root = Root();
        await c.CreateAsync(root + "/x", Bytes("a"));
        var eph = await c.CreateEphemeralAsync(root + "/proxy", Bytes("e"));
        long session = c.Client.SessionId;
        var node = await c.ReadAndWatchAsync(root + "/x");
        var children = await c.ListAndWatchAsync(root);

        zk.Server.Restart(hard: true); // kill -9 and start again on the same port and data
        await WaitForSession(c, ReconnectWithin, "reconnect after the restart");
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
        await using var c = await zk.OpenConnectedAsync(LongSession, opTimeout);
        string root = Root();
        // Set-up on a live server: a busy disk can make one create outlast the short timeout, so try again.
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                await c.CreateAsync(root, Bytes("a"));
                break;
            }
            catch (NodeExistsException) { break; } // an earlier attempt's create landed after its timeout
            catch (CoordinatorUnavailableException) when (attempt < 10) { }
        }
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
        await WaitForSession(c, ReconnectWithin, "reconnect");
        Assert.Equal("a", (await c.ReadAsync(root))!.Text);
    }
}
