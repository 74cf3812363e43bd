using System.Diagnostics;
using System.Text;
using Codis.Coordinator.ZooKeeper;
using Codis.Coordinator.ZooKeeper.Client;
using Codis.Testing;

namespace Codis.Coordinator.Tests.ZooKeeper;

/// <summary>
/// The server going away for longer than the session timeout (the session is declared expired), hanging (calls
/// fail in time), refusing an oversized request. These stop the server, so they have their own; each test starts
/// it again if a previous one left it stopped.
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

    [Fact]
    public async Task A_hung_server_makes_calls_fail_within_the_timeout_and_work_again_after()
    {
        var opTimeout = TimeSpan.FromSeconds(1);
        await using var c = await zk.OpenAsync(TimeSpan.FromSeconds(10), operation: opTimeout);
        string root = Root();
        await c.CreateAsync(root, Bytes("a"));
        zk.Server.Pause(); // accepts connections, answers nothing
        try
        {
            var sw = Stopwatch.StartNew();
            var e = await Assert.ThrowsAsync<CoordinatorUnavailableException>(() => c.ReadAsync(root));
            Assert.True(sw.Elapsed < opTimeout + TimeSpan.FromSeconds(1.5), $"took {sw.Elapsed}");
            Assert.Contains(zk.Address, e.Message);
        }
        finally
        {
            zk.Server.Resume();
        }
        Assert.Equal("a", (await c.ReadAsync(root))!.Text);
    }

    [Fact]
    public async Task Data_over_the_server_packet_limit_is_refused_without_breaking_the_session()
    {
        await using var c = await zk.OpenAsync();
        string root = Root();
        await c.CreateAsync(root, Bytes("small"));
        long session = c.Client.SessionId;
        var e = await Assert.ThrowsAsync<ZooKeeperException>(() => c.UpdateAsync(root, new byte[ZooKeeperClient.MaxRequestLength + 1]));
        Assert.Contains("jute.maxbuffer", e.Message);
        await c.UpdateAsync(root, new byte[512 * 1024]); // big but allowed
        Assert.Equal(512 * 1024, (await c.ReadAsync(root))!.Data.Length);
        Assert.Equal(session, c.Client.SessionId);
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
