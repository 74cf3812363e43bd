namespace Codis.Coordinator;

/// <summary>Base of every coordinator failure; <see cref="Exception.Message"/> names the path and the backend.</summary>
public class CoordinatorException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>The backend cannot be reached or did not answer in time (the data plane keeps running; control operations fail).</summary>
public sealed class CoordinatorUnavailableException(string message, Exception? inner = null) : CoordinatorException(message, inner);

/// <summary>Create of a path that exists (or an ephemeral held by a live owner).</summary>
public sealed class NodeExistsException(string path, string? detail = null)
    : CoordinatorException(detail == null ? $"node already exists: {path}" : $"node already exists: {path} ({detail})")
{
    public string Path { get; } = path;
}

/// <summary>An operation that needs the node found it missing.</summary>
public sealed class NoNodeException(string path) : CoordinatorException($"no such node: {path}")
{
    public string Path { get; } = path;
}

/// <summary>Compare-and-set lost: the node changed since it was read.</summary>
public sealed class VersionMismatchException(string path, long expected, long actual)
    : CoordinatorException($"version mismatch on {path}: expected {expected}, found {actual}")
{
    public string Path { get; } = path;
}

/// <summary>Delete of a node that still has children.</summary>
public sealed class NotEmptyException(string path) : CoordinatorException($"node not empty: {path}")
{
    public string Path { get; } = path;
}

/// <summary>The session (ZooKeeper) or lease (etcd) expired: its ephemeral nodes are gone; the client must be reopened.</summary>
public sealed class SessionExpiredException(string message) : CoordinatorException(message);

/// <summary>A path that is not absolute, has empty segments or "." / ".." segments.</summary>
public sealed class InvalidPathException(string path, string why) : CoordinatorException($"invalid coordinator path '{path}': {why}");
