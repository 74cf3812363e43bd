namespace Codis.Core.Config;

/// <summary>
/// The original Codis 2 config.ini (key=value lines, '#' comments), which the seed's codis-config and
/// codis-proxy read from the current folder or from -c.
/// </summary>
public static class IniFile
{
    public static Dictionary<string, string> Read(string path)
    {
        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        int lineNo = 0;
        foreach (var raw in File.ReadLines(path))
        {
            lineNo++;
            var line = raw.Trim();
            if (line.Length == 0 || line[0] is '#' or ';' || line[0] == '[') continue;
            int eq = line.IndexOf('=');
            if (eq <= 0) throw new FormatException($"{path}:{lineNo}: expected key=value, got '{line}'");
            values[line[..eq].Trim()] = line[(eq + 1)..].Trim();
        }
        return values;
    }
}
