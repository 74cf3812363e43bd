namespace Codis.Coordinator.FileSystem;

/// <summary>An ephemeral node of a <see cref="FileSystemCoordinator"/> session.</summary>
internal sealed class FsEphemeralNode(FileSystemCoordinator owner, string path) : IEphemeralNode
{
    private readonly TaskCompletionSource lost = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int released;

    public string Path { get; } = path;
    public Task Lost => lost.Task;

    public Task UpdateAsync(ReadOnlyMemory<byte> data, CancellationToken ct = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref released) != 0, this);
        return owner.UpdateEphemeralAsync(this, data, ct);
    }

    internal void MarkLost() => lost.TrySetResult();

    /// <summary>Deleted by us: whoever waits on <see cref="Lost"/> is released (cancelled, not "lost").</summary>
    internal void MarkReleased()
    {
        Volatile.Write(ref released, 1);
        lost.TrySetCanceled();
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref released, 1) != 0) return;
        await owner.ReleaseEphemeralAsync(this);
        lost.TrySetCanceled();
    }
}
