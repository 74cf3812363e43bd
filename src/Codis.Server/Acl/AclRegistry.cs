using Codis.Core.Config;

namespace Codis.Server.Acl;

/// <summary>
/// The users of the server (Redis 7.0's ACL): "default" always exists (requirepass is its password), others come
/// from ACL SETUSER, `user` settings or the ACL file. Changed under the keyspace lock, like every command.
/// </summary>
internal sealed class AclRegistry
{
    private readonly Settings settings;
    private readonly SortedDictionary<string, AclUser> users = new(StringComparer.Ordinal);

    public AclRegistry(Settings settings)
    {
        this.settings = settings;
        Default = NewDefaultUser();
        users[Default.Name] = Default;
        ApplyRequirePass(settings["requirepass"].Value);
        settings["requirepass"].Changed = s => ApplyRequirePass(s.Value);
    }

    /// <summary>The user new connections start as; its object stays the same for the server's life.</summary>
    public AclUser Default { get; }

    public AclLog Log { get; } = new();

    public IEnumerable<AclUser> Users => users.Values;

    /// <summary>acl-pubsub-default: whether new users and selectors start with every channel.</summary>
    public bool ChannelsByDefault => settings["acl-pubsub-default"].Value == "allchannels";

    public int LogMaxLength => settings["acllog-max-len"].AsInt;

    public AclUser? Find(string name) => users.GetValueOrDefault(name);

    private static AclUser NewDefaultUser()
    {
        var user = new AclUser("default", true);
        foreach (var op in (ReadOnlySpan<string>)["+@all", "~*", "&*", "on", "nopass"]) user.Apply(op, true);
        return user;
    }

    /// <summary>The default user as the server starts it with this requirepass (and no other rules).</summary>
    public static AclUser StartupDefault(string requirepass)
    {
        var user = NewDefaultUser();
        SetPassword(user, requirepass);
        return user;
    }

    /// <summary>requirepass is the default user's password: resetpass, then the password or nopass (Redis 7.0).</summary>
    public void ApplyRequirePass(string password) => SetPassword(Default, password);

    private static void SetPassword(AclUser user, string password)
    {
        user.Apply("resetpass", true);
        user.Apply(password.Length > 0 ? ">" + password : "nopass", true);
    }

    /// <summary>A new user as Redis creates one: off, no passwords, no commands, keys or (by default) channels.</summary>
    public AclUser NewUser(string name) => new(name, ChannelsByDefault);

    /// <summary>
    /// Joins "(" ... ")" spread over several words into one rule; null (and the opening word) when a selector is not
    /// closed.
    /// </summary>
    public static List<string>? MergeSelectors(IReadOnlyList<string> ops, out string unclosed)
    {
        unclosed = "";
        var merged = new List<string>(ops.Count);
        string? open = null;
        foreach (var op in ops)
        {
            if (open != null)
            {
                open += " " + op;
                if (op.EndsWith(')')) { merged.Add(open); open = null; }
            }
            else if (op.StartsWith('(') && !op.EndsWith(')'))
            {
                open = op;
                unclosed = op;
            }
            else merged.Add(op);
        }
        return open == null ? merged : null;
    }

    /// <summary>Applies rules to a draft of <paramref name="user"/>; null when all apply, else "modifier: reason" of the first that does not.</summary>
    public (string Op, AclRuleError Error)? ApplyAll(AclUser user, IEnumerable<string> ops)
    {
        foreach (var op in ops)
            if (user.Apply(op, ChannelsByDefault) is var error && error != AclRuleError.None) return (op, error);
        return null;
    }

    /// <summary>ACL SETUSER: creates or changes a user with all the rules or none; returns the error reply or null.</summary>
    public string? SetUser(string name, IReadOnlyList<string> ops)
    {
        if (name.Any(static c => c is ' ' or '\0')) return "ERR Usernames can't contain spaces or null characters";
        if (MergeSelectors(ops, out string unclosed) is not { } merged) return $"ERR Unmatched parenthesis in acl selector starting at '{unclosed}'.";
        var existing = Find(name);
        var draft = existing?.Clone() ?? NewUser(name);
        if (ApplyAll(draft, merged) is var (op, error)) return $"ERR Error in ACL SETUSER modifier '{op}': {AclErrors.Text(error)}";
        if (existing != null) existing.CopyFrom(draft);
        else users[name] = draft;
        return null;
    }

    /// <summary>ACL DELUSER of one user (never "default"): the user removed, whose connections the caller closes; null when none.</summary>
    public AclUser? Delete(string name)
    {
        if (name == Default.Name || !users.Remove(name, out var user)) return null;
        user.Deleted = true;
        return user;
    }

    /// <summary>The user a name and password open (on, and nopass or a matching password), or null.</summary>
    public AclUser? Authenticate(string name, ReadOnlySpan<byte> password) =>
        Find(name) is { Enabled: true } user && user.PasswordMatches(password) ? user : null;

    /// <summary>Every user as "user name rules" lines (ACL LIST, the ACL file).</summary>
    public List<string> Describe() => users.Values.Select(static u => "user " + u.Name + " " + u.Describe()).ToList();

    /// <summary>
    /// Replaces every user with <paramref name="loaded"/> (ACL LOAD, start-up): "default" keeps its object and takes
    /// the loaded rules (or its start-up ones when the file has none). Returns every other old user: their
    /// connections close, as Redis 7.0 closes them.
    /// </summary>
    public List<AclUser> ReplaceAll(IReadOnlyDictionary<string, AclUser> loaded)
    {
        var old = users.Values.Where(u => u != Default).ToList();
        users.Clear();
        Default.CopyFrom(loaded.GetValueOrDefault(Default.Name) ?? NewDefaultUser());
        users[Default.Name] = Default;
        foreach (var (name, user) in loaded)
            if (name != Default.Name) users[name] = user;
        foreach (var user in old) user.Deleted = true;
        return old;
    }
}
