using System.Runtime.InteropServices;

namespace Codis.Coordinator.FileSystem;

/// <summary>
/// Atomic, durable file replacement: write a temp file, fsync it, rename it over the target (one rename(2):
/// readers see the old or the new file, never a torn one), then fsync the target's directory so the rename
/// itself survives a power loss.
/// </summary>
internal static partial class DurableFile
{
    /// <summary>Replaces <paramref name="target"/> with <paramref name="data"/> through a temp file in <paramref name="tempDir"/> (same filesystem).</summary>
    public static void Write(string tempDir, string target, ReadOnlySpan<byte> data, Action<string>? beforeRename = null)
    {
        string temp = Path.Combine(tempDir, $"{Path.GetFileName(target)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var fs = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.None))
            {
                fs.Write(data);
                fs.Flush(flushToDisk: true);
            }
            beforeRename?.Invoke(temp);
            File.Move(temp, target, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
        SyncDirectory(Path.GetDirectoryName(target)!);
    }

    /// <summary>Creates a directory and its missing parents, fsyncing each parent that gained an entry.</summary>
    public static void EnsureDirectory(string dir)
    {
        if (Directory.Exists(dir)) return;
        string parent = Path.GetDirectoryName(dir)!;
        EnsureDirectory(parent);
        try
        {
            Directory.CreateDirectory(dir);
        }
        catch (IOException) when (Directory.Exists(dir)) { }
        SyncDirectory(parent);
    }

    /// <summary>fsync(2) of a directory, so entries created, renamed or removed in it are on disk.</summary>
    public static void SyncDirectory(string dir)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS() && !OperatingSystem.IsFreeBSD()) return;
        int fd = open(dir, 0 /* O_RDONLY: enough for a directory, and the same value on every Unix */);
        if (fd < 0) return; // the directory vanished (a concurrent delete): nothing left to sync
        try
        {
            if (fsync(fd) != 0)
                throw new IOException($"fsync of directory {dir} failed (errno {Marshal.GetLastPInvokeError()})");
        }
        finally
        {
            _ = close(fd);
        }
    }

    public static void TryDelete(string file)
    {
        try { File.Delete(file); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close")]
    internal static partial int close(int fd);
}
