using System.Text;
using Codis.Server.Commands;

namespace Codis.Server.Acl;

/// <summary>
/// One set of permissions, as Redis 7.0's selectors: commands (a bitmap by <see cref="CommandSpec.AclId"/>, plus the
/// first arguments allowed of otherwise refused commands), key patterns and channel patterns. A user has a root
/// selector and any number of added ones "(...)"; a command runs when one of them allows it.
/// </summary>
internal sealed class AclSelector
{
    private readonly ulong[] allowed;
    /// <summary>Redis's reserved command bit: set by +@all only, so ACL LIST starts from +@all rather than -@all.</summary>
    private bool futureCommands;
    private Dictionary<int, List<string>>? firstArgs;

    public AclSelector(bool allChannels)
    {
        allowed = new ulong[(CommandTable.ByAclId.Length + 63) / 64];
        AllChannels = allChannels;
    }

    private AclSelector(AclSelector from)
    {
        allowed = (ulong[])from.allowed.Clone();
        futureCommands = from.futureCommands;
        AllCommands = from.AllCommands;
        AllKeys = from.AllKeys;
        AllChannels = from.AllChannels;
        if (from.firstArgs != null) firstArgs = from.firstArgs.ToDictionary(e => e.Key, e => new List<string>(e.Value));
        foreach (var k in from.Keys) Keys.Add(new AclKeyPattern(k.Pattern, k.Access));
        Channels.AddRange(from.Channels);
    }

    public AclSelector Clone() => new(this);

    public bool AllCommands { get; private set; }
    public bool AllKeys { get; private set; }
    public bool AllChannels { get; private set; }
    public List<AclKeyPattern> Keys { get; } = new();
    public List<byte[]> Channels { get; } = new();

    /// <summary>Every command on every key and channel: nothing to check.</summary>
    public bool Unrestricted => AllCommands && AllKeys && AllChannels;

    public bool Allows(int aclId) => (allowed[aclId >> 6] & (1UL << aclId)) != 0;

    private void SetBit(int aclId, bool on)
    {
        if (on) allowed[aclId >> 6] |= 1UL << aclId;
        else allowed[aclId >> 6] &= ~(1UL << aclId);
    }

    /// <summary>Allows or refuses a command with all its subcommands, forgetting its allowed first arguments.</summary>
    private void ChangePermission(CommandSpec command, bool allow)
    {
        SetBit(command.AclId, allow);
        firstArgs?.Remove(command.AclId);
        foreach (var sub in command.Subcommands) SetBit(sub.AclId, allow);
        if (!allow) AllCommands = false;
    }

    private void ChangeCategory(ulong bit, bool allow)
    {
        foreach (var command in CommandTable.ByAclId)
            if ((command.AclCategoryBits & bit) != 0) ChangePermission(command, allow);
    }

    private void SetAllCommands(bool allow)
    {
        Array.Fill(allowed, allow ? ulong.MaxValue : 0);
        futureCommands = AllCommands = allow;
        firstArgs = null;
    }

    /// <summary>Applies one selector rule (commands, keys, channels), as Redis's ACLSetSelector.</summary>
    public AclRuleError Apply(string op)
    {
        if (op.Equals("allkeys", StringComparison.OrdinalIgnoreCase) || op == "~*")
        {
            AllKeys = true;
            Keys.Clear();
        }
        else if (op.Equals("resetkeys", StringComparison.OrdinalIgnoreCase))
        {
            AllKeys = false;
            Keys.Clear();
        }
        else if (op.Equals("allchannels", StringComparison.OrdinalIgnoreCase) || op == "&*")
        {
            AllChannels = true;
            Channels.Clear();
        }
        else if (op.Equals("resetchannels", StringComparison.OrdinalIgnoreCase))
        {
            AllChannels = false;
            Channels.Clear();
        }
        else if (op.Equals("allcommands", StringComparison.OrdinalIgnoreCase) || op.Equals("+@all", StringComparison.OrdinalIgnoreCase)) SetAllCommands(true);
        else if (op.Equals("nocommands", StringComparison.OrdinalIgnoreCase) || op.Equals("-@all", StringComparison.OrdinalIgnoreCase)) SetAllCommands(false);
        else if (op.Length > 0 && op[0] is '~' or '%') return AddKeyPattern(op);
        else if (op.Length > 0 && op[0] == '&')
        {
            if (AllChannels) return AclRuleError.ChannelPatternAfterAllChannels;
            var channel = Encoding.UTF8.GetBytes(op[1..]);
            if (!Channels.Exists(c => c.AsSpan().SequenceEqual(channel))) Channels.Add(channel);
        }
        else if (op.Length > 1 && op[0] is '+' or '-' && op[1] == '@')
        {
            ulong bit = AclCategories.Bit(op.AsSpan(2));
            if (bit == 0) return AclRuleError.UnknownCommandOrCategory;
            ChangeCategory(bit, op[0] == '+');
        }
        else if (op.Length > 0 && op[0] == '+') return AllowCommand(op[1..]);
        else if (op.Length > 0 && op[0] == '-')
        {
            if (Lookup(op[1..]) is not { } command) return AclRuleError.UnknownCommandOrCategory;
            ChangePermission(command, false);
        }
        else return AclRuleError.Syntax;
        return AclRuleError.None;
    }

    /// <summary>"~pattern", or "%R~", "%W~", "%RW~" for reads or writes only.</summary>
    private AclRuleError AddKeyPattern(string op)
    {
        if (AllKeys) return AclRuleError.KeyPatternAfterAllKeys;
        var access = AclKeyAccess.ReadWrite;
        int at = 1;
        if (op[0] == '%')
        {
            access = AclKeyAccess.None;
            // Redis reads R and W up to '~'; "%R" alone is a read pattern of "" (it takes that too).
            for (; at < op.Length; at++)
            {
                char c = char.ToUpperInvariant(op[at]);
                if (c == 'R' && (access & AclKeyAccess.Read) == 0) access |= AclKeyAccess.Read;
                else if (c == 'W' && (access & AclKeyAccess.Write) == 0) access |= AclKeyAccess.Write;
                else if (op[at] == '~') { at++; break; }
                else return AclRuleError.Syntax;
            }
            if (access == AclKeyAccess.None) return AclRuleError.Syntax;
        }
        string text = op[at..];
        if (text == "*" && access == AclKeyAccess.ReadWrite)
        {
            AllKeys = true;
            Keys.Clear();
            return AclRuleError.None;
        }
        var pattern = Encoding.UTF8.GetBytes(text);
        if (Keys.Find(k => k.Pattern.AsSpan().SequenceEqual(pattern)) is { } known) known.Access |= access;
        else Keys.Add(new AclKeyPattern(pattern, access));
        return AclRuleError.None;
    }

    /// <summary>"+cmd", "+container|sub", or "+cmd|firstarg" for a command without subcommands (Redis 7.0 still takes it).</summary>
    private AclRuleError AllowCommand(string name)
    {
        int bar = name.LastIndexOf('|');
        if (bar < 0)
        {
            if (Lookup(name) is not { } command) return AclRuleError.UnknownCommandOrCategory;
            ChangePermission(command, true);
            return AclRuleError.None;
        }
        if (Lookup(name[..bar]) is not { } container) return AclRuleError.UnknownCommandOrCategory;
        if (container.Parent != null) return AclRuleError.FirstArgOfSubcommand;
        string arg = name[(bar + 1)..];
        if (arg.Length == 0) return AclRuleError.Syntax;
        if (container.Subcommands.Count > 0)
        {
            if (Lookup(name) is not { } sub) return AclRuleError.UnknownCommandOrCategory;
            ChangePermission(sub, true);
            return AclRuleError.None;
        }
        firstArgs ??= new();
        if (!firstArgs.TryGetValue(container.AclId, out var args)) firstArgs[container.AclId] = args = new();
        if (!args.Exists(a => a.Equals(arg, StringComparison.OrdinalIgnoreCase))) args.Add(arg.ToLowerInvariant());
        return AclRuleError.None;
    }

    /// <summary>A command ("get") or subcommand ("config|get"), any case.</summary>
    internal static CommandSpec? Lookup(string name)
    {
        int bar = name.IndexOf('|');
        if (bar < 0) return CommandTable.Find(name);
        var container = CommandTable.Find(name[..bar]);
        return container?.Subcommands.Find(s => s.Name.Equals(name, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>
    /// Whether this selector lets <paramref name="command"/> (the subcommand when there is one) run with the words of
    /// <paramref name="request"/> from <paramref name="offset"/> on; on a refused key or channel, its word's index.
    /// </summary>
    public AclDenial Check(CommandSpec command, Core.Resp.RespRequest request, int offset, out int position)
    {
        position = 0;
        if (!AllCommands && !command.Has(CommandFlags.NoAuth) && !Allows(command.AclId) && !FirstArgAllowed(command, request, offset))
            return AclDenial.Command;
        if (!AllKeys && AclArguments.CheckKeys(this, command, request, offset, out position) is var keys && keys != AclDenial.None) return keys;
        if (!AllChannels && AclArguments.CheckChannels(this, command, request, offset, out position) is var channels && channels != AclDenial.None) return channels;
        return AclDenial.None;
    }

    private bool FirstArgAllowed(CommandSpec command, Core.Resp.RespRequest request, int offset)
    {
        if (firstArgs == null || request.Count - offset < 2 || !firstArgs.TryGetValue(command.AclId, out var args)) return false;
        var word = request[offset + 1];
        foreach (var arg in args)
            if (System.Text.Ascii.EqualsIgnoreCase(word, arg)) return true;
        return false;
    }

    /// <summary>Whether a key may be used with this access (every pattern's access must cover it).</summary>
    public bool AllowsKey(ReadOnlySpan<byte> key, AclKeyAccess access)
    {
        if (AllKeys) return true;
        foreach (var pattern in Keys)
            if ((pattern.Access & access) == access && Core.Text.Glob.Match(pattern.Pattern, key)) return true;
        return false;
    }

    /// <summary>A channel matched against the patterns; a pattern (PSUBSCRIBE) must be one of them literally.</summary>
    public bool AllowsChannel(ReadOnlySpan<byte> channel, bool isPattern)
    {
        if (AllChannels) return true;
        foreach (var pattern in Channels)
            if (isPattern ? channel.SequenceEqual(pattern) : Core.Text.Glob.Match(pattern, channel)) return true;
        return false;
    }

    /// <summary>The key patterns as ACL GETUSER shows them ("~*", "~a %R~b", "").</summary>
    public string DescribeKeys() => AllKeys ? "~*" : string.Join(" ", Keys.Select(static k => k.Describe()));

    /// <summary>The channel patterns as ACL GETUSER shows them ("&amp;*", "&amp;a &amp;b", "").</summary>
    public string DescribeChannels() => AllChannels ? "&*" : string.Join(" ", Channels.Select(static c => "&" + Encoding.UTF8.GetString(c)));

    /// <summary>Keys, channels and commands as ACL LIST writes a selector.</summary>
    public string Describe()
    {
        var parts = new List<string>();
        if (AllKeys) parts.Add("~*");
        else parts.AddRange(Keys.Select(static k => k.Describe()));
        if (AllChannels) parts.Add("&*");
        else
        {
            parts.Add("resetchannels");
            parts.AddRange(Channels.Select(static c => "&" + Encoding.UTF8.GetString(c)));
        }
        parts.Add(DescribeCommands());
        return string.Join(" ", parts);
    }

    /// <summary>
    /// The command rules, rebuilt from the bitmap as Redis 7.0 does: +@all or -@all, then over and over the category
    /// that fits best what is left (more commands in common than not; the fewest differences, then the most in
    /// common), then single commands, each followed by its subcommands. The rules replayed give the same bitmap.
    /// </summary>
    public string DescribeCommands()
    {
        bool additive = !futureCommands;
        var rules = new StringBuilder(additive ? "-@all" : "+@all");
        var fake = new AclSelector(false);
        fake.SetAllCommands(!additive);
        var remaining = Clone();
        while (true)
        {
            int best = -1;
            long fewestDifferent = long.MaxValue, mostSame = 0;
            for (int c = 0; c < AclCategories.Names.Length; c++)
            {
                ulong bit = 1UL << c;
                long on = 0, off = 0;
                foreach (var command in CommandTable.ByAclId)
                    if ((command.AclCategoryBits & bit) != 0)
                    {
                        if (remaining.Allows(command.AclId)) on++;
                        else off++;
                    }
                long different = additive ? off : on, same = additive ? on : off;
                if (same > different && (different < fewestDifferent || (different == fewestDifferent && same > mostSame)))
                    (best, fewestDifferent, mostSame) = (c, different, same);
            }
            if (best < 0) break;
            fake.ChangeCategory(1UL << best, additive);
            remaining.ChangeCategory(1UL << best, !additive);
            rules.Append(additive ? " +@" : " -@").Append(AclCategories.Names[best]);
        }
        foreach (var command in CommandTable.ByAclId)
        {
            bool mine = Allows(command.AclId);
            if (mine != fake.Allows(command.AclId))
            {
                rules.Append(mine ? " +" : " -").Append(command.Name);
                fake.ChangePermission(command, mine);
            }
            if (!mine && firstArgs != null && firstArgs.TryGetValue(command.AclId, out var args))
                foreach (var arg in args) rules.Append(" +").Append(command.Name).Append('|').Append(arg);
        }
        return rules.ToString();
    }
}
