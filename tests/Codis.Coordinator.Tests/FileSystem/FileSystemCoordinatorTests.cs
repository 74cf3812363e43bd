using System.Text;
using System.Text.Json;
using Codis.Coordinator.FileSystem;
using Codis.Testing;

namespace Codis.Coordinator.Tests.FileSystem;

/// <summary>What only the filesystem backend has: Codis's on-disk layout, several processes, crashes, the lock file.</summary>
public sealed class FileSystemCoordinatorTests : IDisposable
{
    private readonly FileSystemRoot root = new();

    public void Dispose() => root.Dispose();

    private static byte[] Bytes(string s) => Encoding.UTF8.GetBytes(s);

    private ManagedProcess Child(params string[] args)
        => new("dotnet", [Binaries.Dll("Codis.Coordinator.TestOwner"), "--name", "filesystem", "--addr", root.Path, .. args]);

    [Fact]
    public async Task Values_are_plain_files_in_codis_layout()
    {
        await using var c = await FileSystemCoordinator.OpenAsync(root.Options);
        await c.CreateAsync("/codis3/demo/slots/slot-0001", Bytes("{\n    \"id\": 1\n}"));
        Assert.Equal("{\n    \"id\": 1\n}", File.ReadAllText(Path.Combine(root.Path, "data/codis3/demo/slots/slot-0001")));
        Assert.True(Directory.Exists(Path.Combine(root.Path, "temp")));
        Assert.True(File.Exists(Path.Combine(root.Path, "data.lck")));
        Assert.Empty(Directory.GetFiles(Path.Combine(root.Path, "temp")));
    }

    [Fact]
    public async Task A_file_written_by_another_tool_is_read_and_its_overwrite_is_noticed()
    {
        // Go Codis (or an admin by hand) writes data/ files without our meta/ records.
        string file = Path.Combine(root.Path, "data/codis3/demo/topom");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        File.WriteAllText(file, "{\"token\":\"go\"}");
        await using var c = await FileSystemCoordinator.OpenAsync(root.Options);
        var n = await c.ReadAsync("/codis3/demo/topom");
        Assert.Equal("{\"token\":\"go\"}", n!.Text);
        Assert.Equal(["topom"], await c.ListAsync("/codis3/demo"));
        long v = await c.CompareAndSetAsync("/codis3/demo/topom", Bytes("{\"token\":\"ours\"}"), n.Version);
        // Someone outside rewrites it: a compare-and-set on our last version must now fail.
        File.WriteAllText(file, "{\"token\":\"outside\"}");
        await Assert.ThrowsAsync<VersionMismatchException>(() => c.CompareAndSetAsync("/codis3/demo/topom", Bytes("x"), v));
        Assert.Equal("{\"token\":\"outside\"}", (await c.ReadAsync("/codis3/demo/topom"))!.Text);
    }

    [Fact]
    public async Task Processes_racing_to_create_one_node_have_exactly_one_winner()
    {
        string go = Path.Combine(root.Path, "go");
        var racers = Enumerable.Range(0, 4).Select(i => Child("--create", "/codis3/demo/topom", "--data", $"racer-{i}", "--go-file", go)).ToList();
        try
        {
            foreach (var r in racers) r.WaitForOutput("armed", TimeSpan.FromSeconds(30));
            File.WriteAllText(go, "");
            // WaitForExit also waits for the redirected output to drain.
            foreach (var r in racers) Assert.True(r.WaitForExit(TimeSpan.FromSeconds(30)), "a racer did not finish");
            var outcomes = racers.Select(r => System.Text.RegularExpressions.Regex.Match(r.Output, "won|lost").Value).ToList();
            for (int i = 0; i < racers.Count; i++) Assert.True(outcomes[i] != "", $"racer {i} (exit {racers[i].ExitCode}) said:\n{racers[i].Output}");
            Assert.Equal(1, outcomes.Count(o => o == "won"));
            int winner = outcomes.IndexOf("won");
            await using var c = await FileSystemCoordinator.OpenAsync(root.Options);
            Assert.Equal($"racer-{winner}", (await c.ReadAsync("/codis3/demo/topom"))!.Text);
        }
        finally
        {
            foreach (var r in racers) r.Dispose();
        }
    }

    [Fact]
    public async Task An_ephemeral_of_a_killed_owner_can_be_taken_over_at_once()
    {
        await using var c = await FileSystemCoordinator.OpenAsync(root.Options);
        using var owner = Child("--ephemeral", "/codis3/demo/topom", "--data", "first");
        owner.WaitForOutput("ready", TimeSpan.FromSeconds(30));
        await Assert.ThrowsAsync<NodeExistsException>(() => c.CreateEphemeralAsync("/codis3/demo/topom", Bytes("second")));
        owner.Kill();
        // No waiting, no session timeout: the owner's pid is gone, so the node is stale now.
        await using var mine = await c.CreateEphemeralAsync("/codis3/demo/topom", Bytes("second"));
        Assert.Equal("second", (await c.ReadAsync("/codis3/demo/topom"))!.Text);
    }

    [Fact]
    public async Task An_owner_recorded_with_the_right_pid_but_another_start_time_is_dead()
    {
        // pid reuse: the recorded pid runs (it is us), but it is not the process that created the node.
        await using var c = await FileSystemCoordinator.OpenAsync(root.Options);
        await c.CreateAsync("/codis3/demo/jodis", Bytes("x"));
        var fake = ProcessIdentity.Owner("not-a-session", TimeSpan.FromSeconds(30)) with { Start = ProcessIdentity.Start - 100 };
        WriteMeta("/codis3/demo/jodis", Bytes("x"), fake);
        Assert.Null(await c.ReadAsync("/codis3/demo/jodis"));
    }

    [Fact]
    public async Task An_owner_on_another_host_lives_as_long_as_its_heartbeat()
    {
        await using var c = await FileSystemCoordinator.OpenAsync(root.Options);
        await c.CreateAsync("/codis3/demo/remote", Bytes("x"));
        var remote = ProcessIdentity.Owner("remote-session", TimeSpan.FromSeconds(3)) with { Host = "some-other-host", Pid = 1 };
        WriteMeta("/codis3/demo/remote", Bytes("x"), remote);
        string beat = Path.Combine(root.Path, "sessions", "remote-session");
        Directory.CreateDirectory(Path.GetDirectoryName(beat)!);
        File.WriteAllBytes(beat, JsonSerializer.SerializeToUtf8Bytes(remote));
        Assert.NotNull(await c.ReadAsync("/codis3/demo/remote"));
        File.SetLastWriteTimeUtc(beat, DateTime.UtcNow - TimeSpan.FromSeconds(10));
        Assert.Null(await c.ReadAsync("/codis3/demo/remote"));
    }

    [Fact]
    public async Task A_crash_between_the_temp_write_and_the_rename_leaves_the_old_value()
    {
        await using var c = await FileSystemCoordinator.OpenAsync(root.Options);
        await c.CreateAsync("/codis3/demo/topom", Bytes("old"));
        long before = (await c.ReadAsync("/codis3/demo/topom"))!.Version;
        using (var crasher = Child("--update", "/codis3/demo/topom", "--data", "new", "--crash-before-rename"))
        {
            Assert.True(crasher.WaitForExit(TimeSpan.FromSeconds(30)), "the crashing writer did not die");
            Assert.Equal(128 + 9, crasher.ExitCode); // died of SIGKILL, inside the write
            Assert.DoesNotContain("updated", crasher.Output);
        }
        var after = await c.ReadAsync("/codis3/demo/topom");
        Assert.Equal("old", after!.Text);
        // The interrupted write counts as a change: a compare-and-set on the version read before fails safe.
        await Assert.ThrowsAsync<VersionMismatchException>(() => c.CompareAndSetAsync("/codis3/demo/topom", Bytes("x"), before));
        long v = await c.CompareAndSetAsync("/codis3/demo/topom", Bytes("next"), after.Version);
        Assert.Equal("next", (await c.ReadAsync("/codis3/demo/topom"))!.Text);
        Assert.True(v > after.Version);

        // The crashed writer left its temp file; an open sweeps it once it is older than a minute.
        string temp = Path.Combine(root.Path, "temp");
        var stray = Assert.Single(Directory.GetFiles(temp));
        Assert.Equal("new", File.ReadAllText(stray));
        await (await FileSystemCoordinator.OpenAsync(root.Options)).DisposeAsync();
        Assert.Single(Directory.GetFiles(temp));
        File.SetLastWriteTimeUtc(stray, DateTime.UtcNow - TimeSpan.FromMinutes(2));
        await (await FileSystemCoordinator.OpenAsync(root.Options)).DisposeAsync();
        Assert.Empty(Directory.GetFiles(temp));
    }

    [Fact]
    public async Task A_write_that_fails_before_the_rename_cleans_its_temp_file()
    {
        await using var c = await FileSystemCoordinator.OpenAsync(root.Options);
        await c.CreateAsync("/codis3/demo/topom", Bytes("old"));
        c.BeforeDataRename = _ => throw new IOException("injected");
        var e = await Assert.ThrowsAsync<CoordinatorException>(() => c.UpdateAsync("/codis3/demo/topom", Bytes("new")));
        Assert.Contains("injected", e.Message);
        c.BeforeDataRename = null;
        Assert.Equal("old", (await c.ReadAsync("/codis3/demo/topom"))!.Text);
        Assert.Empty(Directory.GetFiles(Path.Combine(root.Path, "temp")));
    }

    [Fact]
    public async Task A_busy_lock_times_out_clearly_and_a_killed_holder_frees_it_at_once()
    {
        var opts = root.Options with { OperationTimeout = TimeSpan.FromMilliseconds(500) };
        await using var c = await FileSystemCoordinator.OpenAsync(opts);
        using var holder = Child("--hold-file", Path.Combine(root.Path, "data.lck"));
        holder.WaitForOutput("ready", TimeSpan.FromSeconds(30));
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<CoordinatorUnavailableException>(() => c.ReadAsync("/codis3/demo/topom"));
        Assert.Contains("data.lck", e.Message);
        Assert.InRange(sw.Elapsed, TimeSpan.FromMilliseconds(400), TimeSpan.FromSeconds(5));
        holder.Kill();
        sw.Restart();
        await c.UpdateAsync("/codis3/demo/topom", Bytes("free"));
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(1), $"took {sw.Elapsed} after the holder died");
    }

    [Fact]
    public async Task A_node_with_data_cannot_get_children_and_nothing_escapes_the_root()
    {
        await using var c = await FileSystemCoordinator.OpenAsync(root.Options);
        await c.CreateAsync("/codis3/leaf", Bytes("x"));
        var e = await Assert.ThrowsAsync<CoordinatorException>(() => c.CreateAsync("/codis3/leaf/child", Bytes("y")));
        Assert.Contains("/codis3/leaf", e.Message);
        await Assert.ThrowsAsync<InvalidPathException>(() => c.CreateAsync("/../escape", Bytes("x")));
        await Assert.ThrowsAsync<InvalidPathException>(() => c.UpdateAsync("/codis3/../../escape", Bytes("x")));
        Assert.False(File.Exists(Path.Combine(root.Path, "..", "escape")));
        Assert.False(File.Exists(Path.Combine(root.Path, "escape")));
    }

    [Fact]
    public async Task The_last_child_gone_leaves_an_empty_folder_that_can_take_data_again()
    {
        await using var c = await FileSystemCoordinator.OpenAsync(root.Options);
        await c.CreateAsync("/codis3/demo/proxy/proxy-a", Bytes("a"));
        await c.DeleteAsync("/codis3/demo/proxy/proxy-a");
        Assert.NotNull(await c.ReadAsync("/codis3/demo/proxy"));
        await c.UpdateAsync("/codis3/demo/proxy", Bytes("now a leaf"));
        Assert.Equal("now a leaf", (await c.ReadAsync("/codis3/demo/proxy"))!.Text);
    }

    private void WriteMeta(string path, byte[] data, OwnerRecord owner)
    {
        var layout = new FsLayout(root.Path);
        File.WriteAllBytes(layout.MetaFile(path), new NodeMeta { Version = 1, Sha = NodeMeta.Digest(data), Owner = owner }.ToJson());
    }
}
