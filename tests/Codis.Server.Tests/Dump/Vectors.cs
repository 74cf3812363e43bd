namespace Codis.Server.Tests.Dump;

/// <summary>
/// The captured Redis 7.0.15 vectors in /work/shared/vectors, found relative to the repository: walk up from the
/// test assembly to the folder holding Codis.slnx, then ../shared/vectors. Tests that need them skip (with the
/// reason) only when that folder is missing.
/// </summary>
public static class Vectors
{
    public static readonly string? Dir = Find();

    public const string MissingReason = "vector folder ../shared/vectors (next to the repository root) is missing";

    private static string? Find()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
        {
            if (!File.Exists(Path.Combine(d.FullName, "Codis.slnx"))) continue;
            string v = Path.GetFullPath(Path.Combine(d.FullName, "..", "shared", "vectors"));
            return Directory.Exists(v) ? v : null;
        }
        return null;
    }

    public static string PathOf(string name) => Path.Combine(Dir ?? throw new InvalidOperationException(MissingReason), name);

    /// <summary>Rows of a TSV vector file as column-name → value maps (header row first, no quoting).</summary>
    public static List<Dictionary<string, string>> Tsv(string name)
    {
        var lines = File.ReadAllLines(PathOf(name));
        var header = lines[0].Split('\t');
        var rows = new List<Dictionary<string, string>>();
        foreach (var line in lines.Skip(1))
        {
            if (line.Length == 0) continue;
            var cells = line.Split('\t');
            var row = new Dictionary<string, string>();
            for (int i = 0; i < header.Length; i++) row[header[i]] = i < cells.Length ? cells[i] : "";
            rows.Add(row);
        }
        return rows;
    }

    /// <summary>name → value of a "name&lt;TAB&gt;value" file with # comments (crc64-lzf.txt).</summary>
    public static Dictionary<string, string> KeyValues(string name)
    {
        var result = new Dictionary<string, string>();
        foreach (var line in File.ReadAllLines(PathOf(name)))
        {
            if (line.Length == 0 || line[0] == '#') continue;
            int tab = line.IndexOf('\t');
            result[line[..tab]] = line[(tab + 1)..];
        }
        return result;
    }

    public static Dictionary<string, string> Dump(string key) => Tsv("dump-7.0.15.tsv").Single(r => r["key"] == key);

    public static Dictionary<string, string> Legacy(string key) => Tsv("dump-legacy-handmade-7.0.15.tsv").Single(r => r["key"] == key);

    /// <summary>Keys of a TSV file as theory data (empty when the folder is missing: the theory is skipped then).</summary>
    public static TheoryData<string> Keys(string file)
    {
        var data = new TheoryData<string>();
        if (Dir == null) return data;
        foreach (var r in Tsv(file)) data.Add(r["key"]);
        return data;
    }
}

/// <summary>A fact that needs the vector files; skipped with the reason when they are missing.</summary>
public sealed class VectorFactAttribute : FactAttribute
{
    public VectorFactAttribute()
    {
        if (Vectors.Dir == null) Skip = Vectors.MissingReason;
    }
}

/// <summary>A theory over the vector files; skipped with the reason when they are missing.</summary>
public sealed class VectorTheoryAttribute : TheoryAttribute
{
    public VectorTheoryAttribute()
    {
        if (Vectors.Dir == null) Skip = Vectors.MissingReason;
    }
}
