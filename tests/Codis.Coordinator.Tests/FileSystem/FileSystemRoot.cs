namespace Codis.Coordinator.Tests.FileSystem;

/// <summary>A temp root folder shared by one test class (tests use their own products inside it).</summary>
public sealed class FileSystemRoot : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("codis-fs-").FullName;

    public CoordinatorOptions Options => new() { Name = "filesystem", Address = Path, SessionTimeout = TimeSpan.FromSeconds(2) };

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); }
        catch (IOException) { }
    }
}
