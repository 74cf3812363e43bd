using System.Runtime.InteropServices;

namespace Codis.Server.Persistence;

/// <summary>Crash-safe file replacement: write a temp file, fsync it, rename it over the target, fsync the folder.</summary>
internal static partial class DurableFile
{
    /// <summary>Renames <paramref name="temp"/> over <paramref name="target"/> and makes the rename durable.</summary>
    public static void Replace(string temp, string target)
    {
        File.Move(temp, target, overwrite: true);
        SyncDirectory(Path.GetDirectoryName(Path.GetFullPath(target))!);
    }

    /// <summary>Writes a small file atomically (the AOF manifest).</summary>
    public static void WriteAllText(string target, string text)
    {
        string temp = target + ".tmp";
        using (var f = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            f.Write(System.Text.Encoding.UTF8.GetBytes(text));
            f.Flush(flushToDisk: true);
        }
        Replace(temp, target);
    }

    public static void SyncDirectory(string dir)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return;
        int fd = open(dir, 0 /* O_RDONLY */);
        if (fd < 0) return;
        _ = fsync(fd);
        _ = close(fd);
    }

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int open(string path, int flags);

    [LibraryImport("libc")]
    private static partial int fsync(int fd);

    [LibraryImport("libc")]
    private static partial int close(int fd);
}
