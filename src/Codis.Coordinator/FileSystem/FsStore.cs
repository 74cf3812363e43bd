namespace Codis.Coordinator.FileSystem;

/// <summary>A node as found on disk: a file (leaf with data) or a directory (interior node, no data).</summary>
internal sealed record FsNode(bool IsDirectory, byte[] Data, long Version, string Sha, OwnerRecord? Owner)
{
    /// <summary>What a watch compares: any write changes the version or the digest.</summary>
    public string Fingerprint => IsDirectory ? $"dir:{Version}" : $"{Version}:{Sha}";
}

/// <summary>
/// The tree operations on disk. Every method must run under the data.lck lock (<see cref="DataLock"/>), which
/// serializes all processes on the root; that is also why a node's meta and data files stay consistent.
/// Ephemeral nodes whose owner died are removed as soon as any operation comes across them.
/// </summary>
internal sealed class FsStore(FsLayout layout)
{
    /// <summary>Test hook: runs between a data file's fsync and its rename (to simulate a crash there).</summary>
    public Action<string>? BeforeDataRename { get; set; }

    public FsLayout Layout => layout;

    /// <summary>The node, or null when missing (or ephemeral with a dead owner, which is removed here).</summary>
    public FsNode? Load(string path)
    {
        string dataPath = layout.DataPath(path);
        if (Directory.Exists(dataPath))
        {
            var m = ReadMeta(path);
            return new FsNode(true, [], m?.Version ?? 0, "", null);
        }
        byte[] data;
        try { data = File.ReadAllBytes(dataPath); }
        catch (FileNotFoundException) { return null; }
        catch (DirectoryNotFoundException) { return null; }
        catch (UnauthorizedAccessException e) { throw new CoordinatorException($"filesystem coordinator {layout.Root}: cannot read {dataPath}: {e.Message}", e); }

        string sha = NodeMeta.Digest(data);
        var meta = ReadMeta(path);
        if (meta?.Owner != null && !FsSession.IsAlive(meta.Owner, layout))
        {
            Remove(path);
            return null;
        }
        long version = meta == null ? 0 : meta.Sha == sha ? meta.Version : meta.Version + 1;
        if (meta != null && meta.Sha != sha)
        {
            // An interrupted write (or a foreign writer): make the bumped version the recorded one, so a
            // second interruption cannot bring an already-seen version back.
            WriteMeta(path, new NodeMeta { Version = version, Sha = sha, Owner = meta.Owner });
        }
        return new FsNode(false, data, version, sha, meta?.Owner);
    }

    /// <summary>Writes a leaf: meta first, then the data file (both atomic and fsynced), making parent directories as needed.</summary>
    public void Write(string path, ReadOnlySpan<byte> data, long version, OwnerRecord? owner)
    {
        string dataPath = PrepareLeaf(path);
        WriteMeta(path, new NodeMeta { Version = version, Sha = NodeMeta.Digest(data), Owner = owner });
        DurableFile.EnsureDirectory(Path.GetDirectoryName(dataPath)!);
        DurableFile.Write(layout.Temp, dataPath, data, BeforeDataRename);
    }

    /// <summary>
    /// Checks that <paramref name="path"/> may hold data (not the root, no ancestor holding data, no children; an
    /// empty interior node becomes a leaf) and returns its data file.
    /// </summary>
    private string PrepareLeaf(string path)
    {
        if (path == "/") throw new CoordinatorException($"filesystem coordinator {layout.Root}: the root node holds no data");
        string dataPath = layout.DataPath(path);
        CheckAncestorsAreDirectories(path);
        if (Directory.Exists(dataPath))
        {
            if (Directory.EnumerateFileSystemEntries(dataPath).Any())
                throw new CoordinatorException($"filesystem coordinator {layout.Root}: {path} has children, and on the filesystem a node with children holds no data");
            Directory.Delete(dataPath);
        }
        return dataPath;
    }

    /// <summary>
    /// Writes many leaves as one durable batch (see <see cref="DurableBatch"/>): for each node its meta, then its
    /// data, as <see cref="Write"/> does, but with the disk syncs shared.
    /// </summary>
    public void WriteMany(IReadOnlyList<(string Path, ReadOnlyMemory<byte> Data, long Version, OwnerRecord? Owner)> nodes)
    {
        using var batch = new DurableBatch(layout.Temp);
        foreach (var (path, data, version, owner) in nodes)
        {
            string dataPath = PrepareLeaf(path);
            string metaFile = layout.MetaFile(path);
            DurableFile.EnsureDirectory(Path.GetDirectoryName(metaFile)!);
            DurableFile.EnsureDirectory(Path.GetDirectoryName(dataPath)!);
            batch.Add(metaFile, new NodeMeta { Version = version, Sha = NodeMeta.Digest(data.Span), Owner = owner }.ToJson());
            batch.Add(dataPath, data.Span);
        }
        batch.Commit();
    }

    /// <summary>Removes a node and everything under it, data and meta.</summary>
    public void Remove(string path)
    {
        string dataPath = layout.DataPath(path);
        if (Directory.Exists(dataPath)) Directory.Delete(dataPath, recursive: true);
        else DurableFile.TryDelete(dataPath);
        DurableFile.SyncDirectory(Path.GetDirectoryName(dataPath)!);
        if (path == "/") return;
        DurableFile.TryDelete(layout.MetaFile(path));
        string metaDir = layout.MetaDir(path);
        if (Directory.Exists(metaDir))
        {
            try { Directory.Delete(metaDir, recursive: true); }
            catch (DirectoryNotFoundException) { }
        }
    }

    /// <summary>Sorted names of the live children (dead owners' ephemeral children are removed on the way).</summary>
    public List<string> Children(string path)
    {
        string dataPath = layout.DataPath(path);
        var names = new List<string>();
        if (!Directory.Exists(dataPath)) return names;
        IEnumerable<string> entries;
        try { entries = Directory.EnumerateFileSystemEntries(dataPath).ToList(); }
        catch (DirectoryNotFoundException) { return names; }
        foreach (var entry in entries)
        {
            string name = Path.GetFileName(entry);
            string child = CoordinatorPath.Combine(path, name);
            if (File.Exists(entry))
            {
                var meta = ReadMeta(child);
                if (meta?.Owner != null && !FsSession.IsAlive(meta.Owner, layout))
                {
                    Remove(child);
                    continue;
                }
            }
            names.Add(name);
        }
        names.Sort(StringComparer.Ordinal);
        return names;
    }

    /// <summary>The next number of a sequential child of <paramref name="parent"/> (never reused).</summary>
    public long NextSequence(string parent)
    {
        string file = layout.SequenceFile(parent);
        long next = 0;
        try
        {
            if (long.TryParse(File.ReadAllText(file).Trim(), out var n)) next = n;
        }
        catch (FileNotFoundException) { }
        catch (DirectoryNotFoundException) { }
        DurableFile.EnsureDirectory(Path.GetDirectoryName(file)!);
        DurableFile.Write(layout.Temp, file, System.Text.Encoding.ASCII.GetBytes((next + 1).ToString()));
        return next;
    }

    private NodeMeta? ReadMeta(string path)
    {
        try { return NodeMeta.Parse(File.ReadAllBytes(layout.MetaFile(path))); }
        catch (FileNotFoundException) { return null; }
        catch (DirectoryNotFoundException) { return null; }
    }

    private void WriteMeta(string path, NodeMeta meta)
    {
        string file = layout.MetaFile(path);
        DurableFile.EnsureDirectory(Path.GetDirectoryName(file)!);
        DurableFile.Write(layout.Temp, file, meta.ToJson());
    }

    private void CheckAncestorsAreDirectories(string path)
    {
        for (string p = CoordinatorPath.Parent(path); p != "/"; p = CoordinatorPath.Parent(p))
        {
            if (File.Exists(layout.DataPath(p)))
                throw new CoordinatorException($"filesystem coordinator {layout.Root}: {p} holds data, and on the filesystem a node with data cannot have children");
        }
    }
}
