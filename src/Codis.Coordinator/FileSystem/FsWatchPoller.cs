namespace Codis.Coordinator.FileSystem;

/// <summary>
/// Watches on the filesystem: every armed watch remembers a fingerprint of what it saw; a background loop
/// recomputes the fingerprints (under the lock, all watches in one pass) every poll interval, or sooner when
/// inotify (FileSystemWatcher) or a write of this instance wakes it, and fires the ones that changed. Polling
/// is the truth: inotify drops events on overflow and does not see other hosts on a shared root, and an
/// ephemeral owner dying makes no filesystem event at all. The same pass checks this instance's ephemeral nodes.
/// </summary>
internal sealed class FsWatchPoller : IAsyncDisposable
{
    private sealed class Entry(string path, bool children, string fingerprint, TaskCompletionSource signal)
    {
        public string Path { get; } = path;
        public bool Children { get; } = children;
        public string Fingerprint { get; } = fingerprint;
        public TaskCompletionSource Signal { get; } = signal;
        public CancellationTokenRegistration Registration;
    }

    private readonly FsLayout layout;
    private readonly Func<CancellationToken, Task<IDisposable>> acquireLock;
    private readonly Func<string, bool, string> fingerprint;
    private readonly Action checkEphemerals;
    private readonly Func<bool> hasEphemerals;
    private readonly Lock gate = new();
    private readonly List<Entry> entries = [];
    private readonly SemaphoreSlim wake = new(0, 1);
    private readonly CancellationTokenSource stop = new();
    private Task? loop;
    private FileSystemWatcher? inotify;

    public FsWatchPoller(FsLayout layout, Func<CancellationToken, Task<IDisposable>> acquireLock, Func<string, bool, string> fingerprint,
        Action checkEphemerals, Func<bool> hasEphemerals, TimeSpan interval)
    {
        this.layout = layout;
        this.acquireLock = acquireLock;
        this.fingerprint = fingerprint;
        this.checkEphemerals = checkEphemerals;
        this.hasEphemerals = hasEphemerals;
        Interval = interval;
    }

    public TimeSpan Interval { get; }

    /// <summary>Arms a one-shot watch on what was seen (<paramref name="seen"/> is the fingerprint at read time).</summary>
    public Task Add(string path, bool children, string seen, CancellationToken ct)
    {
        var e = new Entry(path, children, seen, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(stop.IsCancellationRequested, this);
            entries.Add(e);
        }
        if (ct.CanBeCanceled)
        {
            e.Registration = ct.Register(() =>
            {
                lock (gate) entries.Remove(e);
                e.Signal.TrySetCanceled(ct);
            });
        }
        EnsureRunning();
        return e.Signal.Task;
    }

    /// <summary>Makes the loop run now (after a local write, an inotify event, a new ephemeral node).</summary>
    public void Wake()
    {
        try { wake.Release(); }
        catch (SemaphoreFullException) { }
    }

    public void EnsureRunning()
    {
        lock (gate)
        {
            if (loop != null || stop.IsCancellationRequested) return;
            inotify = TryStartInotify();
            loop = Task.Run(RunAsync);
        }
    }

    private FileSystemWatcher? TryStartInotify()
    {
        try
        {
            Directory.CreateDirectory(layout.Data);
            var w = new FileSystemWatcher(layout.Data) { IncludeSubdirectories = true, NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite | NotifyFilters.Size };
            FileSystemEventHandler onChange = (_, _) => Wake();
            w.Created += onChange;
            w.Changed += onChange;
            w.Deleted += onChange;
            w.Renamed += (_, _) => Wake();
            w.Error += (_, _) => Wake();
            w.EnableRaisingEvents = true;
            return w;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or PlatformNotSupportedException or ArgumentException)
        {
            return null; // e.g. the inotify instance limit: polling alone still works
        }
    }

    private async Task RunAsync()
    {
        var token = stop.Token;
        while (!token.IsCancellationRequested)
        {
            try
            {
                await wake.WaitAsync(Interval, token);
                Entry[] armed;
                lock (gate) armed = [.. entries];
                if (armed.Length == 0 && !hasEphemerals()) continue;
                using (await acquireLock(token))
                {
                    foreach (var e in armed)
                    {
                        if (fingerprint(e.Path, e.Children) == e.Fingerprint) continue;
                        lock (gate) entries.Remove(e);
                        e.Registration.Dispose();
                        e.Signal.TrySetResult();
                    }
                    checkEphemerals();
                }
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested) { break; }
            catch (Exception e) when (e is CoordinatorException or IOException or UnauthorizedAccessException)
            {
                // A busy lock or a racing delete: try again next round; watches stay armed.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        Entry[] left;
        lock (gate)
        {
            if (stop.IsCancellationRequested) return;
            stop.Cancel();
            left = [.. entries];
            entries.Clear();
        }
        foreach (var e in left)
        {
            e.Registration.Dispose();
            e.Signal.TrySetCanceled();
        }
        inotify?.Dispose();
        if (loop != null) await loop.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }
}
