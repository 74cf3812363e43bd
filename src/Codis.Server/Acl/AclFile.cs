using System.Text;

namespace Codis.Server.Acl;

/// <summary>
/// The ACL file (aclfile): one "user name rules..." per line, words split on single spaces, as Redis 7.0 reads and
/// writes it. A file with any error is refused whole, with Redis's error text, and the users stay as they were.
/// </summary>
internal static class AclFile
{
    /// <summary>Reads a file into new users; null and the error (without "ERR ") when it can't be used.</summary>
    public static Dictionary<string, AclUser>? Read(AclRegistry registry, string path, out string error)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            error = $"Error loading ACLs, opening file '{path}': {Describe(e)}";
            return null;
        }
        return Parse(registry, text, path, out error);
    }

    private static string Describe(Exception e) => e switch
    {
        FileNotFoundException or DirectoryNotFoundException => "No such file or directory",
        UnauthorizedAccessException => "Permission denied",
        _ => e.Message,
    };

    public static Dictionary<string, AclUser>? Parse(AclRegistry registry, string text, string path, out string error)
    {
        var users = new Dictionary<string, AclUser>(StringComparer.Ordinal);
        var errors = new StringBuilder();
        var lines = text.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            int lineNumber = i + 1;
            string line = lines[i].Trim(' ', '\t', '\r', '\n');
            if (line.Length == 0) continue;
            var words = line.Split(' ');
            if (words[0] != "user" || words.Length < 2)
            {
                errors.Append($"{path}:{lineNumber} should start with user keyword followed by the username. ");
                continue;
            }
            string name = words[1];
            if (users.ContainsKey(name))
            {
                errors.Append($"WARNING: Duplicate user '{name}' found on line {lineNumber}. ");
                continue;
            }
            if (AclRegistry.MergeSelectors(words[2..], out string unclosed) is not { } ops)
            {
                errors.Append($"{path}:{lineNumber}: Unmatched parenthesis in acl selector starting at '{unclosed}'. ");
                continue;
            }
            var user = registry.NewUser(name);
            bool reported = false;
            foreach (var raw in ops)
            {
                string op = raw.Trim('\t', '\r', '\n');
                var ruleError = user.Apply(op, registry.ChannelsByDefault);
                if (ruleError == AclRuleError.None) continue;
                // Unknown names are safe to repeat; other errors may quote a password, so only the first is told.
                if (ruleError == AclRuleError.UnknownCommandOrCategory)
                    errors.Append($"{path}:{lineNumber}: Error in applying operation '{op}': {AclErrors.Text(ruleError)}. ");
                else if (!reported)
                {
                    errors.Append($"{path}:{lineNumber}: {AclErrors.Text(ruleError)}. ");
                    reported = true;
                }
            }
            users[name] = user;
        }
        if (errors.Length > 0)
        {
            error = errors.Append("WARNING: ACL errors detected, no change to the previously active ACL rules was performed").ToString();
            return null;
        }
        error = "";
        return users;
    }

    /// <summary>Writes every user (ACL SAVE) through a temporary file, so a crash never leaves half a file.</summary>
    public static void Write(AclRegistry registry, string path)
    {
        string tmp = path + ".tmp-" + Environment.ProcessId;
        File.WriteAllText(tmp, string.Concat(registry.Describe().Select(static l => l + "\n")));
        File.Move(tmp, path, overwrite: true);
    }
}
