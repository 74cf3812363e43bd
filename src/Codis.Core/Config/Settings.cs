using System.Globalization;
using System.Text;
using Codis.Core.Text;
using Tomlyn;
using Tomlyn.Model;

namespace Codis.Core.Config;

public enum SettingKind { String, Integer, Boolean, Memory, Enum, Duration }

/// <summary>One named setting: its kind, default, limits and current value (kept as canonical text).</summary>
public sealed class Setting
{
    public required string Name { get; init; }
    public required SettingKind Kind { get; init; }
    public required string Default { get; init; }
    public string Description { get; init; } = "";
    public bool Mutable { get; init; } = true;
    public long Min { get; init; } = long.MinValue;
    public long Max { get; init; } = long.MaxValue;
    public string[]? Choices { get; init; }
    /// <summary>Extra validation; returns an error text or null.</summary>
    public Func<string, string?>? Validate { get; init; }
    /// <summary>
    /// Rewrites a valid value into the form it is kept and shown in (CONFIG GET): numbers in a list, notify-keyspace-events
    /// "KEA" read back as "AKE". Such a shown form may drop what the value meant: that setting is read from <see cref="Given"/>.
    /// </summary>
    public Func<string, string>? Canonical { get; init; }
    /// <summary>
    /// A list, one item per line of <see cref="Value"/>: a TOML array of strings, each flag adds an item (codis-server's
    /// `user` directives).
    /// </summary>
    public bool Repeatable { get; init; }
    /// <summary>Not a CONFIG GET/SET parameter (Redis's `user` directive is a config-file line only).</summary>
    public bool Hidden { get; init; }
    /// <summary>Runs after a change at run time (CONFIG SET).</summary>
    public Action<Setting>? Changed { get; set; }

    public string Value { get; internal set; } = "";
    /// <summary>The value as last given, before <see cref="Canonical"/>.</summary>
    public string Given { get; internal set; } = "";
    public bool IsDefault => Value == Default;

    // The number parsed from Value, remembered with the text it came from: hot paths read settings per command.
    private sealed record ParsedNumber(string Text, long Number);
    private ParsedNumber? parsed;

    public long AsLong
    {
        get
        {
            var p = parsed;
            if (p == null || !ReferenceEquals(p.Text, Value))
                parsed = p = new ParsedNumber(Value, long.Parse(Value, CultureInfo.InvariantCulture));
            return p.Number;
        }
    }

    public int AsInt => (int)Math.Clamp(AsLong, int.MinValue, int.MaxValue);
    public bool AsBool => Value == "yes";
    public TimeSpan AsDuration => Settings.TryParseDuration(Value, out var d) ? d : TimeSpan.Zero;
}

/// <summary>
/// The settings of one binary: defined in code, loaded from a TOML file, overridden by command-line flags
/// (`--port 6380`, Redis style) and changed at run time (CONFIG SET). Errors name the setting and the value.
/// </summary>
public sealed class Settings
{
    private readonly Dictionary<string, Setting> byName = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, string> aliases = new(StringComparer.OrdinalIgnoreCase);

    public IEnumerable<Setting> All => byName.Values;

    /// <summary>The TOML file the settings came from, if any (CONFIG REWRITE writes it back).</summary>
    public string? FilePath { get; private set; }

    public Setting Define(Setting setting)
    {
        byName.Add(setting.Name, setting);
        if (!TryNormalize(setting, setting.Default, out var canon, out var err))
            throw new InvalidOperationException($"bad default for {setting.Name}: {err}");
        setting.Value = canon;
        setting.Given = setting.Default;
        return setting;
    }

    public void Alias(string alias, string name) => aliases[alias] = name;

    public Setting? Find(string name)
    {
        if (byName.TryGetValue(name, out var s)) return s;
        return aliases.TryGetValue(name, out var real) ? byName.GetValueOrDefault(real) : null;
    }

    public Setting this[string name] => Find(name) ?? throw new KeyNotFoundException(name);

    /// <summary>Sets a value; returns null on success or an error text.</summary>
    public string? TrySet(string name, string value, bool atRuntime = false)
    {
        var s = Find(name);
        if (s == null) return $"unknown setting '{name}'";
        if (atRuntime && !s.Mutable) return $"setting '{s.Name}' can't be changed at run time";
        if (!TryNormalize(s, value, out var canon, out var err)) return $"invalid value '{value}' for '{s.Name}': {err}";
        string old = s.Value, oldGiven = s.Given;
        s.Value = canon;
        s.Given = s.Canonical == null ? canon : value;
        if (atRuntime && (old != canon || oldGiven != s.Given)) s.Changed?.Invoke(s);
        return null;
    }

    /// <summary>Settings whose name matches a glob (CONFIG GET), aliases included.</summary>
    public IEnumerable<(string Name, Setting Setting)> Match(string pattern)
    {
        foreach (var s in byName.Values)
            if (!s.Hidden && Glob.Match(pattern, s.Name, noCase: true)) yield return (s.Name, s);
        foreach (var (alias, real) in aliases)
            if (Glob.Match(pattern, alias, noCase: true) && byName.TryGetValue(real, out var s)) yield return (alias, s);
    }

    /// <summary>Checks a value without setting it: null when valid, else the reason (Redis's CONFIG SET wording).</summary>
    public static string? Check(Setting s, string value) => TryNormalize(s, value, out _, out var error) ? null : error;

    private static bool TryNormalize(Setting s, string value, out string canon, out string error)
    {
        canon = value;
        error = "";
        switch (s.Kind)
        {
            case SettingKind.Boolean:
                if (value.Equals("yes", StringComparison.OrdinalIgnoreCase) || value.Equals("true", StringComparison.OrdinalIgnoreCase)) canon = "yes";
                else if (value.Equals("no", StringComparison.OrdinalIgnoreCase) || value.Equals("false", StringComparison.OrdinalIgnoreCase)) canon = "no";
                else { error = "argument must be 'yes' or 'no'"; return false; }
                break;
            case SettingKind.Integer:
                if (!long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long n)) { error = "argument couldn't be parsed into an integer"; return false; }
                if (n < s.Min || n > s.Max) { error = $"argument must be between {s.Min} and {s.Max} inclusive"; return false; }
                canon = n.ToString(CultureInfo.InvariantCulture);
                break;
            case SettingKind.Memory:
                if (!TryParseMemory(value, out long bytes)) { error = "argument must be a memory value"; return false; }
                if (bytes < s.Min || bytes > s.Max) { error = $"argument must be between {s.Min} and {s.Max} inclusive"; return false; }
                canon = bytes.ToString(CultureInfo.InvariantCulture);
                break;
            case SettingKind.Duration:
                if (!TryParseDuration(value, out var span)) { error = "argument must be a duration such as 500ms, 5s, 30m or 1h"; return false; }
                canon = FormatDuration(span);
                break;
            case SettingKind.Enum:
                var match = s.Choices!.FirstOrDefault(c => c.Equals(value, StringComparison.OrdinalIgnoreCase));
                if (match == null) { error = "argument(s) must be one of the following: " + string.Join(", ", s.Choices!); return false; }
                canon = match;
                break;
        }
        if (s.Validate?.Invoke(canon) is { } custom) { error = custom; return false; }
        if (s.Canonical != null) canon = s.Canonical(canon);
        return true;
    }

    /// <summary>Redis memory units: 1k = 1000, 1kb = 1024, and so on.</summary>
    public static bool TryParseMemory(string text, out long bytes)
    {
        bytes = 0;
        string t = text.Trim().ToLowerInvariant();
        long mul = 1;
        (string Suffix, long Mul)[] units = [("gb", 1L << 30), ("mb", 1L << 20), ("kb", 1L << 10), ("g", 1_000_000_000), ("m", 1_000_000), ("k", 1000), ("b", 1)];
        foreach (var (suffix, m) in units)
        {
            if (t.EndsWith(suffix, StringComparison.Ordinal))
            {
                mul = m;
                t = t[..^suffix.Length];
                break;
            }
        }
        if (!long.TryParse(t, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long n)) return false;
        bytes = n * mul;
        return true;
    }

    /// <summary>Durations as the original writes them: 500ms, 5s, 30m, 1h, 1h30m; a bare number is seconds.</summary>
    public static bool TryParseDuration(string text, out TimeSpan value)
    {
        value = TimeSpan.Zero;
        string t = text.Trim().ToLowerInvariant();
        if (t.Length == 0) return false;
        if (double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out double secs))
        {
            if (secs < 0) return false;
            value = TimeSpan.FromSeconds(secs);
            return true;
        }
        int i = 0;
        double totalMs = 0;
        while (i < t.Length)
        {
            int start = i;
            while (i < t.Length && (char.IsDigit(t[i]) || t[i] == '.')) i++;
            if (start == i) return false;
            double n = double.Parse(t.AsSpan(start, i - start), CultureInfo.InvariantCulture);
            int ustart = i;
            while (i < t.Length && char.IsLetter(t[i])) i++;
            double mul = t[ustart..i] switch { "ms" => 1, "s" => 1000, "m" => 60_000, "h" => 3_600_000, "d" => 86_400_000, _ => -1 };
            if (mul < 0) return false;
            totalMs += n * mul;
        }
        value = TimeSpan.FromMilliseconds(totalMs);
        return true;
    }

    public static string FormatDuration(TimeSpan d)
    {
        if (d == TimeSpan.Zero) return "0s";
        if (d.TotalMilliseconds % 1000 != 0) return ((long)d.TotalMilliseconds).ToString(CultureInfo.InvariantCulture) + "ms";
        long s = (long)d.TotalSeconds;
        if (s % 3600 == 0) return (s / 3600).ToString(CultureInfo.InvariantCulture) + "h";
        if (s % 60 == 0) return (s / 60).ToString(CultureInfo.InvariantCulture) + "m";
        return s.ToString(CultureInfo.InvariantCulture) + "s";
    }

    /// <summary>Loads a TOML file whose top-level keys are setting names. Returns the errors found (empty = ok).</summary>
    public List<string> LoadToml(string path)
    {
        FilePath = Path.GetFullPath(path);
        var errors = new List<string>();
        string text;
        try { text = File.ReadAllText(path); }
        catch (Exception e) { return [$"can't read config file '{path}': {e.Message}"]; }
        TomlTable table;
        try { table = TomlSerializer.Deserialize<TomlTable>(text)!; }
        catch (Exception e) { return [$"config file '{path}' is not valid TOML: {e.Message}"]; }
        foreach (var (key, raw) in table)
        {
            bool list = Find(key) is { Repeatable: true };
            string value = raw switch
            {
                bool b => b ? "yes" : "no",
                TomlArray items when list => string.Join("\n", items.Select(x => Convert.ToString(x, CultureInfo.InvariantCulture))),
                TomlArray arr => string.Join(" ", arr.Select(x => Convert.ToString(x, CultureInfo.InvariantCulture))),
                IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
                _ => raw?.ToString() ?? "",
            };
            if (TrySet(key, value) is { } err) errors.Add($"{path}: {err}");
        }
        return errors;
    }

    /// <summary>
    /// Applies `--name value...` flags (everything up to the next `--flag` is the value, as redis-server does).
    /// Returns the errors found.
    /// </summary>
    public List<string> ApplyFlags(IReadOnlyList<string> args)
    {
        var errors = new List<string>();
        for (int i = 0; i < args.Count; i++)
        {
            string a = args[i];
            if (!a.StartsWith("--", StringComparison.Ordinal)) { errors.Add($"unexpected argument '{a}'"); continue; }
            string name = a[2..];
            string? inline = null;
            int eq = name.IndexOf('=');
            if (eq >= 0) { inline = name[(eq + 1)..]; name = name[..eq]; }
            var parts = new List<string>();
            if (inline != null) parts.Add(inline);
            while (i + 1 < args.Count && !(args[i + 1].StartsWith("--", StringComparison.Ordinal) && args[i + 1].Length > 2 && !char.IsDigit(args[i + 1][2])))
                parts.Add(args[++i]);
            var s = Find(name);
            if (s == null) { errors.Add($"unknown setting '--{name}'"); continue; }
            if (parts.Count == 0 && s.Kind == SettingKind.Boolean) parts.Add("yes");
            string value = string.Join(" ", parts);
            if (s.Repeatable && s.Value.Length > 0) value = s.Value + "\n" + value; // each flag adds an item
            if (TrySet(name, value) is { } err) errors.Add(err);
        }
        return errors;
    }

    /// <summary>Writes every non-default setting back to the TOML file (CONFIG REWRITE).</summary>
    public void WriteToml(string path)
    {
        var sb = new StringBuilder();
        sb.AppendLine("# written by CONFIG REWRITE; settings left at their defaults are omitted");
        foreach (var s in byName.Values.OrderBy(s => s.Name, StringComparer.Ordinal))
        {
            if (s.IsDefault) continue;
            sb.Append(QuoteKey(s.Name)).Append(" = ");
            if (s.Repeatable) sb.Append(TomlRewriter.FormatValue(s));
            else if (s.Kind is SettingKind.Integer) sb.Append(s.Value);
            else if (s.Kind == SettingKind.Boolean) sb.Append(s.AsBool ? "true" : "false");
            else sb.Append(Quote(s.Value));
            sb.AppendLine();
        }
        string tmp = path + ".tmp";
        File.WriteAllText(tmp, sb.ToString());
        File.Move(tmp, path, overwrite: true);
    }

    private static string QuoteKey(string k) => k.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-') ? k : Quote(k);

    private static string Quote(string s) =>
        "\"" + s.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n") + "\"";

    /// <summary>Help text listing every setting with its default.</summary>
    public string Describe()
    {
        var sb = new StringBuilder();
        foreach (var s in byName.Values.OrderBy(s => s.Name, StringComparer.Ordinal))
            sb.Append("  --").Append(s.Name.PadRight(27)).Append(' ').Append(s.Description) // a longer name still gets its space
              .Append(" (default: ").Append(s.Default.Length == 0 ? "\"\"" : s.Default).AppendLine(")");
        return sb.ToString();
    }
}
