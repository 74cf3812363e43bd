namespace Codis.Coordinator.FileSystem;

/// <summary>
/// Where things live under the root. Codis's own layout first: data/&lt;path&gt; (one file per node holding its
/// JSON; interior nodes are directories), temp/ (writes land here before the rename), data.lck (the operation
/// lock). Ours beside it, invisible to Codis tools: meta/ (per node: version, digest, ephemeral owner) and
/// sessions/ (one heartbeat file per live coordinator instance that owns ephemeral nodes).
/// In meta/ a node /a/b has its record in meta/_a/@b and its children's records under meta/_a/_b/; the
/// prefixes keep records, folders and the "seq" counter of a folder from ever clashing with a node's name.
/// </summary>
internal sealed class FsLayout
{
    public FsLayout(string root)
    {
        Root = Path.GetFullPath(root);
        Data = Path.Combine(Root, "data");
        Temp = Path.Combine(Root, "temp");
        Meta = Path.Combine(Root, "meta");
        Sessions = Path.Combine(Root, "sessions");
    }

    public string Root { get; }
    public string Data { get; }
    public string Temp { get; }
    public string Meta { get; }
    public string Sessions { get; }

    /// <summary>The data file or directory of a validated coordinator path.</summary>
    public string DataPath(string path)
    {
        if (path == "/") return Data;
        string full = Path.Combine(Data, path[1..]);
        // Validation already refuses "." and ".."; this keeps any future gap from leaving the root.
        if (!full.StartsWith(Data + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw new InvalidPathException(path, "leaves the coordinator root");
        return full;
    }

    /// <summary>meta/_a/_b for /a/b: the folder of the records of its children.</summary>
    public string MetaDir(string path)
    {
        if (path == "/") return Meta;
        return Path.Combine(Meta, string.Join(Path.DirectorySeparatorChar, path[1..].Split('/').Select(s => "_" + s)));
    }

    /// <summary>meta/_a/@b for /a/b: the node's own record.</summary>
    public string MetaFile(string path) => Path.Combine(MetaDir(CoordinatorPath.Parent(path)), "@" + CoordinatorPath.Name(path));

    /// <summary>The counter for sequential children of <paramref name="parent"/>.</summary>
    public string SequenceFile(string parent) => Path.Combine(MetaDir(parent), "seq");

    public string SessionFile(string session) => Path.Combine(Sessions, session);
}
