using System.Collections.Concurrent;

namespace Codis.Coordinator.FileSystem;

/// <summary>
/// The per-operation lock of Codis's filesystem store: ROOT/data.lck held with flock(LOCK_EX) (what .NET's
/// FileShare.None does on Unix) for the duration of one operation. The kernel drops it when the holder dies,
/// even on kill -9, so it never goes stale. Unlike Codis, a busy lock is retried with a short backoff until
/// the operation's deadline instead of failing at once. Within one process a semaphore per root serializes
/// first, so instances on the same root do not spin against each other.
/// </summary>
internal sealed class DataLock(string root, TimeSpan timeout)
{
    private static readonly ConcurrentDictionary<string, SemaphoreSlim> InProcess = new(StringComparer.Ordinal);

    private readonly string lockFile = Path.Combine(root, "data.lck");
    private readonly SemaphoreSlim gate = InProcess.GetOrAdd(root, _ => new SemaphoreSlim(1, 1));

    public string LockFile => lockFile;

    public async Task<Held> AcquireAsync(CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + timeout;
        if (!await gate.WaitAsync(timeout, ct))
            throw new CoordinatorUnavailableException($"filesystem coordinator {root}: an operation of this process held {lockFile} for more than {timeout.TotalSeconds:0.#}s");
        try
        {
            int delayMs = 1;
            while (true)
            {
                try
                {
                    var fs = new FileStream(lockFile, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.None);
                    return new Held(fs, gate);
                }
                catch (IOException e) when (e is not FileNotFoundException and not DirectoryNotFoundException)
                {
                    // EWOULDBLOCK: another process is inside an operation.
                    if (DateTime.UtcNow >= deadline)
                        throw new CoordinatorUnavailableException($"filesystem coordinator {root}: {lockFile} stayed locked by another process for more than {timeout.TotalSeconds:0.#}s");
                    await Task.Delay(delayMs, ct);
                    delayMs = Math.Min(delayMs * 2, 20);
                }
            }
        }
        catch
        {
            gate.Release();
            throw;
        }
    }

    public sealed class Held(FileStream file, SemaphoreSlim gate) : IDisposable
    {
        private int disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref disposed, 1) != 0) return;
            file.Dispose();
            gate.Release();
        }
    }
}
