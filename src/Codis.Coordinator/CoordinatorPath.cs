namespace Codis.Coordinator;

/// <summary>Validation and splitting of coordinator paths, shared by every backend so they accept the same paths.</summary>
public static class CoordinatorPath
{
    /// <summary>Throws <see cref="InvalidPathException"/> unless the path is "/" or "/a/b" with clean segments.</summary>
    public static string Validate(string path)
    {
        if (string.IsNullOrEmpty(path) || path[0] != '/') throw new InvalidPathException(path, "must start with '/'");
        if (path == "/") return path;
        if (path.EndsWith('/')) throw new InvalidPathException(path, "must not end with '/'");
        foreach (var segment in path[1..].Split('/'))
        {
            if (segment.Length == 0) throw new InvalidPathException(path, "empty segment");
            if (segment is "." or "..") throw new InvalidPathException(path, "'.' and '..' are not allowed");
            if (segment.Contains('\0')) throw new InvalidPathException(path, "NUL in segment");
        }
        return path;
    }

    /// <summary>The parent path ("/" for a top-level node).</summary>
    public static string Parent(string path)
    {
        int i = path.LastIndexOf('/');
        return i <= 0 ? "/" : path[..i];
    }

    /// <summary>The last segment.</summary>
    public static string Name(string path) => path[(path.LastIndexOf('/') + 1)..];

    public static string Combine(string parent, string name) => parent == "/" ? "/" + name : parent + "/" + name;
}
