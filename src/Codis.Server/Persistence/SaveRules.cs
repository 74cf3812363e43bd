using System.Globalization;

namespace Codis.Server.Persistence;

/// <summary>The `save` setting: snapshot after <c>Seconds</c> if at least <c>Changes</c> writes happened.</summary>
internal readonly record struct SaveRule(long Seconds, long Changes);

internal static class SaveRules
{
    public static List<SaveRule> Parse(string text)
    {
        var parts = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var rules = new List<SaveRule>(parts.Length / 2);
        for (int i = 0; i + 1 < parts.Length; i += 2)
            rules.Add(new SaveRule(long.Parse(parts[i], CultureInfo.InvariantCulture), long.Parse(parts[i + 1], CultureInfo.InvariantCulture)));
        return rules;
    }

    public static string? Validate(string text)
    {
        var parts = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length % 2 != 0) return "Invalid save parameters";
        for (int i = 0; i < parts.Length; i++)
            if (!long.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out long n) || (i % 2 == 0 && n < 1))
                return "Invalid save parameters";
        return null;
    }
}
