using System.Text;

namespace Codis.Core.Config;

/// <summary>
/// CONFIG REWRITE for TOML files: updates the lines of settings that the file already sets, keeps every other
/// line (comments, blank lines, keys it does not know, tables) as it was, and adds the settings that differ from
/// their default and are not in the file, before the first [table] so that they stay top-level keys.
/// </summary>
public static class TomlRewriter
{
    public static void Rewrite(Settings settings, string path)
    {
        var lines = File.Exists(path) ? File.ReadAllLines(path).ToList() : new List<string>();
        var output = new List<string>(lines.Count + 8);
        var written = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        int firstTable = -1;
        bool inTable = false;
        for (int i = 0; i < lines.Count; i++)
        {
            string line = lines[i];
            string trimmed = line.TrimStart();
            if (trimmed.StartsWith('['))
            {
                if (firstTable < 0) firstTable = output.Count;
                inTable = true;
            }
            if (inTable || !TryKey(trimmed, out string key, out int valueStart) || settings.Find(key) is not { } setting)
            {
                output.Add(line);
                continue;
            }
            // A value that spans lines (a multi-line array or string) is replaced as a whole.
            int last = EndOfValue(lines, i, trimmed[valueStart..]);
            i = last;
            if (!written.Add(setting.Name)) continue; // a repeated key: keep only the first
            output.Add(Format(setting));
        }
        var missing = settings.All
            .Where(s => !s.IsDefault && !written.Contains(s.Name))
            .OrderBy(s => s.Name, StringComparer.Ordinal)
            .Select(Format)
            .ToList();
        if (missing.Count > 0)
        {
            int at = firstTable < 0 ? output.Count : firstTable;
            var block = new List<string> { "# Added by CONFIG REWRITE" };
            block.AddRange(missing);
            if (at > 0 && output[at - 1].Trim().Length > 0) block.Insert(0, "");
            if (firstTable >= 0) block.Add("");
            output.InsertRange(at, block);
        }
        string tmp = path + ".rewrite.tmp";
        File.WriteAllText(tmp, string.Join("\n", output) + "\n");
        File.Move(tmp, path, overwrite: true);
    }

    /// <summary>The line of one setting: numbers bare, booleans as true/false, everything else a quoted string.</summary>
    public static string Format(Setting s)
    {
        string key = s.Name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-') ? s.Name : Quote(s.Name);
        return key + " = " + FormatValue(s);
    }

    /// <summary>A setting's value as TOML: a list setting as an array of strings, one item per line of its value.</summary>
    public static string FormatValue(Setting s)
    {
        if (s.Repeatable)
        {
            var items = s.Value.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            return items.Length == 0 ? "[]" : "[\n" + string.Concat(items.Select(i => "  " + Quote(i) + ",\n")) + "]";
        }
        return s.Kind switch
        {
            SettingKind.Integer or SettingKind.Memory => s.Value,
            SettingKind.Boolean => s.AsBool ? "true" : "false",
            _ => Quote(s.Value),
        };
    }

    private static string Quote(string s)
    {
        var sb = new StringBuilder("\"");
        foreach (char c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                default:
                    if (char.IsControl(c)) sb.Append("\\u").Append(((int)c).ToString("X4", System.Globalization.CultureInfo.InvariantCulture));
                    else sb.Append(c);
                    break;
            }
        }
        return sb.Append('"').ToString();
    }

    /// <summary>Reads a top-level `key = ...` (bare or quoted key, no dotted keys).</summary>
    private static bool TryKey(string line, out string key, out int valueStart)
    {
        key = "";
        valueStart = 0;
        if (line.Length == 0 || line[0] == '#') return false;
        int i;
        if (line[0] is '"' or '\'')
        {
            int close = line.IndexOf(line[0], 1);
            if (close < 0) return false;
            key = line[1..close];
            i = close + 1;
        }
        else
        {
            i = 0;
            while (i < line.Length && (char.IsAsciiLetterOrDigit(line[i]) || line[i] is '_' or '-')) i++;
            key = line[..i];
        }
        while (i < line.Length && line[i] is ' ' or '\t') i++;
        if (key.Length == 0 || i >= line.Length || line[i] != '=') return false;
        valueStart = i + 1;
        return true;
    }

    /// <summary>The index of the last line of a value that starts on line <paramref name="first"/>.</summary>
    private static int EndOfValue(List<string> lines, int first, string value)
    {
        string v = value.Trim();
        string? closer = v.StartsWith("\"\"\"", StringComparison.Ordinal) ? "\"\"\"" : v.StartsWith("'''", StringComparison.Ordinal) ? "'''" : null;
        if (closer != null)
        {
            if (v.IndexOf(closer, 3, StringComparison.Ordinal) >= 0) return first;
            for (int i = first + 1; i < lines.Count; i++)
                if (lines[i].Contains(closer, StringComparison.Ordinal)) return i;
            return lines.Count - 1;
        }
        if (!v.StartsWith('[')) return first;
        int depth = 0;
        for (int i = first; i < lines.Count; i++)
        {
            string text = i == first ? v : lines[i];
            bool quoted = false;
            foreach (char c in text)
            {
                if (c == '"') quoted = !quoted;
                else if (!quoted && c == '#') break;
                else if (!quoted && c == '[') depth++;
                else if (!quoted && c == ']' && --depth == 0) return i;
            }
        }
        return lines.Count - 1;
    }
}
