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

    /// <summary>(true, node) once the new session answers; (false, null) while it still connects.</summary>
    private static async Task<(bool, CoordinatorNode?)> ReadOrNotYet(ICoordinator c, string path)
    {
        try
        {
            return (true, await c.ReadAsync(path));
        }
        catch (CoordinatorUnavailableException)
        {
            return (false, null);
        }
    }

    /// <summary>Reads until one answers within the connection's short timeout.</summary>
    private static async Task WarmUp(ICoordinator c, string path)
    {
        while (!(await ReadOrNotYet(c, path)).Item1) await Task.Delay(100);
    }

    [Fact]
    public async Task A_hung_server_makes_calls_fail_within_the_timeout_and_work_again_after()
    {
        var opTimeout = TimeSpan.FromSeconds(1);
        string root = Root();
        // Set-up with the default timeout: a freshly started server on a loaded machine may take over a second
        // for its first requests, which is not what this test is about.
        await using (var setup = await zk.OpenAsync()) await setup.CreateAsync(root, Bytes("a"));
        await using var c = await zk.OpenConnectedAsync(TimeSpan.FromSeconds(10), opTimeout);
        await Within(WarmUp(c, root), TimeSpan.FromSeconds(20), "a first read on the 1 s connection");
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
        await using var c = await zk.OpenConnectedAsync(session, TimeSpan.FromSeconds(1));
        string root = Root();
        var eph = await c.CreateEphemeralAsync(root + "/lock", Bytes("held"));
        var w = await c.ReadAndWatchAsync(root + "/lock");
        var first = c.Client;
        zk.Server.Stop();

        // The dashboard lock must not be believed held once the server can have expired it.
        await Within(eph.Lost, session + TimeSpan.FromSeconds(3), "Lost after the session timeout without a server");
        Assert.Equal(ZkSessionState.Expired, first.State);
        await Within(w.Changed, TimeSpan.FromSeconds(1), "the watch ending");
        var e = await Assert.ThrowsAsync<SessionExpiredException>(() => eph.UpdateAsync(Bytes("x")));
        Assert.Contains(zk.Address, e.Message);
        // The coordinator moves on to a new session, which cannot connect yet.
        await Assert.ThrowsAsync<CoordinatorUnavailableException>(() => c.ReadAsync(root + "/lock"));

        zk.Server.Restart();
        // The restarted server resumes the old session's timer, so its node goes after one more timeout.
        var sw = Stopwatch.StartNew();
        while (await ReadOrNotYet(c, root + "/lock") is not (true, null))
        {
            Assert.True(sw.Elapsed < session + TimeSpan.FromSeconds(10), "the expired session's node stayed");
            await Task.Delay(100);
        }
        Assert.NotEqual(first.SessionId, c.Client.SessionId);
        await using var again = await c.CreateEphemeralAsync(root + "/lock", Bytes("again"));
        Assert.Equal("again", (await c.ReadAsync(root + "/lock"))!.Text);
    }
}
