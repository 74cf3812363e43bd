using System.Security.Cryptography;
using System.Text;

namespace Codis.Server.Acl;

/// <summary>
/// A Redis 7.0 user: on/off, passwords kept as SHA-256 hex, nopass, the sanitize-payload flags, a root selector and
/// added selectors. Connections hold the user itself, so a change (ACL SETUSER copies a checked draft in) applies to
/// them at once; <see cref="Unrestricted"/> is the one test a command pays for a user allowed everything.
/// </summary>
internal sealed class AclUser
{
    public AclUser(string name, bool allChannels)
    {
        Name = name;
        Root = new AclSelector(allChannels);
    }

    /// <summary>The user of internal sessions (master link, AOF loading, the script client), as Redis's NULL user: everything allowed.</summary>
    public static AclUser Superuser { get; } = NewSuperuser();

    private static AclUser NewSuperuser()
    {
        var user = new AclUser("(superuser)", true);
        foreach (var op in (ReadOnlySpan<string>)["+@all", "~*", "on", "nopass"]) user.Apply(op, true);
        return user;
    }

    public string Name { get; }
    public bool Enabled { get; private set; }
    public bool NoPass { get; private set; }
    /// <summary>"sanitize-payload", "skip-sanitize-payload", or null when neither was given.</summary>
    public string? PayloadFlag { get; private set; }
    public List<string> PasswordHashes { get; } = new();
    public AclSelector Root { get; private set; }
    public List<AclSelector> Selectors { get; } = new();

    /// <summary>The root selector allows every command, key and channel: commands skip the check.</summary>
    public bool Unrestricted { get; private set; }

    /// <summary>Set when the user is deleted (ACL DELUSER, ACL LOAD): its connections are closed.</summary>
    public bool Deleted { get; set; }

    public AclUser Clone(string? name = null)
    {
        var copy = new AclUser(name ?? Name, false);
        copy.CopyFrom(this);
        return copy;
    }

    /// <summary>Takes every permission and credential of <paramref name="from"/> (Redis's ACLCopyUser).</summary>
    public void CopyFrom(AclUser from)
    {
        Enabled = from.Enabled;
        NoPass = from.NoPass;
        PayloadFlag = from.PayloadFlag;
        PasswordHashes.Clear();
        PasswordHashes.AddRange(from.PasswordHashes);
        Root = from.Root.Clone();
        Selectors.Clear();
        Selectors.AddRange(from.Selectors.Select(static s => s.Clone()));
        Unrestricted = Root.Unrestricted;
    }

    public static string Hash(ReadOnlySpan<byte> password) => Convert.ToHexStringLower(SHA256.HashData(password));

    /// <summary>Whether a password opens this user (nopass: any); compared as hashes in constant time.</summary>
    public bool PasswordMatches(ReadOnlySpan<byte> password)
    {
        if (NoPass) return true;
        Span<byte> given = stackalloc byte[32];
        SHA256.HashData(password, given);
        bool match = false;
        Span<byte> stored = stackalloc byte[32];
        foreach (var hex in PasswordHashes)
        {
            Convert.FromHexString(hex, stored, out _, out _);
            match |= CryptographicOperations.FixedTimeEquals(given, stored);
        }
        return match;
    }

    /// <summary>
    /// Applies one rule, as Redis's ACLSetUser: the user's own (on, off, passwords, reset, selectors) here, the
    /// rest on the root selector. <paramref name="allChannels"/> is acl-pubsub-default (for reset and new selectors).
    /// </summary>
    public AclRuleError Apply(string op, bool allChannels)
    {
        var error = ApplyCore(op, allChannels);
        Unrestricted = Root.Unrestricted;
        return error;
    }

    private AclRuleError ApplyCore(string op, bool allChannels)
    {
        if (op.Length == 0) return AclRuleError.None; // an empty rule does nothing, as in Redis
        switch (op.ToLowerInvariant())
        {
            case "on": Enabled = true; return AclRuleError.None;
            case "off": Enabled = false; return AclRuleError.None;
            case "skip-sanitize-payload" or "sanitize-payload": PayloadFlag = op.ToLowerInvariant(); return AclRuleError.None;
            case "nopass":
                NoPass = true;
                PasswordHashes.Clear();
                return AclRuleError.None;
            case "resetpass":
                NoPass = false;
                PasswordHashes.Clear();
                return AclRuleError.None;
            case "clearselectors":
                Selectors.Clear();
                return AclRuleError.None;
            case "reset":
                NoPass = false;
                PasswordHashes.Clear();
                Root = new AclSelector(allChannels);
                Enabled = false;
                PayloadFlag = "sanitize-payload";
                Selectors.Clear();
                return AclRuleError.None;
        }
        switch (op[0])
        {
            case '>':
                AddHash(Hash(Encoding.UTF8.GetBytes(op[1..])));
                return AclRuleError.None;
            case '#':
                if (!IsHash(op.AsSpan(1))) return AclRuleError.BadPasswordHash;
                AddHash(op[1..]);
                return AclRuleError.None;
            case '<':
                return PasswordHashes.Remove(Hash(Encoding.UTF8.GetBytes(op[1..]))) ? AclRuleError.None : AclRuleError.NoSuchPassword;
            case '!':
                if (!IsHash(op.AsSpan(1))) return AclRuleError.BadPasswordHash;
                return PasswordHashes.Remove(op[1..]) ? AclRuleError.None : AclRuleError.NoSuchPassword;
            case '(' when op.Length >= 2 && op[^1] == ')':
                var selector = new AclSelector(allChannels);
                foreach (var inner in op[1..^1].Split(' ', StringSplitOptions.RemoveEmptyEntries))
                    if (selector.Apply(inner) is var error && error != AclRuleError.None) return error;
                Selectors.Add(selector);
                return AclRuleError.None;
        }
        return Root.Apply(op);
    }

    private void AddHash(string hash)
    {
        NoPass = false;
        if (!PasswordHashes.Contains(hash)) PasswordHashes.Add(hash);
    }

    private static bool IsHash(ReadOnlySpan<char> text)
    {
        if (text.Length != 64) return false;
        foreach (char c in text)
            if (c is not (>= '0' and <= '9' or >= 'a' and <= 'f')) return false;
        return true;
    }

    /// <summary>
    /// Whether the user may run a command (the subcommand when there is one) with these words: allowed by one of
    /// its selectors, else the most telling refusal (Redis: a refused channel over a key over a command, then the
    /// later argument).
    /// </summary>
    public AclDenial Check(Commands.CommandSpec command, Core.Resp.RespRequest request, int offset, out int position)
    {
        var worst = Root.Check(command, request, offset, out position);
        if (worst == AclDenial.None) return worst;
        foreach (var selector in Selectors)
        {
            var denial = selector.Check(command, request, offset, out int at);
            if (denial == AclDenial.None)
            {
                position = 0;
                return denial;
            }
            if (denial > worst || (denial == worst && at > position)) (worst, position) = (denial, at);
        }
        return worst;
    }

    /// <summary>Whether one of the selectors lets this user use a channel (a pattern when it came from PSUBSCRIBE).</summary>
    public bool AllowsChannel(ReadOnlySpan<byte> channel, bool isPattern)
    {
        if (Root.AllowsChannel(channel, isPattern)) return true;
        foreach (var selector in Selectors)
            if (selector.AllowsChannel(channel, isPattern)) return true;
        return false;
    }

    /// <summary>The flags ACL GETUSER lists.</summary>
    public List<string> Flags()
    {
        var flags = new List<string> { Enabled ? "on" : "off" };
        if (NoPass) flags.Add("nopass");
        if (PayloadFlag != null) flags.Add(PayloadFlag);
        return flags;
    }

    /// <summary>The rules that rebuild this user, as ACL LIST and the ACL file write them after "user name".</summary>
    public string Describe()
    {
        var sb = new StringBuilder(string.Join(" ", Flags()));
        foreach (var hash in PasswordHashes) sb.Append(" #").Append(hash);
        sb.Append(' ').Append(Root.Describe());
        foreach (var selector in Selectors) sb.Append(" (").Append(selector.Describe()).Append(')');
        return sb.ToString();
    }
}
